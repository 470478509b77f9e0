"""Renovation (装修管理) through the pages: application, refusal, approval with the permit
(PDF and public page without personal data), inspection with a violation, extension,
deduction, a failed then passed acceptance, the refund and its arithmetic, the archived
record; on SQLite and PostgreSQL with the fixed clock."""
import io
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader

from tests import factories
from tests.factories import renovation as make
from tests.factories.service import home, staff
from wyapp.archive import services as archive
from wyapp.db import utcnow
from wyapp.labels import current_label
from wyapp.models import Notification
from wyapp.renovation import flow, inspections
from wyapp.renovation.models import Deduction, Extension, Renovation, Violation

pytestmark = pytest.mark.clock  # dates are the estate's (Asia/Shanghai) days

PERSONAL = ("陈业主", "13800001111", "周经理", "13700002222", "张师傅", "13911110001",
            "李师傅", "440***")


def pdf_text(data):
    reader = PdfReader(io.BytesIO(data))
    return "".join("".join(page.extract_text() for page in reader.pages).split())


def form(estate, unit="1-101", **fields):
    start = estate.today(utcnow()) + timedelta(days=1)
    data = {"unit": unit, "owner_name": "陈业主", "owner_phone": "138 0000 1111",
            "company": "美居装饰", "company_person": "周经理", "company_phone": "13700002222",
            "licence_no": "91440300MA5D000001", "planned_start": start.isoformat(),
            "planned_end": (start + timedelta(days=30)).isoformat(),
            "scope": ["水电改造", "防水"], "scope_text": "卫生间翻新",
            "workers": f"张师傅 13911110001 {make.id_number()}\n李师傅 13911110002"}
    data.update(fields)
    return data


def answers_form(estate, kind, bad=None, **extra):
    """The inspection form's fields: item_<key> ok/bad, note_<key>."""
    data = dict(extra)
    for key, (ok, note) in make.answers(estate, kind, bad).items():
        data[f"item_{key}"] = "ok" if ok else "bad"
        data[f"note_{key}"] = note
    return data


