"""Complaints by the office's procedure: intake, hand-over, rounds, 回访, closing, counting."""
import io
from datetime import timedelta

import pytest

from tests import factories
from tests.factories import service as sf
from wyapp.errors import DomainError, NotAllowed
from wyapp.models import Notification
from wyapp.service import complaints as desk_rules
from wyapp.service.models import Complaint, ComplaintCause, ComplaintStep
from wyapp.service.reports import daily_list, monthly_stats

pytestmark = pytest.mark.clock  # promised reply times, 日盘点 days and months from the clock


@pytest.fixture
def office(in_db):
    """Inside the app and a connection: the office's estate (示范花园)."""
    with in_db():
        yield sf.home()


def _u(name):
    return sf.staff(name)


def _wall(estate, moment):
    return f"{estate.local(moment):%m-%d %H:%M}"


def test_neighbour_dispute_never_forces_name_or_unit(office, now):
    c = sf.complaint(office, now=now, name="", phone="", neighbour_dispute=True,
                     content="邻居狗叫")
    assert c.who == "未留姓名" and c.owner_id == _u("desk").id
    assert c.due_at == now + timedelta(hours=24)
    with pytest.raises(DomainError, match="请填写投诉人姓名") as refused:
        sf.complaint(office, now=now, name="")
    assert refused.value.field == "name"
    with pytest.raises(DomainError, match="请填写房号或联系电话"):
        sf.complaint(office, now=now, phone="")


def test_hand_over_needs_owner_and_promised_time(office, now):
    with pytest.raises(DomainError, match="约定回复时间"):
        sf.complaint(office, now=now, owner=_u("supervisor"))
    with pytest.raises(DomainError, match="责任人"):
        sf.complaint(office, now=now, owner=_u("guard"), due_at=now + timedelta(hours=4))
    c = sf.complaint(office, now=now, owner=_u("engineer"), due_at=now + timedelta(hours=4))
    assert c.owner_id == _u("engineer").id and c.due_at == now + timedelta(hours=4)
    steps = desk_rules.complaint_timeline(c)
    assert [s["step"] for s in steps] == ["受理", "转交"]
    # the promised time is the estate's wall time, whatever the machine's zone
    assert f"转交 陈工，约定 {_wall(office, now + timedelta(hours=4))} 前回复" in steps[1]["note"]
    told = Notification.get(Notification.user == _u("engineer"))
    assert told.kind == "complaint" and told.title == f"转交投诉 {c.code}，请按约定时间回复"
    assert c.code == f"TS{c.id:06d}"


def test_rounds_until_agreed_then_follow_up_closes(office, now):
    c = sf.complaint(office, now=now)
    desk_rules.handle(c, _u("desk"), reply="已联系楼上", agreed=False,
                      now=now + timedelta(hours=2), next_due=now + timedelta(hours=30))
    assert c.status == "协商中" and c.first_reply_at == now + timedelta(hours=2)
    assert c.due_at == now + timedelta(hours=30) and not c.was_overdue
    desk_rules.handle(c, _u("desk"), reply="限定施工时间", measures="张贴装修时间公告",
                      agreed=True, now=now + timedelta(hours=26))
    assert c.status == "已处理"
    desk_rules.follow_up(c, _u("desk"), "不满意", "还是吵", now=now + timedelta(days=2))
    assert c.status == "协商中"
    desk_rules.handle(c, _u("supervisor"), reply="主管上门协调", agreed=True,
                      now=now + timedelta(days=3))
    desk_rules.follow_up(c, _u("desk"), "基本满意", now=now + timedelta(days=4))
    assert c.status == "已关闭" and c.close_reason == "回访满意"
    steps = [s["step"] for s in desk_rules.complaint_timeline(c)]
    assert steps == ["受理", "处理", "处理", "回访", "处理", "回访", "关闭"]
    with pytest.raises(DomainError, match="不能处理"):
        desk_rules.handle(c, _u("desk"), reply="x", agreed=True, now=now + timedelta(days=5))


