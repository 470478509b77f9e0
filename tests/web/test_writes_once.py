"""Create forms resent: each form that creates a record carries a key made when it is shown,
and posting it twice (a double tap, or the browser re-sending a POST whose answer was lost)
makes one record and answers the repeat with the first result. SQLite and PostgreSQL."""
import re

import pytest

from tests.factories import inspection as make
from wyapp.db import utcnow
from wyapp.gate.models import Invitation, ReleaseSlip, VehicleEntry, Visit, WatchEntry
from wyapp.idempotency import WriteOnce
from wyapp.inspection.models import (
    Checklist,
    ChecklistItem,
    DutyEvent,
    Equipment,
    Meter,
    MeterReading,
    MeterReplacement,
    Plan,
)
from wyapp.models import Building, Estate, Unit, User
from wyapp.patrol.models import Checkpoint, Incident, Route
from wyapp.service.models import Complaint, ComplaintCause, WorkOrder

KEY_FIELD = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"|'
                       r'value="([^"]+)"[^>]*name="idempotency_key"')


def shown_key(page):
    """The key the form was shown with (its hidden field)."""
    match = KEY_FIELD.search(page)
    assert match, "the form carries no idempotency_key"
    return match.group(1) or match.group(2)


def post_twice(client, form_url, data, post_url=None):
    """Show the form, post it twice with its key; both answers."""
    key = shown_key(client.get(form_url).text)
    answers = [client.post(post_url or form_url, data={**data, "idempotency_key": key})
               for _ in range(2)]
    return key, answers


def count(in_db, model, *where):
    with in_db():
        return model.select().where(*where).count() if where else model.select().count()


def same_answer(first, second):
    assert first.status_code == second.status_code == 302, (first.text, second.text)
    assert first.headers["Location"] == second.headers["Location"]


# Each create form: (role, model, setup) where setup(estate) runs in the database and returns
# (form page, POST url or None for the same, form values).
def _today(estate):
    return estate.today(utcnow())


def _meter_url(estate):
    return f"/inspection/meters/{make.meter(estate).id}"


def _checklist_url(estate):
    return f"/inspection/checklists/{make.checklist(estate, items=[]).id}"


def _shift_events(estate):
    return "/inspection/duty", f"/inspection/duty/{make.duty_shift(estate).id}/events"


def _building(estate):
    building = Building.get(Building.estate == estate, Building.name == "1号楼")
    return f"/admin/estates/{estate.id}/buildings/{building.id}"


CREATE_FORMS = {
    "访客登记": ("gate", Visit, lambda e: ("/gate/", None, {
        "name": "陈美玲", "phone": "13812345678", "unit": "1-101", "host": "",
        "purpose": "探亲访友", "party_size": "1", "plate": "", "id_number": "", "note": ""})),
    "预约": ("desk", Invitation, lambda e: ("/gate/invitations", None, {
        "name": "陈美玲", "phone": "13812345678", "unit": "1-101", "purpose": "探亲访友",
        "party_size": "1", "plate": "", "valid_from": _today(e).isoformat(),
        "valid_to": _today(e).isoformat(), "note": ""})),
    "放行条": ("desk", ReleaseSlip, lambda e: ("/gate/slips/new", None, {
        "unit": "1-101", "applicant": "王先生", "items": "旧沙发 1", "approved_by": "李主管",
        "valid_on": _today(e).isoformat(), "note": ""})),
    "关注名单": ("supervisor", WatchEntry, lambda e: ("/gate/watchlist", None, {
        "name": "钱某", "phone": "", "id_number": "", "plate": "", "reason": "曾冒充快递员"})),
    "车辆入场": ("gate", VehicleEntry, lambda e: ("/gate/vehicles", None, {
        "plate": "粤B12345", "kind": "业主"})),
    "设备": ("supervisor", Equipment, lambda e: ("/inspection/equipment/new", None, {
        "code": "SB-09", "name": "2号水泵", "category": "给排水", "status": "在用"})),
    "检查表": ("supervisor", Checklist, lambda e: ("/inspection/checklists/new", None, {
        "name": "水泵日检表", "category": "", "equipment": "0"})),
    "检查项": ("supervisor", ChecklistItem, lambda e: (_checklist_url(e), None, {
        "label": "运行声音", "kind": "pass_fail", "required": "y"})),
    "巡检计划": ("supervisor", Plan, lambda e: ("/inspection/plans/new", None, {
        "equipment": str(make.equipment(e).id), "checklist": str(make.checklist(e).id),
        "frequency": "每日", "active": "y"})),
    "表计": ("supervisor", Meter, lambda e: ("/inspection/meters/new", None, {
        "kind": "电", "name": "1号楼公共照明电表", "unit": "0", "multiplier": "1"})),
    "抄表": ("engineer", MeterReading, lambda e: (_meter_url(e), None, {
        "month": f"{_today(e):%Y-%m}", "value": "1200"})),
    "换表": ("engineer", MeterReplacement, lambda e: (lambda url: (url, f"{url}/replace", {
        "replaced_on": _today(e).isoformat(), "old_final": "100", "new_serial": "N-2",
        "new_start": "0"}))(_meter_url(e))),
    "值班事件": ("engineer", DutyEvent, lambda e: (*_shift_events(e), {"text": "2号泵异响"})),
    "投诉原因分类": ("supervisor", ComplaintCause, lambda e: (
        "/service/settings", "/service/settings/causes", {"name": "装修噪音"})),
    "巡更点": ("supervisor", Checkpoint, lambda e: ("/patrol/checkpoints/new", None, {
        "name": "地库B区", "location": "", "latitude": "", "longitude": "", "radius_m": "",
        "active": "y"})),
    "巡更路线": ("supervisor", Route, lambda e: ("/patrol/routes", None, {
        "name": "夜间路线", "enforce_order": "y", "min_seconds": "60", "active": "y"})),
    "巡更异常": ("guard", Incident, lambda e: ("/patrol/incidents/new", None, {
        "category": "设施损坏", "text": "水泵房门锁损坏"})),
    "小区": ("admin", Estate, lambda e: ("/admin/estates/new", None, {
        "name": "滨江花园", "address": "", "timezone": "Asia/Shanghai", "active": "y"})),
    "楼栋": ("admin", Building, lambda e: (f"/admin/estates/{e.id}", None, {"name": "9号楼"})),
    "房号": ("admin", Unit, lambda e: (_building(e), None, {"number": "1-9901", "floor": "9"})),
    "账号": ("admin", User, lambda e: ("/admin/users/new", None, {
        "username": "newbie", "display_name": "新同事", "roles": "guard",
        "estates": str(e.id), "active": "y", "password": "long-enough-1"})),
}


