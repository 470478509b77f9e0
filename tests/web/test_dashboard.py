"""The dashboard (管理中心): today's figures against rows made here, the daily rollup (late
records, one row per day), the trends' SVG, the company view."""
import re
from datetime import timedelta

import pytest

from tests import factories
from tests.factories import dashboard as df
from tests.factories import gate as gf
from tests.factories import inspection as inf
from tests.factories import patrol as pf
from tests.factories import service as sf
from wyapp.dashboard.models import DailyRollup, RollupMark
from wyapp.dashboard.rollup import recompute, refresh
from wyapp.models import Estate


def kpis(html):
    """{(group, label): value} of the page's today figures, and {(group, label): href}."""
    values, links = {}, {}
    for group, body in re.findall(r'<section class="kpi-group">\s*<h3>(.*?)</h3>(.*?)</section>',
                                  html, re.S):
        for href, value, label in re.findall(
                r'<a class="kpi[^"]*" href="([^"]*)"><strong>(.*?)</strong><span>(.*?)</span>',
                body):
            values[(group, label)] = value
            links[(group, label)] = href.replace("&amp;", "&")
    return values, links


def home():
    return Estate.get(Estate.name == "示范花园")


@pytest.mark.clock
def test_today_shows_the_figures_of_the_rows_made_here_each_a_link(login, in_db, now):
    with in_db():
        estate = home()
        today = estate.today(now)
        midnight = estate.day_bounds(today)[0]

        def at(minutes):  # so early in the estate's day that it is today at every test instant
            return midnight + timedelta(minutes=minutes)
        point = pf.checkpoint(estate, "东门岗亭")
        route = pf.route(estate, [point], "东门路线")
        pf.schedule(route, times="00:10, 00:20", window=5, valid_from=now - timedelta(days=2))
        pf.scan(estate, point, at(21))  # the 00:20 round, scanned in time; 00:10 missed
        inf.plan_for(estate, "DT-01", frequency="每日")
        sf.work_order(now=at(22))
        sf.work_order(now=at(23), due_at=at(24))
        sf.work_order(now=at(1), status="完工", completed_at=at(26))
        sf.complaint(now=at(27))
        sf.complaint(now=now - timedelta(days=3))  # its 24 h to reply are over
        gf.visit(estate, at=at(28))
        gf.visit(estate, at=at(2), left=at(3), phone="13700000000")
        gf.vehicle(estate, at=at(29))
    values, links = kpis(login("manager").get("/dashboard/").text)
    assert values[("巡更", "已完成")] == "1" and values[("巡更", "漏巡")] == "1"
    assert values[("巡更", "完成率")] == "50%"
    assert values[("设备日检", "应检")] == "1" and values[("设备日检", "已检")] == "0"
    assert values[("报修工单", "处理中")] == "2" and values[("报修工单", "已超时")] == "1"
    assert values[("报修工单", "今日完工")] == "1"
    assert values[("投诉", "处理中")] == "2" and values[("投诉", "已超时")] == "1"
    assert values[("投诉", "今日受理")] == "1"
    assert values[("门岗", "在场访客")] == "1" and values[("门岗", "在场车辆")] == "1"
    assert values[("门岗", "今日访客")] == "2"
    assert links[("报修工单", "已超时")] == "/service/orders?tab=overdue"
    assert links[("投诉", "处理中")] == "/service/complaints?tab=open"
    assert links[("巡更", "漏巡")] == f"/patrol/reports/day?date={today.isoformat()}"


def test_the_dashboard_is_for_supervisors_and_managers(login):
    assert login("guard").get("/dashboard/").status_code == 403
    assert login("desk").get("/dashboard/weekly").status_code == 403
    assert login("supervisor").get("/dashboard/").status_code == 200
    home_page = login("manager").get("/").text
    assert "今日概况" in home_page and 'href="/dashboard/"' in home_page
    assert "今日概况" not in login("engineer").get("/").text


