"""管理中心's 今日完工 at 360 px: the figure opens the work orders finished today (estate time),
as many rows as it says, the day named above them, no horizontal scroll."""
from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.conftest import assert_no_horizontal_scroll, screenshot
from tests.factories import service as sf
from wyapp.db import db, utcnow
from wyapp.models import Estate
from wyapp.service.models import WorkOrder


def test_todays_finished_orders_from_the_dashboard_at_360(app, phone_login, live_server):
    with app.app_context(), db.connection_context():
        estate = Estate.get(Estate.name == "示范花园")
        now = utcnow()
        start, _ = estate.day_bounds(estate.today(now))
        for minutes in (1, 2):
            sf.work_order(now=start, status="完工", completed_at=start + timedelta(minutes=minutes),
                          description="楼道灯不亮，已更换灯管")
        sf.work_order(now=start - timedelta(days=1), status="完工",
                      completed_at=start - timedelta(minutes=1))  # yesterday's
        day = estate.today(now).isoformat()
        finished = WorkOrder.select().where(WorkOrder.estate == estate,
                                            WorkOrder.completed_at >= start).count()
    page = phone_login("manager")
    page.goto(f"{live_server}/dashboard/")
    figure = page.locator("a.kpi", has_text="今日完工")
    expect(figure.locator("strong")).to_have_text(str(finished))
    figure.click()
    expect(page.get_by_text(f"{day} 完工的工单")).to_be_visible()
    expect(page.locator("ul.orders a.row-link")).to_have_count(finished)
    assert_no_horizontal_scroll(page)
    screenshot(page, "dashboard-todays-finished-orders")
