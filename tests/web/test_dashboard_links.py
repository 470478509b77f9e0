"""Each figure of the dashboard's today opens a list that holds what the figure counts: the
count on the dashboard and the rows of the list it links to agree (estate time)."""
import re
from datetime import timedelta

import pytest

from tests.factories import exports as xl
from tests.factories import gate as gf
from tests.factories import inspection as inf
from tests.factories import patrol as pf
from tests.factories import service as sf
from tests.web.test_dashboard import home, kpis
from wyapp.models import Notification, notify


def order_codes(html):
    """The work-order numbers listed on a work-order list page."""
    return re.findall(r'<strong>[^<]*</strong> <span class="muted">(BX\d+)</span>', html)


@pytest.mark.clock
def test_todays_finished_orders_open_exactly_the_orders_finished_today(login, in_db, now):
    """今日完工 counts orders whose 完工 fell on the estate's today, whatever they are now
    (still 完工, visited, closed); its list shows those and no order finished another day."""
    with in_db():
        estate = home()
        start, end = estate.day_bounds(estate.today(now))
        early = start + timedelta(minutes=5)  # today in the estate at every test instant
        today_done = sf.work_order(now=early, status="完工", completed_at=early)
        today_visited = sf.work_order(now=early, status="回访", completed_at=early)
        today_closed = sf.work_order(now=early, status="关闭", completed_at=early,
                                     closed_at=early)
        yesterday = start - timedelta(minutes=5)  # yesterday evening, estate time
        sf.work_order(now=yesterday, status="完工", completed_at=yesterday)
        sf.work_order(now=yesterday, status="回访", completed_at=yesterday)
        sf.work_order(now=early)  # open: not finished
        wanted = {today_done.code, today_visited.code, today_closed.code}
    client = login("manager")
    values, links = kpis(client.get("/dashboard/").text)
    assert values[("报修工单", "今日完工")] == "3"
    page = client.get(links[("报修工单", "今日完工")])
    assert page.status_code == 200
    assert set(order_codes(page.text)) == wanted and len(order_codes(page.text)) == 3
    day = estate.today(now).isoformat()
    assert f"{day} 完工" in page.text  # the filter is named on the page
    # the list's htmx block and its export carry the same filter
    block = client.get(links[("报修工单", "今日完工")], headers={"HX-Request": "true"})
    assert set(order_codes(block.text)) == wanted and "<html" not in block.text
    export = re.search(r'href="(/exports/work_orders\.xlsx\?[^"]+)"', page.text).group(1)
    sheet = xl.workbook(client.get(export.replace("&amp;", "&")))
    assert {c.value for c in xl.column(sheet, "工单号")} == wanted
    assert f"{day} 完工" in sheet["A1"].value


@pytest.mark.clock
def test_the_finished_day_filter_pages_on_with_the_filter(login, in_db, now):
    """More finished orders than a page: 加载更多 keeps the day, so every row is today's."""
    with in_db():
        estate = home()
        start, _ = estate.day_bounds(estate.today(now))
        early = start + timedelta(minutes=5)
        for _ in range(21):
            sf.work_order(now=early, status="完工", completed_at=early)
        sf.work_order(now=start - timedelta(hours=2), status="完工",
                      completed_at=start - timedelta(hours=1))
    client = login("manager")
    _, links = kpis(client.get("/dashboard/").text)
    first = client.get(links[("报修工单", "今日完工")]).text
    more = re.search(r'<li class="more"><a class="button block" href="([^"]+)"', first)
    assert more is not None
    second = client.get(more.group(1).replace("&amp;", "&")).text
    assert len(order_codes(first)) + len(order_codes(second)) == 21


@pytest.mark.clock
def test_inspection_figures_agree_with_the_board_they_open(login, in_db, now):
    """应检 / 已检 / 超时 / 有异常 are counted over the very slots the today board lists: a
    weekly and a monthly plan (due all week, all month), a shift plan, a daily one."""
    with in_db():
        estate = home()
        today = estate.today(now)
        inf.plan_for(estate, "DT-01", frequency="每日")
        inf.plan_for(estate, "PD-01", frequency="每周")
        inf.plan_for(estate, "SB-01", frequency="每月")
        inf.plan_for(estate, "XF-01", frequency="每班")
        weekly = inf.plan_for(estate, "PD-01")
        inf.sheet(weekly, today - timedelta(days=today.weekday()),
                  submit_at=now - timedelta(minutes=1))
    client = login("manager")
    values, links = kpis(client.get("/dashboard/").text)
    board = client.get(links[("设备日检", "应检")]).text
    rows = re.findall(r'<li class="slot slot-([^" ]+)', board)
    assert int(values[("设备日检", "应检")]) == len(rows) > 0
    assert int(values[("设备日检", "已检")]) == sum(s in ("已完成", "有异常") for s in rows)
    assert int(values[("设备日检", "超时")]) == rows.count("已超时")
    assert int(values[("设备日检", "有异常")]) == rows.count("有异常")