@pytest.mark.clock
def test_the_rollup_fills_ended_days_once_and_takes_a_late_record(in_db, now):
    with in_db():
        estate = df.aged(home(), now, days=10)
        yesterday = estate.today(now) - timedelta(days=1)
        gf.visit(estate, at=pf.local(estate, yesterday, 10))
        assert refresh(now) == 10  # the ten ended days since the estate was made
        row = DailyRollup.get(estate=estate, day=yesterday)
        assert row.visits == 1
        assert refresh(now + timedelta(minutes=1)) == 0  # nothing new
        # registered now for yesterday afternoon (the book was typed in the next morning)
        gf.visit(estate, at=pf.local(estate, yesterday, 15), phone="13700000000")
        assert refresh(now + timedelta(minutes=2)) == 1
        assert DailyRollup.get(estate=estate, day=yesterday).visits == 2
        assert DailyRollup.select().where(DailyRollup.estate == estate).count() == 10
        assert RollupMark.get_by_id("visit").last_id > 0


@pytest.mark.clock
def test_an_offline_scan_synced_next_morning_corrects_yesterdays_row(in_db, now):
    with in_db():
        estate = df.aged(home(), now, days=3)
        yesterday = estate.today(now) - timedelta(days=1)
        point = pf.checkpoint(estate, "地库入口")
        route = pf.route(estate, [point], "地库路线")
        pf.schedule(route, times="20:00", window=60, valid_from=now - timedelta(days=2))
        refresh(now)
        row = DailyRollup.get(estate=estate, day=yesterday)
        assert (row.rounds, row.rounds_missed, row.rounds_done) == (1, 1, 0)
        later = now + timedelta(minutes=5)
        pf.scan(estate, point, now=later, device_at=pf.local(estate, yesterday, 20, 10),
                queued=True)
        assert refresh(later + timedelta(minutes=1)) == 1
        row = DailyRollup.get(estate=estate, day=yesterday)
        assert (row.rounds_missed, row.rounds_done, row.patrol_completion) == (0, 1, 100)


@pytest.mark.clock
def test_a_row_computed_before_its_day_settled_is_computed_again_after(in_db, now):
    with in_db():
        estate = df.aged(home(), now, days=1)
        today = estate.today(now)
        yesterday = today - timedelta(days=1)
        # 01:00: yesterday's night-shift sheets are due at 08:00, its late rounds may run on
        early = estate.day_bounds(today)[0] + timedelta(hours=1)
        refresh(early)
        first = DailyRollup.get(estate=estate, day=yesterday).computed_at
        settled = estate.day_bounds(yesterday)[1] + timedelta(hours=12)
        refresh(settled + timedelta(minutes=1))
        assert DailyRollup.get(estate=estate, day=yesterday).computed_at > first
        assert refresh(settled + timedelta(minutes=2)) == 0


def test_recomputing_a_day_keeps_one_row(in_db, now):
    with in_db():
        estate = home()
        day = estate.today(now) - timedelta(days=1)
        recompute(estate, day, now)
        gf.visit(estate, at=pf.local(estate, day, 9))
        recompute(estate, day, now + timedelta(seconds=1))
        rows = list(DailyRollup.select().where(DailyRollup.estate == estate))
        assert len(rows) == 1 and rows[0].visits == 1


@pytest.mark.clock
def test_the_trends_are_svg_with_each_point_as_text_read_from_the_rollup(login, in_db, now):
    with in_db():
        estate = home()
        yesterday = estate.today(now) - timedelta(days=1)
        # rows only, no records behind them: the page reads the rollup, never raw history
        df.rollups(estate, yesterday, 30, visits=lambda i: i + 1, points_total=lambda i: 10,
                   points_done=lambda i: 10 - (29 - i) % 3)
    client = login("manager")
    week = client.get("/dashboard/?range=7").text
    label = f"{yesterday.month}月{yesterday.day}日"
    assert "<svg" in week and "访客登记" in week and "完成率（%）" in week and "日期" in week
    assert f"<title>{label} 访客登记：30</title>" in week
    assert f"<title>{label} 巡更：100%</title>" in week
    assert week.count("访客登记：") == 7
    assert f'<th scope="row">{label}</th><td>30</td>' in week  # the table under the chart
    month = client.get("/dashboard/?range=30").text
    assert month.count("访客登记：") == 30 and "访客登记：1</title>" in month
    assert 'aria-current="page">近 30 天' in month
    block = client.get("/dashboard/?range=30", headers={"HX-Request": "true"})
    assert "<html" not in block.text and 'id="trends"' in block.text
    assert "HX-Request" in block.headers["Vary"]
    back = client.get("/dashboard/?range=30", headers={"HX-Request": "true",
                                                        "HX-History-Restore-Request": "true"})
    assert "<html" in back.text and "今日" in back.text  # the Back button: the whole page


