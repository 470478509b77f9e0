"""人员管理 at 360 px (issue 21): a guard applies for leave on the phone, the supervisor
approves it on theirs, the guard sees 已批准; the supervisor's roster, 月评, training QR and
例会 pages fit the phone."""
from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.conftest import PHONE, assert_no_horizontal_scroll, screenshot
from wyapp.db import utcnow
from wyapp.models import Estate


def _leave_day(app):
    from wyapp.db import db
    with app.app_context(), db.connection_context():
        return Estate.get(Estate.name == "示范花园").today(utcnow()) + timedelta(days=15)


def test_guard_applies_supervisor_approves_guard_sees_approved(app, browser, phone_login):
    day = _leave_day(app)
    guard = phone_login("guard", page=browser.new_context(**PHONE).new_page())
    expect(guard.get_by_role("heading", name="我的排班")).to_be_visible()
    screenshot(guard, "staff-guard-home")
    guard.get_by_role("link", name="申请请假").first.click()
    guard.get_by_label("请假类型").select_option("事假")
    guard.get_by_label("开始日期").fill(day.isoformat())
    guard.get_by_label("结束日期").fill(day.isoformat())
    guard.get_by_label("事由").fill("孩子生病需要照顾")
    assert_no_horizontal_scroll(guard)
    screenshot(guard, "staff-leave-form")
    guard.get_by_role("button", name="提交申请").click()
    expect(guard.get_by_text("请假申请已提交，等待审批。")).to_be_visible()
    expect(guard.locator("[data-leave-status]")).to_have_text("待审批")

    boss = phone_login("supervisor", page=browser.new_context(**PHONE).new_page())
    boss.get_by_role("link", name="条请假待您审批").click()
    boss.get_by_role("link", name="张保安 事假 1 天").first.click()
    expect(boss.get_by_text("孩子生病需要照顾")).to_be_visible()
    assert_no_horizontal_scroll(boss)
    screenshot(boss, "staff-leave-approve")
    boss.get_by_role("button", name="同意").click()
    expect(boss.get_by_text("已同意。")).to_be_visible()
    expect(boss.locator("[data-leave-status]")).to_have_text("已批准")

    guard.reload()
    expect(guard.locator("[data-leave-status]")).to_have_text("已批准")
    assert_no_horizontal_scroll(guard)
    screenshot(guard, "staff-leave-approved")


def test_the_leads_pages_fit_the_phone(phone_login, live_server):
    page = phone_login("supervisor")
    for path, heading, name in (
            ("/staff/roster?team=秩序维护", "秩序维护排班", "staff-roster"),
            ("/staff/gaps", "缺岗 · 安排替班", "staff-gaps"),
            ("/staff/evaluations", "月评", "staff-evaluations"),
            ("/staff/training", "培训计划", "staff-training"),
            ("/staff/meetings", "例会纪要", "staff-meetings")):
        page.goto(f"{live_server}{path}")
        expect(page.get_by_role("heading", name=heading).first).to_be_visible()
        assert_no_horizontal_scroll(page)
        screenshot(page, name)
    page.goto(f"{live_server}/staff/evaluations")
    page.get_by_role("link", name="张保安").click()
    expect(page.get_by_text("已批准").first).to_be_visible()
    assert_no_horizontal_scroll(page)
    screenshot(page, "staff-evaluation")
    page.goto(f"{live_server}/staff/training")
    page.get_by_role("link", name="消防器材使用与初起火灾扑救").first.click()
    expect(page.get_by_label("签到二维码")).to_be_visible()
    assert_no_horizontal_scroll(page)
    screenshot(page, "staff-training-qr")
