"""Complaints by the office's procedure: intake, hand-over, rounds, 回访, closing, counting."""
import io
from datetime import date, datetime, timedelta

import pytest

from tests.conftest import without_service_records
from wyapp.db import db
from wyapp.models import Estate, Notification, Unit, User
from wyapp.service import services
from wyapp.service.models import Complaint, ComplaintCause, ComplaintStep

NOW = datetime(2026, 11, 10, 2, 0)  # fixed clock, naive UTC (10:00 in Shanghai)


@pytest.fixture
def app(make_app):
    return without_service_records(make_app())


@pytest.fixture
def ctx(make_app, any_db_url):
    """The domain rules run on SQLite and, when configured, on PostgreSQL."""
    app = without_service_records(make_app(database_url=any_db_url))
    with app.test_request_context(), db.connection_context():
        yield Estate.get(name="示范花园")


def _u(name):
    return User.get(username=name)


def _complaint(estate, **kwargs):
    args = {"channel": "来电", "content": "楼上装修噪音太大", "received_by": _u("desk"),
            "name": "王女士", "phone": "13800138000", "now": NOW, **kwargs}
    return services.create_complaint(estate, **args)


def test_neighbour_dispute_never_forces_name_or_unit(ctx):
    c = _complaint(ctx, name="", phone="", neighbour_dispute=True, content="邻居狗叫")
    assert c.who == "未留姓名" and c.owner_id == _u("desk").id
    assert c.due_at == NOW + timedelta(hours=24)
    with pytest.raises(services.ComplaintError, match="请填写投诉人姓名"):
        _complaint(ctx, name="")
    with pytest.raises(services.ComplaintError, match="请填写房号或联系电话"):
        _complaint(ctx, phone="")


def test_hand_over_needs_owner_and_promised_time(ctx):
    with pytest.raises(services.ComplaintError, match="约定回复时间"):
        _complaint(ctx, owner=_u("supervisor"))
    with pytest.raises(services.ComplaintError, match="责任人"):
        _complaint(ctx, owner=_u("guard"), due_at=NOW + timedelta(hours=4))
    c = _complaint(ctx, owner=_u("engineer"), due_at=NOW + timedelta(hours=4))
    assert c.owner_id == _u("engineer").id and c.due_at == NOW + timedelta(hours=4)
    steps = services.complaint_timeline(c)
    assert [s["step"] for s in steps] == ["受理", "转交"]
    assert "转交 陈工，约定 11-10 14:00 前回复" in steps[1]["note"]
    assert Notification.get(Notification.user == _u("engineer")).kind == "complaint"


def test_rounds_until_agreed_then_follow_up_closes(ctx):
    c = _complaint(ctx)
    services.handle(c, _u("desk"), reply="已联系楼上", agreed=False, now=NOW + timedelta(hours=2),
                    next_due=NOW + timedelta(hours=30))
    assert c.status == "协商中" and c.first_reply_at == NOW + timedelta(hours=2)
    assert c.due_at == NOW + timedelta(hours=30) and not c.was_overdue
    services.handle(c, _u("desk"), reply="限定施工时间", measures="张贴装修时间公告",
                    agreed=True, now=NOW + timedelta(hours=26))
    assert c.status == "已处理"
    services.follow_up(c, _u("desk"), "不满意", "还是吵", now=NOW + timedelta(days=2))
    assert c.status == "协商中"
    services.handle(c, _u("supervisor"), reply="主管上门协调", agreed=True,
                    now=NOW + timedelta(days=3))
    services.follow_up(c, _u("desk"), "基本满意", now=NOW + timedelta(days=4))
    assert c.status == "已关闭" and c.close_reason == "回访满意"
    steps = [s["step"] for s in services.complaint_timeline(c)]
    assert steps == ["受理", "处理", "处理", "回访", "处理", "回访", "关闭"]
    with pytest.raises(services.ComplaintError, match="不能处理"):
        services.handle(c, _u("desk"), reply="x", agreed=True, now=NOW + timedelta(days=5))