def test_a_day_without_a_row_is_a_gap_not_a_zero(login, in_db, now):
    with in_db():
        estate = home()
        yesterday = estate.today(now) - timedelta(days=1)
        df.rollup(estate, yesterday, visits=4)
    page = login("supervisor").get("/dashboard/").text
    assert page.count("访客登记：") == 1 and "无数据" in page


def test_the_company_view_compares_estates_and_links_to_each(client, login, in_db, now):
    with in_db():
        first = home()
        second = factories.estate("东区花园")
        factories.user("boss", roles=("manager",), estates=[first, second], display_name="周总")
        yesterday = first.today(now) - timedelta(days=1)
        df.rollup(first, yesterday, complaints_received=1, points_done=9, points_total=10)
        df.rollup(second, yesterday, complaints_received=5, points_done=5, points_total=10)
        second_id = second.id
    assert login("manager").get("/dashboard/company").status_code == 403  # one estate
    boss = login("boss")
    page = boss.get("/dashboard/company?sort=week_complaints&desc=1").text
    assert page.index("东区花园") < page.index("示范花园")
    assert "按7日新投诉从高到低排列" in page and '<option value="week_complaints" selected>' in page
    rising = boss.get("/dashboard/company?sort=week_patrol").text
    assert rising.index("东区花园") < rising.index("示范花园") and "50%" in rising
    assert f'href="/dashboard/?estate={second_id}"' in page
    switched = boss.get(f"/dashboard/?estate={second_id}", follow_redirects=True).text
    assert f"<option value=\"{second_id}\" selected>东区花园" in switched
    assert login("admin").get("/dashboard/company").status_code == 200
    assert login("manager").get(f"/dashboard/?estate={second_id}").status_code == 404


@pytest.mark.clock
def test_the_day_table_exports_to_excel_with_dates_and_numbers(login, in_db, now):
    import io
    from datetime import datetime

    from openpyxl import load_workbook

    with in_db():
        estate = home()
        yesterday = estate.today(now) - timedelta(days=1)
        df.rollups(estate, yesterday, 30, visits=lambda i: i + 1, points_total=lambda i: 4,
                   points_done=lambda i: 3)
    client = login("manager")
    page = client.get("/dashboard/?range=30").text
    assert 'href="/exports/dashboard_days.xlsx?range=30"' in page
    response = client.get("/exports/dashboard_days.xlsx?range=30")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert "示范花园" in sheet["A1"].value and "管理中心逐日数据" in sheet["A1"].value
    headers = [c.value for c in sheet[3]]
    assert headers[:2] == ["日期", "巡更任务"] and "访客登记" in headers
    assert "巡更完成率" in headers
    data = list(sheet.iter_rows(min_row=4, values_only=True))
    assert len(data) == 30
    last = dict(zip(headers, data[-1], strict=True))
    assert last["日期"] == datetime.combine(yesterday, datetime.min.time())
    assert last["访客登记"] == 30 and last["巡更完成率"] == 0.75
    assert login("guard").get("/exports/dashboard_days.xlsx").status_code == 403


@pytest.mark.clock
def test_two_workers_at_once_leave_one_row_per_day(app, in_db, now):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from wyapp.db import db

    with in_db():
        estate = df.aged(home(), now, days=5)
        gf.visit(estate, at=pf.local(estate, estate.today(now) - timedelta(days=2), 9))
    start = threading.Barrier(2)

    def worker(_):
        with app.app_context(), db.connection_context():
            start.wait()
            return refresh(now)
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(worker, range(2)))
    assert all(n <= 5 for n in done) and max(done) == 5
    with in_db():
        rows = DailyRollup.select().where(DailyRollup.estate == estate)
        assert rows.count() == 5
        assert sum(r.visits for r in rows) == 1
