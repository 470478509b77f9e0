"""Each feature's archived document kind, filed through the real archive from records the
test builds (tests/factories/archive.py: a patrol day, a gate day, an inspection sheet, a
month of meter readings, closed work orders and complaints).

Days are the estate's, derived from the test's `now`: the module is marked `clock`."""
import json
from datetime import date, datetime, timedelta

import pytest
from pypdf import PdfReader

from tests.factories import archive as records
from wyapp.archive import services as archive
from wyapp.archive.cli import archive_cli
from wyapp.db import db
from wyapp.models import Estate, User

pytestmark = pytest.mark.clock
DEMO = "示范花园"


def _in(app, fn):
    with app.app_context(), db.connection_context():
        return fn(Estate.get(Estate.name == DEMO))


def _yesterday(app, now):
    """The estate's yesterday at `now`, as YYYY-MM-DD."""
    return _in(app, lambda e: (e.today(now) - timedelta(days=1)).isoformat())


def _patrol_day(app, now):
    """Yesterday's patrol records; returns the day (YYYY-MM-DD)."""
    day = _yesterday(app, now)
    _in(app, lambda e: records.patrol_day(e, date.fromisoformat(day)))
    return day


def _gate_day(app, now):
    """Yesterday's gate records; returns the day (YYYY-MM-DD)."""
    day = _yesterday(app, now)
    _in(app, lambda e: records.gate_day(e, date.fromisoformat(day)))
    return day


def _file(app, code, period):
    return _in(app, lambda e: archive.file_document(code, e, period))


def _read(app, doc):
    reader = PdfReader(f"{app.config['DATA_DIR']}/archive/{doc.path}")
    text = "".join(page.extract_text() for page in reader.pages)
    return reader, "".join(text.split())  # table cells wrap: compare without whitespace


def _assert_pdfa_with_data(reader):
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in xmp
    return json.loads(reader.attachments["source-data.json"][0])


def _user(name):
    return User.get(User.username == name)


def test_every_feature_hands_its_kinds_to_the_archive(app):
    with app.app_context():
        kinds = archive.kinds()
    assert {"patrol_day", "inspection_day", "inspection_meters", "gate_day", "service_order",
            "service_complaint", "service_major_complaint"} <= set(kinds)
    assert kinds["inspection_meters"].cadence == "monthly"
    assert kinds["service_major_complaint"].group == "重大投诉"
    json.dumps({code: None for code in kinds})


# ── 巡更日报 ──

def test_patrol_day_lists_rounds_scans_and_misses(app, now):
    day = _patrol_day(app, now)
    doc = _file(app, "patrol_day", day)
    reader, text = _read(app, doc)
    data = _assert_pdfa_with_data(reader)
    assert "巡更日报" in text and "夜间巡逻" in text and "日间地库巡查" in text
    assert "东门岗亭" in text and "地库B区水泵房" in text and "张保安" in text
    assert "巡查人" in text and "审核人" in text
    assert data["day"] == day
    assert len(data["rounds"]) == data["summary"]["rounds"] == records.ROUNDS_A_DAY
    first = data["rounds"][0]
    assert first["starts"] == "00:00" and first["scans"][0]["time"] in text
    assert data["summary"]["scans"] == sum(len(r["scans"]) for r in data["rounds"])


def test_a_day_of_missed_rounds_is_still_a_document(app, now):
    """Schedules and no scan: every round of that day is 漏巡 on paper."""
    day = date.fromisoformat(_yesterday(app, now))
    _in(app, lambda e: records.patrol_setup(e, datetime(2020, 1, 1)))
    data = _in(app, lambda e: archive.kinds()["patrol_day"].collect(e, day.isoformat()))
    assert data is not None and data["summary"]["scans"] == 0
    assert all(r["status"] == "漏巡" and r["missed"] for r in data["rounds"])
    html = _in(app, lambda e: _html("patrol_day", e, data))
    assert 'class="abnormal">漏巡' in html
    # a day before any schedule existed files nothing
    assert _in(app, lambda e: archive.kinds()["patrol_day"].collect(e, "2019-06-01")) is None


