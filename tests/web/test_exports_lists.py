"""导出 Excel of each list: the same rows as the page for the same filters, dates as dates,
the list's roles, the current estate only."""
from datetime import timedelta

import pytest

from tests import factories
from tests.factories import exports as xl
from tests.factories import patrol as pf
from wyapp.models import Estate


def _home():
    return Estate.get(Estate.name == "示范花园")


# ── patrol ────────────────────────────────────────────────────────────────────────────────

def _patrol_day(now):
    estate = _home()
    points = [pf.checkpoint(estate, f"点{i}") for i in range(3)]
    route = pf.route(estate, points, "东区路线", min_seconds=0)
    pf.around_now(route, now, before=30, window=20)  # ended 10 minutes ago
    pf.around_now(route, now, before=5, window=60)  # under way
    pf.scan(estate, points[0], now - timedelta(minutes=25))
    pf.scan(estate, points[1], now - timedelta(minutes=2))
    pf.scan(estate, points[2], now - timedelta(minutes=1))
    other = factories.estate("别的小区")
    pf.scan(other, pf.checkpoint(other, "别处"), now,
            user=factories.user(roles=("guard",), estates=[other]))
    return estate


@pytest.mark.clock
def test_patrol_rounds_and_scans_of_the_day(client, login, in_db, now):
    with in_db():
        estate = _patrol_day(now)
        day = estate.today(now)
    login("supervisor")
    page = client.get(f"/patrol/reports/day?date={day}")
    rounds = xl.workbook(client.get(f"/exports/patrol_rounds.xlsx?date={day}"))
    assert day.isoformat() in rounds["A1"].value
    assert xl.headers(rounds)[:4] == ["日期", "开始", "结束", "路线"]
    assert len(xl.data_rows(rounds)) == page.text.count('class="card round-report"') == 2
    statuses = sorted(c.value for c in xl.column(rounds, "状态"))
    assert statuses == sorted(["部分完成", "进行中"])
    assert all(c.is_date for c in xl.column(rounds, "开始"))
    partial = next(r for r in xl.data_rows(rounds) if r[5].value == "部分完成")
    assert partial[xl.headers(rounds).index("未巡点位")].value == "点1、点2"
    assert partial[xl.headers(rounds).index("完成率")].number_format == "0%"
    scans = xl.workbook(client.get(f"/exports/patrol_scans.xlsx?date={day}"))
    assert len(xl.data_rows(scans)) == 3  # not the other estate's
    assert "别处" not in [c.value for c in xl.column(scans, "巡更点")]
    assert all(c.is_date for c in xl.column(scans, "打卡时间"))
    assert "异常标记" in xl.headers(scans)
    login("guard")
    assert client.get(f"/exports/patrol_scans.xlsx?date={day}").status_code == 403


@pytest.mark.clock
def test_patrol_day_report_has_the_button_with_its_day(client, login, in_db, now):
    with in_db():
        day = _home().today(now) - timedelta(days=1)
    login("manager")
    page = client.get(f"/patrol/reports/day?date={day}")
    assert f"/exports/patrol_rounds.xlsx?date={day}" in page.text
    assert "导出 Excel" in page.text
    login("guard")
    assert "导出 Excel" not in client.get("/patrol/reports/day").text


# ── inspection: sheets, meters, duty log ──────────────────────────────────────────────────

@pytest.mark.clock
def test_inspection_sheets_of_the_day_with_their_readings(client, login, in_db, now):
    from tests.factories import inspection as ins

    with in_db():
        estate = _home()
        day = estate.today(now)
        plan = ins.plan_for(estate, "DT-01")
        made = ins.sheet(plan, day, submit_at=now - timedelta(hours=1))
        items = len(made.version.ordered_items())
        numbers = [i.label for i in made.version.ordered_items() if i.kind == "number"]
        other = factories.estate("别的小区")
        ins.sheet(ins.plan_for(other, "DT-01"), day, submit_at=now - timedelta(hours=1))
    login("engineer")
    sheet = xl.workbook(client.get(f"/exports/inspection_sheets.xlsx?day={day}"))
    assert str(day) in sheet["A1"].value
    assert xl.headers(sheet)[:2] == ["设备编号", "设备名称"]
    assert len(xl.data_rows(sheet)) == items
    assert all(c.is_date for c in xl.column(sheet, "提交时间"))
    if numbers:
        row = next(r for r in xl.data_rows(sheet)
                   if r[xl.headers(sheet).index("检查项")].value == numbers[0])
        assert row[xl.headers(sheet).index("读数/结果")].data_type == "n"
    empty = xl.workbook(client.get(f"/exports/inspection_sheets.xlsx?day={day - timedelta(1)}"))
    assert xl.data_rows(empty) == []
    login("guard")
    assert client.get("/exports/inspection_sheets.xlsx").status_code == 403


@pytest.mark.clock
def test_meter_readings_with_consumption(client, login, in_db, now):
    from datetime import date

    from tests.factories import inspection as ins

    with in_db():
        estate = _home()
        month = estate.today(now).replace(day=1)
        before = date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)
        ins.meter(estate, "配电房总电表", readings=[(before, "1000"), (month, "1250.5")])
        ins.meter(estate, "水泵房水表", kind="水")  # not read this month
    login("supervisor")
    page = client.get(f"/inspection/meters?month={month:%Y-%m}")
    sheet = xl.workbook(client.get(f"/exports/meter_readings.xlsx?month={month:%Y-%m}"))
    assert len(xl.data_rows(sheet)) == 2 and "配电房总电表" in page.text
    read = next(r for r in xl.data_rows(sheet) if r[1].value == "配电房总电表")
    h = xl.headers(sheet)
    assert read[h.index("读数")].value == 1250.5 and read[h.index("用量")].value == 250.5
    assert read[h.index("月份")].is_date and read[h.index("抄表时间")].is_date
    unread = next(r for r in xl.data_rows(sheet) if r[1].value == "水泵房水表")
    assert unread[h.index("异常标记")].value == "未抄" and unread[h.index("读数")].value is None
    assert f"/exports/meter_readings.xlsx?month={month:%Y-%m}" in page.text


def test_duty_log_as_on_the_page(client, login, in_db, now):
    from tests.factories import inspection as ins

    with in_db():
        estate = _home()
        ins.duty_shift(estate, started_at=now - timedelta(hours=20),
                       ended_at=now - timedelta(hours=8), pending="=2号泵待换",
                       equipment_status="正常",
                       events=[(now - timedelta(hours=12), "1号楼停电 20 分钟")])
        ins.duty_shift(estate, started_at=now - timedelta(hours=8))
    login("manager")
    sheet = xl.workbook(client.get("/exports/duty_log.xlsx"))
    rows = xl.data_rows(sheet)
    h = xl.headers(sheet)
    assert len(rows) == 2
    done = rows[1]
    assert done[h.index("值班时长（小时）")].value == 12
    assert "1号楼停电" in done[h.index("值班事件")].value
    assert done[h.index("未完成事项")].quotePrefix
    assert rows[0][h.index("值班时长（小时）")].value == "当班中"
    assert done[h.index("接班时间")].is_date
