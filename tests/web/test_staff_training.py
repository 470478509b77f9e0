"""培训 (issue 21): the month's plan drafted by the supervisor, approved by the manager; the
sign-in QR on the trainer's phone accepted during the session, refused before and after;
考核 results; attendance and results feed the 月评.

Sessions are placed around the test's `now`: the module is marked `clock`."""
from datetime import timedelta

import pytest
import time_machine

from tests.factories import staff as records
from wyapp.labels import current_label
from wyapp.models import Estate
from wyapp.staff.evaluations import MonthFacts
from wyapp.staff.models import TrainingAttendee, TrainingPlan, TrainingSession

pytestmark = pytest.mark.clock


def _estate():
    return Estate.get(Estate.name == "示范花园")


def _plan_a_session(client, login, in_db, now, starts_before=10, minutes=60):
    """The supervisor adds a session (张保安 and 陈工 attend, 李主管 trains) that began
    `starts_before` minutes before `now`, submits; the manager approves. Returns the
    session and the QR's path /c/<token>."""
    with in_db():
        estate = _estate()
        local = estate.local(now) - timedelta(minutes=starts_before)
        ids = {n: records.staff(n).id for n in ("guard", "engineer", "supervisor")}
    end = local + timedelta(minutes=minutes)
    login("supervisor")
    page = client.get("/staff/training")
    assert page.status_code == 200 and "添加培训场次" in page.text
    posted = client.post(f"/staff/training?month={local:%Y-%m}", data={
        "topic": "消防器材使用", "trainer": ids["supervisor"], "day": f"{local:%Y-%m-%d}",
        "starts": f"{local:%H:%M}", "ends": f"{end:%H:%M}",  # past midnight: the next day
        "place": "物业中心会议室", "attendees": [ids["guard"], ids["engineer"]]})
    assert posted.status_code == 302, posted.text
    with in_db():
        plan = TrainingPlan.get()
        session = TrainingSession.get()
    assert client.post(f"/staff/training/{plan.id}/approve").status_code == 403
    assert client.post(f"/staff/training/{plan.id}/submit").status_code == 302
    login("manager")
    assert client.post(f"/staff/training/{plan.id}/approve").status_code == 302
    with in_db():
        assert TrainingPlan.get().status == "已批准"
        token = current_label("training", session.id).token
    return session, f"/c/{token}"


def test_sign_in_by_qr_during_the_session_and_not_after(client, login, in_db, now):
    session, qr = _plan_a_session(client, login, in_db, now)
    trainer_page = login("supervisor").get(f"/staff/training/sessions/{session.id}")
    assert trainer_page.status_code == 200 and "签到二维码" in trainer_page.text
    assert "aria-label=\"签到二维码\"" in trainer_page.text and "未签到" in trainer_page.text
    login("guard")
    assert "<h3>培训</h3>" in client.get("/").text  # on the attendee's home
    shown = client.get(qr)
    assert shown.status_code == 200 and "消防器材使用" in shown.text and ">签到<" in shown.text
    signed = client.post(qr)
    assert signed.status_code == 200 and "已签到" in signed.text
    assert client.post(qr).status_code == 200  # again: still signed in once
    login("gate")  # not on the list
    assert client.post(qr).status_code == 409
    with in_db():
        rows = {a.user.username: a.signed_at for a in TrainingAttendee.select()}
        assert rows["guard"] is not None and rows["engineer"] is None
    with time_machine.travel(session.ends_at + timedelta(minutes=1), tick=False):
        login("engineer")
        late = client.post(qr)
        assert late.status_code == 410 and "这场培训已经结束" in late.text
        assert client.get(qr).status_code == 410
        page = login("supervisor").get(f"/staff/training/sessions/{session.id}")
        assert "aria-label=\"签到二维码\"" not in page.text and "已经结束" in page.text
    with in_db():
        assert TrainingAttendee.get(TrainingAttendee.user == records.staff("engineer").id) \
            .signed_at is None


def test_sign_in_is_refused_before_the_session(client, login, in_db, now):
    session, qr = _plan_a_session(client, login, in_db, now, starts_before=-60)
    refused = login("guard").post(qr)
    assert refused.status_code == 410 and "培训还没有开始" in refused.text


def test_results_are_recorded_by_the_trainer_and_feed_the_month(client, login, in_db, now):
    session, qr = _plan_a_session(client, login, in_db, now)
    login("guard").post(qr)
    with in_db():
        attendees = {a.user.username: a.id for a in TrainingAttendee.select()}
    login("engineer")  # neither trainer nor lead
    assert client.post(f"/staff/training/sessions/{session.id}/results/{attendees['guard']}",
                       data={f"a{attendees['guard']}-result": "合格"}).status_code == 403
    login("supervisor")
    for name, result in (("guard", "合格"), ("engineer", "不合格")):
        key = f"a{attendees[name]}"
        assert client.post(f"/staff/training/sessions/{session.id}/results/{attendees[name]}",
                           data={f"{key}-result": result, f"{key}-score": 85 if result == "合格"
                                 else 40}).status_code == 302
    page = client.get(f"/staff/training/sessions/{session.id}")
    assert "考核 <strong>合格</strong> 85 分" in page.text and "不合格" in page.text
    with in_db():
        estate = _estate()
        first = estate.today(session.starts_at).replace(day=1)
        facts = MonthFacts(estate, first, session.ends_at + timedelta(minutes=1))
        guard, engineer = (facts.of(records.staff(n)) for n in ("guard", "engineer"))
        assert (guard["training_required"], guard["training_attended"],
                guard["training_failed"]) == (1, 1, 0)
        assert (engineer["training_required"], engineer["training_attended"],
                engineer["training_failed"]) == (1, 0, 1)