def test_refused_steps(office, now):
    c = sf.complaint(office, now=now, owner=_u("engineer"), due_at=now + timedelta(hours=4))
    with pytest.raises(NotAllowed):
        desk_rules.handle(c, _u("guard"), reply="x", agreed=True)
    with pytest.raises(NotAllowed):
        desk_rules.follow_up(c, _u("engineer"), "满意")
    with pytest.raises(DomainError, match="不能回访"):
        desk_rules.follow_up(c, _u("desk"), "满意")
    with pytest.raises(DomainError, match="请选择投诉人是否同意"):
        desk_rules.handle(c, _u("engineer"), reply="x", agreed=None)
    with pytest.raises(DomainError, match="请填写答复内容"):
        desk_rules.handle(c, _u("engineer"), reply=" ", agreed=True)


def test_auto_close_seven_days_after_handling(office, now):
    c = sf.complaint(office, now=now)
    desk_rules.handle(c, _u("desk"), reply="已清理", agreed=True, needs_followup=False, now=now)
    assert desk_rules.auto_close_complaints(now + timedelta(days=6, hours=23)) == 0
    assert desk_rules.auto_close_complaints(now + timedelta(days=7)) == 1
    c = Complaint.get_by_id(c.id)
    assert c.status == "已关闭" and c.close_reason == "处理后一周内无再次投诉"
    assert desk_rules.complaint_timeline(c)[-1]["actor"] == "系统"


def test_no_auto_close_when_a_repeat_complaint_is_linked(office, now):
    first = sf.complaint(office, now=now)
    desk_rules.classify(first, _u("desk"), new_event="3号楼垃圾站异味", now=now)
    desk_rules.handle(first, _u("desk"), reply="已清理", agreed=True, needs_followup=False,
                      now=now)
    later = now + timedelta(days=3)
    repeat = sf.complaint(office, now=later, name="李先生", phone="13900000000",
                          received_at=later)
    desk_rules.classify(repeat, _u("desk"), event=first.event, now=later)
    assert desk_rules.auto_close_complaints(now + timedelta(days=8)) == 0
    assert Complaint.get_by_id(first.id).status == "已处理"
    # a complaint about the same event after that week does not hold it open
    other = sf.complaint(office, now=now)
    desk_rules.classify(other, _u("desk"), new_event="别的事件", now=now)
    desk_rules.handle(other, _u("desk"), reply="ok", agreed=True, needs_followup=False, now=now)
    later = now + timedelta(days=9)
    late = sf.complaint(office, now=later, received_at=later)
    desk_rules.classify(late, _u("desk"), event=other.event, now=later)
    assert desk_rules.auto_close_complaints(now + timedelta(days=10)) == 1


def test_event_counts_once_with_people_and_times(office, now):
    hygiene = sf.cause(office, "环境卫生")
    event_made = None
    for name, phone in [("王女士", "13800000001"), ("李先生", "13800000002"),
                        ("赵阿姨", "13800000003"), ("王女士", "13800000001")]:
        c = sf.complaint(office, now=now, name=name, phone=phone)
        desk_rules.classify(c, _u("desk"), cause=hygiene, event=event_made,
                            new_event="" if event_made else "垃圾站异味", now=now)
        event_made = c.event
    single = sf.complaint(office, now=now, channel="网上")
    desk_rules.classify(single, _u("desk"), cause=sf.cause(office, "收费"), major=True, now=now)
    today = office.today(now)
    stats = monthly_stats(office, today.year, today.month, now=now)
    assert stats["complaints"] == 5 and stats["cases"] == 2
    row = next(r for r in stats["by_cause"] if r["cause"] == "环境卫生")
    assert row == {"cause": "环境卫生", "cases": 1, "people": 3, "times": 4}
    assert stats["events"] == [{"title": "垃圾站异味", "cause": "环境卫生", "people": 3,
                                "times": 4}]
    assert stats["by_channel"] == {"来电": 4, "网上": 1}
    assert [c.id for c in stats["major"]] == [single.id]
    complaints, orders = daily_list(office, today)
    assert len(complaints) == 5 and orders == []
    assert [c.who for c in desk_rules.complaint_list(office, "major", _u("desk"))] == ["王女士"]


