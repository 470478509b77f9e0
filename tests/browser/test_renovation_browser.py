"""Renovation on a phone at 360 px: an engineer scans the permit's QR with the in-app
scanner (a fake rear camera showing it), records a violation with a photo, and it shows on
the renovation's timeline; the main pages and the permit PDF are captured for review."""
import subprocess

from playwright.sync_api import expect

from tests.browser.conftest import (
    ARTIFACTS,
    CHROMIUM,
    PHONE,
    assert_no_horizontal_scroll,
    screenshot,
)
from tests.browser.test_scanner import write_y4m
from wyapp.db import db
from wyapp.labels import current_label
from wyapp.models import Unit
from wyapp.renovation.flow import PERMIT
from wyapp.renovation.models import Renovation, Violation


def _jpeg(path):
    from PIL import Image
    Image.new("RGB", (320, 240), "saddlebrown").save(path, "JPEG")
    return path


def _working(app):
    """The demo's renovation under way (1号楼-402) and its permit's token."""
    with app.app_context(), db.connection_context():
        renovation = (Renovation.select().join(Unit, on=Renovation.unit == Unit.id)
                      .where(Renovation.status == "施工中", Unit.number == "402").get())
        return renovation.id, current_label(PERMIT, renovation.id).token


def test_an_engineer_scans_the_permit_and_records_a_violation(playwright, tmp_path,
                                                              live_server, app):
    renovation_id, token = _working(app)
    video = tmp_path / "permit.y4m"
    write_y4m(video, f"{live_server}/c/{token}")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])
    context = browser.new_context(**PHONE)
    context.grant_permissions(["camera"], origin=live_server)
    page = context.new_page()
    page.goto(f"{live_server}/login")
    page.get_by_label("用户名").fill("engineer")
    page.get_by_label("密码").fill("wyapp-demo")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{live_server}/")
    before = _violations(app, renovation_id)

    page.goto(f"{live_server}/scan")
    expect(page.get_by_role("heading", name="装修巡查 · 1号楼-402")).to_be_visible(timeout=30000)
    assert page.url == f"{live_server}/c/{token}"
    assert_no_horizontal_scroll(page)
    for group in page.locator("fieldset.sheet-item").all():
        group.get_by_text("合格", exact=True).click()
    fire = page.locator("fieldset.sheet-item", has_text="消防")
    fire.get_by_text("违规", exact=True).click()
    page.get_by_label("消防说明").fill("楼道堆放易燃板材，堵塞消防通道")
    page.get_by_label("现场照片").set_input_files(str(_jpeg(tmp_path / "site.jpg")))
    screenshot(page, "renovation-inspect")
    page.get_by_role("button", name="提交巡查结果").click()

    page.wait_for_url(f"{live_server}/renovation/{renovation_id}")
    expect(page.get_by_text("已记录装修巡查")).to_be_visible()
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("消防违规：楼道堆放易燃板材，堵塞消防通道")
    expect(timeline).to_contain_text("照片 1 张")
    expect(page.get_by_role("img", name="巡查照片 1")).to_be_visible()
    assert_no_horizontal_scroll(page)
    screenshot(page, "renovation-after-inspection")
    assert _violations(app, renovation_id) == before + 1
    browser.close()


def _violations(app, renovation_id):
    with app.app_context(), db.connection_context():
        return Violation.select().where(Violation.renovation == renovation_id).count()


def test_renovation_pages_at_360(page, live_server, app, phone_login):
    renovation_id, token = _working(app)
    with app.app_context(), db.connection_context():
        ids = {r.status: r.id for r in Renovation.select()}
    page.goto(f"{live_server}/c/{token}")  # not logged in: the permit's public page
    expect(page.get_by_role("heading", name="装修许可证")).to_be_visible()
    expect(page.get_by_text("13800001111")).to_have_count(0)
    assert_no_horizontal_scroll(page)
    screenshot(page, "renovation-public-permit")

    phone_login("manager")
    for name, url in (("list", "/renovation/"), ("pending", f"/renovation/{ids['待审核']}"),
                      ("working", f"/renovation/{renovation_id}"),
                      ("finished", f"/renovation/{ids['已完工']}"),
                      ("failed", f"/renovation/{ids['验收未通过']}"),
                      ("settings", "/renovation/settings")):
        page.goto(f"{live_server}{url}")
        assert_no_horizontal_scroll(page)
        screenshot(page, f"renovation-{name}")
    expect(page.get_by_label("允许施工时间")).to_have_value("08:00-12:00,14:00-18:00")

    pdf = page.request.get(f"{live_server}/renovation/{renovation_id}/permit.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "renovation-permit.pdf").write_bytes(pdf.body())
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile",
                    str(ARTIFACTS / "renovation-permit.pdf"),
                    str(ARTIFACTS / "renovation-permit")], check=True)
    slip = page.request.get(f"{live_server}/renovation/{ids['已完工']}/refund.pdf")
    (ARTIFACTS / "renovation-refund.pdf").write_bytes(slip.body())
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile",
                    str(ARTIFACTS / "renovation-refund.pdf"),
                    str(ARTIFACTS / "renovation-refund")], check=True)

    phone_login("desk")
    page.goto(f"{live_server}/renovation/new")
    assert_no_horizontal_scroll(page)
    screenshot(page, "renovation-new")

    phone_login("gate")
    page.goto(f"{live_server}/gate/")
    page.get_by_label("访客姓名").fill("陌生人")
    page.get_by_label("被访房号").fill("1-402")
    page.locator("label.chip", has_text="装修施工").click()
    expect(page.get_by_text("陌生人 不在 1号楼-402 的装修工人名单上")).to_be_visible()
    assert_no_horizontal_scroll(page)
    screenshot(page, "renovation-gate")
    page.get_by_role("button", name="张师傅 139****0001 · 填入").click()  # the list is offered
    expect(page.get_by_label("访客姓名")).to_have_value("张师傅")
    expect(page.get_by_label("手机号")).to_have_value("13911110001")
    expect(page.get_by_text("不在 1号楼-402 的装修工人名单上")).to_have_count(0)
