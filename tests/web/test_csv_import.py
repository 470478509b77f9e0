"""CSV files as Excel, WPS and a text editor save them, through the one reader
(wyapp.csvfile) into both imports — units (admin) and the equipment ledger (inspection) —
on SQLite and on PostgreSQL: each dialect imports, or the page names the line and the
reason and nothing is stored."""
import io
from decimal import Decimal

import pytest

from wyapp.csvfile import FIELD_LIMIT
from wyapp.inspection.cli import import_equipment_command
from wyapp.inspection.models import Equipment
from wyapp.models import Building, Estate, Unit

UNITS = ("楼栋,房号,楼层,面积,备注", "7号楼,101,1,89.5,", "7号楼,102,１,\"1,250.5\",\"东\n边\"",
         "8号楼,B1-01,-1,,车库")
EQUIPMENT = ("编号,名称,类别,位置", "GS-01,雨水泵,给排水,地下车库",
             "GS-02,\"生活泵,2号\",给排水,泵房", "DT-09,电梯,电梯,\"3号楼\r\n井道\"")
# name → (the file's bytes from the lines above). Each must import all three rows.
DIALECTS = {
    "utf8-lf": lambda lines: "\n".join(lines).encode(),
    "utf8-bom-crlf": lambda lines: "\ufeff".encode() + "\r\n".join(lines).encode() + b"\r\n",
    "gb18030-crlf": lambda lines: "\r\n".join(lines).encode("gb18030"),
    "mac-cr-only": lambda lines: "\r".join(lines).encode("gb18030") + b"\r",
    "utf16-tab": lambda lines: "\r\n".join(
        line.replace(",", "\t") if '"' not in line else _tabbed(line) for line in lines
    ).encode("utf-16"),
}


def _tabbed(line):
    """A CSV line with quoted cells → the same cells separated by tabs (Excel's Unicode text
    keeps quotes only where a cell holds a tab, quote or line break)."""
    import csv
    [cells] = csv.reader(io.StringIO(line, newline=""))
    return "\t".join(f'"{c}"' if "\n" in c or "\r" in c else c for c in cells)


def _post(client, path, data):
    return client.post(path, data={"file": (io.BytesIO(data), "导入.csv")},
                       content_type="multipart/form-data")


@pytest.fixture
def estate_id(in_db):
    with in_db():
        return Estate.get(name="示范花园").id


@pytest.mark.parametrize("dialect", DIALECTS)
def test_units_import_in_every_dialect(login, in_db, estate_id, dialect):
    client = login("admin")
    response = _post(client, f"/admin/estates/{estate_id}/units/import",
                     DIALECTS[dialect](UNITS))
    assert response.status_code == 302, response.text
    assert "已导入 3 个房号" in client.get(response.headers["Location"]).text
    with in_db():
        units = {u.number: u for u in Unit.select().join(Building)
                 .where(Building.name.in_(["7号楼", "8号楼"]))}
        assert set(units) == {"101", "102", "B1-01"}
        assert units["102"].floor == 1 and units["102"].area == Decimal("1250.5")
        assert units["102"].note.replace("\r\n", "\n").replace("\r", "\n") == "东\n边"
        assert units["B1-01"].floor == -1 and units["B1-01"].note == "车库"


@pytest.mark.parametrize("dialect", DIALECTS)
def test_equipment_import_in_every_dialect(login, in_db, dialect):
    client = login("supervisor")
    response = _post(client, "/inspection/equipment/import", DIALECTS[dialect](EQUIPMENT))
    assert response.status_code == 302, response.text
    assert "已导入 3 台设备" in client.get(response.headers["Location"]).text
    with in_db():
        assert Equipment.get(code="GS-02").name == "生活泵,2号"
        location = Equipment.get(code="DT-09").location
        assert location.replace("\r\n", "\n").replace("\r", "\n") == "3号楼\n井道"


