"""Inspection pages: roles, estates, ledger and import, labels, the phone sheet, PDFs.

Each test builds the equipment, checklists and plans it uses (tests/factories/inspection.py);
periods are the estate's today at the test's clock, so the module is checked at the CI's
other instants too (the estate's last evening of a month, 00:30 local, a night shift's end).
"""
import io
import re

import pytest
from pypdf import PdfReader

from tests.factories import inspection as factory
from wyapp.db import db, utcnow
from wyapp.inspection.models import (
    Checklist,
    ChecklistItem,
    Equipment,
    Plan,
    Sheet,
    SheetAnswer,
)
from wyapp.labels import issue_label
from wyapp.models import Estate

HOSTILE = ["", "长" * 10000, "<script>alert('x')</script>", "'; DROP TABLE equipment; --",
           "a\x00b\x07"]
HX = {"HX-Request": "true"}

pytestmark = pytest.mark.clock


@pytest.fixture
def home(in_db):
    """The office's estate, 示范花园."""
    with in_db():
        return Estate.get(name="示范花园")


@pytest.fixture
def build(in_db, home):
    """build(factory.plan_for, "DT-01") runs a factory on the office's estate in the app."""
    def run(make, *args, **kwargs):
        with in_db():
            return make(home, *args, **kwargs)
    return run


