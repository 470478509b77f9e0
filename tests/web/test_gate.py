"""Gate: visitor registration, phone suggestions, on site and 签离, idempotency, masking.

The booth's clock matters (long stays, today's invitations and slips): the module is marked
`clock` and every time is derived from the test's `now`."""
import logging
import re
from datetime import timedelta

import pytest

from tests.factories import gate as make
from wyapp.gate.models import GateSettings, VehicleEntry, Visit
from wyapp.gate.visits import register_visit
from wyapp.models import Building, Estate, Notification, Unit, User

pytestmark = pytest.mark.clock

ID_NUMBER = "440306199003071232"
MASKED = "440***********1232"


def visit_form(**changes):
    form = {"name": "王小明", "phone": "13912345678", "unit": "1-101", "host": "",
            "purpose": "探亲访友", "party_size": "2", "plate": "", "id_number": "", "note": ""}
    form.update(changes)
    return form


@pytest.fixture
def gate(login):
    return login("gate")


def estate_and_user(username="gate"):
    return Estate.get(name="示范花园"), User.get(username=username)


def test_gate_home_shows_the_registration_form_first(gate):
    page = gate.get("/gate/").text
    labels = ["访客姓名", "手机号", "被访房号", "来访事由", "人数", "车牌号", "身份证号", "备注"]
    positions = [page.index(label) for label in labels]
    assert positions == sorted(positions)
    assert page.index("来访登记") < page.index("预约码")
    assert re.search(r"<button[^>]*>登记</button>", page)
    for field in ("name", "phone", "unit", "party_size", "plate", "id_number", "note"):
        assert f'<label for="{field}">' in page


@pytest.mark.parametrize(("username", "status"), [
    ("gate", 200), ("supervisor", 200), ("manager", 200), ("guard", 403), ("engineer", 403),
    ("desk", 403)])
def test_gate_home_roles(login, username, status):
    assert login(username).get("/gate/").status_code == status


def test_register_visitor_then_on_site_and_sign_out(gate, in_db):
    response = gate.post("/gate/", data=visit_form(plate="粤bd12345"))
    assert response.status_code == 302
    assert "已登记：被访 1号楼-101，2 人" in gate.get(response.headers["Location"]).text
    with in_db():
        visit = Visit.get(name="王小明")
        assert visit.unit.label == "1号楼-101" and visit.time_in and visit.time_out is None
        assert visit.registered_by.username == "gate"
        assert VehicleEntry.get(visit=visit).plate == "粤BD12345"
    page = gate.get("/gate/on-site").text
    assert "王小明" in page and "1号楼-101" in page
    signed = gate.post(f"/gate/visits/{visit.id}/sign-out", headers={"HX-Request": "true"})
    assert "<html" not in signed.text and signed.text.strip().startswith('<section id="on-site">')
    assert "已签离：被访 1号楼-101" in signed.text and "王小明" not in signed.text
    assert "HX-Request" in signed.headers["Vary"]
    with in_db():
        assert Visit.get_by_id(visit.id).time_out is not None
        assert VehicleEntry.get(visit=visit).time_out is not None  # the car left with them
    again = gate.post(f"/gate/visits/{visit.id}/sign-out")
    assert again.status_code == 302
    assert "这位访客已经签离" in gate.get("/gate/on-site").text


def test_on_site_full_page_and_htmx_block(gate, in_db, now):
    with in_db():
        make.visit(Estate.get(), name="周建国", unit="3-602", at=now - timedelta(minutes=30))
    full = gate.get("/gate/on-site")
    assert full.headers["Cache-Control"] == "private, no-store"
    assert "<html" in full.text and "在场访客" in full.text and "周建国" in full.text
    block = gate.get("/gate/on-site", headers={"HX-Request": "true"})
    assert "<html" not in block.text and block.text.strip().startswith('<section id="on-site">')
    assert "周建国" in block.text


