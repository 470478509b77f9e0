"""The archive machinery with a test document kind over real rows (the estate's units)."""
import json
import os
from pathlib import Path

import pytest
from pypdf import PdfReader

from wyapp.archive import services
from wyapp.archive.cli import archive_cli
from wyapp.archive.models import Document
from wyapp.db import db
from wyapp.features import DocumentKind, Feature
from wyapp.models import Estate, Unit


def _collect_units(estate, period):
    units = Unit.select().where(Unit.estate == estate).order_by(Unit.id)
    return {"units": [{"number": u.number, "building": u.building.name, "note": u.note}
                      for u in units], "day": period}


UNITS_KIND = DocumentKind(code="test_units", title="房号日报", template="pdf/test_units.html",
                          collect=_collect_units, roles=frozenset({"desk"}),
                          sections={"units": "房号"})


@pytest.fixture
def app(app, tmp_path):
    """The office's app (SQLite, then PostgreSQL) with the test document kind."""
    app.extensions["wyapp.features"].append(Feature(name="test", documents=[UNITS_KIND]))
    templates = tmp_path / "tpl" / "pdf"
    templates.mkdir(parents=True)
    (templates / "test_units.html").write_text(
        '{% extends "pdf/_base.html" %}{% block body %}<table><thead><tr><th>楼栋</th>'
        '<th>房号</th><th>备注</th></tr></thead><tbody>{% for u in data.units %}<tr>'
        '<td>{{ u.building }}</td><td>{{ u.number }}</td><td>{{ u.note }}</td></tr>'
        '{% endfor %}</tbody></table>{% endblock %}', encoding="utf-8")
    from jinja2 import ChoiceLoader, FileSystemLoader
    app.jinja_loader = ChoiceLoader([app.jinja_loader, FileSystemLoader(str(tmp_path / "tpl"))])
    return app


def _file(app, period="2026-11-24"):
    with app.app_context(), db.connection_context():
        return services.file_document("test_units", Estate.get(), period)


def test_filed_document_is_pdfa_with_data_and_chinese_text(app):
    doc = _file(app)
    assert doc.version == 1 and doc.archive_no == f"{doc.estate_id:03d}-test_units-2026-11-24-V1"
    path = app.config["DATA_DIR"] + "/archive/" + doc.path
    reader = PdfReader(path)
    text = reader.pages[0].extract_text()
    assert "房号日报" in text and "示范花园" in text and "2026年11月24日" in text
    assert "1号楼" in text and doc.archive_no in text and "第 1 页 共 2 页" in text
    data = json.loads(reader.attachments["source-data.json"][0])
    assert len(data["units"]) == 36
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp and 'pdfaid:conformance="B"' in xmp
    assert oct(os.stat(path).st_mode & 0o777) == "0o444"


def test_unchanged_data_files_nothing_and_amendment_files_a_new_version(app):
    first = _file(app)
    assert _file(app) is None
    with app.app_context(), db.connection_context():
        Unit.update(note="更正：空置").where(Unit.number == "101").execute()
    second = _file(app)
    assert second.version == 2 and second.replaces_id == first.id
    assert "替代第 1 版" in second.reason and "房号" in second.reason
    text = PdfReader(app.config["DATA_DIR"] + "/archive/" + second.path).pages[0].extract_text()
    assert "替代第 1 版" in text and "更正：空置" in text
    assert os.path.exists(app.config["DATA_DIR"] + "/archive/" + first.path)


def _verify(app):
    runner = app.test_cli_runner()
    return runner.invoke(archive_cli, ["verify"])


def test_verify_intact_then_names_each_tampering(app):
    docs = [_file(app, f"2026-11-{d}") for d in (20, 21, 22)]
    result = _verify(app)
    assert result.exit_code == 0 and "档案完好：3 份" in result.output
    root = app.config["DATA_DIR"] + "/archive/"
    # (a) a byte changed in a PDF
    path = Path(root + docs[0].path)
    path.chmod(0o644)
    body = bytearray(path.read_bytes())
    body[len(body) // 2] ^= 0x01
    path.write_bytes(bytes(body))
    # (b) a file deleted
    os.remove(root + docs[1].path)
    # (c) an index row edited
    with app.app_context(), db.connection_context():
        Document.update(period="2026-11-23").where(Document.id == docs[2].id).execute()
    result = _verify(app)
    assert result.exit_code == 1
    assert f"#{docs[0].id} {docs[0].archive_no}: 文件内容被修改" in result.output
    assert f"#{docs[1].id} {docs[1].archive_no}: 文件缺失" in result.output
    assert f"#{docs[2].id} {docs[2].archive_no}: 索引记录被修改" in result.output


def test_verify_names_a_deleted_row(app):
    docs = [_file(app, f"2026-11-{d}") for d in (20, 21, 22)]
    with app.app_context(), db.connection_context():
        Document.delete().where(Document.id == docs[1].id).execute()
    result = _verify(app)
    assert result.exit_code == 1 and f"#{docs[2].id}" in result.output and "链断裂" in result.output


def test_archive_run_command_is_synchronous(app):
    result = app.test_cli_runner().invoke(archive_cli, ["run", "--date", "2026-11-24"])
    assert result.exit_code == 0, result.output
    assert "已归档 " in result.output and "test_units-2026-11-24-V1" in result.output
    assert "共归档 " in result.output  # with the features' own kinds of that day
    bad = app.test_cli_runner().invoke(archive_cli, ["run", "--date", "24/11/2026"])
    assert bad.exit_code != 0 and "日期格式应为 YYYY-MM-DD" in bad.output


def test_periodic_sweep_files_last_week_through_the_queue(app):
    from datetime import datetime
    with app.app_context(), db.connection_context():
        now = datetime(2026, 11, 25, 2, 0)
        assert services.sweep_if_due(now) >= 7  # the test kind's week and the features' kinds
        assert services.sweep_if_due(now) == 0  # at most hourly
        filed = Document.select().where(Document.kind == "test_units")
        assert filed.count() == 7  # huey immediate mode ran them inline
        assert {d.period for d in filed} == {f"2026-11-{d}" for d in range(18, 25)}


def test_archive_page_roles_and_estates(app, login):
    doc = _file(app)
    with app.app_context(), db.connection_context():
        other = Estate.create(name="别处")
        foreign = services.file_document("test_units", other, "2026-11-24")
    manager = login("manager")
    page = manager.get("/archive")
    assert "房号日报" in page.text and "2026-11-24" in page.text
    served = manager.get(f"/archive/{doc.id}.pdf")
    assert served.mimetype == "application/pdf"
    assert served.headers["Cache-Control"] == "private, no-store"  # personal data: no cache
    assert served.data == Path(app.config["DATA_DIR"], "archive", doc.path).read_bytes()
    assert f'filename="{doc.archive_no}.pdf"' in served.headers["Content-Disposition"]
    assert manager.get(f"/archive/{foreign.id}.pdf").status_code == 404
    fragment = manager.get("/archive?kind=test_units&from=2026-11-25",
                           headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "没有符合条件的档案" in fragment.text
    desk = login("desk")  # the kind's roles include desk
    assert desk.get(f"/archive/{doc.id}.pdf").status_code == 200
    guard = login("guard")  # not covered
    assert "房号日报" not in guard.get("/archive").text
    assert guard.get(f"/archive/{doc.id}.pdf").status_code == 404
    Path(app.config["DATA_DIR"], "archive", doc.path).unlink()  # gone: 404, not a 500
    assert login("manager").get(f"/archive/{doc.id}.pdf").status_code == 404