def hostile_posts(client, path, fields):
    """Every field gets each hostile value: never a 500, always a Chinese answer."""
    for value in HOSTILE:
        response = client.post(path, data=dict.fromkeys(fields, value))
        assert response.status_code < 500, (path, value[:20], response.status_code)
        if response.status_code < 300:  # refused: the page says why, in Chinese
            assert re.search(r"[\u4e00-\u9fff]", response.text)
        assert "<script>alert" not in response.text
    raw = "&".join(f"{f}=%FF%FE%C3" for f in fields).encode()
    response = client.post(path, data=raw, content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500


def get(app, model, **where):
    with app.app_context(), db.connection_context():
        return model.get(**where)


def test_pages_are_for_engineering_roles_only(login):
    for username in ("guard", "gate", "desk"):
        client = login(username)
        for path in ("/inspection/", "/inspection/equipment", "/inspection/meters",
                     "/inspection/duty"):
            assert client.get(path).status_code == 403, (username, path)
    engineer = login("engineer")
    assert engineer.get("/inspection/equipment/new").status_code == 403
    assert engineer.get("/inspection/plans/new").status_code == 403
    assert "设备" in engineer.get("/").text


def test_engineer_home_lists_today_sheets_and_supervisor_sees_the_board(build, login):
    build(factory.plan_for, "PD-01")  # 每班
    build(factory.plan_for, "DT-01")  # 每日
    home = login("engineer").get("/").text
    assert "今日设备日检" in home and "1号干式变压器" in home and "白班" in home
    assert "开始日检" in home
    board = login("supervisor").get("/").text
    assert "应检" in board and "查看今日看板" in board
    page = login("supervisor").get("/inspection/").text
    assert "夜班" in page and "每日" in page and "1号楼1号电梯" in page


def test_other_estates_records_are_404(app, login):
    with app.app_context(), db.connection_context():
        other = Estate.create(name="别处花园")
        foreign = Equipment.create(estate=other, code="X-1", name="别处水泵")
    client = login("supervisor")
    assert client.get(f"/inspection/equipment/{foreign.id}").status_code == 404
    assert client.post(f"/inspection/equipment/{foreign.id}/status",
                       data={"status": "停用"}).status_code == 404
    assert client.get(f"/inspection/equipment/{foreign.id}/edit").status_code == 404
    assert "别处水泵" not in client.get("/inspection/equipment").text


def test_add_and_edit_equipment(app, login):
    client = login("supervisor")
    data = {"code": "KT-01", "name": "会所空调主机", "category": "空调暖通", "location": "会所",
            "installed_on": "2021-04-01", "status": "在用"}
    response = client.post("/inspection/equipment/new", data=data)
    assert response.status_code == 302
    assert "会所空调主机" in client.get(response.headers["Location"]).text
    again = client.post("/inspection/equipment/new", data=data)
    assert "这个设备编号已被使用" in again.text and 'value="会所空调主机"' in again.text
    bad = client.post("/inspection/equipment/new", data={**data, "code": "KT-02",
                                                          "installed_on": "去年"})
    assert "请填写日期" in bad.text


def test_equipment_form_refuses_hostile_values(login):
    hostile_posts(login("supervisor"), "/inspection/equipment/new",
                  ["code", "name", "location", "installed_on", "contractor_phone"])


def _upload(client, text, encoding="utf-8"):
    return client.post("/inspection/equipment/import",
                       data={"file": (io.BytesIO(text.encode(encoding)), "equipment.csv")},
                       content_type="multipart/form-data")


def test_csv_import_all_or_nothing_with_line_errors(app, build, login):
    build(factory.equipment, "PD-01")
    client = login("supervisor")
    bad = _upload(client, "编号,名称,类别\nGS-01,雨水泵,给排水\nPD-01,重复,供配电\n,无名,其他\n")
    assert bad.status_code == 422
    assert "第 3 行：编号 PD-01 已存在" in bad.text and "第 4 行：编号不能为空" in bad.text
    with app.app_context(), db.connection_context():
        assert not Equipment.select().where(Equipment.code == "GS-01").exists()
    good = _upload(client, "编号,名称,类别,位置\r\nGS-01,雨水泵,给排水,地下车库\r\n", "gbk")
    assert good.status_code == 302
    assert "已导入 1 台设备" in client.get(good.headers["Location"]).text
    garbage = client.post("/inspection/equipment/import",
                          data={"file": (io.BytesIO(b"\xff\xfe\x00\x81"), "x.csv")},
                          content_type="multipart/form-data")
    assert garbage.status_code == 422 and "第 1 行" in garbage.text
    assert login("engineer").post("/inspection/equipment/import").status_code == 403


def test_equipment_label_opens_the_due_sheet_or_offers_one(app, build, login):
    build(factory.plan_for, "DT-01")
    equipment = get(app, Equipment, code="DT-01")
    with app.app_context(), db.connection_context():
        token = issue_label(Estate.get(name="示范花园"), "equipment", equipment.id).token
    client = login("engineer")
    page = client.get(f"/c/{token}")
    assert page.status_code == 200 and "扫码：今日日检" in page.text and "开始日检" in page.text
    plan = get(app, Plan, equipment=equipment)
    period = re.search(r'name="period" value="([\d-]+)"', page.text).group(1)
    started = client.post(f"/inspection/plans/{plan.id}/start", data={"period": period})
    assert started.status_code == 302
    again = client.get(f"/c/{token}")
    assert again.status_code == 302 and again.headers["Location"] == started.headers["Location"]
    refused = login("guard").get(f"/c/{token}")
    assert refused.status_code == 403 and "工程人员" in refused.text


def test_label_sheet_pdf(build, login):
    build(factory.equipment, "PD-01")
    response = login("supervisor").get("/inspection/equipment/labels.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "1号干式变压器" in text and "PD-01" in text and "设备二维码标签" in text


def _start(app, client, code, shift="", period=None):
    """The engineer (logged in as `client`) starts today's sheet of equipment `code`'s plan
    (the demo's, made here when missing); returns the sheet's id."""
    with app.app_context(), db.connection_context():
        estate = Estate.get(name="示范花园")
        plan = (Plan.select().join(Equipment).where(Equipment.code == code).first()
                or factory.plan_for(estate, code))
        period = period or estate.today(utcnow())
    response = client.post(f"/inspection/plans/{plan.id}/start",
                           data={"period": period, "shift": shift})
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def _item(app, sheet_id, label):
    with app.app_context(), db.connection_context():
        sheet = Sheet.get_by_id(sheet_id)
        return sheet.version.items.where(ChecklistItem.label == label).get()


def test_sheet_form_is_made_for_a_phone(app, login):
    client = login("engineer")
    sheet_id = _start(app, client, "PD-01", shift="白班")
    page = client.get(f"/inspection/sheets/{sheet_id}").text
    assert "全部正常" in page and 'inputmode="decimal"' in page
    assert page.count('value="正常"') == 3 and "正常 220–240 V" in page
    assert client.post(f"/inspection/plans/{get(app, Sheet, id=sheet_id).plan_id}/start",
                       data={"period": get(app, Sheet, id=sheet_id).period.isoformat(),
                             "shift": "早班"}).status_code == 400


def test_out_of_range_turns_red_at_once_in_both_renderings(app, login):
    client = login("engineer")
    sheet_id = _start(app, client, "PD-01", shift="白班")
    item = _item(app, sheet_id, "变压器温度")
    url = f"/inspection/sheets/{sheet_id}/items/{item.id}"
    block = client.post(url, data={f"value-{item.id}": "92"}, headers=HX)
    assert block.status_code == 200
    assert block.text.lstrip().startswith('<div class="sheet-item abnormal"')
    assert "异常说明" in block.text and "异常项请填写说明或拍照" in block.text
    assert "<html" not in block.text and "HX-Request" in block.headers["Vary"]
    full = client.post(url, data={f"value-{item.id}": "93"})
    assert "<html" in full.text and "sheet-item abnormal" in full.text
    fine = client.post(url, data={f"value-{item.id}": "70"}, headers=HX)
    assert "abnormal" not in fine.text.split(">")[0]
    wrong = client.post(url, data={f"value-{item.id}": "七十"}, headers=HX)
    assert wrong.status_code == 200 and "请填写数字" in wrong.text and 'value="七十"' in wrong.text
    assert get(app, SheetAnswer, sheet=sheet_id, item=item.id).value == "七十"  # kept
    assert client.post(url, data={f"value-{item.id}": "七十"}).status_code == 422


def test_all_normal_in_both_renderings(app, login):
    client = login("engineer")
    sheet_id = _start(app, client, "DT-01")
    block = client.post(f"/inspection/sheets/{sheet_id}/all-normal", headers=HX)
    assert block.status_code == 200 and block.text.lstrip().startswith('<div id="sheet-items">')
    assert block.text.count('value="正常" checked') == 4
    full = client.post(f"/inspection/sheets/{sheet_id}/all-normal")
    assert full.status_code == 302
    assert client.get(full.headers["Location"]).text.count('value="正常" checked') == 4


def test_submit_requires_notes_then_makes_one_sheet_per_key(app, login):
    client = login("engineer")
    sheet_id = _start(app, client, "DT-01")
    client.post(f"/inspection/sheets/{sheet_id}/all-normal", headers=HX)
    item = _item(app, sheet_id, "机房温度")
    form = {f"value-{item.id}": "45"}
    refused = client.post(f"/inspection/sheets/{sheet_id}/submit", data=form,
                          headers={"Idempotency-Key": "k-1"})
    assert refused.status_code == 422 and "异常项请填写说明或拍照" in refused.text
    assert 'value="45"' in refused.text
    form[f"note-{item.id}"] = "机房空调故障，已开窗通风"
    done = client.post(f"/inspection/sheets/{sheet_id}/submit",
                       data={**form, "mark_repairing": "1"}, headers={"Idempotency-Key": "k-2"})
    assert done.status_code == 302
    retry = client.post(f"/inspection/sheets/{sheet_id}/submit", data=form,
                        headers={"Idempotency-Key": "k-2"})
    assert retry.status_code == 302 and retry.headers["Location"] == done.headers["Location"]
    page = client.get(done.headers["Location"]).text
    assert "已提交" in page and "机房空调故障" in page and "全部正常" not in page
    with app.app_context(), db.connection_context():
        sheet = Sheet.get_by_id(sheet_id)
        assert sheet.status == "已提交" and sheet.abnormal_count == 1
        assert sheet.idempotency_key == "k-2"
        assert Equipment.get(code="DT-01").status == "维修中"
    late = client.post(f"/inspection/sheets/{sheet_id}/items/{item.id}",
                       data={f"value-{item.id}": "20"}, headers=HX)
    assert late.status_code == 200 and "已提交" in late.text


def test_photo_upload_on_an_item(app, login):
    from PIL import Image
    client = login("engineer")
    sheet_id = _start(app, client, "XF-01")
    item = _item(app, sheet_id, "现场照片")
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "PNG")
    response = client.post(f"/inspection/sheets/{sheet_id}/items/{item.id}",
                           data={f"photo-{item.id}": (io.BytesIO(buffer.getvalue()), "a.png")},
                           content_type="multipart/form-data", headers=HX)
    assert response.status_code == 200 and "/photos/" in response.text
    bad = client.post(f"/inspection/sheets/{sheet_id}/items/{item.id}",
                      data={f"photo-{item.id}": (io.BytesIO(b"not an image"), "a.png")},
                      content_type="multipart/form-data", headers=HX)
    assert bad.status_code == 200 and "只能上传照片" in bad.text


def test_sheet_items_refuse_hostile_values(app, login):
    client = login("engineer")
    sheet_id = _start(app, client, "SB-01")
    for label in ("出水压力", "水箱水位", "备注"):
        item = _item(app, sheet_id, label)
        hostile_posts(client, f"/inspection/sheets/{sheet_id}/items/{item.id}",
                      [f"value-{item.id}", f"note-{item.id}"])


def test_amendment_of_a_submitted_sheet(app, login):
    client = login("engineer")
    sheet_id = _start(app, client, "DT-02")
    client.post(f"/inspection/sheets/{sheet_id}/all-normal", headers=HX)
    item = _item(app, sheet_id, "机房温度")
    assert client.post(f"/inspection/sheets/{sheet_id}/submit",
                       data={f"value-{item.id}": "25"}).status_code == 302
    supervisor = login("supervisor")
    missing = supervisor.post(f"/inspection/sheets/{sheet_id}/amend",
                              data={"item": item.id, "new_value": "26", "reason": ""})
    assert missing.status_code == 422 and "请填写更正原因" in missing.text
    ok = supervisor.post(f"/inspection/sheets/{sheet_id}/amend",
                         data={"item": item.id, "new_value": "26", "reason": "读错温度计"})
    assert ok.status_code == 302
    page = supervisor.get(f"/inspection/sheets/{sheet_id}").text
    assert "25 → <strong>26</strong>" in page and "读错温度计" in page and "李主管" in page
    hostile_posts(supervisor, f"/inspection/sheets/{sheet_id}/amend", ["new_value", "reason"])


def test_checklist_builder_and_versions(app, login):
    client = login("supervisor")
    created = client.post("/inspection/checklists/new",
                          data={"name": "会所空调检查表", "category": "空调暖通", "equipment": "0"})
    assert created.status_code == 302
    page = created.headers["Location"]
    for label, kind, extra in [("出风温度", "number", {"unit": "℃", "min_value": "10",
                                                       "max_value": "16"}),
                               ("运行声音", "pass_fail", {}),
                               ("滤网", "choice", {"choices": "干净\n需清洗\n破损",
                                                 "abnormal_choices": "破损"})]:
        response = client.post(page, data={"label": label, "kind": kind, "required": "y",
                                           **extra})
        assert response.status_code == 302, response.text
    bad = client.post(page, data={"label": "x", "kind": "number", "min_value": "9",
                                  "max_value": "1"})
    assert bad.status_code == 422 and "下限不能大于上限" in bad.text
    bad = client.post(page, data={"label": "x", "kind": "number", "min_value": "高"})
    assert "请填写数字" in bad.text
    with app.app_context(), db.connection_context():
        checklist = Checklist.get(name="会所空调检查表")
        key = checklist.current_version().items.where(ChecklistItem.label == "滤网").get().key
    moved = client.post(f"{page}/items/{key}/up", headers=HX)
    assert moved.status_code == 200 and '<section class="card" id="checklist-items">' in moved.text
    assert moved.text.index("滤网") < moved.text.index("运行声音")
    assert "<html" not in moved.text
    full = client.post(f"{page}/items/{key}/up")
    assert "<html" in full.text
    assert client.post(f"{page}/items/nokey/down").status_code == 404
    hostile_posts(client, page, ["label", "unit", "min_value", "choices"])
    assert login("engineer").post(page, data={"label": "x"}).status_code == 403


def test_editing_a_used_checklist_makes_a_new_version(app, login):
    client = login("engineer")
    sheet_id = _start(app, client, "DT-01")
    item = _item(app, sheet_id, "机房温度")
    supervisor = login("supervisor")
    checklist_id = get(app, Plan, equipment=get(app, Equipment, code="DT-01")).checklist_id
    response = supervisor.post(f"/inspection/checklists/{checklist_id}/items/{item.key}",
                               data={"label": "机房温度（夏季）", "kind": "number", "unit": "℃",
                                     "min_value": "5", "max_value": "35", "required": "y"})
    assert response.status_code == 302
    assert "第 2 版" in supervisor.get(f"/inspection/checklists/{checklist_id}").text
    old = login("engineer").get(f"/inspection/sheets/{sheet_id}").text
    assert "机房温度（夏季）" not in old and "正常 5–40 ℃" in old


def test_plan_form(app, build, login):
    build(factory.equipment, "XF-03")
    build(factory.checklist, "消防设施日检表")
    client = login("supervisor")
    equipment = get(app, Equipment, code="XF-03")
    checklist = get(app, Checklist, name="消防设施日检表")
    engineer = get(app, __import__("wyapp.models", fromlist=["User"]).User, username="engineer")
    response = client.post("/inspection/plans/new", data={
        "equipment": equipment.id, "checklist": checklist.id, "frequency": "每月",
        "engineers": [engineer.id], "active": "y"})
    assert response.status_code == 302
    assert "应急照明与疏散指示" in client.get("/inspection/plans").text
    bad = client.post("/inspection/plans/new", data={"equipment": "abc", "checklist": "x",
                                                     "frequency": "每年"})
    assert bad.status_code == 200 and bad.text.count("请从列表中选择") == 3
    assert "Not a valid" not in bad.text
    hostile_posts(client, "/inspection/plans/new", ["equipment", "checklist", "frequency",
                                                    "engineers"])


@pytest.mark.parametrize("path", ["/inspection/", "/inspection/equipment", "/inspection/plans",
                                  "/inspection/checklists", "/inspection/meters",
                                  "/inspection/duty"])
def test_pages_answer_as_each_engineering_role(login, path):
    for username in ("engineer", "supervisor", "manager"):
        assert login(username).get(path).status_code == 200


def test_abnormal_items_become_work_orders_linked_both_ways(app, login):
    from wyapp.service.models import WorkOrder
    client = login("engineer")
    sheet_id = _start(app, client, "SB-01")
    client.post(f"/inspection/sheets/{sheet_id}/all-normal", headers=HX)
    pressure, level = _item(app, sheet_id, "出水压力"), _item(app, sheet_id, "水箱水位")
    form = {f"value-{pressure.id}": "0.18", f"note-{pressure.id}": "变频器报警，压力偏低",
            f"value-{level.id}": "偏低", f"note-{level.id}": "浮球阀卡住"}
    done = client.post(f"/inspection/sheets/{sheet_id}/submit", data=form,
                       headers={"Idempotency-Key": "wo-1"})
    assert done.status_code == 302
    client.post(f"/inspection/sheets/{sheet_id}/submit", data=form,
                headers={"Idempotency-Key": "wo-1"})  # a retry makes nothing new
    with app.app_context(), db.connection_context():
        answers = list(SheetAnswer.select().where(SheetAnswer.sheet == sheet_id,
                                                  SheetAnswer.abnormal))
        orders = list(WorkOrder.select().where(WorkOrder.origin_kind == "inspection_item"))
        assert len(answers) == 2 and len(orders) == 2
        by_answer = {o.origin_id: o for o in orders}
        for answer in answers:
            order = by_answer[answer.id]
            assert answer.work_order_id == order.id and order.source == "设备巡检"
            assert order.category == "水"
        assert "出水压力：0.18 MPa（正常范围 0.3–0.6 MPa）" in by_answer[
            next(a.id for a in answers if a.item_id == pressure.id)].description
        from wyapp.models import Notification  # SPEC §9: abnormal items alert the leads
        alerts = list(Notification.select().where(Notification.kind == "inspection_abnormal"))
        assert sorted(n.user.username for n in alerts) == ["manager", "supervisor"]
        assert "2 项异常：出水压力、水箱水位" in alerts[0].body
        assert all(o.code in alerts[0].body for o in orders)
    page = client.get(done.headers["Location"]).text
    for order in orders:
        assert f'href="/service/orders/{order.id}"' in page
        back = client.get(f"/inspection/answers/{order.origin_id}")
        assert back.status_code == 302 and f"/inspection/sheets/{sheet_id}#item-" in \
            back.headers["Location"]
    listed = client.get("/service/orders?tab=all").text
    assert "设备日检异常" in listed or orders[0].code in listed
    order_page = client.get(f"/service/orders/{orders[0].id}").text
    assert "设备巡检" in order_page
    assert f'<a href="/inspection/answers/{orders[0].origin_id}">' in order_page  # links back


def test_day_sheet_pdf(app, login):
    client = login("engineer")
    sheet_id = _start(app, client, "DT-02")
    client.post(f"/inspection/sheets/{sheet_id}/all-normal", headers=HX)
    item = _item(app, sheet_id, "机房温度")
    client.post(f"/inspection/sheets/{sheet_id}/submit",
                data={f"value-{item.id}": "41", f"note-{item.id}": "通风扇坏"})
    with app.app_context(), db.connection_context():
        submitted_at = Sheet.get_by_id(sheet_id).submitted_at
    with app.app_context(), db.connection_context():
        day = Estate.get(name="示范花园").today(submitted_at)
    response = client.get(f"/inspection/day.pdf?day={day}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "设备日检记录表" in text and "2号楼1号电梯" in text and "通风扇坏" in text
    order = get(app, SheetAnswer, sheet=sheet_id, abnormal=True).work_order_id
    assert f"工单 BX{order:06d}" in text and "检查人" in text
    empty = client.get("/inspection/day.pdf?day=2000-01-03")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(empty.data)).pages)
    assert "当日没有提交的设备日检记录" in text
    assert client.get("/inspection/day.pdf?day=<script>").status_code == 200