@pytest.mark.clock
def test_every_other_figure_counts_the_rows_of_its_list(login, in_db, now):
    """巡更 (the day report's rounds by state), 处理中 / 已超时 (orders, complaints), 今日受理,
    在场访客 / 在场车辆, 今日访客, 未读提醒: the figure is the number of rows its list shows."""
    with in_db():
        estate = home()
        start, _ = estate.day_bounds(estate.today(now))
        early = start + timedelta(minutes=5)
        point = pf.checkpoint(estate, "东门岗亭")
        second = pf.checkpoint(estate, "北门")
        route = pf.route(estate, [point, second], "东门路线", min_seconds=0)
        pf.schedule(route, times="00:10, 00:20, 00:30", window=5,
                    valid_from=now - timedelta(days=2))
        pf.scan(estate, point, start + timedelta(minutes=21))  # 00:20 partial
        pf.scan(estate, point, start + timedelta(minutes=31))  # 00:30 done
        pf.scan(estate, second, start + timedelta(minutes=32))
        manager = sf.staff("manager")
        notify([manager], estate, "test", "提醒一")
        notify([manager], estate, "test", "提醒二")
        Notification.update(read_at=now).where(Notification.title == "提醒一").execute()
        sf.work_order(now=early)
        sf.work_order(now=early, due_at=early + timedelta(minutes=1))
        sf.work_order(now=early - timedelta(days=2), status="完工", completed_at=early)
        sf.complaint(now=early)
        sf.complaint(now=now - timedelta(days=3))
        gf.visit(estate, at=early)
        gf.visit(estate, at=early + timedelta(minutes=1), left=early + timedelta(minutes=2),
                 phone="13700000000")
        gf.visit(estate, at=start - timedelta(hours=1), phone="13700000001")  # yesterday
        gf.vehicle(estate, at=early)
    client = login("manager")
    values, links = kpis(client.get("/dashboard/").text)

    def listed(label, pattern):
        return len(re.findall(pattern, client.get(links[label]).text))

    report = client.get(links[("巡更", "漏巡")]).text
    states = re.findall(r'class="state state-\w+">([^<]+)</span>', report)
    for label, state in (("已完成", "已完成"), ("部分完成", "部分完成"), ("漏巡", "漏巡")):
        assert links[("巡更", label)] == links[("巡更", "漏巡")]
        assert int(values[("巡更", label)]) == states.count(state) == 1, label
    alerts = client.get(links[("提醒", "未读提醒")]).text
    assert int(values[("提醒", "未读提醒")]) == alerts.count('<li class="unread">') > 0
    order_row = r'<a class="row-link" href="/service/orders/\d+"'
    assert int(values[("报修工单", "处理中")]) == listed(("报修工单", "处理中"), order_row) == 2
    assert int(values[("报修工单", "已超时")]) == listed(("报修工单", "已超时"), order_row) == 1
    complaint_row = r'<a class="row-link" href="/service/complaints/\d+"'
    assert int(values[("投诉", "处理中")]) == listed(("投诉", "处理中"), complaint_row) == 2
    assert int(values[("投诉", "已超时")]) == listed(("投诉", "已超时"), complaint_row) == 1
    daily = client.get(links[("投诉", "今日受理")]).text
    assert int(values[("投诉", "今日受理")]) == len(re.findall(
        r'href="/service/complaints/\d+"', daily)) == 1
    on_site = client.get(links[("门岗", "在场访客")]).text
    assert int(values[("门岗", "在场访客")]) == len(re.findall(
        r'action="/gate/visits/\d+/sign-out"', on_site)) == 2  # yesterday's is still here
    report = client.get(links[("门岗", "今日访客")]).text
    assert int(values[("门岗", "今日访客")]) == report.split("来访明细")[1].count("<li>") == 2
    vehicles = client.get(links[("门岗", "在场车辆")]).text
    assert int(values[("门岗", "在场车辆")]) == len(re.findall(
        r'action="/gate/vehicles/\d+/out"', vehicles)) == 1


