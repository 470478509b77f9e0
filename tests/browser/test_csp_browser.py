"""The app under its Content-Security-Policy in Chromium: login, a scan with 打卡 swapped in
by htmx, the camera scanner (zxing-wasm) and the offline page — with no CSP violation and no
page error on the way. A control at the end shows a violation would have been seen."""
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, PHONE
from tests.browser.test_scanner import write_y4m
from wyapp.db import db
from wyapp.labels import current_label
from wyapp.patrol.models import Checkpoint

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
});
"""


def test_login_scan_htmx_swap_and_scanner_under_the_csp(playwright, tmp_path, live_server, app):
    with app.app_context(), db.connection_context():
        checkpoint = Checkpoint.get(name="地库B区水泵房")
        token = current_label("checkpoint", checkpoint.id).token
    label_url = f"{live_server}/c/{token}"
    video = tmp_path / "label.y4m"
    write_y4m(video, label_url)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}",
        "--use-fake-ui-for-media-stream"])
    context = browser.new_context(**PHONE)
    context.grant_permissions(["camera", "geolocation"], origin=live_server)
    context.add_init_script(REPORT_VIOLATIONS)  # init scripts are exempt from the page's CSP
    problems = []
    context.on("console", lambda message: problems.append(message.text)
               if message.type == "error" or "Content Security Policy" in message.text
               else None)
    page = context.new_page()
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    response = page.goto(f"{live_server}/login")
    assert "script-src 'self' 'wasm-unsafe-eval'" in response.headers["content-security-policy"]
    page.get_by_label("用户名").fill("guard")
    page.get_by_label("密码").fill("wyapp-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/")

    page.goto(label_url)  # the scan page of a checkpoint; 打卡 is an htmx swap
    expect(page.get_by_role("heading", name="地库B区水泵房")).to_be_visible()
    page.get_by_role("button", name="打卡").click()
    expect(page.get_by_role("heading", name="打卡成功")).to_be_visible()
    assert page.url == label_url  # swapped in place, not a new page

    page.goto(f"{live_server}/me")  # an htmx swap of a form with its errors
    page.get_by_label("当前密码").fill("wrong-password")
    page.get_by_label("新密码", exact=True).fill("newpass123")
    page.get_by_label("再次输入新密码").fill("newpass123")
    page.get_by_role("button", name="修改密码").click()
    expect(page.locator("#password-card")).to_contain_text("当前密码不正确")
    assert page.url == f"{live_server}/me"

    page.goto(f"{live_server}/scan")  # the camera scanner decodes the label with zxing-wasm
    page.wait_for_url(label_url, timeout=30000)
    expect(page.get_by_role("heading", name="打卡成功").or_(
        page.get_by_role("heading", name="地库B区水泵房"))).to_be_visible()

    page.goto(f"{live_server}/offline")
    page.get_by_role("link", name="重新加载").click()
    expect(page.get_by_role("heading", name="当前没有网络")).to_be_visible()

    assert problems == []
    page.evaluate("""() => {  /* the control: an inline script the policy must refuse */
      const script = document.createElement("script");
      script.textContent = "window.inlineRan = true";
      document.body.append(script);
    }""")
    page.wait_for_timeout(300)
    assert page.evaluate("window.inlineRan") is None
    assert any("CSP violation: script-src" in p for p in problems), problems
    browser.close()