def test_long_stay_is_highlighted_with_the_estates_hours(gate, in_db, now):
    with in_db():
        estate = Estate.get()
        make.visit(estate, name="留宿者", at=now - timedelta(hours=5))
        make.visit(estate, name="周建国", phone="13612345678", at=now - timedelta(hours=13))
    page = gate.get("/gate/on-site").text
    stayer = page[page.index("留宿者") - 300:page.index("留宿者")]
    assert "long-stay" not in stayer  # 5 h < default 12 h
    assert "已停留超过 12 小时" in page  # 周建国 came 13 h ago
    with in_db():
        GateSettings.create(estate=estate, long_stay_hours=4)
    page = gate.get("/gate/on-site").text
    assert "long-stay" in page[page.index("留宿者") - 300:page.index("留宿者")]
    assert "已停留超过 4 小时" in page


def test_validation_messages_keep_what_was_typed(gate, in_db):
    response = gate.post("/gate/", data=visit_form(
        phone="1381234", plate="粤B-12!", id_number="440306199003071233", unit="9-999",
        party_size="很多"))
    assert response.status_code == 422
    page = response.text
    assert "手机号应为 11 位数字" in page and 'value="1381234"' in page
    assert "车牌号格式不对" in page and 'value="粤B-12!"' in page
    assert "身份证号校验位不对" in page and 'value="440306199003071233"' in page
    assert "请填写整数" in page and 'value="很多"' in page
    assert 'value="王小明"' in page and 'value="9-999"' in page
    assert "本小区没有房号“9-999”" in page  # checked in the same round
    unknown = gate.post("/gate/", data=visit_form(unit="9-999"))
    assert "本小区没有房号“9-999”" in unknown.text and 'value="9-999"' in unknown.text
    missing = gate.post("/gate/", data=visit_form(unit="", purpose=""))
    assert "请填写被访房号或被访人" in missing.text and "请选择来访事由" in missing.text
    host = gate.post("/gate/", data=visit_form(unit="", host="物业办公室 王经理"))
    assert host.status_code == 302
    with in_db():
        assert Visit.select().where(Visit.name == "王小明").count() == 1


@pytest.mark.parametrize("units", ["1-101", "1号楼-101", "1#101", "1栋101", "1号楼101"])
def test_unit_spellings_guards_type(gate, in_db, units):
    assert gate.post("/gate/", data=visit_form(unit=units)).status_code == 302
    with in_db():
        assert Visit.get(name="王小明").unit.label == "1号楼-101"


HOSTILE = ["", "测" * 10000, "<script>alert(1)</script>", "1'; DROP TABLE visit; --",
           "\x00\x01", b"\xff\xfe\xfa".decode("latin-1")]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_never_500(gate, in_db, value):
    for field in ("name", "phone", "unit", "plate", "id_number", "note", "party_size",
                  "purpose", "host"):
        response = gate.post("/gate/", data=visit_form(**{field: value}))
        assert response.status_code in (302, 400, 422), (field, value[:20])
        if response.status_code == 400:  # a NUL byte: refused before any view, in Chinese
            assert "\x00" in value and "空字符" in response.text
        if response.status_code == 422:
            assert re.search(r'class="error"[^>]*>[^<]*[\u4e00-\u9fff]', response.text), field
            assert "<script>alert(1)</script>" not in response.text


def test_invalid_utf8_bytes_get_a_chinese_message(gate):
    rest = "&phone=13912345678&unit=1-101&purpose=其他&party_size=1".encode()
    urlencoded = gate.post("/gate/", data=b"name=\xff\xfe" + rest,
                           content_type="application/x-www-form-urlencoded")
    assert urlencoded.status_code == 422 and "请填写访客姓名" in urlencoded.text
    boundary = "XyZ"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n".encode()
            + b"\xff\xfe\xfa" + f"\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f"name=\"phone\"\r\n\r\n13912345678\r\n--{boundary}--\r\n".encode())
    multipart = gate.post("/gate/", data=body,
                          content_type=f"multipart/form-data; boundary={boundary}")
    assert multipart.status_code == 422 and "包含无法识别的字符" in multipart.text


