"""Each role logs in on a 360 px phone, sees its home, and nothing scrolls sideways."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_horizontal_scroll, controlled_by_worker, screenshot

ROLES = ["admin", "manager", "supervisor", "guard", "gate", "engineer", "desk"]


@pytest.mark.parametrize("username", ROLES)
def test_each_role_logs_in_on_a_phone(phone_login, username):
    page = phone_login(username)
    expect(page.get_by_role("heading", level=1)).to_contain_text("您好")
    expect(page.get_by_role("navigation", name="主导航")).to_be_visible()
    assert_no_horizontal_scroll(page)
    screenshot(page, f"home-{username}")


def test_tap_targets_are_at_least_44px(phone_login):
    page = phone_login("admin")
    small = page.evaluate("""() => [...document.querySelectorAll('a, button, input, select')]
        .filter(e => e.offsetParent !== null && e.type !== 'hidden' && e.type !== 'checkbox')
        .map(e => [e.outerHTML.slice(0, 80), e.getBoundingClientRect().height])
        .filter(([, h]) => h < 44)""")
    assert small == []


def test_wrong_password_message_on_phone(page, live_server):
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill("guard")
    page.get_by_label("密码").fill("wrong")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_text("用户名或密码不正确")).to_be_visible()
    expect(page.get_by_label("用户名")).to_have_value("guard")
    screenshot(page, "login-error")


def test_admin_pages_fit_the_phone(phone_login, live_server):
    page = phone_login("admin")
    for path, name in [("/admin/estates", "estates"), ("/admin/estates/1", "estate"),
                       ("/admin/users", "users"), ("/admin/users/new", "user-new"),
                       ("/me", "me")]:
        page.goto(live_server + path)
        assert_no_horizontal_scroll(page)
        screenshot(page, f"admin-{name}")


def test_user_search_swaps_the_list_with_htmx(phone_login, live_server):
    page = phone_login("admin")
    page.goto(f"{live_server}/admin/users")
    page.get_by_label("搜索").fill("陈")
    expect(page.locator("#user-results")).not_to_contain_text("张保安")
    expect(page.locator("#user-results")).to_contain_text("陈工")
    assert page.url.endswith("/admin/users?q=%E9%99%88")


def test_change_password_inline_with_htmx_and_csrf_header(phone_login, live_server):
    page = phone_login("desk")
    page.goto(f"{live_server}/me")
    page.get_by_label("当前密码").fill("wyapp-demo")
    page.get_by_label("新密码", exact=True).fill("another-pass1")
    page.get_by_label("再次输入新密码").fill("another-pass1")
    page.get_by_role("button", name="修改密码").click()
    expect(page.get_by_text("密码已修改")).to_be_visible()


def test_offline_page_when_there_is_no_signal(phone_login, live_server, context):
    page = phone_login("guard")
    controlled_by_worker(page, page.url)
    context.set_offline(True)
    page.goto(f"{live_server}/me")
    expect(page.get_by_role("heading", name="当前没有网络")).to_be_visible()
    screenshot(page, "offline")
    context.set_offline(False)