def test_shift_label_opens_the_draft_being_filled(app, build, login):
    build(factory.plan_for, "PD-01")
    equipment = get(app, Equipment, code="PD-01")
    with app.app_context(), db.connection_context():
        token = issue_label(Estate.get(name="示范花园"), "equipment", equipment.id).token
    client = login("engineer")
    page = client.get(f"/c/{token}").text
    period = re.search(r'name="period" value="([\d-]+)"', page).group(1)
    shift = re.search(r'name="shift" value="(\S+)"', page).group(1)
    plan = get(app, Plan, equipment=equipment)
    started = client.post(f"/inspection/plans/{plan.id}/start",
                          data={"period": period, "shift": shift})
    assert client.get(f"/c/{token}").headers["Location"] == started.headers["Location"]


def test_demo_data_is_idempotent(make_app, database_url, now):
    from wyapp import demo
    from wyapp.inspection.models import MODELS
    app = make_app(database_url, with_demo=True)
    with app.app_context(), db.connection_context():
        before = {m.__name__: m.select().count() for m in MODELS}
        demo.create(app.extensions["wyapp.features"], now)
        assert {m.__name__: m.select().count() for m in MODELS} == before
        from wyapp.inspection.models import Checklist
        # the engine's own demo checklists (the renovation feature adds its 巡查/验收 ones)
        equipment_lists = Checklist.select().where(~Checklist.name.startswith("装修")).count()
        assert before["Equipment"] == 9 and equipment_lists == 4 and before["Meter"] == 5


