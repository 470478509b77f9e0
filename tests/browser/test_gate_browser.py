"""Gate at 360 px: the guard registers a visitor from the phone suggestion, sees them on
site and taps 签离; the gate's pages fit the phone."""
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_horizontal_scroll, screenshot


def test_register_with_phone_suggestion_then_sign_out(phone_login, live_server):
    page = phone_login("gate")
    page.goto(f"{live_server}/gate/")
    expect(page.get_by_role("heading", name="来访登记")).to_be_visible()
    page.get_by_label("手机号").fill("13812345678")
    suggestion = page.locator("#phone-suggestions a").filter(has_text="粤BD12345")
    expect(suggestion).to_be_visible()
    screenshot(page, "gate-suggestions")
    suggestion.click()
    expect(page.get_by_label("访客姓名")).to_have_value("陈美玲")
    expect(page.get_by_label("被访房号")).to_have_value("2号楼-301")
    expect(page.get_by_label("车牌号")).to_have_value("粤BD12345")
    expect(page.get_by_label("探亲访友")).to_be_checked()
    page.get_by_label("人数").fill("2")
    page.get_by_label("身份证号").fill("440306199003071232")
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_text("已登记：被访 2号楼-301，2 人")).to_be_visible()
    assert_no_horizontal_scroll(page)
    screenshot(page, "gate-registered")

    page.get_by_role("link", name="在场", exact=True).click()
    row = page.locator("li.visit").filter(has_text="440***********1232")
    expect(row).to_contain_text("陈美玲")
    expect(page.locator("li.long-stay").first).to_contain_text("已停留超过 12 小时")
    assert_no_horizontal_scroll(page)
    screenshot(page, "gate-on-site")
    row.get_by_role("button", name="签离").click()
    expect(page.get_by_text("已签离：被访 2号楼-301")).to_be_visible()
    expect(page.locator("li.visit").filter(has_text="440***********1232")).to_have_count(0)
    assert page.url.endswith("/gate/on-site")  # swapped in place, no navigation


def test_registration_errors_on_a_phone(phone_login, live_server):
    page = phone_login("gate")
    page.goto(f"{live_server}/gate/")
    page.get_by_label("访客姓名").fill("张三")
    page.get_by_label("手机号").fill("1381234")
    page.get_by_label("被访房号").fill("9-999")
    page.get_by_label("快递外卖").check()
    page.get_by_label("车牌号").fill("粤B@1")  # punctuation cannot be a plate
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_text("手机号应为 11 位数字")).to_be_visible()
    expect(page.get_by_text("车牌号格式不对")).to_be_visible()
    expect(page.get_by_label("被访房号")).to_have_value("9-999")
    assert_no_horizontal_scroll(page)
    screenshot(page, "gate-errors")


def test_gate_pages_fit_the_phone(phone_login, live_server):
    page = phone_login("gate")
    screenshot(page, "gate-home-panel")
    for path, name in [("/gate/vehicles", "vehicles"), ("/gate/slips", "slips"),
                       ("/gate/slips/1", "slip")]:
        page.goto(live_server + path)
        assert_no_horizontal_scroll(page)
        screenshot(page, f"gate-{name}")
    page = phone_login("supervisor")
    for path, name in [("/gate/invitations", "invitations"), ("/gate/invitations/1",
                                                              "invitation"),
                       ("/gate/watchlist", "watchlist"), ("/gate/settings", "settings"),
                       ("/gate/report", "report"), ("/gate/slips/new", "slip-new")]:
        page.goto(live_server + path)
        assert_no_horizontal_scroll(page)
        screenshot(page, f"gate-{name}")


def test_gate_tap_targets_are_at_least_44px(phone_login, live_server):
    page = phone_login("gate")
    for path in ("/gate/", "/gate/on-site", "/gate/vehicles"):
        page.goto(live_server + path)
        small = page.evaluate("""() => [...document.querySelectorAll(
                'a, button, input, select, label.chip')]
            .filter(e => e.offsetParent !== null && e.type !== 'hidden' && e.type !== 'radio')
            .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect().height])
            .filter(([, h]) => h < 44)""")
        assert small == [], path