def test_day_and_month_are_the_estates_not_the_machines(office, now):
    """A complaint received just before the estate's midnight counts on that local day and
    in that local month; one just after, on the next."""
    today = office.today(now)
    midnight = office.day_start(today + timedelta(days=1))
    before = sf.complaint(office, now=now, received_at=min(now, midnight - timedelta(minutes=1)))
    after = sf.complaint(office, now=midnight + timedelta(minutes=1),
                         received_at=midnight + timedelta(minutes=1), name="李先生")
    assert [c.id for c in daily_list(office, today)[0]] == [before.id]
    assert [c.id for c in daily_list(office, today + timedelta(days=1))[0]] == [after.id]
    first = office.today(before.received_at)
    month = monthly_stats(office, first.year, first.month, now=now)
    tomorrow = today + timedelta(days=1)
    assert month["complaints"] == (2 if tomorrow.month == first.month else 1)


def test_overdue_alert_once_to_owner_and_supervisors(office, now):
    c = sf.complaint(office, now=now, owner=_u("engineer"), due_at=now + timedelta(hours=1))
    assert desk_rules.alert_overdue_complaints(now) == 0
    assert desk_rules.alert_overdue_complaints(now + timedelta(hours=2)) == 1
    assert desk_rules.alert_overdue_complaints(now + timedelta(hours=3)) == 0
    alerts = list(Notification.select().where(Notification.kind == "complaint_overdue"))
    assert {n.user.username for n in alerts} == {"engineer", "supervisor", "manager"}
    assert alerts[0].title == f"投诉超时未回复 {c.code}"
    assert Complaint.get_by_id(c.id).was_overdue
    today = office.today(now)
    stats = monthly_stats(office, today.year, today.month, now=now + timedelta(hours=3))
    assert stats["overdue"] == 1


# ── through the web ──
def _local_input(estate, moment):
    """A time as the browser's datetime-local field sends it, in the estate's zone."""
    return f"{estate.local(moment):%Y-%m-%dT%H:%M}"


def test_intake_form_then_page(login, in_db, now):
    with in_db():
        estate, sup = sf.home(), _u("supervisor")
    promised = now + timedelta(days=1)
    desk = login("desk")
    response = desk.post("/service/complaints/new", data={
        "channel": "来访", "name": "", "unit": "", "phone": "", "neighbour_dispute": "y",
        "content": "邻居在楼道堆放杂物", "handling": "转交责任人", "owner": "",
        "due_at": _local_input(estate, promised), "needs_followup": "y"})
    assert response.status_code == 422 and "请选择责任人" in response.text
    response = desk.post("/service/complaints/new", data={
        "channel": "来访", "neighbour_dispute": "y", "content": "邻居在楼道堆放杂物",
        "handling": "转交责任人", "owner": sup.id, "due_at": _local_input(estate, promised),
        "needs_followup": "y"})
    assert response.status_code == 302
    page = login("supervisor").get(response.headers["Location"]).text
    assert "邻居在楼道堆放杂物" in page and "未留姓名" in page and "邻里纠纷" in page
    assert f"转交 李主管，约定 {_wall(estate, promised)} 前回复" in page and "记录处理" in page
    with in_db():
        made = Complaint.get()
        assert made.due_at == promised.replace(second=0, microsecond=0)
    assert f"投诉 {made.code}" in page


@pytest.mark.parametrize("value", ["", "x" * 10000, "<script>alert(1)</script>",
                                   "1' OR '1'='1", "\x00坏\x07"])