def test_the_whole_flow_through_the_pages(app, client, login, in_db):
    with in_db():
        estate = home()
    login("desk")
    page = client.get("/renovation/new")
    assert page.status_code == 200 and "装修押金" in page.text and "3000.00" in page.text
    answer = client.post("/renovation/new", data=form(estate))
    assert answer.status_code == 302, answer.text
    with in_db():
        renovation = Renovation.get()
        assert renovation.status == "待审核" and renovation.owner_phone == "13800001111"
        assert [w.id_masked for w in renovation.workers.order_by(1)] == \
            ["440***********" + make.id_number()[-4:], ""]
        rid = renovation.id
    shown = client.get(f"/renovation/{rid}")
    assert "待审核" in shown.text and "440***********" in shown.text
    assert make.id_number() not in shown.text
    assert client.post(f"/renovation/{rid}/decide", data={"decision": "通过"}).status_code == 403

    # 审核通过 by the manager, with conditions: 施工中 and a permit
    login("manager")
    answer = client.post(f"/renovation/{rid}/decide",
                         data={"decision": "通过", "note": "每日 18:00 前清运垃圾"})
    assert answer.status_code == 302
    with in_db():
        renovation = make.reload(renovation)
        assert renovation.status == "施工中" and renovation.conditions == "每日 18:00 前清运垃圾"
        token = current_label(flow.PERMIT, rid).token
    permit = client.get(f"/renovation/{rid}/permit.pdf")
    assert permit.status_code == 200 and permit.mimetype == "application/pdf"
    text = pdf_text(permit.data)
    for expected in ("装修许可证", "1号楼-101", "美居装饰", "08:00–12:00、14:00–18:00",
                     "水电改造、防水", "每日18:00前清运垃圾"):
        assert expected in text, expected
    assert not any(p.replace(" ", "") in text for p in PERSONAL)

    # the public page (no login) through the permit's QR: no personal data
    client.post("/logout")
    public = client.get(f"/c/{token}")
    assert public.status_code == 200
    assert "装修许可证" in public.text and "1号楼-101" in public.text and "美居装饰" in public.text
    assert not any(p in public.text for p in PERSONAL)
    assert client.get(f"/renovation/permit/{token}").text.count("美居装饰") == 1
    assert client.get("/renovation/permit/nothing-here").status_code == 404

    # 装修巡查 by the engineer, opened by scanning the permit: a violation
    login("engineer")
    scanned = client.get(f"/c/{token}")
    assert scanned.status_code == 200 and "装修巡查" in scanned.text and "垃圾清运" in scanned.text
    with in_db():
        deadline = (estate.today(utcnow()) + timedelta(days=2)).isoformat()
        data = answers_form(estate, "巡查", {"垃圾清运": "楼道堆放装修垃圾"}, deadline=deadline)
    missing = {k: v for k, v in data.items() if not k.startswith("item_")}
    refused = client.post(f"/renovation/{rid}/inspect/patrol", data=missing)
    assert refused.status_code == 422 and "请逐项选择" in refused.text
    data["photos"] = (io.BytesIO(_jpeg()), "site.jpg")
    answer = client.post(f"/renovation/{rid}/inspect/patrol", data=data,
                         content_type="multipart/form-data")
    assert answer.status_code == 302, answer.text
    with in_db():
        violation = Violation.get()
        assert violation.item == "垃圾清运" and violation.status == "待整改"
        assert violation.renovation.photo_rows.count() == 1
    page = client.get(f"/renovation/{rid}")
    assert "违规与整改" in page.text and "楼道堆放装修垃圾" in page.text and "待整改" in page.text

    # 延期: requested by the desk, approved by the manager
    login("desk")
    with in_db():
        new_end = renovation.end_date + timedelta(days=10)
    assert client.post(f"/renovation/{rid}/extend",
                       data={"new_end": new_end.isoformat(), "reason": "瓷砖到货延迟"}
                       ).status_code == 302
    login("manager")
    with in_db():
        extension = Extension.get()
    assert client.post(f"/renovation/extensions/{extension.id}/approve").status_code == 302
    with in_db():
        assert make.reload(renovation).end_date == new_end
        assert Extension.get().status == "已批准"

    # 押金扣款 for the violation (manager); rectified by the engineer
    assert client.post(f"/renovation/violations/{violation.id}/deduct",
                       data={"amount": "abc"}).status_code == 422
    assert client.post(f"/renovation/violations/{violation.id}/deduct",
                       data={"amount": "150.5", "reason": "垃圾未按时清运"}).status_code == 302
    login("engineer")
    assert client.post(f"/renovation/violations/{violation.id}/rectify",
                       data={"note": "已清运"}).status_code == 302
    with in_db():
        assert Violation.get().status == "整改完成"

    # 验收: failed, back to work with the list; then passed
    login("desk")
    assert client.post(f"/renovation/{rid}/request-acceptance").status_code == 302
    login("supervisor")
    with in_db():
        failed = answers_form(estate, "验收", {"公共部位无损坏": "电梯厅墙面磕坏"})
    assert client.post(f"/renovation/{rid}/inspect/acceptance", data=failed).status_code == 302
    page = client.get(f"/renovation/{rid}")
    assert "验收未通过" in page.text and "电梯厅墙面磕坏" in page.text
    assert client.post(f"/renovation/{rid}/request-acceptance").status_code == 302
    with in_db():
        passed = answers_form(estate, "验收")
    assert client.post(f"/renovation/{rid}/inspect/acceptance", data=passed).status_code == 302
    page = client.get(f"/renovation/{rid}")
    assert "已完工（押金待退）" in page.text

    # 押金退还: 3000.00 − 150.50 = 2849.50, the slip, then closed
    login("desk")
    page = client.get(f"/renovation/{rid}")
    assert "退还 <strong>2849.50</strong> 元" in page.text
    slip = pdf_text(client.get(f"/renovation/{rid}/refund.pdf").data)
    assert "装修押金退还单" in slip and "150.50" in slip and "2849.50" in slip
    assert "垃圾清运" in slip and "业主签字" in slip
    assert client.post(f"/renovation/{rid}/refund").status_code == 302
    with in_db():
        closed = make.reload(renovation)
        assert closed.status == "已关闭" and closed.open_unit is None
        assert closed.refund_amount == Decimal("2849.50")
        assert closed.refunded_by.username == "desk" and closed.refunded_at is not None
    page = client.get(f"/renovation/{rid}")
    for step in ("申请", "审核通过", "装修巡查", "延期申请", "延期批准", "押金扣款", "整改完成",
                 "验收不通过", "验收通过", "押金退还", "已关闭"):
        assert step in page.text, step

    # 装修档案 in the archive: PDF/A with the JSON, text read back
    with in_db():
        assert f"ZX-{rid}" in archive.kinds()["renovation_record"].due(estate, utcnow())
        document = archive.file_document("renovation_record", estate, f"ZX-{rid}")
        reader = PdfReader(f"{app.config['DATA_DIR']}/archive/{document.path}")
    text = "".join("".join(p.extract_text() for p in reader.pages).split())
    for expected in ("装修档案", "1号楼-101", "美居装饰", "垃圾清运", "2849.50", "验收通过"):
        assert expected in text, expected
    data = json.loads(reader.attachments["source-data.json"][0])
    assert data["refund"]["refund"] == "2849.50" and data["violations"][0]["status"] == "整改完成"
    assert [i["kind"] for i in data["inspections"]] == ["巡查", "验收", "验收"]


