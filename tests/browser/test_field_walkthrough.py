"""Issue 17 in Chromium at 360×780 (touch): a scan between rounds is 计划外 and leaves the
ended round as it was; back in signal the queue empties by itself without a reload; the
offline queue page lists what waits and keeps its bottom bar (icons too); the invitation
code's answer is visible without scrolling."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import controlled_by_worker, screenshot, wait_for
from tests.factories import gate as gate_make
from tests.factories import patrol as make
from wyapp.db import db, utcnow
from wyapp.labels import current_label
from wyapp.models import Estate, User
from wyapp.patrol.models import Scan
from wyapp.patrol.rounds import rounds_between


@pytest.fixture
def app(make_app):
    return make_app(WTF_CSRF_ENABLED=True, with_demo=True)


def _in(app, fn):
    with app.app_context(), db.connection_context():
        return fn(Estate.get(name="示范花园"))


def _gap_route(estate):
    """A route of two checkpoints walked in 60-minute rounds every 2 hours; the last round
    ended 30 minutes ago, walked in full; the next opens in 30 minutes (the real clock)."""
    _, points, next_start = make.gap_route(estate, utcnow(), User.get(username="guard"))
    return {"token": current_label("checkpoint", points[0].id).token, "next": next_start,
            "id": points[0].id, "name": points[0].name}


def _ended_round(app):
    def read(estate):
        now = utcnow()
        views = rounds_between(estate, now - timedelta(minutes=100), now - timedelta(minutes=31))
        return [(v.route.name, v.done, v.total, len(v.scans)) for v in views
                if v.route.name == "间隙测试路线"]
    return _in(app, read)


def _scans_of(app, checkpoint_id):
    return _in(app, lambda e: list(Scan.select().where(Scan.checkpoint == checkpoint_id,
                                                       Scan.client_id.startswith("k-"))))


def _ready_for_the_shift(page, live_server):
    """Controlled by the service worker, the shift's pages kept on the phone."""
    controlled_by_worker(page, f"{live_server}/")
    page.evaluate("() => { sessionStorage.clear(); window.dispatchEvent(new Event('online')); }")
    wanted = len(page.evaluate("async () => (await (await fetch('/offline/pages')).json()).urls"))
    assert wait_for(lambda: page.evaluate(
        "async () => (await (await caches.open('wyapp-pages')).keys()).length") >= wanted, 20)


def _scan_offline(page, live_server, gap):
    page.goto(f"{live_server}/c/{gap['token']}")
    expect(page.get_by_role("heading", name=gap["name"])).to_be_visible()
    page.get_by_role("button", name="打卡").click()
    expect(page.get_by_role("status").filter(has_text="离线已保存")).to_be_visible()


def test_a_scan_between_rounds_is_off_round(phone_login, live_server, app):
    gap = _in(app, _gap_route)
    assert _ended_round(app) == [("间隙测试路线", 2, 2, 2)]
    page = phone_login("guard")
    page.goto(f"{live_server}/c/{gap['token']}")
    notice = page.locator(".off-round")
    expect(notice).to_contain_text("计划外")
    expect(notice).to_contain_text("下一轮 间隙测试路线")
    expect(notice).to_contain_text(gap["next"])
    screenshot(page, "issue17-scan-between-rounds")
    page.get_by_role("button", name="打卡").click()
    expect(page.get_by_text("打卡成功")).to_be_visible()
    expect(page.get_by_text("本次打卡已记为计划外")).to_be_visible()
    expect(page.locator(".off-round")).to_contain_text(gap["next"])
    screenshot(page, "issue17-scan-off-round-done")
    scan, = _scans_of(app, gap["id"])
    assert scan.round_id is None and scan.flag_list == ["计划外"]
    assert _ended_round(app) == [("间隙测试路线", 2, 2, 2)]  # the ended round is unchanged
    lead = phone_login("supervisor")
    lead.goto(f"{live_server}/patrol/reports/day")
    section = lead.locator("#off-round")
    expect(section).to_contain_text("西门岗亭")
    expect(section).to_contain_text("计划外")
    section.scroll_into_view_if_needed()
    screenshot(lead, "issue17-day-report-off-round")