def _html(code, estate, data):
    from wyapp.documents import render_html
    kind = archive.kinds()[code]
    return render_html(kind.template, title=kind.title, estate=estate, data=data,
                       signatures=kind.signatures)


def test_patrol_amendment_files_version_two_naming_version_one(app, now):
    from wyapp.patrol.models import Scan
    day = _patrol_day(app, now)
    first = _file(app, "patrol_day", day)
    assert _file(app, "patrol_day", day) is None  # nothing changed
    with app.app_context(), db.connection_context():
        start, end = Estate.get().day_bounds(date.fromisoformat(day))
        scan = Scan.select().where(Scan.flags == "", Scan.scanned_at >= start,
                                   Scan.scanned_at < end).first()
        Scan.update(flags="位置偏离").where(Scan.id == scan.id).execute()
    second = _file(app, "patrol_day", day)
    assert second is not None, "the changed scan's day must be yesterday's"
    assert second.version == 2 and second.replaces_id == first.id
    assert f"替代第 1 版（{first.archive_no}）" in second.reason
    assert "巡更班次与扫码" in second.reason
    _, text = _read(app, second)
    assert "替代第1版" in text and "位置偏离" in text


# ── 设备日检记录表 ──

def test_inspection_day_sections_values_ranges_and_work_orders(app, now):
    sheet = _in(app, lambda e: records.inspection_day(e, now))
    day = _in(app, lambda e: e.today(now).isoformat())
    doc = _file(app, "inspection_day", day)
    reader, text = _read(app, doc)
    data = _assert_pdfa_with_data(reader)
    assert "设备日检记录表" in text and "PD-02低压配电柜" in text and "配电房日检表" in text
    assert "变压器温度" in text and "92℃" in text and "≤85℃" in text and "冷却风机不转" in text
    assert "陈工" in text and "检查人" in text
    section = data["sheets"][0]
    hot = next(i for i in section["checks"] if i["label"] == "变压器温度")
    assert hot["abnormal"] and hot["orders"][0]["code"].startswith("BX")
    assert hot["orders"][0]["code"] in text and data["abnormal"] == sheet.abnormal_count == 1
    assert {m["code"] for m in data["missing"]} >= {"SB-01", "DT-01"}  # daily plans unchecked
    html = _in(app, lambda e: _html("inspection_day", e, data))
    assert '<tr class="abnormal"><td>变压器温度</td>' in html


# ── 来访登记日志 ──

def _slip_used_on(estate, day):
    from tests.factories import gate, patrol
    from wyapp.gate.goods import release_goods
    slip = gate.slip(estate, day, unit="1-301", applicant="周女士（业主）",
                     items="钢琴 1\n书柜 2", note="搬出")
    return release_goods(slip, _user("gate"), "搬家公司车辆已核对",
                         now=patrol.local(estate, day, 15, 30))


def test_gate_day_masks_ids_lists_vehicles_and_slips(app, now):
    day = _gate_day(app, now)
    _in(app, lambda e: _slip_used_on(e, date.fromisoformat(day)))
    doc = _file(app, "gate_day", day)
    reader, text = _read(app, doc)
    data = _assert_pdfa_with_data(reader)
    assert "来访登记日志" in text and "陈美玲" in text and "138****5678" in text
    assert "13812345678" not in text and "13812345678" not in json.dumps(data)
    assert "粤B6D2J8" in text and "粤BF56789" in text and "业主" in text
    assert "钢琴×1" in text and "搬家公司车辆已核对" in text and "门岗值班员" in text
    assert data["summary"]["total"] == len(data["visits"]) == 3
    released = [s for s in data["slips"] if s["applicant"] == "周女士（业主）"]
    assert data["vehicles"]["resident"] >= 3 and len(released) == 1 and released[0]["used_by"]


