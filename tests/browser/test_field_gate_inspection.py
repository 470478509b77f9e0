"""Field mode beyond patrol: a visitor registered and an inspection sheet submitted while
the signal is gone are queued on the phone and arrive once when it returns."""
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import controlled_by_worker, screenshot, wait_for
from wyapp.db import db
from wyapp.gate.models import Visit
from wyapp.inspection.models import Equipment, Sheet, SheetAnswer
from wyapp.labels import issue_label
from wyapp.models import Estate


@pytest.fixture
def app(make_app):
    return make_app(WTF_CSRF_ENABLED=True, with_demo=True)






def _visits(app, name):
    with app.app_context(), db.connection_context():
        return Visit.select().where(Visit.name == name).count()


def test_visitor_registered_without_signal_arrives_once(phone_login, live_server, context,
                                                        app):
    page = phone_login("gate")
    controlled_by_worker(page, f"{live_server}/gate/")
    context.set_offline(True)  # the booth's Wi-Fi drops with the page open
    page.get_by_label("访客姓名").fill("离线访客")
    page.get_by_label("手机号").fill("13700001234")
    page.get_by_label("被访房号").fill("1号楼-101")
    page.get_by_label("探亲访友").check()
    page.get_by_role("button", name="登记", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="离线已保存")).to_be_visible()
    expect(page.get_by_label("访客姓名")).to_have_value("")  # ready for the next visitor
    screenshot(page, "field-gate-queued")
    assert _visits(app, "离线访客") == 0
    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    assert wait_for(lambda: _visits(app, "离线访客") == 1)
    expect(page.locator("[data-queue-badge]")).to_be_hidden(timeout=20000)
    time.sleep(1)
    assert _visits(app, "离线访客") == 1


def test_inspection_sheet_submitted_without_signal_arrives_once(phone_login, live_server,
                                                                context, app):
    with app.app_context(), db.connection_context():
        token = issue_label(Estate.get(), "equipment", Equipment.get(code="DT-01").id).token
    page = phone_login("engineer")
    page.goto(f"{live_server}/c/{token}")
    page.get_by_role("button", name="开始日检").first.click()
    expect(page.get_by_role("button", name="提交日检记录")).to_be_visible()
    controlled_by_worker(page, page.url)  # the draft sheet is kept on the phone
    sheet_url = page.url
    context.set_offline(True)
    page.goto(sheet_url)  # reopened in the pump room, from the phone's copy
    page.get_by_role("button", name="提交日检记录").wait_for()
    page.evaluate("""() => document.querySelectorAll('#sheet-form input[type=radio][value="正常"]')
                          .forEach((radio) => { radio.checked = true; })""")
    page.get_by_label("机房温度").fill("24")
    page.get_by_role("button", name="提交日检记录").click()
    expect(page.get_by_role("status").filter(has_text="离线已保存")).to_be_visible()
    sheet_id = int(sheet_url.rstrip("/").rsplit("/", 1)[1])
    with app.app_context(), db.connection_context():
        assert Sheet.get_by_id(sheet_id).status == "草稿"
    context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")

    def submitted():
        with app.app_context(), db.connection_context():
            return Sheet.get_by_id(sheet_id).status == "已提交"

    assert wait_for(submitted)
    with app.app_context(), db.connection_context():
        answers = {a.item.label: a.value for a in
                   SheetAnswer.select().where(SheetAnswer.sheet == sheet_id)}
    assert answers.get("机房温度") == "24"
