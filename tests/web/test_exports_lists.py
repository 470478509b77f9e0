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
        submitted = now - (now - estate.day_start(day)) / 2  # earlier today, at any hour
        plan = ins.plan_for(estate, "DT-01")
        made = ins.sheet(plan, day, submit_at=submitted)
        items = len(made.version.ordered_items())
        numbers = [i.label for i in made.version.ordered_items() if i.kind == "number"]
        other = factories.estate("别的小区")
        ins.sheet(ins.plan_for(other, "DT-01"), day, submit_at=submitted)
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


# ── gate: visitors, vehicles, release slips ───────────────────────────────────────────────

@pytest.mark.clock
def test_visitor_log_masks_as_the_page(client, login, in_db, now):
    from tests.factories import gate

    with in_db():
        estate = _home()
        day = estate.today(now)
        quarter = (now - estate.day_start(day)) / 4  # three moments earlier today, at any hour
        gate.visit(estate, at=now - 3 * quarter, left=now - 2 * quarter,
                   id_number="11010519491231002X", name="=cmd|' /C calc'!A0")
        gate.visit(estate, at=now - quarter, phone="13800001111")
        gate.visit(factories.estate("别的小区"), at=now)
    login("manager")
    page = client.get(f"/gate/report?day={day}")
    assert f"/exports/visitors.xlsx?day={day}" in page.text
    sheet = xl.workbook(client.get(f"/exports/visitors.xlsx?day={day}"))
    h = xl.headers(sheet)
    rows = xl.data_rows(sheet)
    assert len(rows) == 2
    ids = [r[h.index("身份证号")].value for r in rows if r[h.index("身份证号")].value]
    assert ids and all(i not in ("11010519491231002X",) and "*" in i for i in ids)
    assert all(i in page.text for i in ids)
    phones = [r[h.index("手机号")].value for r in rows]
    assert "13800001111" not in phones and all(p in page.text for p in phones)
    name = next(r[h.index("姓名")] for r in rows if r[h.index("姓名")].value.startswith("="))
    assert name.data_type == "s" and name.quotePrefix
    first = next(r for r in rows if r[h.index("离开时间")].value)
    stayed = round(quarter.total_seconds() / 3600, 1)  # signed out a quarter after coming
    assert first[h.index("进入时间")].is_date and first[h.index("停留（小时）")].value == stayed
    login("gate")
    assert client.get(f"/exports/visitors.xlsx?day={day}").status_code == 403


def test_vehicles_on_site_and_of_a_day(client, login, in_db, now):
    from tests.factories import gate

    with in_db():
        estate = _home()
        gate.vehicle(estate, "粤B12345", at=now - timedelta(hours=3))
        gate.vehicle(estate, "粤B67890", "访客", at=now - timedelta(hours=2),
                     left=now - timedelta(hours=1))
        gate.vehicle(factories.estate("别的小区"), "粤C11111", at=now)
        day = estate.today(now - timedelta(hours=3))
    login("gate")
    page = client.get("/gate/vehicles")
    on_site = xl.workbook(client.get("/exports/vehicles.xlsx"))
    assert [c.value for c in xl.column(on_site, "车牌")] == ["粤B12345"]
    assert "粤B12345" in page.text and "/exports/vehicles.xlsx" in page.text
    of_day = xl.workbook(client.get(f"/exports/vehicles.xlsx?day={day}"))
    plates = [c.value for c in xl.column(of_day, "车牌")]
    assert "粤B67890" in plates and "粤C11111" not in plates
    assert all(c.is_date for c in xl.column(of_day, "入场时间"))
    login("desk")
    assert client.get("/exports/vehicles.xlsx").status_code == 403


def test_release_slips_search_and_month(client, login, in_db, now):
    from tests.factories import gate

    with in_db():
        estate = _home()
        made = gate.slip(estate)
        gate.slip(estate, unit="1-101", applicant="@李")
        month = estate.today(now).replace(day=1)
    login("desk")
    page = client.get(f"/gate/slips?q={made.code}")
    found = xl.workbook(client.get(f"/exports/release_slips.xlsx?q={made.code}"))
    assert [c.value for c in xl.column(found, "放行条号")] == [made.code]
    assert f"/exports/release_slips.xlsx?q={made.code}" in page.text
    assert xl.column(found, "物品")[0].value == "沙发×1、冰箱×1"
    assert xl.column(found, "有效日期")[0].is_date
    latest = xl.workbook(client.get("/exports/release_slips.xlsx"))
    assert len(xl.data_rows(latest)) == 2
    assert any(c.quotePrefix for c in xl.column(latest, "申请人"))
    monthly = xl.workbook(client.get(f"/exports/release_slips.xlsx?month={month:%Y-%m}"))
    assert len(xl.data_rows(monthly)) == 2
    login("engineer")
    assert client.get("/exports/release_slips.xlsx").status_code == 403
