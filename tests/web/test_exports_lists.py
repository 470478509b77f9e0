"""导出 Excel of each list: the same rows as the page for the same filters, dates as dates,
the list's roles, the current estate only."""
from datetime import timedelta

import pytest

from tests import factories
from tests.factories import exports as xl
from tests.factories import patrol as pf
from wyapp.models import Estate, User


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
