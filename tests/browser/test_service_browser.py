"""The service desk on a 360 px phone: desk registers, supervisor assigns, engineer works
the order through htmx steps; complaint pages; nothing scrolls sideways."""
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_horizontal_scroll, screenshot


def test_repair_flow_on_a_phone(phone_login, live_server, tmp_path):
    page = phone_login("desk")
    page.goto(f"{live_server}/service/orders/new")
    assert_no_horizontal_scroll(page)
    page.get_by_label("房号").fill("2号楼-301")
    page.get_by_label("报修类别").select_option("水")
    page.get_by_label("紧急", exact=True).check()
    page.get_by_label("报修内容").fill("阳台地漏反水")
    screenshot(page, "service-order-new")
    page.get_by_role("button", name="登记").click()
    expect(page.get_by_text("已登记报修")).to_be_visible()
    order_url = page.url

    page = phone_login("supervisor")
    page.goto(order_url)
    page.get_by_label("维修人员").select_option(label="陈工")
    page.get_by_role("button", name="确认派单").click()  # htmx swaps #order in place
    expect(page.locator("#order .timeline")).to_contain_text("派给 陈工")
    assert page.url == order_url

    page = phone_login("engineer")
    page.goto(f"{live_server}/service/orders")
    expect(page.locator(".bottomnav")).to_contain_text("工单")
    assert_no_horizontal_scroll(page)
    screenshot(page, "service-my-orders")
    page.goto(order_url)
    page.get_by_role("button", name="接单").click()
    expect(page.locator("#order .timeline")).to_contain_text("接单")
    page.get_by_role("button", name="开始处理").click()
    expect(page.get_by_role("button", name="确认完工")).to_be_visible()
    page.get_by_role("button", name="确认完工").click()  # empty note: message beside field
    expect(page.get_by_text("请填写处理结果")).to_be_visible()
    page.get_by_label("处理结果").fill("疏通地漏，更换防臭芯")
    page.get_by_label("使用材料").fill("防臭芯 1 个")
    photo = tmp_path / "done.jpg"
    Image.new("RGB", (800, 600), "green").save(photo, "JPEG")
    page.get_by_label("完工照片").set_input_files(str(photo))  # multipart through htmx
    page.get_by_role("button", name="确认完工").click()
    expect(page.locator("#order .timeline")).to_contain_text("疏通地漏")
    expect(page.locator("#order .photos img")).to_have_count(1)
    assert_no_horizontal_scroll(page)
    screenshot(page, "service-order-done")


def test_complaint_pages_fit_the_phone(phone_login, live_server):
    page = phone_login("desk")
    for path, name in [("/service/complaints", "complaints"),
                       ("/service/complaints/new", "complaint-new"),
                       ("/service/complaints/daily", "daily"),
                       ("/service/complaints/stats", "stats"),
                       ("/service/orders?tab=all", "orders-all")]:
        page.goto(live_server + path)
        assert_no_horizontal_scroll(page)
        screenshot(page, f"service-{name}")
    page.goto(f"{live_server}/service/complaints?tab=all")
    page.locator(".row-link").first.click()
    assert_no_horizontal_scroll(page)
    screenshot(page, "service-complaint")


def test_complaint_intake_and_round_with_htmx(phone_login, live_server):
    page = phone_login("desk")
    page.goto(f"{live_server}/service/complaints/new")
    page.get_by_label("投诉渠道").select_option("来访")
    page.get_by_label("邻里纠纷").check()
    page.get_by_label("投诉内容").fill("楼上漏水到我家天花板")
    page.get_by_role("button", name="受理").click()
    expect(page.get_by_text("已受理投诉")).to_be_visible()
    page.get_by_label("答复投诉人").fill("已约楼上业主明天上门查看")
    page.get_by_label("不同意", exact=True).check()
    page.get_by_role("button", name="记录处理").click()
    expect(page.locator("#complaint .timeline")).to_contain_text("投诉人不同意，继续协商")
    expect(page.locator("#complaint")).to_contain_text("协商中")
    assert_no_horizontal_scroll(page)
    screenshot(page, "service-complaint-round")


def test_supervisor_settings_fit(phone_login, live_server):
    page = phone_login("supervisor")
    page.goto(f"{live_server}/service/settings")
    assert_no_horizontal_scroll(page)
    screenshot(page, "service-settings")


def test_tap_targets_on_service_pages(phone_login, live_server):
    page = phone_login("desk")
    for path in ("/service/orders?tab=all", "/service/orders/1", "/service/complaints?tab=all",
                 "/service/complaints/1", "/service/complaints/new", "/service/orders/new"):
        page.goto(live_server + path)
        small = page.evaluate("""() => [...document.querySelectorAll(
                'a, button, input, select, summary')]
            .filter(e => e.offsetParent !== null
                    && !['hidden', 'checkbox', 'radio'].includes(e.type))
            .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect().height])
            .filter(([, h]) => h < 44)""")
        assert small == [], path
