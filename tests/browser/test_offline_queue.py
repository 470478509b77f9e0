"""The offline queue end to end, on a test action endpoint: queued without signal, kept
across a reload, replayed in order exactly once, rejected actions kept with their reason."""
import time

import pytest
from flask import Blueprint, abort, request
from flask_wtf.csrf import generate_csrf
from peewee import BooleanField, CharField, DateTimeField, IntegrityError
from playwright.sync_api import expect

from tests.browser.conftest import controlled_by_worker, screenshot, wait_for
from wyapp.auth import reject_reason
from wyapp.db import BaseModel, db, utcnow
from wyapp.offline import action_meta


class Tally(BaseModel):
    key = CharField(unique=True)
    note = CharField()
    device_time = DateTimeField(null=True)
    queued = BooleanField()
    received_at = DateTimeField(default=utcnow)


FAIL_ONCE_AFTER_COMMIT = set()  # notes whose first response is "lost" after the commit


def _blueprint():
    bp = Blueprint("tally", __name__)

    @bp.route("/t/form")
    def form():
        note = request.args.get("note", "x")
        html = f"""<!doctype html><html><head><meta name="csrf-token" content="{generate_csrf()}">
        <meta name="current-user" content="guard">
        <script src="/static/vendor/htmx.min.js"></script>
        <script src="/static/js/app.js"></script>
        <script src="/static/vendor/idb-keyval.js"></script>
        <script src="/static/js/field.js"></script></head><body>
        <a data-queue-badge hidden>待上传 <span data-queue-count>0</span></a>
        <form data-offline="测试 {note}" hx-post="/t/act" hx-target="#out">
          <input type="hidden" name="note" value="{note}"><button>记录</button></form>
        <div id="out"></div></body></html>"""
        return html, 200, {"X-Offline": "keep"}

    @bp.post("/t/act")
    def act():
        meta = action_meta()
        note = request.form.get("note", "")
        if note == "refused":
            return reject_reason(app_response("不收"), "这个测试动作总是被拒绝。"), 410
        if not meta.key:
            abort(400)
        existing = Tally.get_or_none(Tally.key == meta.key)
        if existing is None:
            try:
                with db.atomic():
                    existing = Tally.create(key=meta.key, note=note, queued=meta.queued,
                                            device_time=meta.device_time)
            except IntegrityError:
                existing = Tally.get(Tally.key == meta.key)
            if note in FAIL_ONCE_AFTER_COMMIT:
                FAIL_ONCE_AFTER_COMMIT.discard(note)
                return "lost", 503
        return f"<p>已记录 {existing.note}</p>"

    return bp


def app_response(text):
    from flask import make_response
    return make_response(text)


@pytest.fixture
def app(make_app):
    app = make_app(WTF_CSRF_ENABLED=True, with_demo=True)
    app.register_blueprint(_blueprint())
    with app.app_context(), db.connection_context():
        db.create_tables([Tally])
    return app


def _rows(app):
    with app.app_context(), db.connection_context():
        return list(Tally.select().order_by(Tally.id))






def _act_offline(page, live_server, note):
    page.goto(f"{live_server}/t/form?note={note}")
    page.get_by_role("button", name="记录").click()
    expect(page.get_by_role("status").filter(has_text="离线已保存")).to_be_visible()


def test_offline_actions_replay_in_order_exactly_once(phone_login, live_server, context, app):
    page = phone_login("guard")
    for note in ("一", "二", "三"):  # visited online, so kept for use without signal
        controlled_by_worker(page, f"{live_server}/t/form?note={note}")
    context.set_offline(True)
    for note in ("一", "二", "三"):
        _act_offline(page, live_server, note)
    expect(page.locator("[data-queue-count]")).to_have_text("3")
    page.reload()  # the page itself comes from the phone's cache
    expect(page.get_by_role("button", name="记录")).to_be_visible()
    screenshot(page, "queue-offline")
    assert _rows(app) == []
    FAIL_ONCE_AFTER_COMMIT.add("二")  # the reply to the 2nd is lost after it was saved
    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    assert wait_for(lambda: len(_rows(app)) == 3 and not FAIL_ONCE_AFTER_COMMIT, 30), \
        [r.note for r in _rows(app)]
    page.evaluate("() => navigator.serviceWorker.controller.postMessage({type: 'flush'})")
    expect(page.locator("[data-queue-badge]")).to_be_hidden(timeout=15000)
    rows = _rows(app)
    assert [r.note for r in rows] == ["一", "二", "三"]
    assert all(r.queued and r.device_time for r in rows)
    assert rows[0].device_time <= rows[1].device_time <= rows[2].device_time


def test_double_tap_online_is_one_action(phone_login, live_server, app):
    page = phone_login("guard")
    controlled_by_worker(page, f"{live_server}/t/form?note=双击")
    page.evaluate("""() => { const b = document.querySelector('button');
                             b.click(); b.click(); b.click(); }""")
    expect(page.locator("#out")).to_contain_text("已记录 双击")
    time.sleep(0.5)
    assert [r.note for r in _rows(app)] == ["双击"]
    assert not _rows(app)[0].queued


def test_rejected_action_stays_with_its_reason(phone_login, live_server, context, app):
    page = phone_login("guard")
    controlled_by_worker(page, f"{live_server}/t/form?note=refused")
    context.set_offline(True)
    _act_offline(page, live_server, "refused")
    context.set_offline(False)
    page.goto(f"{live_server}/queue")
    page.evaluate("() => navigator.serviceWorker.controller.postMessage({type: 'flush'})")
    expect(page.get_by_text("这个测试动作总是被拒绝。")).to_be_visible(timeout=15000)
    expect(page.get_by_role("button", name="重试")).to_be_visible()
    screenshot(page, "queue-rejected")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="放弃这条").click()
    expect(page.get_by_text("没有待上传的记录")).to_be_visible(timeout=10000)


def test_logout_warns_when_the_queue_is_not_empty(phone_login, live_server, context):
    page = phone_login("guard")
    controlled_by_worker(page, f"{live_server}/t/form?note=refused")
    context.set_offline(True)
    _act_offline(page, live_server, "refused")
    context.set_offline(False)
    page.goto(f"{live_server}/me")  # the replay is refused: the item stays on the phone
    expect(page.locator("[data-queue-count]")).to_have_text("1", timeout=15000)
    messages = []
    page.once("dialog", lambda dialog: (messages.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="退出登录").click()
    assert messages and "没有上传" in messages[0]
    assert page.url.endswith("/me")