def test_intake_form_hostile_values(login, in_db, value):
    desk = login("desk")
    response = desk.post("/service/complaints/new", data={
        k: value for k in ("channel", "name", "unit", "phone", "content", "received_at",
                           "handling", "owner", "due_at")})
    assert response.status_code in ((400, 422) if "\x00" in value else (422,))
    assert any(m in response.text for m in ("请", "不能超过", "无法识别", "格式不对"))
    assert "<script>alert(1)</script>" not in response.text
    with in_db():
        assert Complaint.select().count() == 0


@pytest.mark.parametrize("owner", ["99999999999999999999", "-1", "0", "1e3"])
def test_intake_refuses_an_owner_that_cannot_exist(login, in_db, owner):
    response = login("desk").post("/service/complaints/new", data={
        "channel": "来访", "neighbour_dispute": "y", "content": "x", "handling": "转交责任人",
        "owner": owner, "due_at": "2099-01-01T10:00"})
    assert response.status_code == 422 and "请选择责任人" in response.text
    with in_db():
        assert Complaint.select().count() == 0


def test_intake_bad_dates_and_unit(login):
    desk = login("desk")
    base = {"channel": "来电", "name": "王", "phone": "13800138000", "content": "x",
            "handling": "自行处理"}
    assert "受理时间格式不对" in desk.post("/service/complaints/new",
                                    data={**base, "received_at": "明天"}).text
    assert "没有房号" in desk.post("/service/complaints/new",
                                data={**base, "unit": "99-99"}).text
    assert "电话应为 11 位手机号，或带区号的座机号" in desk.post("/service/complaints/new",
                                     data={**base, "phone": "abc"}).text


def _post(client, cid, slug, htmx=False, **data):
    return client.post(f"/service/complaints/{cid}/{slug}", data=data,
                       headers={"HX-Request": "true"} if htmx else {})


def _made(in_db, **fields):
    with in_db():
        return sf.complaint(**fields).id


def test_steps_through_the_web_with_htmx_fragment(login, in_db):
    cid = _made(in_db)
    desk = login("desk")
    fragment = _post(desk, cid, "handle", htmx=True, investigation="现场查看", reply="已协调",
                     agreed="不同意", next_due="")
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.strip().startswith('<div id="complaint">')
    assert "协商中" in fragment.text and "投诉人不同意，继续协商" in fragment.text
    assert _post(desk, cid, "handle", reply="已解决", agreed="同意").status_code == 302
    with in_db():
        cause = sf.cause(name="邻里纠纷")
    assert _post(desk, cid, "classify", cause=cause.id, event=0, new_event="装修噪音",
                 major="y").status_code == 302
    with in_db():  # SPEC §9: a 重大投诉 alerts the manager and the supervisor, once
        alerts = Notification.select().where(Notification.kind == "complaint_major")
        assert sorted(n.user.username for n in alerts) == ["manager", "supervisor"]
        assert alerts.first().link == f"/service/complaints/{cid}"
    assert _post(desk, cid, "followup", satisfaction="满意", comment="谢谢").status_code == 302
    page = desk.get(f"/service/complaints/{cid}").text
    assert "已关闭" in page and "重大投诉" in page and "装修噪音" in page
    assert "记录处理" not in page and "记录更正" in page  # read-only; amendment allowed
    assert _post(desk, cid, "amend", note="电话应为 13800138001").status_code == 302
    refused = _post(desk, cid, "handle", reply="x", agreed="同意")
    assert refused.status_code == 422 and "不能处理" in refused.text
    with in_db():
        assert ComplaintStep.select().where(ComplaintStep.step == "更正").count() == 1


@pytest.mark.parametrize("value", ["", "x" * 10000, "<b>x</b>", "'; --", "\x00"])
def test_handle_form_hostile_values(login, in_db, value):
    cid = _made(in_db)
    response = _post(login("desk"), cid, "handle", investigation=value, measures=value,
                     reply=value, agreed=value, next_due=value)
    assert response.status_code in ((400, 422) if "\x00" in value else (422,))
    assert any(m in response.text for m in ("请", "不能超过", "无法识别", "格式不对"))