@pytest.mark.parametrize("name", list(CREATE_FORMS))
def test_each_create_form_resent_makes_one(login, in_db, name):
    role, model, setup = CREATE_FORMS[name]
    with in_db():
        form_url, post_url, data = setup(Estate.get(Estate.name == "示范花园"))
    client = login(role)
    page = client.get(form_url).text
    before = count(in_db, model)  # after the page: settings make the default causes
    key = shown_key(page)
    first, second = (client.post(post_url or form_url, data={**data, "idempotency_key": key})
                     for _ in range(2))
    assert first.status_code in (200, 302), first.text
    assert (second.status_code, second.headers.get("Location")) == \
        (first.status_code, first.headers.get("Location"))
    assert count(in_db, model) == before + 1


def test_work_order_resent_makes_one(login, in_db):
    desk = login("desk")
    key, (first, second) = post_twice(desk, "/service/orders/new", {
        "source": "业主来电", "unit": "1-101", "category": "水", "priority": "普通",
        "paid": "无偿", "description": "厨房漏水"})
    same_answer(first, second)
    assert count(in_db, WorkOrder) == 1
    page = desk.get(second.headers["Location"]).text
    assert "厨房漏水" in page
    with in_db():
        assert WriteOnce.get_by_id(key).row_id == WorkOrder.get().id


def test_work_order_new_form_new_key(login, in_db):
    desk = login("desk")
    data = {"source": "业主来电", "unit": "1-101", "category": "水", "priority": "普通",
            "paid": "无偿", "description": "厨房漏水"}
    for _ in range(2):
        post_twice(desk, "/service/orders/new", data)
    assert count(in_db, WorkOrder) == 2  # two forms shown: two repairs


def test_complaint_resent_makes_one(login, in_db):
    desk = login("desk")
    _, (first, second) = post_twice(desk, "/service/complaints/new", {
        "channel": "来电", "name": "王先生", "unit": "1-101", "phone": "13800000000",
        "content": "楼上噪音", "handling": "自行处理", "needs_followup": "y"})
    same_answer(first, second)
    assert count(in_db, Complaint) == 1


def test_a_key_from_another_estate_answers_nothing_there(login, in_db):
    """A key names a row of its own estate only: replayed elsewhere it makes that estate's
    own order, and the other estate's work order is not shown."""
    from tests import factories

    with in_db():
        other = factories.estate("滨江花园")
        factories.user("desk2", roles=("desk",), estates=[other])
    key, _ = post_twice(login("desk"), "/service/orders/new", {
        "source": "业主来电", "unit": "1-101", "category": "水", "priority": "普通",
        "paid": "无偿", "description": "厨房漏水"})
    response = login("desk2").post("/service/orders/new", data={
        "source": "业主来电", "unit": "1-101", "category": "水", "priority": "普通",
        "paid": "无偿", "description": "阳台漏水", "idempotency_key": key})
    assert response.status_code == 302
    page = login("desk2").get(response.headers["Location"]).text
    assert "阳台漏水" in page and "厨房漏水" not in page
    assert count(in_db, WorkOrder) == 2