def _jpeg():
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "orange").save(out, "JPEG")
    return out.getvalue()


def test_refusal_frees_the_unit_and_a_structural_scope_needs_the_manager(client, login, in_db):
    with in_db():
        estate = home()
        walls = make.application(scope=["拆改墙体"])
    login("supervisor")
    page = client.get(f"/renovation/{walls.id}")
    assert "须由物业经理审批" in page.text and "提交审核" not in page.text
    assert client.post(f"/renovation/{walls.id}/decide",
                       data={"decision": "通过"}).status_code == 403
    login("manager")
    no_reason = client.post(f"/renovation/{walls.id}/decide", data={"decision": "驳回"})
    assert no_reason.status_code == 422 and "请填写驳回理由" in no_reason.text
    answer = client.post(f"/renovation/{walls.id}/decide",
                         data={"decision": "驳回", "note": "拆除承重墙，不予批准"})
    assert answer.status_code == 302
    with in_db():
        refused = make.reload(walls)
        assert refused.status == "已驳回" and refused.open_unit is None
    assert "已驳回" in client.get(f"/renovation/{walls.id}").text
    login("desk")
    assert client.post("/renovation/new", data=form(estate)).status_code == 302
    with in_db():
        assert Renovation.select().count() == 2


def test_one_open_renovation_per_unit(client, login, in_db):
    with in_db():
        estate = home()
        first = make.application()
    login("desk")
    again = client.post("/renovation/new", data=form(estate, unit="1号楼101"))
    assert again.status_code == 422
    assert f"该房号已有未结束的装修 {first.code}（待审核）" in again.text
    assert "陈业主" in again.text  # what was typed is kept
    with in_db():
        assert Renovation.select().count() == 1


def test_the_unique_column_holds_without_the_check(in_db):
    """The rule is the database's: a second open row for the unit is refused by the index."""
    from peewee import IntegrityError

    from wyapp.db import db
    with in_db():
        first = make.application()
        row = {f.name: getattr(first, f.name) for f in Renovation._meta.sorted_fields
               if f.name != "id"}
        with pytest.raises(IntegrityError), db.atomic():
            Renovation.insert(**row).execute()
        row["open_unit"] = None  # closed ones never collide
        Renovation.insert(**row).execute()
        Renovation.insert(**row).execute()


def test_form_errors_are_beside_their_fields(client, login, in_db):
    with in_db():
        estate = home()
    login("desk")
    bad = client.post("/renovation/new", data=form(
        estate, unit="9-999", scope=[], owner_phone="12", planned_end="2026-01-01"))
    assert bad.status_code == 422
    assert "本小区没有房号" in bad.text
    bad = client.post("/renovation/new", data=form(estate, scope=[]))
    assert bad.status_code == 422 and "请至少选择一项装修内容" in bad.text
    bad = client.post("/renovation/new", data=form(estate, workers="王五 110101199003071230"))
    assert bad.status_code == 422 and "第 1 行（王五）" in bad.text
    bad = client.post("/renovation/new", data=form(estate, planned_end="2020-01-01"))
    assert bad.status_code == 422 and "不能早于开工日期" in bad.text