def test_refused_steps(ctx):
    c = _complaint(ctx, owner=_u("engineer"), due_at=NOW + timedelta(hours=4))
    with pytest.raises(services.NotAllowed):
        services.handle(c, _u("guard"), reply="x", agreed=True)
    with pytest.raises(services.NotAllowed):
        services.follow_up(c, _u("engineer"), "满意")
    with pytest.raises(services.ComplaintError, match="不能回访"):
        services.follow_up(c, _u("desk"), "满意")
    with pytest.raises(services.ComplaintError, match="请选择投诉人是否同意"):
        services.handle(c, _u("engineer"), reply="x", agreed=None)
    with pytest.raises(services.ComplaintError, match="请填写答复内容"):
        services.handle(c, _u("engineer"), reply=" ", agreed=True)


def test_auto_close_seven_days_after_handling(ctx):
    c = _complaint(ctx)
    services.handle(c, _u("desk"), reply="已清理", agreed=True, needs_followup=False, now=NOW)
    assert services.auto_close_complaints(NOW + timedelta(days=6, hours=23)) == 0
    assert services.auto_close_complaints(NOW + timedelta(days=7)) == 1
    c = Complaint.get_by_id(c.id)
    assert c.status == "已关闭" and c.close_reason == "处理后一周内无再次投诉"
    assert services.complaint_timeline(c)[-1]["actor"] == "系统"


def test_no_auto_close_when_a_repeat_complaint_is_linked(ctx):
    first = _complaint(ctx)
    services.classify(first, _u("desk"), new_event="3号楼垃圾站异味", now=NOW)
    services.handle(first, _u("desk"), reply="已清理", agreed=True, needs_followup=False, now=NOW)
    repeat = _complaint(ctx, name="李先生", phone="13900000000",
                        received_at=NOW + timedelta(days=3), now=NOW + timedelta(days=3))
    services.classify(repeat, _u("desk"), event=first.event, now=NOW + timedelta(days=3))
    assert services.auto_close_complaints(NOW + timedelta(days=8)) == 0
    assert Complaint.get_by_id(first.id).status == "已处理"
    # a complaint about the same event after that week does not hold it open
    other = _complaint(ctx)
    services.classify(other, _u("desk"), new_event="别的事件", now=NOW)
    services.handle(other, _u("desk"), reply="ok", agreed=True, needs_followup=False, now=NOW)
    late = _complaint(ctx, received_at=NOW + timedelta(days=9), now=NOW + timedelta(days=9))
    services.classify(late, _u("desk"), event=other.event, now=NOW + timedelta(days=9))
    assert services.auto_close_complaints(NOW + timedelta(days=10)) == 1


def test_event_counts_once_with_people_and_times(ctx):
    cause = ComplaintCause.get(ComplaintCause.name == "环境卫生") if \
        ComplaintCause.select().exists() else None
    cause = cause or next(c for c in services.causes_of(ctx) if c.name == "环境卫生")
    event_made = None
    for name, phone in [("王女士", "13800000001"), ("李先生", "13800000002"),
                        ("赵阿姨", "13800000003"), ("王女士", "13800000001")]:
        c = _complaint(ctx, name=name, phone=phone)
        services.classify(c, _u("desk"), cause=cause, event=event_made,
                          new_event="" if event_made else "垃圾站异味", now=NOW)
        event_made = c.event
    single = _complaint(ctx, channel="网上")
    services.classify(single, _u("desk"), cause=next(c for c in services.causes_of(ctx)
                                                     if c.name == "收费"), major=True, now=NOW)
    stats = services.monthly_stats(ctx, 2026, 11, now=NOW)
    assert stats["complaints"] == 5 and stats["cases"] == 2
    hygiene = next(r for r in stats["by_cause"] if r["cause"] == "环境卫生")
    assert hygiene == {"cause": "环境卫生", "cases": 1, "people": 3, "times": 4}
    assert stats["events"] == [{"title": "垃圾站异味", "cause": "环境卫生", "people": 3,
                                "times": 4}]
    assert stats["by_channel"] == {"来电": 4, "网上": 1}
    assert [c.id for c in stats["major"]] == [single.id]
    complaints, orders = services.daily_list(ctx, date(2026, 11, 10))
    assert len(complaints) == 5 and orders == []
    assert [c.who for c in services.complaint_list(ctx, "major", _u("desk"))] == ["王女士"]