# (file bytes, the line named, words of the reason) — refused whole, by both imports
def _refusals(header, good):
    return {
        "nul-byte": ((f"{header}\n{good}\n{good}\x00x\n").encode(), 3, "空字符"),
        "huge-field": ((f"{header}\n{good}\n\"{'长' * (FIELD_LIMIT + 1)}\",x\n").encode(), 3,
                       "超过 128 KB"),
        "unclosed-quote": ((f"{header}\n{good}\n\"没有结束,x\n{good}\n").encode(), 3,
                           "引号没有配对"),
        "cr-only-huge": ((f"{header}\r{good}\r" + "x" * (FIELD_LIMIT + 5) + ",1\r").encode(),
                         3, "超过 128 KB"),
        "image": (b"\x89PNG\r\n\x1a\n\xff\xd8\xff\x00\x81", 1, "无法识别文件编码"),
    }


UNIT_REFUSALS = _refusals("楼栋,房号", "9号楼,1901")
EQUIPMENT_REFUSALS = _refusals("编号,名称", "ZZ-01,水泵")


@pytest.mark.parametrize("case", UNIT_REFUSALS)
def test_units_import_refuses_with_the_line(login, in_db, estate_id, case):
    data, line, reason = UNIT_REFUSALS[case]
    response = _post(login("admin"), f"/admin/estates/{estate_id}/units/import", data)
    assert response.status_code == 422
    assert f"第 {line} 行" in response.text and reason in response.text
    assert "未导入任何数据" in response.text
    with in_db():
        assert not Building.select().where(Building.name == "9号楼").exists()


@pytest.mark.parametrize("case", EQUIPMENT_REFUSALS)
def test_equipment_import_refuses_with_the_line(login, in_db, case):
    data, line, reason = EQUIPMENT_REFUSALS[case]
    response = _post(login("supervisor"), "/inspection/equipment/import", data)
    assert response.status_code == 422
    assert f"第 {line} 行" in response.text and reason in response.text
    with in_db():
        assert not Equipment.select().where(Equipment.code == "ZZ-01").exists()


def test_each_bad_row_is_named_after_a_multiline_cell(login, in_db, estate_id):
    """Line numbers are the lines a text editor shows, even after a cell spanning lines."""
    data = ("楼栋,房号,楼层,面积,备注\r"
            "9号楼,1901,19,,\"第一行\r第二行\r第三行\"\r"   # lines 2–4
            "9号楼,1902,高,,\r"                            # line 5: bad floor
            "9号楼,1903,19,-3,\r"                          # line 6: bad area
            ",1904,19,,\r").encode("gb18030")              # line 7: no building
    response = _post(login("admin"), f"/admin/estates/{estate_id}/units/import", data)
    assert response.status_code == 422
    page = response.text
    assert "第 5 行：楼层“高”应为 -10 到 200 的整数" in page
    assert "第 6 行：面积“-3”应为大于 0 的数字" in page
    assert "第 7 行：楼栋不能为空" in page
    with in_db():
        assert not Building.select().where(Building.name == "9号楼").exists()


def test_equipment_cli_reads_the_same_dialects(app, in_db, tmp_path):
    """`wyapp import-equipment` reads a CR-only GB18030 file and refuses a NUL with its line."""
    good = tmp_path / "mac.csv"
    good.write_bytes(DIALECTS["mac-cr-only"](EQUIPMENT))
    runner = app.test_cli_runner()
    result = runner.invoke(import_equipment_command, ["示范花园", str(good)])
    assert result.exit_code == 0, result.output
    assert "已导入 3 台设备" in result.output
    bad = tmp_path / "nul.csv"
    bad.write_bytes(EQUIPMENT_REFUSALS["nul-byte"][0])
    result = runner.invoke(import_equipment_command, ["示范花园", str(bad)])
    assert result.exit_code != 0
    assert "第 3 行" in result.output and "空字符" in result.output
    with in_db():
        assert Equipment.select().count() == 3