def test_roles(client, login, in_db):
    with in_db():
        renovation = make.approved()
    login("gate")
    page = client.get(f"/renovation/{renovation.id}")
    assert page.status_code == 200 and "张师傅" in page.text and "13800001111" not in page.text
    assert client.get(f"/renovation/{renovation.id}/permit.pdf").status_code == 200
    assert client.get("/renovation/new").status_code == 403
    login("guard")
    assert client.get(f"/renovation/{renovation.id}").status_code == 403
    login("desk")
    assert client.post(f"/renovation/{renovation.id}/inspect/patrol").status_code == 403
    assert client.post("/renovation/violations/1/deduct", data={"amount": "1"}).status_code \
        == 403


def test_another_estates_renovation_is_absent(client, login, in_db):
    with in_db():
        other = factories.estate("别的小区")
        factories.user("desk2", roles=("desk",), estates=[other])
        theirs = make.application(other)
    login("manager")
    assert client.get(f"/renovation/{theirs.id}").status_code == 404
    assert client.post(f"/renovation/{theirs.id}/decide",
                       data={"decision": "通过"}).status_code == 404


def test_gate_is_told_of_workers_and_warned_of_others(client, login, in_db, morning):
    """At 10:00 on a working Monday: inside the work hours, so the listed worker gets no ⚠."""
    with in_db():
        make.approved(planned_start=home().today(utcnow()))  # work may start today
    login("gate")
    home_page = client.get("/gate/")
    assert 'id="renovation-gate-hook"' in home_page.text
    shown = client.get("/renovation/gate-workers", query_string={
        "unit": "1-101", "name": "张师傅", "purpose": "装修施工"}, headers={"HX-Request": "true"})
    assert "1号楼-101 正在装修" in shown.text and "张师傅" in shown.text and "⚠" not in shown.text
    assert "<nav" not in shown.text  # the block only
    stranger = client.get("/renovation/gate-workers", query_string={
        "unit": "1-101", "name": "陌生人", "purpose": "装修施工"})
    assert "陌生人 不在 1号楼-101 的装修工人名单上" in stranger.text
    friend = client.get("/renovation/gate-workers", query_string={
        "unit": "1-101", "name": "陌生人", "purpose": "探亲访友"})
    assert "⚠" not in friend.text
    nothing = client.get("/renovation/gate-workers", query_string={"unit": "2-101"})
    assert "正在装修" not in nothing.text
    # registering the stranger is never blocked
    answer = client.post("/gate/", data={"name": "陌生人", "phone": "13912345678",
                                         "unit": "1-101", "purpose": "装修施工",
                                         "party_size": "1"})
    assert answer.status_code == 302


def test_work_hours_and_holidays(client, login, in_db, morning):
    from wyapp.renovation.applications import RenovationSettings, work_allowed
    with in_db():
        settings = RenovationSettings.of(home())
        local = home().local(morning)  # 10:00 on a Monday
        assert work_allowed(settings, local)
        assert not work_allowed(settings, local.replace(hour=12, minute=30))
        settings.holidays = local.date().isoformat()
        assert not work_allowed(settings, local)
    login("manager")
    bad = client.post("/renovation/settings", data={
        "deposit": "5000", "management_fee": "300", "garbage_fee": "200",
        "work_hours": "8点到12点", "inspect_every_days": "3"})
    assert bad.status_code == 422 and "施工时间请写成" in bad.text
    good = client.post("/renovation/settings", data={
        "deposit": "5,000", "management_fee": "300", "garbage_fee": "200.5",
        "work_hours": "08:30-12:00、14:00-17:30", "holidays": "2026-10-01\n2026-10-01",
        "inspect_every_days": "2", "office_phone": "0755-12345678"})
    assert good.status_code == 302
    with in_db():
        saved = RenovationSettings.of(home())
        assert saved.deposit == Decimal("5000.00") and saved.garbage_fee == Decimal("200.50")
        assert saved.work_hours == "08:30-12:00,14:00-17:30" and saved.holidays == "2026-10-01"
        assert make.application().deposit == Decimal("5000.00")


def test_overdue_inspection_and_rectification_raise_alerts_once(in_db, now):
    with in_db():
        estate = home()
        renovation = make.approved()
        inspections.record(renovation, "巡查", staff("engineer"), now,
                           make.answers(estate, "巡查", {"消防": "楼道堵塞消防通道"}),
                           estate.today(now) + timedelta(days=1))
        later = now + timedelta(days=5)
        assert inspections.alert_overdue(later) == 2
        assert inspections.alert_overdue(later) == 0
        kinds = {n.kind for n in Notification.select()}
        assert kinds == {"renovation_inspection_overdue", "renovation_rectify_overdue"}
        assert Notification.select().where(
            Notification.user == staff("supervisor")).count() == 2


