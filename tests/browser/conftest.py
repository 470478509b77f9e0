"""Browser tests: the app served on a free port, driven in Debian's Chromium at 360×780."""
import shutil
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from wyapp.db import db

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PHONE = {"viewport": {"width": 360, "height": 780}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "zh-CN",
         "timezone_id": "Asia/Shanghai"}

pytestmark = pytest.mark.browser


def pytest_collection_modifyitems(items):
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason="Debian chromium is not installed: sudo apt-get "
                                       "install -y chromium (make test does it as root)")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run",
                     "--disable-quic"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, **PHONE}


@pytest.fixture
def live_server(app):
    """The app on 127.0.0.1 (a secure context, so the service worker registers)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    server.daemon_threads = False  # request threads are joined before the pool closes
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    db.close() if not db.is_closed() else None


@pytest.fixture
def app(make_app):
    # the browser talks to a real server: CSRF stays on, as in production
    return make_app(WTF_CSRF_ENABLED=True, with_demo=True)


@pytest.fixture
def phone_login(request, live_server):
    """phone_login("guard") logs the test's `page` in through the login form and returns it;
    phone_login("supervisor", page=other) logs in another page instead (a second person's
    phone: browser.new_context(**PHONE).new_page()), so `page` is only opened when used."""
    def do(username, password="wyapp-demo", page=None):
        page = page or request.getfixturevalue("page")
        page.goto(f"{live_server}/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(f"{live_server}/")
        return page
    return do


def screenshot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_no_horizontal_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"page is {width}px wide at a 360px viewport"


def wait_for(predicate, timeout=30):
    """Poll `predicate` (server-side state the phone changes) until true or `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return predicate()


def controlled_by_worker(page, url):
    """Open `url` and reload it once the service worker is ready, so it controls the page."""
    page.goto(url)
    page.evaluate("async () => { await navigator.serviceWorker.ready; }")
    page.reload()
    page.wait_for_function("navigator.serviceWorker.controller !== null")
