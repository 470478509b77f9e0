"""The engineer's phone flow: scan an equipment label, 全部正常, a red reading, submit."""
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_horizontal_scroll, screenshot
from wyapp.db import db
from wyapp.inspection.models import Equipment
from wyapp.labels import issue_label
from wyapp.models import Estate


@pytest.fixture
def elevator_label(app):
    with app.app_context(), db.connection_context():
        return issue_label(Estate.get(), "equipment", Equipment.get(code="DT-01").id).token


def test_engineer_scans_fills_and_submits_on_a_phone(phone_login, live_server, elevator_label):
    page = phone_login("engineer")
    screenshot(page, "inspection-home-engineer")
    page.goto(f"{live_server}/c/{elevator_label}")
    expect(page.get_by_role("heading", name="扫码：今日日检")).to_be_visible()
    assert_no_horizontal_scroll(page)
    screenshot(page, "inspection-scan")
    page.get_by_role("button", name="开始日检").first.click()
    expect(page.get_by_role("button", name="全部正常")).to_be_visible()
    page.get_by_role("button", name="全部正常").click()
    expect(page.locator("input[value='正常']:checked")).to_have_count(4)
    # the swapped-in rows get their htmx triggers once settled; a person never types faster
    page.wait_for_function("""() => [...document.querySelectorAll('.sheet-item')]
        .every((row) => row['htmx-internal-data'] && row['htmx-internal-data'].initHash)
        && !document.querySelector('.htmx-settling, .htmx-swapping, .htmx-request')""")
    temperature = page.get_by_label("机房温度")
    expect(temperature).to_have_attribute("inputmode", "decimal")
    temperature.fill("46")
    temperature.blur()
    row = page.locator(".sheet-item", has=page.get_by_label("机房温度"))
    expect(row).to_have_class("sheet-item abnormal")
    expect(row.get_by_text("异常项请填写说明或拍照")).to_be_visible()
    screenshot(page, "inspection-sheet-red")
    assert_no_horizontal_scroll(page)
    note = page.get_by_label("异常说明")
    note.fill("机房空调停机，已开窗通风")
    note.blur()
    expect(row.get_by_text("提交后将生成维修工单")).to_be_visible()
    page.get_by_role("button", name="提交日检记录").click()
    expect(page.get_by_text("1 项异常已生成维修工单")).to_be_visible()
    order_link = page.get_by_role("link", name=re.compile(r"^维修工单 BX\d{6}$"))
    expect(order_link).to_be_visible()
    screenshot(page, "inspection-sheet-submitted")
    order_link.click()
    expect(page.get_by_text("机房温度：46 ℃")).to_be_visible()
    page.goto(f"{live_server}/service/orders?tab=all")
    expect(page.get_by_text("设备日检异常").first).to_be_visible()


def test_draft_survives_a_closed_tab(phone_login, live_server, elevator_label, context):
    page = phone_login("engineer")
    page.goto(f"{live_server}/c/{elevator_label}")
    page.get_by_role("button", name="开始日检").first.click()
    page.get_by_label("机房温度").fill("22")
    page.get_by_label("机房温度").blur()
    expect(page.locator(".sheet-item", has=page.get_by_label("机房温度"))).to_have_count(1)
    page.wait_for_load_state("networkidle")
    url = page.url
    page.close()
    again = context.new_page()
    again.goto(f"{live_server}/c/{elevator_label}")  # the draft opens straight away
    assert again.url == url
    expect(again.get_by_label("机房温度")).to_have_value("22")


@pytest.mark.parametrize("path,name,user", [
    ("/inspection/", "today", "supervisor"), ("/inspection/equipment", "ledger", "supervisor"),
    ("/inspection/equipment/1", "equipment", "engineer"),
    ("/inspection/checklists/1", "checklist", "supervisor"),
    ("/inspection/plans", "plans", "supervisor"),
    ("/inspection/plans/new", "plan-new", "supervisor"),
    ("/inspection/meters", "meters", "engineer"), ("/inspection/meters/1", "meter", "engineer"),
    ("/inspection/duty", "duty", "engineer"), ("/", "home-supervisor", "supervisor"),
])
def test_inspection_pages_fit_the_phone(phone_login, live_server, path, name, user):
    page = phone_login(user)
    page.goto(live_server + path)
    assert_no_horizontal_scroll(page)
    screenshot(page, f"inspection-{name}")


def test_flagged_meter_reading_asks_for_a_note_in_place(phone_login, live_server, app):
    from wyapp.inspection.meters import previous_month
    from wyapp.inspection.models import Meter, MeterReading
    with app.app_context(), db.connection_context():
        meter = Meter.get(name="1号楼公共照明电表")
        last = meter.readings.order_by(MeterReading.month.desc()).first()
        month, low = previous_month(last.month, -1), last.value - 3
    page = phone_login("engineer")
    page.goto(f"{live_server}/inspection/meters/{meter.id}")
    page.get_by_label("抄表月份").fill(f"{month:%Y-%m}")
    page.get_by_label("本月读数").fill(str(low))
    page.get_by_role("button", name="保存读数").click()
    expect(page.get_by_text("请核对读数")).to_be_visible()
    expect(page.get_by_label("本月读数")).to_have_value(str(low))
    screenshot(page, "inspection-meter-flagged")
    page.get_by_label("核对说明").fill("电表更换过程中读数回落，已核实")
    page.get_by_role("button", name="保存读数").click()
    expect(page.get_by_text("已记录 1号楼公共照明电表")).to_be_visible()
    expect(page.get_by_text("说明：电表更换过程中读数回落")).to_be_visible()
    assert_no_horizontal_scroll(page)