def test_gate_note_edited_after_filing_files_version_two(app, now):
    from wyapp.gate.models import Visit
    day = _gate_day(app, now)
    first = _file(app, "gate_day", day)
    with app.app_context(), db.connection_context():
        Visit.update(note="补记：随行两名儿童").where(Visit.name == "宋工").execute()
    second = _file(app, "gate_day", day)
    assert second.version == 2 and second.replaces_id == first.id
    assert "替代第 1 版" in second.reason and "来访登记" in second.reason
    _, text = _read(app, second)
    assert "补记：随行两名儿童" in text
    _, old = _read(app, first)
    assert "补记" not in old


# ── 抄表月报 ──

def test_meter_month_report(app, now):
    def last_month(estate):
        first = (estate.today(now).replace(day=1) - timedelta(days=1)).replace(day=1)
        records.meter_months(estate, first)
        return f"{first:%Y-%m}"
    month = _in(app, last_month)
    doc = _file(app, "inspection_meters", month)
    reader, text = _read(app, doc)
    data = _assert_pdfa_with_data(reader)
    assert "抄表月报" in text and "小区总水表" in text and "配电房总电表" in text
    assert "1号楼-101" in text and "公共用量合计" in text and "抄表人" in text
    water = next(r for r in data["rows"] if r["name"] == "小区总水表")
    assert water["value"] in text and water["consumption"] in text
    assert data["missing"] == 0 and data["public"]["本月"]["水"]
    unread = _in(app, lambda e: archive.kinds()["inspection_meters"].collect(e, "2001-01"))
    assert unread["missing"] == len(unread["rows"]) == 3  # a month nobody read: all 未抄


# ── 工单 and 投诉 records ──

def test_closed_work_order_record_with_timeline_and_follow_up(app, now, login):
    order = _in(app, lambda e: records.closed_work_order(e, now))
    keys = _in(app, lambda e: archive.kinds()["service_order"].due(e, now))
    assert len(keys) == 1 and keys[0].startswith("WO-")
    doc = _file(app, "service_order", keys[0])
    reader, text = _read(app, doc)
    data = _assert_pdfa_with_data(reader)
    assert "报修工单记录" in text and "卫生间水龙头滴水" in text and "更换阀芯" in text
    assert "陶瓷阀芯" in text and "师傅很细心" in text and "陈工" in text
    assert [t["step"] for t in data["timeline"]][:2] == ["登记", "派单"]
    assert data["timeline"][-1]["step"] == "关闭" and "关闭" in text
    # the archive lists it by the order's number, as every page shows it; the key is internal
    listing = login("manager").get("/archive", headers={"HX-Request": "true"}).text
    assert f"报修工单记录 · {order.code}" in listing and keys[0] not in listing
    # an open order is not filed
    open_key = _in(app, lambda e: f"WO-{keys[0].split('-')[1]}0")
    assert _file(app, "service_order", open_key) is None


def test_complaints_and_major_complaints_are_filed_in_their_own_groups(app, now):
    from wyapp.service import complaints as desk
    from wyapp.service.models import Complaint

    def close_one(estate):
        complaint = records.garbage_complaint(estate, now)
        records.major_complaint(estate, now)
        desk.follow_up(complaint, _user("desk"), "基本满意", "异味少了", now)
        return f"TS-{complaint.id}"
    key = _in(app, close_one)
    minor = _in(app, lambda e: archive.kinds()["service_complaint"].due(e, now))
    major = _in(app, lambda e: archive.kinds()["service_major_complaint"].due(e, now))
    assert minor == [key] and len(major) == 1
    doc = _file(app, "service_complaint", key)
    _, text = _read(app, doc)
    assert "投诉处理记录" in text and "王女士" in text and "垃圾站" in text and "异味少了" in text
    big = _file(app, "service_major_complaint", major[0])
    reader, text = _read(app, big)
    data = _assert_pdfa_with_data(reader)
    assert "重大投诉处理记录" in text and "孙女士" in text and "更换门机板" in text
    assert data["group"] == "重大投诉" and "service_major_complaint" in big.archive_no
    # the same complaint is never filed under the other kind
    assert _file(app, "service_complaint", major[0]) is None
    assert _file(app, "service_major_complaint", key) is None
    # an amendment after closing files the record again
    def amend(estate):
        desk.amend_complaint(Complaint.get(Complaint.name == "王女士"), _user("supervisor"),
                             "补充：已加装除臭设备")
    _in(app, amend)
    again = _file(app, "service_complaint", key)
    assert again.version == 2 and "处理记录" in again.reason


