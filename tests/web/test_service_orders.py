"""Repair work orders: the domain call, the flow with its timeline, roles, estates, lists."""
import io
from datetime import timedelta

import pytest
from PIL import Image

from tests import factories
from tests.factories import service as sf
from wyapp.errors import DomainError
from wyapp.models import Notification, Unit
from wyapp.photos import save_photo
from wyapp.service.models import WorkOrder, WorkOrderStep
from wyapp.service.orders import (
    alert_overdue_orders,
    create_work_order,
    order_timeline,
    orders_for_origin,
)

pytestmark = pytest.mark.clock  # due times, overdue marks and alerts are read from the clock


@pytest.fixture
def office(in_db):
    """Inside the app and a connection: the office's estate (示范花园)."""
    with in_db():
        yield sf.home()


def _jpeg():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(out, "JPEG")
    return out.getvalue()


def _order(in_db, **fields):
    with in_db():
        return sf.work_order(**fields).id


def test_create_work_order_domain_call(office, now):
    photo = save_photo(office, _jpeg())
    order = create_work_order(office, source="巡更异常", description="  B区照明灯不亮 ",
                              reported_by=sf.staff("guard"), category="电", priority="紧急",
                              place="3号楼地下车库B区", photos=[photo],
                              origin=("patrol_incident", 7), now=now)
    assert order.status == "登记" and order.description == "B区照明灯不亮"
    assert (order.origin_kind, order.origin_id) == ("patrol_incident", 7)
    assert order.due_at == now + timedelta(hours=2)
    assert [t["step"] for t in order_timeline(order)] == ["登记"]
    told = Notification.select().where(Notification.user == sf.staff("supervisor"))
    assert [n.title for n in told] == [f"新报修 {order.code}（紧急）：3号楼地下车库B区"]
    assert order.code == f"BX{order.id:06d}" and told[0].link == f"/service/orders/{order.id}"


@pytest.mark.parametrize("kwargs,message", [
    ({"source": "路人"}, "请选择报修来源"),
    ({"category": "燃气"}, "请选择报修类别"),
    ({"priority": "特急"}, "请选择紧急程度"),
    ({"description": "  "}, "请填写报修内容"),
    ({"description": "x" * 2001}, "不能超过 2000 个字"),
    ({"origin": ("gate_visit", 1)}, "来源记录无效"),
    ({"origin": ("inspection_item", "abc")}, "来源记录无效"),
    ({"reported_by": None}, "缺少登记人"),
])
def test_create_work_order_refuses_bad_input(office, kwargs, message):
    args = {"source": "员工发现", "description": "门禁损坏", "reported_by": sf.staff("desk"),
            **kwargs}
    with pytest.raises(DomainError, match=message):
        create_work_order(office, **args)
    assert WorkOrder.select().count() == 0


def test_create_work_order_refuses_other_estates_unit_and_photo(office):
    other = factories.estate("别处")
    with pytest.raises(DomainError, match="房号不属于本小区") as refused:
        create_work_order(other, source="员工发现", description="x",
                          reported_by=sf.staff("desk"), unit=Unit.find(office, "1-101"))
    assert refused.value.field == "unit"
    with pytest.raises(DomainError, match="照片不属于本小区"):
        create_work_order(office, source="员工发现", description="x",
                          reported_by=sf.staff("desk"), photos=[save_photo(other, _jpeg())])


