"""导出 Excel on a 360 px phone: the manager switches the work-order tab (htmx), taps the
button, and the download is the list's rows in an .xlsx; the button is a 44 px target."""
import openpyxl
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_horizontal_scroll, screenshot


def test_manager_downloads_the_tab_shown(phone_login, live_server, tmp_path):
    page = phone_login("manager")
    page.goto(f"{live_server}/service/orders")
    page.locator(".tabs").get_by_role("link", name="全部").click()  # htmx swaps the results
    expect(page.locator(".tabs a.active")).to_have_text("全部")
    button = page.get_by_role("link", name="导出 Excel")
    expect(button).to_have_attribute("href", "/exports/work_orders.xlsx?tab=all")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    assert_no_horizontal_scroll(page)
    screenshot(page, "exports-orders-button")
    with page.expect_download() as download:
        button.click()
    path = tmp_path / "orders.xlsx"
    download.value.save_as(path)
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(path).active
    assert sheet["A1"].value.startswith("示范花园") and sheet["A3"].value == "工单号"
    rows = sheet.max_row - 3
    shown = page.locator(".orders > li:not(.more)").count()
    assert rows >= shown > 0  # the list shows its first page; the file holds them all