def test_the_queue_empties_after_reconnect_without_a_reload(phone_login, live_server,
                                                            context, app):
    gap = _in(app, _gap_route)
    page = phone_login("guard")
    _ready_for_the_shift(page, live_server)
    context.set_offline(True)
    _scan_offline(page, live_server, gap)
    expect(page.locator("[data-queue-count]")).to_have_text("1")
    assert _scans_of(app, gap["id"]) == []
    page.evaluate("() => { window.__sameDocument = true; }")  # gone if the page reloads
    context.set_offline(False)  # no `online` dispatched by hand, no reload, no message
    assert wait_for(lambda: len(_scans_of(app, gap["id"])) == 1, 15), "not uploaded in 15 s"
    expect(page.locator("[data-queue-badge]")).to_be_hidden(timeout=10000)
    assert page.evaluate("() => window.__sameDocument === true")
    scan, = _scans_of(app, gap["id"])
    assert "离线补传" in scan.flag_list


def test_the_offline_queue_page_has_its_list_and_bottom_bar(phone_login, live_server,
                                                          context, app):
    gap = _in(app, _gap_route)
    page = phone_login("guard")
    _ready_for_the_shift(page, live_server)
    context.set_offline(True)
    _scan_offline(page, live_server, gap)
    page.locator("[data-queue-badge]").click()  # 待上传 opens /queue, without signal
    expect(page.get_by_role("heading", name="待上传")).to_be_visible()
    expect(page.get_by_text("当前没有网络")).to_have_count(0)
    item = page.locator(".queue-item")
    expect(item).to_have_count(1)
    expect(item).to_contain_text(f"打卡 {gap['name']}")  # what
    expect(item).to_contain_text("地点：西门入口左侧")  # where
    expect(item).to_contain_text("记录于")  # when
    expect(page.get_by_text("现在没有网络")).to_be_visible()
    nav = page.get_by_role("navigation", name="主导航")
    for label in ("首页", "扫码", "巡更", "我的"):
        expect(nav.get_by_role("link", name=label)).to_be_visible()
    icons = page.evaluate("""async () => {
        const urls = [...document.querySelectorAll('.bottomnav .icon')].map((el) =>
          getComputedStyle(el).getPropertyValue('--icon').trim()
            .replace(/^url\\(["']?|["']?\\)$/g, ''));
        const css = document.querySelector('link[rel=stylesheet]').href;  // url()s are from it
        return Promise.all(urls.map(async (u) => {
          try { const r = await fetch(new URL(u, css)); return [u, r.ok]; }
          catch (e) { return [u, false]; }
        }));
    }""")
    assert icons and all(ok for _, ok in icons), icons  # every bar icon comes from the phone
    screenshot(page, "issue17-offline-queue")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="巡更").click()
    expect(page.get_by_role("heading", name="巡更", exact=False).first).to_be_visible()
    context.set_offline(False)


def test_the_invitation_answer_is_visible_without_scrolling(phone_login, live_server, app):
    def invitations(estate):
        used = gate_make.invitation(estate)
        gate_make.visit(estate, invitation=used.code, at=utcnow() - timedelta(minutes=5))
        return used.code, gate_make.invitation(estate, name="周晓雨").code
    used, fresh = _in(app, invitations)
    page = phone_login("gate")
    page.goto(f"{live_server}/gate/")

    def look_up(code):
        page.get_by_label("预约码").fill(code)
        page.get_by_role("button", name="查找").click()
        page.wait_for_load_state()

    def in_view(locator):
        """Seen as the page opens: not scrolled, below the sticky header, above the fold."""
        box, header = locator.bounding_box(), page.locator("header.topbar").bounding_box()
        return box is not None and page.evaluate("window.scrollY") == 0 \
            and box["y"] >= header["y"] + header["height"] and box["y"] + box["height"] <= 780

    for code, message in ((used, "今天已经使用过"), ("ZZZZZZ", "没有这个预约码")):
        look_up(code)
        answer = page.get_by_role("alert").filter(has_text=message)
        expect(answer).to_be_visible()
        assert in_view(answer), answer.bounding_box()
        assert in_view(page.get_by_label("预约码"))
    page.screenshot(path=str(screenshot(page, "issue17-invitation-unknown")))  # as seen
    look_up(fresh)
    found = page.get_by_role("status").filter(has_text="周晓雨")
    expect(found).to_be_visible()
    assert in_view(found)
    expect(page.get_by_label("姓名")).to_have_value("周晓雨")
    assert in_view(page.get_by_label("姓名"))
    page.screenshot(path=str(screenshot(page, "issue17-invitation-found")))