def test_overdue_alert_once_to_owner_and_supervisors(ctx):
    c = _complaint(ctx, owner=_u("engineer"), due_at=NOW + timedelta(hours=1))
    assert services.alert_overdue_complaints(NOW) == 0
    assert services.alert_overdue_complaints(NOW + timedelta(hours=2)) == 1
    assert services.alert_overdue_complaints(NOW + timedelta(hours=3)) == 0
    users = {n.user.username for n in Notification.select().where(
        Notification.kind == "complaint_overdue")}
    assert users == {"engineer", "supervisor", "manager"}
    assert Complaint.get_by_id(c.id).was_overdue
    stats = services.monthly_stats(ctx, 2026, 11, now=NOW + timedelta(hours=3))
    assert stats["overdue"] == 1


# ── through the web ──
def test_intake_form_then_page(login, app):
    desk = login("desk")
    response = desk.post("/service/complaints/new", data={
        "channel": "来访", "name": "", "unit": "", "phone": "", "neighbour_dispute": "y",
        "content": "邻居在楼道堆放杂物", "handling": "转交责任人", "owner": "",
        "due_at": "2030-01-01T10:00", "needs_followup": "y"})
    assert response.status_code == 422 and "请选择责任人" in response.text
    with app.app_context(), db.connection_context():
        sup = _u("supervisor")
    response = desk.post("/service/complaints/new", data={
        "channel": "来访", "neighbour_dispute": "y", "content": "邻居在楼道堆放杂物",
        "handling": "转交责任人", "owner": sup.id, "due_at": "2030-01-01T10:00",
        "needs_followup": "y"})
    assert response.status_code == 302
    page = login("supervisor").get(response.headers["Location"]).text
    assert "邻居在楼道堆放杂物" in page and "未留姓名" in page and "邻里纠纷" in page
    assert "转交 李主管，约定 01-01 10:00 前回复" in page and "记录处理" in page


@pytest.mark.parametrize("value", ["", "x" * 10000, "<script>alert(1)</script>",
                                   "1' OR '1'='1", "\x00坏\x07"])
def test_intake_form_hostile_values(login, app, value):
    desk = login("desk")
    response = desk.post("/service/complaints/new", data={
        k: value for k in ("channel", "name", "unit", "phone", "content", "received_at",
                           "handling", "owner", "due_at")})
    assert response.status_code == 422
    assert any(m in response.text for m in ("请", "不能超过", "无法识别", "格式不对"))
    assert "<script>alert(1)</script>" not in response.text
    with app.app_context(), db.connection_context():
        assert Complaint.select().count() == 0


def test_intake_bad_dates_and_unit(login):
    desk = login("desk")
    base = {"channel": "来电", "name": "王", "phone": "13800138000", "content": "x",
            "handling": "自行处理"}
    assert "受理时间格式不对" in desk.post("/service/complaints/new",
                                    data={**base, "received_at": "明天"}).text
    assert "没有找到房号" in desk.post("/service/complaints/new",
                                   data={**base, "unit": "99-99"}).text
    assert "联系电话只能填数字" in desk.post("/service/complaints/new",
                                     data={**base, "phone": "abc"}).text


def _post(client, cid, slug, htmx=False, **data):
    return client.post(f"/service/complaints/{cid}/{slug}", data=data,
                       headers={"HX-Request": "true"} if htmx else {})


def _made(app, **kwargs):
    with app.test_request_context(), db.connection_context():
        return _complaint(Estate.get(name="示范花园"), now=datetime.utcnow(), **kwargs).id


def test_steps_through_the_web_with_htmx_fragment(login, app):
    cid = _made(app)
    desk = login("desk")
    fragment = _post(desk, cid, "handle", htmx=True, investigation="现场查看", reply="已协调",
                     agreed="不同意", next_due="")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.strip().startswith('<div id="complaint">')
    assert "协商中" in fragment.text and "投诉人不同意，继续协商" in fragment.text
    assert _post(desk, cid, "handle", reply="已解决", agreed="同意").status_code == 302
    with app.app_context(), db.connection_context():
        cause = next(c for c in services.causes_of(Estate.get(name="示范花园"))
                     if c.name == "邻里纠纷")
    assert _post(desk, cid, "classify", cause=cause.id, event=0, new_event="装修噪音",
                 major="y").status_code == 302
    assert _post(desk, cid, "followup", satisfaction="满意", comment="谢谢").status_code == 302
    page = desk.get(f"/service/complaints/{cid}").text
    assert "已关闭" in page and "重大投诉" in page and "装修噪音" in page
    assert "记录处理" not in page and "记录更正" in page  # read-only; amendment allowed
    assert _post(desk, cid, "amend", note="电话应为 13800138001").status_code == 302
    refused = _post(desk, cid, "handle", reply="x", agreed="同意")
    assert refused.status_code == 422 and "不能处理" in refused.text
    with app.app_context(), db.connection_context():
        assert ComplaintStep.select().where(ComplaintStep.step == "更正").count() == 1