def _earlier_visits_of_chen(estate, now):
    """陈美玲 came three times: twice alike (with her car), once alone."""
    for days, party, plate in ((3, 3, "粤BD12345"), (2, 1, ""), (1, 3, "粤BD12345")):
        at = now - timedelta(days=days)
        make.visit(estate, name="陈美玲", phone="13812345678", unit="2-301", party_size=party,
                   plate=plate, at=at, left=at + timedelta(hours=1))


def test_phone_suggestions_htmx_block_and_full_page(gate, in_db, now):
    with in_db():
        _earlier_visits_of_chen(Estate.get(), now)
    block = gate.post("/gate/suggest", data={"phone": "13812345678"},
                      headers={"HX-Request": "true"})
    assert "<html" not in block.text
    assert block.text.strip().startswith('<div id="phone-suggestions"')
    assert "陈美玲" in block.text and "被访 2号楼-301" in block.text
    assert block.text.count("<li>") == 2  # two distinct earlier entries, not three rows
    full = gate.post("/gate/suggest", data={"phone": "13812345678"})
    assert "<html" in full.text and "陈美玲" in full.text and 'value="13812345678"' in full.text
    none = gate.post("/gate/suggest", data={"phone": "1381"}, headers={"HX-Request": "true"})
    assert "陈美玲" not in none.text


def test_picking_a_suggestion_fills_the_form(gate, in_db, now):
    with in_db():
        _earlier_visits_of_chen(Estate.get(), now)
        earlier = Visit.get(name="陈美玲", plate="粤BD12345")
    block = gate.get(f"/gate/?visit={earlier.id}", headers={"HX-Request": "true"})
    assert "<html" not in block.text and 'id="register-form"' in block.text
    for value in ('value="陈美玲"', 'value="13812345678"', 'value="2号楼-301"',
                  'value="粤BD12345"', 'value="3"'):
        assert value in block.text
    assert re.search(r'checked[^>]*value="探亲访友"|value="探亲访友"[^>]*checked', block.text)
    full = gate.get(f"/gate/?visit={earlier.id}")
    assert "<html" in full.text and 'value="陈美玲"' in full.text


def test_idempotency_key_registers_once(gate, in_db):
    headers = {"Idempotency-Key": "01JD8W9X7Z-visit-1"}
    first = gate.post("/gate/", data=visit_form(), headers=headers)
    second = gate.post("/gate/", data=visit_form(), headers=headers)
    assert first.status_code == second.status_code == 302
    with in_db():
        assert Visit.select().where(Visit.name == "王小明").count() == 1
        assert Visit.get(name="王小明").idempotency_key == "01JD8W9X7Z-visit-1"
    bad = gate.post("/gate/", data=visit_form(), headers={"Idempotency-Key": "<x>" * 30})
    assert bad.status_code == 400 and "请求标识" in bad.text


def test_idempotency_key_in_the_service_returns_the_first_visit(app, in_db):
    with in_db():
        estate, user = estate_and_user()
        data = {**visit_form(), "party_size": 1}
        first, created, _ = register_visit(estate, user, data, idempotency_key="k-1")
        again, created_again, _ = register_visit(estate, user, data, idempotency_key="k-1")
        assert created and not created_again and again.id == first.id


def test_id_number_masked_everywhere_and_not_stored_by_default(login, gate, in_db, caplog):
    caplog.set_level(logging.DEBUG)
    gate.post("/gate/", data=visit_form(id_number=ID_NUMBER, plate="粤B12345"))
    with in_db():
        visit = Visit.get(name="王小明")
        assert visit.id_masked == MASKED and visit.id_number is None
    on_site = gate.get("/gate/on-site").text
    assert MASKED in on_site and ID_NUMBER not in on_site
    boss = login("supervisor")
    report = boss.get("/gate/report").text
    assert MASKED in report and ID_NUMBER not in report and "139****5678" in report
    assert ID_NUMBER not in caplog.text and "13912345678" not in caplog.text