def test_engineer_board_once_and_meter_history_without_reload(phone_login, live_server, app):
    from tests.factories import inspection as factory
    from wyapp.inspection.meters import previous_month

    def meter(estate):
        month = estate.today(utcnow()).replace(day=1)
        return factory.meter(estate, "浏览器测试水表", "水", readings=[
            (previous_month(month, 2), "500"), (previous_month(month, 1), "520")]).id, month
    meter_id, month = _in(app, meter)
    page = phone_login("engineer")
    page.goto(f"{live_server}/inspection/")
    expect(page.get_by_text("我的待检")).to_have_count(0)
    starts = page.locator("form[action*='/start']")
    actions = starts.evaluate_all("(forms) => forms.map((f) => f.getAttribute('action'))")
    assert actions and len(actions) == len(set(actions))  # each sheet once, its own URL
    screenshot(page, "issue17-inspection-board")
    page.goto(f"{live_server}/inspection/meters/{meter_id}")
    page.evaluate("() => { window.__sameDocument = true; }")
    page.get_by_label("本月读数").fill("541")
    page.get_by_role("button", name="保存读数").click()
    history = page.locator("#meter-history")
    expect(history).to_contain_text(f"{month:%Y-%m}：541")
    expect(history).to_contain_text("用量 21")
    assert page.evaluate("() => window.__sameDocument === true")  # no reload
    expect(page.get_by_label("本月读数")).to_have_value("")
    screenshot(page, "issue17-meter-history")


def test_reissuing_a_label_asks_first(phone_login, live_server, app):
    def point(estate):
        checkpoint = make.checkpoint(estate, "标签确认测试点")
        return checkpoint.id, current_label("checkpoint", checkpoint.id).token
    point_id, token = _in(app, point)
    page = phone_login("supervisor")
    page.goto(f"{live_server}/patrol/checkpoints/{point_id}")
    page.get_by_role("button", name="重新发放标签").click()
    expect(page.get_by_role("heading", name="重新发放标签？")).to_be_visible()
    screenshot(page, "issue17-label-confirm")
    page.get_by_role("link", name="取消，保留现在的标签").click()
    expect(page.get_by_role("button", name="重新发放标签")).to_be_visible()
    assert _in(app, lambda e: current_label("checkpoint", point_id).token) == token
    page.get_by_role("button", name="重新发放标签").click()
    page.get_by_role("button", name="作废旧标签，重新发放").click()
    expect(page.get_by_text("旧标签已作废")).to_be_visible()
    assert _in(app, lambda e: current_label("checkpoint", point_id).token) != token
    page.goto(f"{live_server}/patrol/schedules")
    expect(page.get_by_label("提前打卡（分钟）")).to_have_value("10")
    page.locator("#patrol-settings").scroll_into_view_if_needed()
    screenshot(page, "issue17-patrol-settings")


def test_duty_log_and_todays_gate_report_read_right(phone_login, live_server):
    page = phone_login("supervisor")
    page.goto(f"{live_server}/inspection/duty")
    expect(page.get_by_role("heading", name="近期班次")).to_be_visible()
    assert "。；" not in page.inner_text("main")
    screenshot(page, "issue17-duty-log")
    page.goto(f"{live_server}/gate/report")
    expect(page.get_by_text("现在仍在场")).to_be_visible()
    assert "午夜仍在场" not in page.inner_text("main")  # today: midnight has not come
    screenshot(page, "issue17-gate-report-today")