def test_roles_and_estates(login, in_db):
    cid = _made(in_db)
    guard = login("guard")
    assert guard.get("/service/complaints/new").status_code == 403
    assert guard.get(f"/service/complaints/{cid}").status_code == 403
    assert guard.get("/service/complaints/daily").status_code == 403
    assert _post(guard, cid, "handle", reply="x", agreed="同意").status_code == 403
    eng = login("engineer")
    assert _post(eng, cid, "followup", satisfaction="满意").status_code == 403
    with in_db():
        other = factories.estate("别处")
        theirs = sf.complaint(other, content="他处", received_by=_u("admin"),
                              neighbour_dispute=True)
    assert login("desk").get(f"/service/complaints/{theirs.id}").status_code == 404


def test_owner_outside_the_desk_sees_own_complaint(login, in_db, now):
    with in_db():
        eng = _u("engineer")
    cid = _made(in_db, owner=eng, due_at=now + timedelta(hours=5))
    client = login("engineer")
    assert client.get(f"/service/complaints/{cid}").status_code == 200
    listing = client.get("/service/complaints?tab=all").text
    assert "我负责的" in listing and f"TS{cid:06d}" in listing


def test_daily_list_page_and_pdf(login, in_db, now):
    from pypdf import PdfReader

    _made(in_db, content="电梯异响")
    with in_db():
        order = sf.work_order(description="水管爆裂")
        today = sf.home().today(now)
    desk = login("desk")
    page = desk.get(f"/service/complaints/daily?date={today}").text
    assert "电梯异响" in page and order.code in page and "已受理" in page
    assert "电梯异响" in desk.get("/service/complaints/daily").text  # no date: the estate's today
    assert "当日没有受理投诉" in desk.get("/service/complaints/daily?date=2001-01-01").text
    assert desk.get("/service/complaints/daily?date=坏").status_code == 200
    pdf = desk.get(f"/service/complaints/daily.pdf?date={today}")
    assert pdf.mimetype == "application/pdf" and "no-store" in pdf.headers["Cache-Control"]
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert "投诉报修日盘点" in text and "王女士" in text and "盘点人" in text
    assert order.code in text


def test_stats_page(login, in_db, now):
    _made(in_db)
    with in_db():
        today = sf.home().today(now)
    desk = login("desk")
    page = desk.get(f"/service/complaints/stats?month={today:%Y-%m}").text
    assert "按原因分类" in page and "未分类" in page and "来电：1 次" in page
    assert "来电：1 次" in desk.get("/service/complaints/stats").text  # the estate's month
    assert desk.get("/service/complaints/stats?month=2026-13").status_code == 200
    assert desk.get("/service/complaints/stats?month=<x>").status_code == 200
    assert desk.get("/service/complaints/stats?month=9999-12").status_code == 200


def test_settings_change_due_hours_and_causes(login, in_db, now):
    assert login("desk").get("/service/settings").status_code == 403
    sup = login("supervisor")
    bad = sup.post("/service/settings", data={"urgent_hours": "0", "high_hours": "abc",
                                              "normal_hours": "x" * 10000,
                                              "complaint_reply_hours": "<b>"})
    assert bad.status_code == 422 and "请填写 1 到 2000 之间的整数" in bad.text
    ok = sup.post("/service/settings", data={"urgent_hours": "1", "high_hours": "12",
                                             "normal_hours": "48", "complaint_reply_hours": "8"})
    assert ok.status_code == 302
    with in_db():
        order = sf.work_order(place="大门", priority="紧急", now=now)
        assert order.due_at == now + timedelta(hours=1)
        assert sf.complaint(now=now).due_at == now + timedelta(hours=8)
    assert sup.post("/service/settings/causes", data={"name": "停车管理"}).status_code == 302
    assert "已有这个分类" in sup.post("/service/settings/causes", data={"name": "停车管理"}).text
    assert sup.post("/service/settings/causes", data={"name": ""}).status_code == 422
    with in_db():
        cause = ComplaintCause.get(ComplaintCause.name == "停车管理")
    sup.post(f"/service/settings/causes?toggle={cause.id}")
    with in_db():
        assert not ComplaintCause.get_by_id(cause.id).active