def test_deductions_never_exceed_the_deposit(in_db, now):
    with in_db():
        estate = home()
        renovation = make.approved()
        inspections.record(renovation, "巡查", staff("engineer"), now,
                           make.answers(estate, "巡查", {"消防": "a", "其他": "b"}),
                           estate.today(now))
        first, second = renovation.violations.order_by(Violation.id)
        flow.deduct(first, staff("manager"), now, Decimal("2999.995"))  # rounds to 3000.00
        from wyapp.errors import DomainError, NotAllowed
        with pytest.raises(DomainError, match="不能超过押金"):
            flow.deduct(second, staff("manager"), now, Decimal("0.01"))
        with pytest.raises(NotAllowed):
            flow.deduct(second, staff("supervisor"), now, Decimal("1"))
        assert flow.refund_due(make.reload(renovation)) == Decimal("0.00")
        assert Deduction.get().amount == Decimal("3000.00")


def test_an_application_sent_twice_with_its_key_makes_one(client, login, in_db):
    import re
    with in_db():
        estate = home()
    login("desk")
    key = re.search(r'name="idempotency_key" type="hidden" value="([^"]+)"',
                    client.get("/renovation/new").text).group(1)
    first, second = (client.post("/renovation/new", data={**form(estate), "idempotency_key": key})
                     for _ in range(2))
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    with in_db():
        assert Renovation.select().count() == 1


def test_a_step_by_htmx_answers_the_page_block(client, login, in_db):
    with in_db():
        renovation = make.application()
    login("manager")
    answer = client.post(f"/renovation/{renovation.id}/decide", headers={"HX-Request": "true"},
                         data={"decision": "驳回", "note": "资料不全"})
    assert answer.status_code == 200 and "Vary" in answer.headers
    assert 'id="renovation"' in answer.text and "已驳回" in answer.text
    assert "<nav" not in answer.text
    again = client.post(f"/renovation/{renovation.id}/decide", headers={"HX-Request": "true"},
                        data={"decision": "通过"})
    assert again.status_code == 200 and "不能办理这一步" in again.text


def test_an_extension_refused_keeps_the_end_date(client, login, in_db, now):
    with in_db():
        renovation = make.approved()
        end = renovation.end_date
    login("desk")
    early = client.post(f"/renovation/{renovation.id}/extend",
                        data={"new_end": end.isoformat(), "reason": "再干几天"})
    assert early.status_code == 422 and "新的完工日期要晚于" in early.text
    assert client.post(f"/renovation/{renovation.id}/extend", data={
        "new_end": (end + timedelta(days=3)).isoformat(), "reason": "再干几天"}).status_code == 302
    with in_db():
        extension = Extension.get()
    assert client.post(f"/renovation/extensions/{extension.id}/refuse").status_code == 403
    login("manager")
    assert client.post(f"/renovation/extensions/{extension.id}/refuse").status_code == 302
    assert client.post(f"/renovation/extensions/{extension.id}/approve").status_code == 422
    with in_db():
        assert Extension.get().status == "已驳回" and make.reload(renovation).end_date == end
    assert "延期驳回" in client.get(f"/renovation/{renovation.id}").text


def test_the_indexes_step_migrates_a_database_made_with_the_first_baseline(any_db_url, make_app):
    from wyapp.cli import migration_groups
    from wyapp.db import SchemaMigration, db, migrate
    app = make_app(any_db_url)
    with app.app_context(), db.connection_context():
        for name in ("renovation_violation_status", "renovation_step_at"):
            db.execute_sql(f'DROP INDEX "{name}"')
        SchemaMigration.delete().where(
            SchemaMigration.name == "renovation:0002_open_row_indexes").execute()
        assert "renovation:0002_open_row_indexes" in migrate(migration_groups())
        indexes = {i.name for t in ("renovation_violation", "renovation_step")
                   for i in db.get_indexes(t)}
        assert {"renovation_violation_status", "renovation_step_at"} <= indexes