# ── the archive page, the command ──

def test_archive_page_shows_each_role_its_kinds(app, login, now):
    patrol = _file(app, "patrol_day", _patrol_day(app, now))
    gate = _file(app, "gate_day", _gate_day(app, now))
    guard = login("guard")
    page = guard.get("/archive").text
    assert "巡更日报" in page and "来访登记日志" not in page
    assert guard.get(f"/archive/{patrol.id}.pdf").status_code == 200
    assert guard.get(f"/archive/{gate.id}.pdf").status_code == 404
    gatekeeper = login("gate")
    page = gatekeeper.get("/archive").text
    assert "来访登记日志" in page and "巡更日报" not in page
    engineer = login("engineer")
    assert engineer.get(f"/archive/{patrol.id}.pdf").status_code == 404
    manager = login("manager")
    page = manager.get("/archive").text
    assert "巡更日报" in page and "来访登记日志" in page


def test_archive_run_for_a_day_then_verify(app, now):
    day = _patrol_day(app, now)
    _in(app, lambda e: records.closed_work_order(e, now))
    runner = app.test_cli_runner()
    result = runner.invoke(archive_cli, ["run", "--date", day, "--records"])
    assert result.exit_code == 0, result.output
    assert f"patrol_day-{day}-V1" in result.output and "service_order-WO-" in result.output
    verified = runner.invoke(archive_cli, ["verify"])
    assert verified.exit_code == 0 and "档案完好" in verified.output


@pytest.mark.parametrize("code,period", [("patrol_day", "x"), ("service_order", "WO-x"),
                                         ("service_complaint", "nonsense"),
                                         ("inspection_day", "2019-01-01")])
def test_nothing_to_file(app, code, period):
    if code == "patrol_day":
        with pytest.raises(ValueError):
            _in(app, lambda e: archive.kinds()[code].collect(e, period))
        return
    assert _in(app, lambda e: archive.kinds()[code].collect(e, period)) is None


def test_every_kind_collects_on_both_databases(app, now):
    """The collectors' queries on SQLite and PostgreSQL: the data is the same JSON shape."""
    day = _patrol_day(app, now)
    _gate_day(app, now)

    def build(estate):
        records.inspection_day(estate, now)
        month = (estate.today(now).replace(day=1) - timedelta(days=1)).replace(day=1)
        records.meter_months(estate, month)
        records.closed_work_order(estate, now)
        records.major_complaint(estate, now)
    _in(app, build)

    def collect_all(estate):
        kinds, today = archive.kinds(), estate.today(now)
        periods = {"patrol_day": day, "gate_day": day, "inspection_day": today.isoformat(),
                   "inspection_meters": f"{today.replace(day=1) - timedelta(days=1):%Y-%m}"}
        for code in ("service_order", "service_major_complaint"):
            periods[code] = kinds[code].due(estate, now)[0]
        return {code: kinds[code].collect(estate, period) for code, period in periods.items()}
    found = _in(app, collect_all)
    assert all(found.values()), [code for code, data in found.items() if not data]
    assert json.loads(json.dumps(found)) == found  # JSON-able as is
    doc = _file(app, "patrol_day", day)
    assert doc.version == 1
