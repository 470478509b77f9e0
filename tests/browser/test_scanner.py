"""The in-app scanner with a fake rear camera showing a printed label's QR code."""
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM, PHONE, screenshot
from wyapp.db import db
from wyapp.features import Feature
from wyapp.labels import issue_label
from wyapp.models import Estate


def write_y4m(path, text, size=480, frames=10):
    """A short YUV4MPEG2 (C420) video of a QR code on white, for Chromium's fake camera."""
    import qrcode
    from PIL import Image

    qr = qrcode.make(text, box_size=8, border=4).convert("RGB")
    frame = Image.new("RGB", (size, size), "white")
    qr.thumbnail((size - 80, size - 80))
    frame.paste(qr, ((size - qr.width) // 2, (size - qr.height) // 2))
    y, u, v = frame.convert("YCbCr").split()
    half = (size // 2, size // 2)
    planes = y.tobytes() + u.resize(half).tobytes() + v.resize(half).tobytes()
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{size} H{size} F5:1 Ip A1:1 C420\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n" + planes)


@pytest.fixture
def app(make_app):
    app = make_app(WTF_CSRF_ENABLED=True, with_demo=True)
    app.extensions["wyapp.features"].append(
        Feature(name="test", label_kinds={"thing": lambda label: "<h1>物件 42 已打开</h1>"}))
    return app


def _camera_page(playwright, tmp_path, text, live_server, extra_args=()):
    video = tmp_path / "qr.y4m"
    write_y4m(video, text)
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}",
        *extra_args])
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill("guard")
    page.get_by_label("密码").fill("wyapp-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/")
    return browser, context, page


def test_scanner_opens_a_label_of_this_app(playwright, tmp_path, live_server, app):
    with app.app_context(), db.connection_context():
        label = issue_label(Estate.get(), "thing", 42)
    browser, context, page = _camera_page(playwright, tmp_path, f"{live_server}/c/{label.token}",
                                          live_server, ["--use-fake-ui-for-media-stream"])
    context.grant_permissions(["camera"], origin=live_server)
    page.get_by_role("link", name="扫码").click()
    expect(page.get_by_role("heading", name="物件 42 已打开")).to_be_visible(timeout=30000)
    assert page.url == f"{live_server}/c/{label.token}"
    browser.close()


def test_scanner_says_a_foreign_qr_is_foreign(playwright, tmp_path, live_server):
    browser, context, page = _camera_page(playwright, tmp_path, "https://example.com/pay?x=1",
                                          live_server, ["--use-fake-ui-for-media-stream"])
    context.grant_permissions(["camera"], origin=live_server)
    page.goto(f"{live_server}/scan")
    expect(page.get_by_role("status")).to_contain_text("这不是本系统的二维码", timeout=30000)
    screenshot(page, "scanner-foreign")
    browser.close()


def test_scanner_explains_a_denied_camera(playwright, tmp_path, live_server):
    browser, context, page = _camera_page(playwright, tmp_path, "x", live_server,
                                          ["--deny-permission-prompts"])
    page.goto(f"{live_server}/scan")
    expect(page.get_by_role("status")).to_contain_text("没有摄像头权限", timeout=20000)
    expect(page.get_by_role("button", name="重新扫码")).to_be_visible()
    screenshot(page, "scanner-denied")
    browser.close()