@pytest.mark.parametrize("value", ["", "x" * 10000, "<b>x</b>", "'; --", "\x00"])
def test_handle_form_hostile_values(login, app, value):
    cid = _made(app)
    response = _post(login("desk"), cid, "handle", investigation=value, measures=value,
                     reply=value, agreed=value, next_due=value)
    assert response.status_code == 422
    assert any(m in response.text for m in ("请", "不能超过", "无法识别", "格式不对"))


def test_roles_and_estates(login, app):
    cid = _made(app)
    guard = login("guard")
    assert guard.get("/service/complaints/new").status_code == 403
    assert guard.get(f"/service/complaints/{cid}").status_code == 403
    assert guard.get("/service/complaints/daily").status_code == 403
    assert _post(guard, cid, "handle", reply="x", agreed="同意").status_code == 403
    eng = login("engineer")
    assert _post(eng, cid, "followup", satisfaction="满意").status_code == 403
    with app.app_context(), db.connection_context():
        other = Estate.create(name="别处")
        theirs = services.create_complaint(other, channel="来电", content="他处",
                                           received_by=_u("admin"), neighbour_dispute=True)
    assert login("desk").get(f"/service/complaints/{theirs.id}").status_code == 404


def test_owner_outside_the_desk_sees_own_complaint(login, app):
    with app.app_context(), db.connection_context():
        eng = _u("engineer")
    cid = _made(app, owner=eng, due_at=datetime.utcnow() + timedelta(hours=5))
    client = login("engineer")
    assert client.get(f"/service/complaints/{cid}").status_code == 200
    listing = client.get("/service/complaints?tab=all").text
    assert "我负责的" in listing and f"TS{cid:06d}" in listing


def test_daily_list_page_and_pdf(login, app):
    from pypdf import PdfReader

    _made(app, content="电梯异响")
    with app.app_context(), db.connection_context():
        services.create_work_order(Estate.get(name="示范花园"), source="业主来电",
                                   description="水管爆裂", reported_by=_u("desk"),
                                   unit=Unit.select().first())
    desk = login("desk")
    today = services.to_local(Estate(timezone="Asia/Shanghai"), datetime.utcnow()).date()
    page = desk.get(f"/service/complaints/daily?date={today}").text
    assert "电梯异响" in page and "BX000001" in page and "已受理" in page
    assert "当日没有受理投诉" in desk.get("/service/complaints/daily?date=2001-01-01").text
    assert desk.get("/service/complaints/daily?date=坏").status_code == 200
    pdf = desk.get(f"/service/complaints/daily.pdf?date={today}")
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert "投诉报修日盘点" in text and "王女士" in text and "盘点人" in text


def test_stats_page(login, app):
    _made(app)
    desk = login("desk")
    today = date.today()
    page = desk.get(f"/service/complaints/stats?month={today:%Y-%m}").text
    assert "按原因分类" in page and "未分类" in page and "来电：1 次" in page
    assert desk.get("/service/complaints/stats?month=2026-13").status_code == 200
    assert desk.get("/service/complaints/stats?month=<x>").status_code == 200


