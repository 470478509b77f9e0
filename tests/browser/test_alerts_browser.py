"""Group robots at 360 px: a supervisor saves a 钉钉 robot (with 加签), presses 测试发送 and
reads the robot's answer; the local receiver stood in for 钉钉 and checked the signature."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_horizontal_scroll, screenshot
from tests.factories import alerts as make


@pytest.fixture
def app(make_app):
    return make_app(WTF_CSRF_ENABLED=True, with_demo=True, ALERTS_ALLOWED_HOSTS=("127.0.0.1",),
                    ALERTS_HTTP_TIMEOUT=2)


@pytest.fixture
def receiver():
    running = make.start_receiver()
    yield running
    make.stop_receiver(running)


def test_save_a_dingtalk_robot_and_test_send_it(phone_login, live_server, receiver):
    page = phone_login("supervisor")
    page.get_by_role("link", name="群机器人设置").click()
    expect(page.get_by_role("heading", name="群机器人", exact=True)).to_be_visible()
    page.get_by_label("名称").fill("值班群")
    page.get_by_label("钉钉自定义机器人").check()
    page.get_by_label("Webhook 地址").fill(receiver.dingtalk_url())
    page.get_by_label("加签密钥（钉钉）").fill(make.DINGTALK_SECRET)
    page.get_by_label("自定义关键词（钉钉）").fill("物业")
    assert_no_horizontal_scroll(page)
    screenshot(page, "alerts-new-robot")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("群机器人已保存")).to_be_visible()
    expect(page.get_by_text(f"access_token=…{make.DINGTALK_TOKEN[-4:]}").first).to_be_visible()

    page.get_by_role("button", name="测试发送").click()
    expect(page.get_by_text("测试发送成功，机器人回答：")).to_be_visible()
    expect(page.locator("#test-result")).to_contain_text('"errmsg": "ok"')
    content = page.content()
    assert make.DINGTALK_TOKEN not in content and make.DINGTALK_SECRET not in content
    assert_no_horizontal_scroll(page)
    screenshot(page, "alerts-test-send")
    [message] = receiver.received
    assert message.accepted and "【物业】测试发送" in message.body["markdown"]["title"]
