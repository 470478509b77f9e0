"""Patrol on a 360 px phone: a guard scans a checkpoint label and taps 打卡; every patrol
page fits the screen for the guard and the supervisor."""
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_horizontal_scroll, screenshot
from wyapp.db import db
from wyapp.labels import current_label
from wyapp.patrol.models import Checkpoint, Incident, Route, Scan


def _token(app, name):
    with app.app_context(), db.connection_context():
        return current_label("checkpoint", Checkpoint.get(name=name).id).token


def test_guard_scans_a_label_and_taps_daka(phone_login, live_server, app, page):
    token = _token(app, "地库B区水泵房")
    page.goto(f"{live_server}/c/{token}")  # not logged in: login, then back to the label
    page.get_by_label("用户名").fill("guard")
    page.get_by_label("密码").fill("wyapp-demo")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="地库B区水泵房")).to_be_visible()
    button = page.get_by_role("button", name="打卡")
    assert button.bounding_box()["height"] >= 88
    assert_no_horizontal_scroll(page)
    screenshot(page, "patrol-scan")
    button.click()
    expect(page.get_by_role("heading", name="打卡成功")).to_be_visible()
    expect(page.locator("#scan-box")).to_contain_text("地库B区水泵房")
    assert page.url.endswith(f"/c/{token}")  # htmx swapped the box in place
    assert_no_horizontal_scroll(page)
    screenshot(page, "patrol-scan-done")
    with app.app_context(), db.connection_context():
        scan = Scan.select().where(~Scan.client_id.startswith("demo-")).get()
        assert scan.device_at is not None  # the page sent the phone's clock


def test_guard_pages_fit_the_phone(phone_login, live_server):
    page = phone_login("guard")
    expect(page.locator("#patrol-panel")).to_contain_text("已巡")
    screenshot(page, "patrol-home-guard")
    for path, name in [("/patrol/", "guard-index"), ("/patrol/incidents/new", "incident-new"),
                       ("/patrol/reports/day", "guard-day")]:
        page.goto(live_server + path)
        assert_no_horizontal_scroll(page)
        screenshot(page, f"patrol-{name}")


def test_supervisor_pages_fit_the_phone(phone_login, live_server, app):
    with app.app_context(), db.connection_context():
        route = Route.get(name="夜间巡逻路线").id
        checkpoint = Checkpoint.get(name="东门岗亭").id
        incident = Incident.select().first().id
    page = phone_login("supervisor")
    screenshot(page, "patrol-home-supervisor")
    for path, name in [("/patrol/", "index"), ("/patrol/checkpoints", "checkpoints"),
                       (f"/patrol/checkpoints/{checkpoint}", "checkpoint"),
                       ("/patrol/routes", "routes"), (f"/patrol/routes/{route}", "route"),
                       ("/patrol/schedules", "schedules"), ("/patrol/schedules/new", "schedule"),
                       ("/patrol/incidents", "incidents"), (f"/patrol/incidents/{incident}",
                                                            "incident"),
                       ("/patrol/reports/day", "day"), ("/patrol/reports/month", "month")]:
        page.goto(live_server + path)
        assert_no_horizontal_scroll(page)
        screenshot(page, f"patrol-{name}")


def test_route_stop_moves_up_with_htmx(phone_login, live_server, app):
    with app.app_context(), db.connection_context():
        route = Route.get(name="夜间巡逻路线").id
    page = phone_login("supervisor")
    page.goto(f"{live_server}/patrol/routes/{route}")
    page.get_by_role("button", name="上移 1号楼大堂").click()
    expect(page.locator("#stops li").first).to_contain_text("1号楼大堂")