def test_settings_change_due_hours_and_causes(login, app):
    assert login("desk").get("/service/settings").status_code == 403
    sup = login("supervisor")
    bad = sup.post("/service/settings", data={"urgent_hours": "0", "high_hours": "abc",
                                              "normal_hours": "x" * 10000,
                                              "complaint_reply_hours": "<b>"})
    assert bad.status_code == 422 and "请填写 1 到 2000 之间的整数" in bad.text
    ok = sup.post("/service/settings", data={"urgent_hours": "1", "high_hours": "12",
                                             "normal_hours": "48", "complaint_reply_hours": "8"})
    assert ok.status_code == 302
    with app.test_request_context(), db.connection_context():
        estate = Estate.get(name="示范花园")
        order = services.create_work_order(estate, source="员工发现", description="x",
                                           reported_by=_u("desk"), place="大门", priority="紧急",
                                           now=NOW)
        assert order.due_at == NOW + timedelta(hours=1)
    assert sup.post("/service/settings/causes", data={"name": "停车管理"}).status_code == 302
    assert "已有这个分类" in sup.post("/service/settings/causes", data={"name": "停车管理"}).text
    assert sup.post("/service/settings/causes", data={"name": ""}).status_code == 422
    with app.app_context(), db.connection_context():
        cause = ComplaintCause.get(ComplaintCause.name == "停车管理")
    sup.post(f"/service/settings/causes?toggle={cause.id}")
    with app.app_context(), db.connection_context():
        assert not ComplaintCause.get_by_id(cause.id).active


def test_complaint_pdf_major_file_group(login, app):
    from pypdf import PdfReader

    cid = _made(app)
    desk = login("desk")
    _post(desk, cid, "classify", cause=0, event=0, new_event="", major="y")
    text = PdfReader(io.BytesIO(desk.get(f"/service/complaints/{cid}.pdf").data)) \
        .pages[0].extract_text()
    assert "重大投诉处理记录" in text and "楼上装修噪音太大" in text and "重大投诉" in text
    assert login("guard").get(f"/service/complaints/{cid}.pdf").status_code == 403


def test_hand_over_through_the_web_and_after_close(login, app):
    cid = _made(app)
    with app.app_context(), db.connection_context():
        eng = _u("engineer")
    desk = login("desk")
    missing = _post(desk, cid, "handover", owner=eng.id, due_at="")
    assert missing.status_code == 422 and "请填写约定回复时间" in missing.text
    past = _post(desk, cid, "handover", owner=eng.id, due_at="2001-01-01T10:00")
    assert "约定回复时间应晚于现在" in past.text
    assert _post(desk, cid, "handover", owner=eng.id, due_at="2099-01-01T10:00",
                 note="请工程部核实").status_code == 302
    page = login("engineer").get(f"/service/complaints/{cid}").text
    assert "转交 陈工，约定 01-01 10:00 前回复：请工程部核实" in page and "记录处理" in page
    eng_client = login("engineer")
    assert _post(eng_client, cid, "handle", reply="已修复", agreed="同意").status_code == 302
    desk = login("desk")
    _post(desk, cid, "followup", satisfaction="满意")
    closed = _post(desk, cid, "handover", owner=eng.id, due_at="2099-01-01T10:00")
    assert closed.status_code == 422 and "不能转交" in closed.text


@pytest.mark.parametrize("slug,fields", [
    ("handover", ("owner", "due_at", "note")),
    ("followup", ("satisfaction", "comment")),
    ("classify", ("cause", "event", "new_event")),
    ("amend", ("note",)),
])
@pytest.mark.parametrize("value", ["", "x" * 10000, "<script>alert(1)</script>", "1; DROP",
                                   "\x00"])
def test_complaint_step_forms_hostile_values(login, app, slug, fields, value):
    cid = _made(app)
    client = login("desk")
    response = _post(client, cid, slug, **{f: value for f in fields})
    assert response.status_code in (302, 422)
    if response.status_code == 422:
        assert any(m in response.text for m in ("请", "不能", "无法识别", "格式不对"))
    assert "<script>alert(1)</script>" not in client.get(f"/service/complaints/{cid}").text
    raw = client.post(f"/service/complaints/{cid}/{slug}", data=b"note=\xff\xfe&owner=\xc3",
                      content_type="application/x-www-form-urlencoded")
    assert raw.status_code in (302, 422)


def test_nav_badges_for_owner_and_supervisor(login, app):
    _made(app)
    _made(app)
    page = login("desk").get("/service/complaints").text
    assert 'href="/service/complaints"' in page and '<span class="badge">2</span>' in page
    with app.app_context(), db.connection_context():
        services.create_work_order(Estate.get(name="示范花园"), source="员工发现",
                                   description="路灯不亮", reported_by=_u("guard"), place="东门")
    assert '<span class="badge">1</span>' in login("supervisor").get("/service/orders").text
