"""On a 360 px phone: 登记报修 with the caller, the appointment and the unit picked from
what is typed; the gate's plate with its province picked; the admin's 新建小区 header."""
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.browser.conftest import assert_no_horizontal_scroll, screenshot
from wyapp.db import db
from wyapp.gate.models import VehicleEntry
from wyapp.service.models import WorkOrder


def test_register_a_repair_with_caller_appointment_and_picked_unit(phone_login, live_server,
                                                                   app):
    page = phone_login("desk")
    page.goto(f"{live_server}/service/orders/new")
    page.get_by_label("报修人").fill("李先生")
    page.get_by_label("联系电话").fill("138 0013 8000")
    unit = page.get_by_label("房号")
    unit.press_sequentially("2-30", delay=60)
    picks = page.locator("#unit-matches button")
    expect(picks.first).to_have_text("2号楼-301")
    expect(picks).to_have_count(2)
    screenshot(page, "desk-unit-picker")
    picks.nth(1).click()
    expect(page.get_by_label("房号")).to_have_value("2号楼-302")
    expect(page.locator("#unit-matches button")).to_have_count(0)
    tomorrow = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).date()
    page.get_by_label("预约上门时间").fill(f"{tomorrow}T09:30")
    page.get_by_label("报修内容").fill("卫生间地漏反水")
    assert_no_horizontal_scroll(page)
    screenshot(page, "desk-order-new")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_text("已登记报修")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("李先生")
    expect(page.locator(".facts")).to_contain_text(f"{tomorrow} 09:30")
    expect(page.get_by_role("link", name="13800138000")).to_have_attribute(
        "href", "tel:13800138000")
    assert_no_horizontal_scroll(page)
    screenshot(page, "desk-order-page")
    with app.app_context(), db.connection_context():
        order = WorkOrder.select().order_by(WorkOrder.id.desc()).get()
        assert order.unit.label == "2号楼-302" and order.caller_phone == "13800138000"


def test_bad_phone_is_said_beside_the_field(phone_login, live_server):
    page = phone_login("desk")
    page.goto(f"{live_server}/service/orders/new")
    page.get_by_label("联系电话").fill("12345")
    page.get_by_label("房号").fill("1-101")
    page.get_by_label("报修内容").fill("门锁坏了")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.locator("#caller_phone-error")).to_contain_text("电话应为 11 位手机号")
    expect(page.get_by_label("联系电话")).to_have_value("12345")
    expect(page.get_by_label("报修内容")).to_have_value("门锁坏了")
    screenshot(page, "desk-order-bad-phone")


def test_gate_plate_with_picked_province(phone_login, live_server, app):
    page = phone_login("gate")
    page.goto(f"{live_server}/gate/vehicles")
    province = page.get_by_label("车牌省份")
    assert province.input_value() != ""  # the estate's usual one, preselected
    province.select_option("京")
    page.get_by_label("车牌号").fill("a12345")
    assert_no_horizontal_scroll(page)
    screenshot(page, "gate-plate-picker")
    page.get_by_role("button", name="入场").click()
    expect(page.get_by_text("京A12345").first).to_be_visible()
    with app.app_context(), db.connection_context():
        assert VehicleEntry.select().where(VehicleEntry.plate == "京A12345").count() == 1
    page.goto(f"{live_server}/gate/")
    expect(page.get_by_label("车牌省份")).to_be_visible()
    screenshot(page, "gate-visitor-plate")


def test_new_estate_header_and_timezone_list(phone_login, live_server):
    page = phone_login("admin")
    page.goto(f"{live_server}/admin/estates/new")
    expect(page.locator("header.topbar")).not_to_contain_text("None")
    expect(page.get_by_label("时区")).to_have_value("Asia/Shanghai")
    assert_no_horizontal_scroll(page)
    screenshot(page, "admin-estate-new")