def test_register_form_then_order_page(login, in_db):
    desk = login("desk")
    response = desk.post("/service/orders/new", data={
        "source": "业主来电", "unit": "1号楼-101", "place": "", "category": "水",
        "priority": "高", "paid": "有偿", "description": "卫生间下水堵塞",
        "photos": (io.BytesIO(_jpeg()), "a.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 302
    page = desk.get(response.headers["Location"]).text
    assert "卫生间下水堵塞" in page and "1号楼-101" in page and "有偿" in page
    assert "登记" in page and "刘客服" in page and "/photos/" in page
    with in_db():
        order = WorkOrder.get()
        assert order.priority == "高" and order.paid and order.unit.number == "101"
    assert f"已登记报修 {order.code}" in page and f"工单 {order.code}" in page


@pytest.mark.parametrize("typed", ["1-101", "1栋101", "1#101", "１号楼－１０１"])
def test_register_form_takes_each_way_a_unit_is_typed(login, in_db, typed):
    response = login("desk").post("/service/orders/new", data={
        "source": "业主来电", "unit": typed, "category": "水", "priority": "普通",
        "paid": "无偿", "description": "漏水"})
    assert response.status_code == 302
    with in_db():
        assert WorkOrder.get().unit.label == "1号楼-101"


HOSTILE = ["", "x" * 10000, "<script>alert(1)</script>", "'; DROP TABLE work_order; --",
           "\x00\x01坏"]


def refused(value):
    """The statuses a refused form may answer: 422 with the messages; a NUL byte may also be
    refused before any view (400), as PostgreSQL cannot store it."""
    return (400, 422) if "\x00" in value else (422,)


@pytest.mark.parametrize("value", HOSTILE)
def test_register_form_hostile_values(login, in_db, value):
    desk = login("desk")
    response = desk.post("/service/orders/new", data={
        "source": value, "unit": value, "place": value, "category": value,
        "priority": value, "paid": value, "description": value})
    assert response.status_code in refused(value)
    assert "请" in response.text or "不能超过" in response.text or "无法识别" in response.text
    assert "<script>alert(1)</script>" not in response.text
    with in_db():
        assert WorkOrder.select().count() == 0


def test_register_form_invalid_utf8_and_bad_photo(login):
    desk = login("desk")
    response = desk.post("/service/orders/new", data={
        "source": "业主来电", "unit": b"\xff\xfe1-101".decode("latin-1"), "category": "水",
        "priority": "普通", "paid": "无偿", "description": "漏水",
        "photos": (io.BytesIO(b"<?php ?>"), "x.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "没有房号" in response.text or "只能上传照片" in response.text
    unknown = desk.post("/service/orders/new", data={
        "source": "业主来电", "unit": "9号楼-999", "category": "水", "priority": "普通",
        "paid": "无偿", "description": "漏水"})
    assert "没有房号" in unknown.text and 'value="9号楼-999"' in unknown.text
    neither = desk.post("/service/orders/new", data={
        "source": "业主来电", "category": "水", "priority": "普通", "paid": "无偿",
        "description": "漏水"})
    assert "请填写房号或公共部位" in neither.text


def _post(client, order_id, slug, htmx=False, **data):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/service/orders/{order_id}/{slug}", data=data, headers=headers)


def _engineer(in_db, username="engineer"):
    with in_db():
        return sf.staff(username)


def test_full_flow_with_timeline(login, in_db):
    order_id = _order(in_db)
    engineer = _engineer(in_db)
    sup = login("supervisor")
    assert _post(sup, order_id, "assign", engineer=engineer.id, note="今天上午").status_code == 302
    eng = login("engineer")
    fragment = _post(eng, order_id, "accept", htmx=True)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.strip().startswith('<div id="order">') and "开始处理" in fragment.text
    assert _post(eng, order_id, "start").status_code == 302
    done = _post(eng, order_id, "complete", htmx=True, note="更换阀芯", materials="阀芯 1 个")
    assert "更换阀芯" in done.text and "阀芯 1 个" in done.text
    desk = login("desk")
    assert _post(desk, order_id, "visit", satisfaction="满意", comment="很好").status_code == 302
    assert _post(desk, order_id, "close").status_code == 302
    page = desk.get(f"/service/orders/{order_id}").text
    for text in ("派给 陈工：今天上午", "接单", "开始处理", "更换阀芯", "满意：很好", "关闭"):
        assert text in page
    with in_db():
        order = WorkOrder.get_by_id(order_id)
        assert order.status == "关闭" and order.closed_at is not None
        assert [s.step for s in WorkOrderStep.select().order_by(WorkOrderStep.id)] == [
            "登记", "派单", "接单", "处理中", "完工", "回访", "关闭"]
        assigned = Notification.get(Notification.user == engineer)
        assert assigned.title.startswith(f"新派工单 {order.code}（普通）")
    # closed: read-only, a correction is an amendment in the timeline
    assert "确认派单" not in page and "记录更正" in page
    assert _post(desk, order_id, "amend", note="材料应为阀芯 2 个").status_code == 302
    assert "材料应为阀芯 2 个" in desk.get(f"/service/orders/{order_id}").text
    refused = _post(login("supervisor"), order_id, "assign", engineer=engineer.id)
    assert refused.status_code == 422 and "不能派单" in refused.text


def test_unsatisfied_visit_reopens(login, in_db):
    order_id = _order(in_db)
    engineer = _engineer(in_db)
    _post(login("supervisor"), order_id, "assign", engineer=engineer.id)
    eng = login("engineer")
    _post(eng, order_id, "accept")
    _post(eng, order_id, "start")
    _post(eng, order_id, "complete", note="已处理")
    _post(login("desk"), order_id, "visit", satisfaction="不满意", comment="还在漏")
    with in_db():
        order = WorkOrder.get_by_id(order_id)
        assert order.status == "派单" and order.reopen_count == 1
        assert order.assignee_id == engineer.id and order.completed_at is None
        reopened = Notification.select().where(Notification.user == engineer,
                                               Notification.title.contains("回访不满意")).get()
        assert reopened.title == f"工单 {order.code} 回访不满意，已重新打开"
    assert "还在漏。工单重新打开" in login("engineer").get(f"/service/orders/{order_id}").text


@pytest.mark.parametrize("username,slug,data", [
    ("engineer", "assign", {}),       # only a supervisor assigns
    ("desk", "assign", {}),
    ("desk", "accept", {}),           # only the assignee accepts / works / completes
    ("supervisor", "accept", {}),
    ("engineer", "visit", {"satisfaction": "满意"}),  # the engineer does not visit himself
    ("guard", "close", {}),
    ("guard", "amend", {"note": "x"}),
])
def test_wrong_role_is_403(login, in_db, username, slug, data):
    order_id = _order(in_db)
    assert _post(login(username), order_id, slug, **data).status_code == 403


@pytest.mark.parametrize("slug,data,message", [
    ("accept", {}, "不能接单"),
    ("start", {}, "不能处理中"),
    ("complete", {"note": "x"}, "不能完工"),
])
def test_assignee_steps_out_of_order_refused(login, in_db, slug, data, message):
    order_id = _order(in_db, assignee=_engineer(in_db), status="登记")
    response = _post(login("engineer"), order_id, slug, **data)
    assert response.status_code == 422 and message in response.text


def test_visit_and_close_out_of_order_refused(login, in_db):
    order_id = _order(in_db)
    desk = login("desk")
    assert "不能回访" in _post(desk, order_id, "visit", satisfaction="满意").text
    assert "不能关闭" in _post(desk, order_id, "close").text
    bad = _post(desk, order_id, "visit", satisfaction="<b>x</b>")
    assert bad.status_code == 422 and "请选择满意度" in bad.text


def test_other_estate_order_is_404(login, in_db):
    with in_db():
        other = factories.estate("别处")
        order = sf.work_order(other, reported_by=sf.staff("admin"), place="大门")
    client = login("supervisor")
    assert client.get(f"/service/orders/{order.id}").status_code == 404
    assert _post(client, order.id, "close").status_code == 404
    assert client.get(f"/service/orders/{order.id}.pdf").status_code == 404


def test_my_orders_sorted_by_due_with_badge(login, in_db):
    engineer = _engineer(in_db)
    for p in ("普通", "紧急", "高"):
        _order(in_db, priority=p, description=f"{p}单", assignee=engineer, status="派单")
    eng = login("engineer")
    page = eng.get("/service/orders").text
    assert page.index("紧急单") < page.index("高单") < page.index("普通单")
    assert '<span class="badge">3</span>' in page
    fragment = eng.get("/service/orders?tab=all", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="order-results"' in fragment.text
    assert fragment.headers["Vary"] == "HX-Request" or "HX-Request" in fragment.headers["Vary"]


def test_list_loads_in_pages(login, in_db):
    for i in range(25):
        _order(in_db, description=f"第{i}单")
    desk = login("desk")
    first = desk.get("/service/orders?tab=all").text
    assert first.count('class="row-link"') == 20 and "加载更多" in first
    more = desk.get("/service/orders?tab=all&page=2", headers={"HX-Request": "true"}).text
    assert more.count('class="row-link"') == 5 and "加载更多" not in more
    assert "<ul" not in more


def test_overdue_marked_on_read_and_alerted_once(login, in_db, now):
    order_id = _order(in_db, priority="紧急", assignee=_engineer(in_db), status="派单",
                      due_at=now - timedelta(minutes=1))
    assert "已超时" in login("desk").get(f"/service/orders/{order_id}").text
    with in_db():
        assert alert_overdue_orders(now) == 1
        assert alert_overdue_orders(now + timedelta(hours=1)) == 0
        alerts = list(Notification.select().where(Notification.kind == "work_order_overdue"))
        assert {n.user.username for n in alerts} == {"engineer", "supervisor", "manager"}
        assert alerts[0].title.startswith(f"工单超时 BX{order_id:06d}（紧急）")


def test_due_time_runs_out_exactly_at_the_priority_hours(in_db, now):
    with in_db():
        order = sf.work_order(priority="高", now=now)
        assert order.due_at == now + timedelta(hours=24)
        assert not order.is_overdue(now + timedelta(hours=24))
        assert order.is_overdue(now + timedelta(hours=24, seconds=1))
        assert alert_overdue_orders(now + timedelta(hours=23, minutes=59)) == 0


def test_order_pdf_has_the_whole_timeline(login, in_db):
    from pypdf import PdfReader

    order_id = _order(in_db)
    _post(login("supervisor"), order_id, "assign", engineer=_engineer(in_db).id)
    response = login("desk").get(f"/service/orders/{order_id}.pdf")
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert f'filename="BX{order_id:06d}.pdf"' in response.headers["Content-Disposition"]
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "报修工单" in text and "厨房水龙头漏水" in text and "派给 陈工" in text
    assert "维修人" in text and "第 1 页 共 1 页" in text and f"BX{order_id:06d}" in text


def test_home_panel_shows_my_orders_and_desk_counts(login, in_db):
    _order(in_db, description="待派的单")
    desk = login("desk").get("/").text
    assert "报修与投诉" in desk and "待派单 1" in desk and "受理投诉" in desk
    eng = login("engineer").get("/").text
    assert "我的工单 0 张" in eng and "受理投诉" not in eng


def test_orders_for_origin_links_back(office):
    made = create_work_order(office, source="设备巡检", description="水泵异响",
                             reported_by=sf.staff("engineer"), place="水泵房",
                             origin=("inspection_item", 9))
    assert [o.id for o in orders_for_origin("inspection_item", 9)] == [made.id]
    assert not orders_for_origin("patrol_incident", 9).exists()


def test_a_work_order_is_linked_by_record_url(app, in_db):
    from wyapp.features import record_url

    order_id = _order(in_db)
    with app.test_request_context():
        features = app.extensions["wyapp.features"]
        assert record_url(features, "work_order", order_id) == f"/service/orders/{order_id}"


def test_reassign_while_in_progress_is_allowed(login, in_db):
    order_id = _order(in_db)
    engineer = _engineer(in_db)
    with in_db():
        other = factories.user("wanggong", roles=["engineer"], estates=[sf.home()],
                               display_name="王工")
    sup = login("supervisor")
    _post(sup, order_id, "assign", engineer=engineer.id)
    eng = login("engineer")
    _post(eng, order_id, "accept")
    _post(eng, order_id, "start")
    assert _post(login("supervisor"), order_id, "assign", engineer=other.id).status_code == 302
    with in_db():
        order = WorkOrder.get_by_id(order_id)
        assert order.assignee_id == other.id and order.status == "派单"
    assert _post(login("engineer"), order_id, "complete", note="x").status_code == 403
    guard = login("supervisor")
    bad = _post(guard, order_id, "assign", engineer=999999)
    assert bad.status_code == 422 and "请选择维修人员" in bad.text


@pytest.mark.parametrize("slug,user,fields", [
    ("assign", "supervisor", ("engineer", "note")),
    ("complete", "engineer", ("note", "materials")),
    ("visit", "desk", ("satisfaction", "comment")),
    ("amend", "desk", ("note",)),
])
@pytest.mark.parametrize("value", HOSTILE)
def test_step_forms_hostile_values(login, in_db, slug, user, fields, value):
    order_id = _order(in_db, assignee=_engineer(in_db), status="处理中")
    client = login(user)
    response = _post(client, order_id, slug, **{f: value for f in fields})
    assert response.status_code in (302, *refused(value))
    if response.status_code == 422:
        assert any(m in response.text for m in ("请", "不能", "无法识别"))
    assert "<script>alert(1)</script>" not in client.get(f"/service/orders/{order_id}").text
    raw = client.post(f"/service/orders/{order_id}/{slug}", data=b"note=\xff\xfe%FF&x=\xc3",
                      content_type="application/x-www-form-urlencoded")
    assert raw.status_code in (302, 422)


def test_archived_order_is_listed_and_printed_by_its_number(login, in_db, now):
    """The archive files it under its internal key (WO-n); people read BX00000n."""
    from pypdf import PdfReader

    from wyapp.archive.services import file_document
    from wyapp.service import orders
    from wyapp.service.documents import record_key

    with in_db():
        estate, engineer, desk = sf.home(), sf.staff("engineer"), sf.staff("desk")
        order = sf.work_order(now=now - timedelta(hours=5))
        orders.assign(order, engineer, sf.staff("supervisor"), now - timedelta(hours=4))
        orders.accept(order, engineer, now - timedelta(hours=4))
        orders.start(order, engineer, now - timedelta(hours=3))
        orders.complete(order, engineer, "更换阀芯", now=now - timedelta(hours=2))
        orders.visit(order, desk, "满意", now=now - timedelta(hours=1))
        orders.close(order, desk, now - timedelta(minutes=30))
        doc = file_document("service_order", estate, record_key(order))
        assert doc.period == f"WO-{order.id}"
    manager = login("manager")
    listing = manager.get("/archive").text
    assert f"报修工单记录 · {order.code}" in listing and f"· WO-{order.id}<" not in listing
    pdf = manager.get(f"/archive/{doc.id}.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert order.code in text and "更换阀芯" in text
