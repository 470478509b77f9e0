"""Repair work orders: the domain call, the flow with its timeline, roles, estates, lists."""
import io
from datetime import datetime, timedelta

import pytest
from PIL import Image

from tests.conftest import without_service_records
from wyapp.db import db
from wyapp.models import Estate, Notification, Unit, User
from wyapp.photos import save_photo
from wyapp.service import WorkOrderError, create_work_order
from wyapp.service.models import WorkOrder, WorkOrderStep
from wyapp.service.services import alert_overdue_orders, order_timeline

NOW = datetime(2026, 11, 20, 2, 0)  # a fixed clock (naive UTC)


@pytest.fixture
def app(make_app):
    return without_service_records(make_app())


@pytest.fixture
def ctx(make_app, any_db_url):
    """The domain rules run on SQLite and, when configured, on PostgreSQL."""
    app = without_service_records(make_app(database_url=any_db_url))
    with app.test_request_context(), db.connection_context():
        yield app


def _users():
    return {u.username: u for u in User.select()}


def _jpeg():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(out, "JPEG")
    return out.getvalue()


def _order(app, **kwargs):
    with app.test_request_context(), db.connection_context():
        estate = Estate.get(name="示范花园")
        args = {"source": "业主来电", "description": "厨房水龙头漏水",
                "reported_by": User.get(username="desk"), "category": "水",
                "unit": Unit.select().first(), **kwargs}
        return create_work_order(estate, **args).id


def test_create_work_order_domain_call(ctx):
    estate, users = Estate.get(name="示范花园"), _users()
    photo = save_photo(estate, _jpeg())
    order = create_work_order(estate, source="巡更异常", description="  B区照明灯不亮 ",
                              reported_by=users["guard"], category="电", priority="紧急",
                              place="3号楼地下车库B区", photos=[photo],
                              origin=("patrol_incident", 7), now=NOW)
    assert order.status == "登记" and order.description == "B区照明灯不亮"
    assert (order.origin_kind, order.origin_id) == ("patrol_incident", 7)
    assert order.due_at == NOW + timedelta(hours=2)
    assert [t["step"] for t in order_timeline(order)] == ["登记"]
    assert Notification.select().where(Notification.user == users["supervisor"]).count() == 1


@pytest.mark.parametrize("kwargs,message", [
    ({"source": "路人"}, "请选择报修来源"),
    ({"category": "燃气"}, "请选择报修类别"),
    ({"priority": "特急"}, "请选择紧急程度"),
    ({"description": "  "}, "请填写报修内容"),
    ({"description": "x" * 2001}, "不能超过 2000 个字"),
    ({"origin": ("gate_visit", 1)}, "来源记录无效"),
    ({"origin": ("inspection_item", "abc")}, "来源记录无效"),
])
def test_create_work_order_refuses_bad_input(ctx, kwargs, message):
    args = {"source": "员工发现", "description": "门禁损坏", "reported_by": _users()["desk"],
            **kwargs}
    with pytest.raises(WorkOrderError, match=message):
        create_work_order(Estate.get(name="示范花园"), **args)


def test_create_work_order_refuses_other_estates_unit_and_photo(ctx):
    other = Estate.create(name="别处")
    mine = Estate.get(name="示范花园")
    with pytest.raises(WorkOrderError, match="房号不属于本小区"):
        create_work_order(other, source="员工发现", description="x", reported_by=_users()["desk"],
                          unit=Unit.select().first())
    with pytest.raises(WorkOrderError, match="照片不属于本小区"):
        create_work_order(mine, source="员工发现", description="x", reported_by=_users()["desk"],
                          photos=[save_photo(other, _jpeg())])