@pytest.mark.parametrize("username", ["admin", "supervisor", "manager"])
def test_a_figure_links_only_to_a_list_its_reader_may_open(login, username):
    """系统管理员 sees the dashboard but not the guards', engineers' or gate's lists: those
    figures are shown unlinked, and every link on the page opens (no 403 behind a count)."""
    client = login(username)
    page = client.get("/dashboard/").text
    _, links = kpis(page)
    shown = re.findall(r'class="kpi( warn)?"', page)
    assert len(shown) == 18
    for label, href in links.items():
        assert client.get(href).status_code == 200, (label, href)
    if username == "admin":
        assert ("门岗", "在场访客") not in links and ("报修工单", "今日完工") in links
        assert '<span class="kpi"><strong>0</strong><span>在场访客</span></span>' in page
    else:
        assert len(links) == 18
    home = client.get("/").text  # the home page's panel: the same figures, the same rule
    for href in re.findall(r'<a class="kpi[^"]*" href="([^"]*)"', home):
        assert client.get(href.replace("&amp;", "&")).status_code == 200, href


@pytest.mark.clock
@pytest.mark.parametrize("username", ["admin", "supervisor", "manager"])
def test_a_linked_service_figure_counts_the_rows_its_reader_sees(login, in_db, now, username):
    """The complaint list shows a reader outside the desk (系统管理员) only 我负责的, whatever
    tab the link asks for: the complaint figures (counted over the estate) are not linked
    for them; for every reader, a linked order or complaint figure is the rows it opens."""
    with in_db():
        estate = home()
        start, _ = estate.day_bounds(estate.today(now))
        early = start + timedelta(minutes=5)
        sf.work_order(now=early)
        sf.work_order(now=early, due_at=early + timedelta(minutes=1))
        sf.work_order(now=early - timedelta(days=2), status="完工", completed_at=early)
        sf.complaint(now=early)
        sf.complaint(now=now - timedelta(days=3))
    client = login(username)
    page = client.get("/dashboard/").text
    values, links = kpis(page)
    rows = {"报修工单": r'<a class="row-link" href="/service/orders/\d+"',
            "投诉": r'<a class="row-link" href="/service/complaints/\d+"'}
    for (group, label), href in links.items():
        if group in rows and label != "今日受理":
            shown = len(re.findall(rows[group], client.get(href).text))
            assert int(values[(group, label)]) == shown, (group, label)
    if username == "admin":
        assert not any(group == "投诉" for group, _ in links)
        assert '<span class="kpi"><strong>2</strong><span>处理中</span></span>' in page
    else:
        assert {label for group, label in links if group == "投诉"} == {"处理中", "已超时",
                                                                        "今日受理"}


@pytest.mark.clock
def test_a_finished_day_that_is_no_day_is_ignored(login, in_db, now):
    """?completed= typed by hand (no day, a calendar edge, markup, NUL-free junk): the tab
    as it is without the filter, on the list, its next page and its export; never a 500."""
    from urllib.parse import quote

    from tests.web.test_no_500 import ONE_OF_EACH_KIND

    with in_db():
        estate = home()
        early = estate.day_bounds(estate.today(now))[0] + timedelta(minutes=5)
        done = sf.work_order(now=early, status="完工", completed_at=early)
    client = login("manager")
    edges = ["0000-00-00", "2026-02-30", "9999-12-31", "0001-01-01"]
    for value in [v for v in ONE_OF_EACH_KIND if "\x00" not in v] + edges:
        q = quote(value, safe="", errors="surrogatepass")
        page = client.get(f"/service/orders?tab=all&completed={q}")
        assert page.status_code == 200, value
        if value not in ("2026-06-15", "9999-12-31", "0001-01-01"):  # days of the calendar
            assert order_codes(page.text) == [done.code] and "完工的工单" not in page.text
        assert client.get(f"/service/orders?tab=all&completed={q}&page=2").status_code == 200
        assert client.get(f"/exports/work_orders.xlsx?tab=all&completed={q}").status_code == 200