def test_full_id_stored_only_when_the_estate_enables_it(login, in_db):
    boss = login("manager")
    response = boss.post("/gate/settings", data={"long_stay_hours": "12",
                                                 "retention_days": "180",
                                                 "store_full_id": "y"})
    assert response.status_code == 302
    gate = login("gate")
    gate.post("/gate/", data=visit_form(id_number=ID_NUMBER))
    with in_db():
        assert Visit.get(name="王小明").id_number == ID_NUMBER
    assert ID_NUMBER not in gate.get("/gate/on-site").text


def test_settings_form_is_for_supervisors_and_checks_values(login):
    assert login("gate").get("/gate/settings").status_code == 403
    boss = login("supervisor")
    bad = boss.post("/gate/settings", data={"long_stay_hours": "0", "retention_days": "abc"})
    assert bad.status_code == 422 and "应在 1 到 240 小时之间" in bad.text


def test_other_estates_visits_are_404(gate, in_db):
    with in_db():
        other = Estate.create(name="他处花园")
        building = Building.create(estate=other, name="A栋")
        Unit.create(estate=other, building=building, number="101")
        visit = make.visit(other, unit="A栋-101", by=User.get(username="admin"))
    assert gate.post(f"/gate/visits/{visit.id}/sign-out").status_code == 404
    assert gate.get(f"/gate/?visit={visit.id}").status_code == 404
    assert "王小明" not in gate.get("/gate/on-site").text
    wrong_unit = gate.post("/gate/", data=visit_form(unit="A栋-101"))
    assert "本小区没有房号" in wrong_unit.text
    with in_db():
        assert Notification.select().count() == 0


def test_registration_with_a_photo(gate, in_db):
    import io

    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(png, "PNG")
    data = {**visit_form(), "photo": (io.BytesIO(png.getvalue()), "face.png")}
    response = gate.post("/gate/", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    with in_db():
        photo_id = Visit.get(name="王小明").photo_id
    assert photo_id and f"/photos/{photo_id}.jpg" in gate.get("/gate/on-site").text
    bad = {**visit_form(), "photo": (io.BytesIO(b"not an image"), "x.png")}
    refused = gate.post("/gate/", data=bad, content_type="multipart/form-data")
    assert refused.status_code == 422 and "只能上传照片" in refused.text


def test_staff_without_an_estate_get_403(login, in_db):
    with in_db():
        User.get(username="gate").set_estates([])
    assert login("gate").get("/gate/").status_code == 403


def test_home_panels_and_long_stay_badge(login, in_db, now):
    with in_db():
        estate = Estate.get()
        make.visit(estate, name="周建国", at=now - timedelta(hours=13))  # forgot to sign out
        make.visit(estate, name="孙浩", phone="13345678901", at=now - timedelta(minutes=30))
        make.invitation(estate)
        make.slip(estate)
    home = login("gate").get("/").text
    assert "来访登记" in home and "1 位访客停留过久" in home  # 周建国
    assert re.search(r'/gate/"[^>]*>.*?门岗</span>\s*<span class="badge">1</span>', home, re.S)
    desk = login("desk").get("/").text
    assert "今日有效预约 1 个" in desk and "今日放行条 1 张" in desk


def test_a_building_named_a_zuo_is_found(gate, in_db):
    """Estates name towers A座, B座: the booth types A座-101 as the old gate lookup took it."""
    with in_db():
        estate = Estate.get()
        Unit.create(estate=estate, building=Building.create(estate=estate, name="A座"),
                    number="101")
    assert gate.post("/gate/", data=visit_form(unit="A座-101")).status_code == 302