def test_import_equipment_command(app, tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("编号,名称,类别\nRD-01,弱电机房 UPS,弱电监控\n", encoding="gbk")
    bad.write_text("编号,名称,类别\nRD-02,,火箭\n", encoding="utf-8")
    from wyapp.inspection.cli import import_equipment_command
    runner = app.test_cli_runner()

    def run(*args):
        return runner.invoke(import_equipment_command, args)

    result = run("示范花园", str(good))
    assert result.exit_code == 0 and "已导入 1 台设备" in result.output
    result = run("示范花园", str(bad))
    assert result.exit_code == 1 and "第 2 行：名称不能为空" in result.output
    result = run("无此小区", str(good))
    assert result.exit_code == 1 and "没有小区" in result.output


def test_more_forms_refuse_hostile_values(app, build, login):
    build(factory.plan_for, "PD-02")
    client = login("supervisor")
    equipment = get(app, Equipment, code="PD-02")
    hostile_posts(client, f"/inspection/equipment/{equipment.id}/status", ["status"])
    assert get(app, Equipment, code="PD-02").status == "在用"
    hostile_posts(client, "/inspection/checklists/new", ["name", "category", "equipment"])
    checklist = get(app, Checklist, name="配电房日检表")
    with app.app_context(), db.connection_context():
        key = checklist.current_version().ordered_items()[0].key
    hostile_posts(client, f"/inspection/checklists/{checklist.id}/items/{key}",
                  ["label", "kind", "min_value", "max_value", "abnormal_choices"])
    hostile_posts(client, "/inspection/duty/take-over", ["csrf_token"])
