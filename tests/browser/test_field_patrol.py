"""Field mode on patrol, in Chromium with mobile emulation: the in-app scanner with a fake
camera, three scans and an incident made without signal, an interrupted replay, and a
queued scan whose label was re-issued meanwhile."""
import io
import socket
import time

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import controlled_by_worker, screenshot, wait_for
from tests.browser.test_scanner import _camera_page
from wyapp.db import db
from wyapp.labels import current_label, issue_label
from wyapp.models import Estate
from wyapp.patrol.models import Checkpoint, Incident, IncidentPhoto, Scan


def _tokens(app, n=3):
    with app.app_context(), db.connection_context():
        points = Checkpoint.select().where(Checkpoint.active).order_by(Checkpoint.id).limit(n)
        return [(p.id, p.name, current_label("checkpoint", p.id).token) for p in points]


def _new_scans(app):
    with app.app_context(), db.connection_context():
        return list(Scan.select().where(Scan.client_id.startswith("k-")).order_by(Scan.id))


def _new_incidents(app):
    with app.app_context(), db.connection_context():
        return [(i, IncidentPhoto.select().where(IncidentPhoto.incident == i).count())
                for i in Incident.select().where(Incident.client_id.is_null(False))]




def _ready_for_the_shift(page, live_server, expected_pages):
    """Logged in, controlled by the service worker, the shift's pages kept on the phone."""
    controlled_by_worker(page, f"{live_server}/")
    page.evaluate("() => { sessionStorage.clear(); window.dispatchEvent(new Event('online')); }")
    wanted = len(page.evaluate("async () => (await (await fetch('/offline/pages')).json()).urls"))
    assert wanted >= expected_pages
    assert wait_for(lambda: page.evaluate(
        "async () => (await (await caches.open('wyapp-pages')).keys()).length") >= wanted, 20)


def _scan_offline(page, live_server, token, name):
    page.goto(f"{live_server}/c/{token}")
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    page.get_by_role("button", name="打卡").click()
    expect(page.get_by_role("status").filter(has_text="离线已保存")).to_be_visible()


def _jpeg():
    out = io.BytesIO()
    Image.new("RGB", (640, 480), "orange").save(out, "JPEG")
    return out.getvalue()


def test_scanner_finds_a_demo_checkpoint_and_records(playwright, tmp_path, live_server, app):
    (point_id, name, token), = _tokens(app, 1)
    browser, context, page = _camera_page(playwright, tmp_path, f"{live_server}/c/{token}",
                                          live_server, ["--use-fake-ui-for-media-stream"])
    context.grant_permissions(["camera", "geolocation"], origin=live_server)
    page.get_by_role("link", name="扫码").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible(timeout=30000)
    page.get_by_role("button", name="打卡").click()
    expect(page.get_by_text("打卡成功")).to_be_visible()
    screenshot(page, "field-scanned")
    assert [s.checkpoint_id for s in _new_scans(app)] == [point_id]
    browser.close()


def test_offline_scans_and_incident_arrive_exactly_once(phone_login, live_server, context,
                                                        app):
    points = _tokens(app)
    page = phone_login("guard")
    _ready_for_the_shift(page, live_server, 12)
    context.set_offline(True)
    for _, name, token in points:
        _scan_offline(page, live_server, token, name)
    page.goto(f"{live_server}/patrol/incidents/new")
    page.get_by_label("异常类别").select_option("设施损坏")
    page.get_by_label("情况说明").fill("地库B区消防门闭门器脱落")
    page.get_by_label("照片（最多 6 张）").set_input_files(
        files=[{"name": "door.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}])
    page.get_by_role("button", name="上报").click()
    expect(page.get_by_role("status").filter(has_text="离线已保存")).to_be_visible()
    expect(page.locator("[data-queue-count]")).to_have_text("4")
    page.goto(f"{live_server}/patrol/")  # the app still opens without signal
    expect(page.get_by_role("heading", name="巡更", exact=False).first).to_be_visible()
    screenshot(page, "field-offline-rounds")
    assert _new_scans(app) == [] and _new_incidents(app) == []
    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    assert wait_for(lambda: len(_new_scans(app)) == 3 and len(_new_incidents(app)) == 1)
    expect(page.locator("[data-queue-badge]")).to_be_hidden(timeout=20000)
    scans = _new_scans(app)
    assert [s.checkpoint_id for s in scans] == [p for p, _, _ in points]
    assert all("离线补传" in s.flags and s.device_at is not None for s in scans)
    assert all(s.device_at <= s.server_at for s in scans)
    (incident, photos), = _new_incidents(app)
    assert incident.queued and incident.device_at and photos == 1
    assert incident.text == "地库B区消防门闭门器脱落"
    time.sleep(1)  # nothing more arrives later
    assert len(_new_scans(app)) == 3 and len(_new_incidents(app)) == 1


def test_interrupted_replay_is_retried_exactly_once(phone_login, live_server, context, app):
    points = _tokens(app)
    page = phone_login("guard")
    _ready_for_the_shift(page, live_server, 12)
    context.set_offline(True)
    for _, name, token in points:
        _scan_offline(page, live_server, token, name)
    posts = []
    inner = app.wsgi_app

    def lose_second_reply(environ, start_response):
        """The server records the 2nd replayed scan, then the connection drops."""
        if environ["REQUEST_METHOD"] == "POST" and environ["PATH_INFO"].startswith("/c/"):
            posts.append(environ["PATH_INFO"])
            if len(posts) == 2:
                body = b"".join(inner(environ, lambda *args: None))  # recorded ...
                assert body
                sock = environ.get("werkzeug.socket")
                if sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)  # ... and the reply never arrives
                raise ConnectionAbortedError("reply lost")
        return inner(environ, start_response)

    app.wsgi_app = lose_second_reply
    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    assert wait_for(lambda: len(posts) >= 2)
    assert wait_for(lambda: len(_new_scans(app)) == 3, 40)
    expect(page.locator("[data-queue-badge]")).to_be_hidden(timeout=20000)
    assert len(posts) == 4  # the lost one was sent again, and recorded once
    assert [s.checkpoint_id for s in _new_scans(app)] == [p for p, _, _ in points]


def test_queued_scan_of_a_reissued_label_is_kept_with_its_reason(phone_login, live_server,
                                                                 context, app):
    (point_id, name, token), = _tokens(app, 1)
    page = phone_login("guard")
    _ready_for_the_shift(page, live_server, 12)
    context.set_offline(True)
    _scan_offline(page, live_server, token, name)
    with app.app_context(), db.connection_context():
        issue_label(Estate.get(), "checkpoint", point_id)  # the supervisor re-issues it
    context.set_offline(False)
    page.goto(f"{live_server}/queue")
    page.evaluate("() => navigator.serviceWorker.controller.postMessage({type: 'flush'})")
    expect(page.get_by_text("标签已经作废")).to_be_visible(timeout=20000)
    expect(page.get_by_text(f"打卡 {name}")).to_be_visible()
    expect(page.locator("[data-queue-count]")).to_have_text("1")
    screenshot(page, "field-queue-rejected")
    assert _new_scans(app) == []


@pytest.fixture
def app(make_app):
    return make_app(WTF_CSRF_ENABLED=True, with_demo=True)