def test_complaint_pdf_major_file_group(login, in_db):
    from pypdf import PdfReader

    cid = _made(in_db)
    desk = login("desk")
    _post(desk, cid, "classify", cause=0, event=0, new_event="", major="y")
    response = desk.get(f"/service/complaints/{cid}.pdf")
    assert f'filename="TS{cid:06d}.pdf"' in response.headers["Content-Disposition"]
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "重大投诉处理记录" in text and "楼上装修噪音太大" in text and "重大投诉" in text
    assert f"TS{cid:06d}" in text
    assert login("guard").get(f"/service/complaints/{cid}.pdf").status_code == 403


def test_hand_over_through_the_web_and_after_close(login, in_db, now):
    cid = _made(in_db)
    with in_db():
        eng, estate = _u("engineer"), sf.home()
    promised = now + timedelta(days=2)
    desk = login("desk")
    missing = _post(desk, cid, "handover", owner=eng.id, due_at="")
    assert missing.status_code == 422 and "请填写约定回复时间" in missing.text
    past = _post(desk, cid, "handover", owner=eng.id,
                 due_at=_local_input(estate, now - timedelta(hours=1)))
    assert "约定回复时间应晚于现在" in past.text
    assert _post(desk, cid, "handover", owner=eng.id, due_at=_local_input(estate, promised),
                 note="请工程部核实").status_code == 302
    page = login("engineer").get(f"/service/complaints/{cid}").text
    assert f"转交 陈工，约定 {_wall(estate, promised)} 前回复：请工程部核实" in page
    assert "记录处理" in page
    eng_client = login("engineer")
    assert _post(eng_client, cid, "handle", reply="已修复", agreed="同意").status_code == 302
    desk = login("desk")
    _post(desk, cid, "followup", satisfaction="满意")
    closed = _post(desk, cid, "handover", owner=eng.id, due_at=_local_input(estate, promised))
    assert closed.status_code == 422 and "不能转交" in closed.text


@pytest.mark.parametrize("slug,fields", [
    ("handover", ("owner", "due_at", "note")),
    ("followup", ("satisfaction", "comment")),
    ("classify", ("cause", "event", "new_event")),
    ("amend", ("note",)),
])
@pytest.mark.parametrize("value", ["", "x" * 10000, "<script>alert(1)</script>", "1; DROP",
                                   "\x00"])
def test_complaint_step_forms_hostile_values(login, in_db, slug, fields, value):
    cid = _made(in_db)
    client = login("desk")
    response = _post(client, cid, slug, **{f: value for f in fields})
    assert response.status_code in ((302, 400, 422) if "\x00" in value else (302, 422))
    if response.status_code == 422:
        assert any(m in response.text for m in ("请", "不能", "无法识别", "格式不对"))
    assert "<script>alert(1)</script>" not in client.get(f"/service/complaints/{cid}").text
    raw = client.post(f"/service/complaints/{cid}/{slug}", data=b"note=\xff\xfe&owner=\xc3",
                      content_type="application/x-www-form-urlencoded")
    assert raw.status_code in (302, 422)


def test_nav_badges_for_owner_and_supervisor(login, in_db):
    _made(in_db)
    _made(in_db)
    page = login("desk").get("/service/complaints").text
    assert 'href="/service/complaints"' in page and '<span class="badge">2</span>' in page
    with in_db():
        sf.work_order(description="路灯不亮", reported_by=_u("guard"), place="东门")
    assert '<span class="badge">1</span>' in login("supervisor").get("/service/orders").text