def test_register_form_then_order_page(login, app):
    desk = login("desk")
    response = desk.post("/service/orders/new", data={
        "source": "业主来电", "unit": "1号楼-101", "place": "", "category": "水",
        "priority": "高", "paid": "有偿", "description": "卫生间下水堵塞",
        "photos": (io.BytesIO(_jpeg()), "a.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 302
    page = desk.get(response.headers["Location"]).text
    assert "卫生间下水堵塞" in page and "1号楼-101" in page and "有偿" in page
    assert "登记" in page and "刘客服" in page and "/photos/" in page
    with app.app_context(), db.connection_context():
        order = WorkOrder.get()
        assert order.priority == "高" and order.paid and order.unit.number == "101"


HOSTILE = ["", "x" * 10000, "<script>alert(1)</script>", "'; DROP TABLE work_order; --",
           "\x00\x01坏"]


@pytest.mark.parametrize("value", HOSTILE)
def test_register_form_hostile_values(login, app, value):
    desk = login("desk")
    response = desk.post("/service/orders/new", data={
        "source": value, "unit": value, "place": value, "category": value,
        "priority": value, "paid": value, "description": value})
    assert response.status_code == 422
    assert "请" in response.text or "不能超过" in response.text or "无法识别" in response.text
    assert "<script>alert(1)</script>" not in response.text
    with app.app_context(), db.connection_context():
        assert WorkOrder.select().count() == 0


def test_register_form_invalid_utf8_and_bad_photo(login):
    desk = login("desk")
    response = desk.post("/service/orders/new", data={
        "source": "业主来电", "unit": b"\xff\xfe1-101".decode("latin-1"), "category": "水",
        "priority": "普通", "paid": "无偿", "description": "漏水",
        "photos": (io.BytesIO(b"<?php ?>"), "x.jpg")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "没有找到房号" in response.text or "只能上传照片" in response.text
    unknown = desk.post("/service/orders/new", data={
        "source": "业主来电", "unit": "9号楼-999", "category": "水", "priority": "普通",
        "paid": "无偿", "description": "漏水"})
    assert "没有找到房号" in unknown.text and 'value="9号楼-999"' in unknown.text
    neither = desk.post("/service/orders/new", data={
        "source": "业主来电", "category": "水", "priority": "普通", "paid": "无偿",
        "description": "漏水"})
    assert "请填写房号或公共部位" in neither.text


def _post(client, order_id, slug, htmx=False, **data):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(f"/service/orders/{order_id}/{slug}", data=data, headers=headers)


def test_full_flow_with_timeline(login, app):
    order_id = _order(app)
    with app.app_context(), db.connection_context():
        engineer = User.get(username="engineer")
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
    with app.app_context(), db.connection_context():
        order = WorkOrder.get_by_id(order_id)
        assert order.status == "关闭" and order.closed_at is not None
        assert [s.step for s in WorkOrderStep.select().order_by(WorkOrderStep.id)] == [
            "登记", "派单", "接单", "处理中", "完工", "回访", "关闭"]
    # closed: read-only, a correction is an amendment in the timeline
    assert "确认派单" not in page and "记录更正" in page
    assert _post(desk, order_id, "amend", note="材料应为阀芯 2 个").status_code == 302
    assert "材料应为阀芯 2 个" in desk.get(f"/service/orders/{order_id}").text
    refused = _post(login("supervisor"), order_id, "assign", engineer=engineer.id)
    assert refused.status_code == 422 and "不能派单" in refused.text


def test_unsatisfied_visit_reopens(login, app):
    order_id = _order(app)
    with app.app_context(), db.connection_context():
        engineer = User.get(username="engineer")
    _post(login("supervisor"), order_id, "assign", engineer=engineer.id)
    eng = login("engineer")
    _post(eng, order_id, "accept")
    _post(eng, order_id, "start")
    _post(eng, order_id, "complete", note="已处理")
    _post(login("desk"), order_id, "visit", satisfaction="不满意", comment="还在漏")
    with app.app_context(), db.connection_context():
        order = WorkOrder.get_by_id(order_id)
        assert order.status == "派单" and order.reopen_count == 1
        assert order.assignee_id == engineer.id and order.completed_at is None
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
def test_wrong_role_is_403(login, app, username, slug, data):
    order_id = _order(app)
    assert _post(login(username), order_id, slug, **data).status_code == 403


@pytest.mark.parametrize("slug,data,message", [
    ("accept", {}, "不能接单"),
    ("start", {}, "不能处理中"),
    ("complete", {"note": "x"}, "不能完工"),
])
def test_assignee_steps_out_of_order_refused(login, app, slug, data, message):
    order_id = _order(app)
    with app.app_context(), db.connection_context():
        WorkOrder.update(assignee=User.get(username="engineer"), status="登记").execute()
    response = _post(login("engineer"), order_id, slug, **data)
    assert response.status_code == 422 and message in response.text


def test_visit_and_close_out_of_order_refused(login, app):
    order_id = _order(app)
    desk = login("desk")
    assert "不能回访" in _post(desk, order_id, "visit", satisfaction="满意").text
    assert "不能关闭" in _post(desk, order_id, "close").text
    bad = _post(desk, order_id, "visit", satisfaction="<b>x</b>")
    assert bad.status_code == 422 and "请选择满意度" in bad.text


def test_other_estate_order_is_404(login, app):
    with app.app_context(), db.connection_context():
        other = Estate.create(name="别处")
        order = create_work_order(other, source="员工发现", description="他处",
                                  reported_by=User.get(username="admin"), place="大门")
    client = login("supervisor")
    assert client.get(f"/service/orders/{order.id}").status_code == 404
    assert _post(client, order.id, "close").status_code == 404


def test_my_orders_sorted_by_due_with_badge(login, app):
    ids = [_order(app, priority=p, description=f"{p}单") for p in ("普通", "紧急", "高")]
    with app.app_context(), db.connection_context():
        WorkOrder.update(assignee=User.get(username="engineer"), status="派单").where(
            WorkOrder.id.in_(ids)).execute()
    eng = login("engineer")
    page = eng.get("/service/orders").text
    assert page.index("紧急单") < page.index("高单") < page.index("普通单")
    assert '<span class="badge">3</span>' in page
    fragment = eng.get("/service/orders?tab=all", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="order-results"' in fragment.text


def test_list_loads_in_pages(login, app):
    for i in range(25):
        _order(app, description=f"第{i}单")
    desk = login("desk")
    first = desk.get("/service/orders?tab=all").text
    assert first.count('class="row-link"') == 20 and "加载更多" in first
    more = desk.get("/service/orders?tab=all&page=2", headers={"HX-Request": "true"}).text
    assert more.count('class="row-link"') == 5 and "加载更多" not in more
    assert "<ul" not in more


def test_overdue_marked_on_read_and_alerted_once(login, app):
    order_id = _order(app, priority="紧急")
    with app.app_context(), db.connection_context():
        engineer = User.get(username="engineer")
        WorkOrder.update(assignee=engineer, status="派单",
                         due_at=datetime(2020, 1, 1)).execute()
    assert "已超时" in login("desk").get(f"/service/orders/{order_id}").text
    with app.test_request_context(), db.connection_context():
        assert alert_overdue_orders(NOW) == 1
        assert alert_overdue_orders(NOW) == 0
        alerted = {n.user.username for n in Notification.select().where(
            Notification.kind == "work_order_overdue")}
        assert alerted == {"engineer", "supervisor", "manager"}


def test_order_pdf_has_the_whole_timeline(login, app):
    from pypdf import PdfReader

    order_id = _order(app)
    with app.app_context(), db.connection_context():
        engineer = User.get(username="engineer")
    _post(login("supervisor"), order_id, "assign", engineer=engineer.id)
    response = login("desk").get(f"/service/orders/{order_id}.pdf")
    assert response.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "报修工单" in text and "厨房水龙头漏水" in text and "派给 陈工" in text
    assert "维修人" in text and "第 1 页 共 1 页" in text


def test_home_panel_shows_my_orders_and_desk_counts(login, app):
    _order(app, description="待派的单")
    desk = login("desk").get("/").text
    assert "报修与投诉" in desk and "待派单 1" in desk and "受理投诉" in desk
    eng = login("engineer").get("/").text
    assert "我的工单 0 张" in eng and "受理投诉" not in eng


def test_orders_for_origin_links_back(ctx):
    from wyapp.service import orders_for_origin

    estate = Estate.get(name="示范花园")
    made = create_work_order(estate, source="设备巡检", description="水泵异响",
                             reported_by=_users()["engineer"], place="水泵房",
                             origin=("inspection_item", 9))
    assert [o.id for o in orders_for_origin("inspection_item", 9)] == [made.id]
    assert not orders_for_origin("patrol_incident", 9).exists()


def test_reassign_while_in_progress_is_allowed(login, app):
    order_id = _order(app)
    with app.app_context(), db.connection_context():
        engineer = User.get(username="engineer")
        other = User.create(username="wanggong", display_name="王工", password_hash="x")
        other.set_roles(["engineer"])
        other.set_estates([Estate.get(name="示范花园")])
    sup = login("supervisor")
    _post(sup, order_id, "assign", engineer=engineer.id)
    eng = login("engineer")
    _post(eng, order_id, "accept")
    _post(eng, order_id, "start")
    assert _post(login("supervisor"), order_id, "assign", engineer=other.id).status_code == 302
    with app.app_context(), db.connection_context():
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
def test_step_forms_hostile_values(login, app, slug, user, fields, value):
    order_id = _order(app)
    with app.app_context(), db.connection_context():
        WorkOrder.update(assignee=User.get(username="engineer"), status="处理中").execute()
    client = login(user)
    response = _post(client, order_id, slug, **{f: value for f in fields})
    assert response.status_code in (302, 422)
    if response.status_code == 422:
        assert any(m in response.text for m in ("请", "不能", "无法识别"))
    assert "<script>alert(1)</script>" not in client.get(f"/service/orders/{order_id}").text
    raw = client.post(f"/service/orders/{order_id}/{slug}", data=b"note=\xff\xfe%FF&x=\xc3",
                      content_type="application/x-www-form-urlencoded")
    assert raw.status_code in (302, 422)
