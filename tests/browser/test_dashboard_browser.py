"""管理中心 at 360 px: today's figures and the 7/30-day trends (switched with htmx), the
company view, and the 周报 completed and signed on the phone; its archived PDF rendered to
PNG. The demo's past days have rollups and last week's report is a draft."""
import subprocess
from datetime import timedelta

from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import ARTIFACTS, assert_no_horizontal_scroll, screenshot
from tests.factories import dashboard as df
from wyapp.archive.models import Document
from wyapp.db import db, utcnow
from wyapp.models import Estate


def test_the_dashboard_and_its_trends_at_360(phone_login, live_server):
    page = phone_login("manager")
    expect(page.get_by_role("heading", name="今日概况")).to_be_visible()
    page.get_by_role("link", name="查看趋势").click()
    expect(page.get_by_role("heading", name="管理中心")).to_be_visible()
    expect(page.locator("figure.chart")).to_have_count(6)
    assert page.locator("svg circle.point").count() >= 7
    assert_no_horizontal_scroll(page)
    screenshot(page, "dashboard-7-days")
    page.locator("#chart-3").screenshot(path=str(ARTIFACTS / "dashboard-7-days-chart.png"))
    page.get_by_role("link", name="近 30 天").click()
    expect(page.get_by_role("link", name="近 30 天")).to_have_attribute("aria-current", "page")
    assert "range=30" in page.url
    expect(page.get_by_role("heading", name="今日")).to_be_visible()  # only the trends swapped
    assert_no_horizontal_scroll(page)
    screenshot(page, "dashboard-30-days")
    page.locator("#chart-1").screenshot(path=str(ARTIFACTS / "dashboard-30-days-chart.png"))


def test_the_company_view_at_360(app, phone_login, live_server):
    with app.app_context(), db.connection_context():
        other = factories.estate("东区花园", buildings=1)
        yesterday = other.today(utcnow()) - timedelta(days=1)
        df.rollups(other, yesterday, 7, complaints_received=lambda i: i, points_done=lambda i: 8,
                   points_total=lambda i: 10, orders_completed=lambda i: 4,
                   orders_on_time=lambda i: 3)
    page = phone_login("admin")
    page.goto(f"{live_server}/dashboard/company")
    expect(page.get_by_role("heading", name="各小区对比")).to_be_visible()
    page.get_by_label("排序依据").select_option(label="7日新投诉")
    page.get_by_label("顺序").select_option(label="从高到低")
    page.get_by_role("button", name="排序").click()
    expect(page.locator("ol.estates > li").first).to_contain_text("东区花园")
    assert_no_horizontal_scroll(page)
    screenshot(page, "dashboard-company")
    page.get_by_role("link", name="东区花园").click()
    expect(page.locator("#estate-switch")).to_have_value(str(other.id))


def test_the_weekly_report_signed_on_the_phone(app, phone_login, live_server):
    page = phone_login("manager")
    page.goto(f"{live_server}/dashboard/weekly")
    page.locator("a.row-link").first.click()
    expect(page.get_by_role("heading", name="本周工作总结")).to_be_visible()
    assert_no_horizontal_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "dashboard-weekly-top.png"))
    page.locator("#week-chart-1").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "dashboard-weekly-charts.png"))
    page.get_by_label("本周重点工作说明").fill("完成消防演练；地库照明已报修。")
    page.get_by_role("button", name="保存说明").click()
    page.get_by_label("工作内容").fill("更换地库B区照明灯")
    page.get_by_label("负责人").fill("陈工")
    with app.app_context(), db.connection_context():
        estate = Estate.get(Estate.name == "示范花园")
        due = estate.today(utcnow()) + timedelta(days=3)
    page.get_by_label("完成日期").fill(due.isoformat())
    page.get_by_role("button", name="添加计划项").click()
    expect(page.get_by_text("负责人 陈工")).to_be_visible()
    assert_no_horizontal_scroll(page)
    screenshot(page, "dashboard-weekly-draft")
    page.get_by_role("button", name="审核并归档").click()
    expect(page.get_by_text("周报已审核，正在归档。")).to_be_visible()
    with app.app_context(), db.connection_context():
        document = Document.get(Document.kind == "weekly_report")
        path = app.config["DATA_DIR"] + "/archive/" + document.path
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", path, str(ARTIFACTS / "dashboard-weekly-pdf")],
                   check=True)
    assert list(ARTIFACTS.glob("dashboard-weekly-pdf*.png"))
