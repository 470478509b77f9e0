"""当班人员（按排班） at 360 px (issue 21): the supervisor sets a patrol schedule's and an
inspection plan's 执行人员 on the phone; both forms fit the phone."""
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_horizontal_scroll, screenshot


def test_the_lead_picks_on_duty_people_for_a_schedule_and_a_plan(phone_login, live_server):
    page = phone_login("supervisor")
    page.goto(f"{live_server}/patrol/schedules/new")
    page.get_by_label("计划名称").fill("夜间当班巡逻")
    page.get_by_role("textbox", name="开始时间").fill("22:00")
    page.get_by_label("当班人员（按排班）").check()
    assert_no_horizontal_scroll(page)
    screenshot(page, "staff-schedule-on-duty")
    page.get_by_role("button", name="保存").click()
    # the demo's 交接班巡查 is on the roster too: look at the one just made
    made = page.locator("li", has_text="夜间当班巡逻")
    expect(made.get_by_text("当班人员（按排班）")).to_be_visible()
    page.goto(f"{live_server}/inspection/plans/new")
    page.get_by_label("执行人员").select_option("roster")
    assert_no_horizontal_scroll(page)
    screenshot(page, "staff-plan-on-duty")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("当班人员（按排班）").first).to_be_visible()
