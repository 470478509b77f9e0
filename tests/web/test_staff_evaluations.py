"""月评 (issue 21): the draft's figures against rows made here, the supervisor's scores and
奖惩, the manager's approval, who sees which, the archived 月度考评表 read back.

Last month is the estate's, derived from the test's `now`: the module is marked `clock`."""
import json
from datetime import timedelta

import pytest
from pypdf import PdfReader

from tests import factories
from tests.factories import inspection, patrol, service
from tests.factories import staff as records
from tests.factories.patrol import local
from wyapp.archive import services as archive
from wyapp.models import Estate
from wyapp.service.models import Complaint
from wyapp.staff.evaluations import approve_evaluation, draft_due, draft_month, facts_of, score
from wyapp.staff.models import Evaluation

pytestmark = pytest.mark.clock


def _estate():
    return Estate.get(Estate.name == "示范花园")


def _last_month(estate, now):
    return (estate.today(now).replace(day=1) - timedelta(days=1)).replace(day=1)


def _month(first):
    """(first, days) of last month: day(n) is its n-th day."""
    return lambda n: first + timedelta(days=n - 1)


def _records(estate, now):
    """Last month's rows of the guard, the engineer and the desk; returns its first day."""
    first = _last_month(estate, now)
    day = _month(first)
    guard, engineer, desk = (records.staff(n) for n in ("guard", "engineer", "desk"))
    white = records.shift(estate, "白班", "08:00", "20:00")
    # guard: on duty days 10, 11, 20; walks day 10's round (one scan too fast), misses day
    # 11's; the rest of the month's rounds fall on days nobody was rostered
    for n in (10, 11, 20):
        records.entry(estate, guard, day(n), white)
    points = [patrol.checkpoint(estate, "东门"), patrol.checkpoint(estate, "北门")]
    route = patrol.route(estate, points, "白班巡逻", min_seconds=60)
    patrol.schedule(route, times="10:00", window=60, valid_from=local(estate, day(10)))
    patrol.scan(estate, points[0], local(estate, day(10), 10, 5), user=guard)
    patrol.scan(estate, points[1], local(estate, day(10), 10, 5, 20), user=guard)
    records.leave(estate, guard, day(20), kind="病假", now=local(estate, day(15), 9),
                  approved_by=[records.staff("supervisor")])
    # engineer: on duty days 25 and 26; day 25's sheet in time, day 26's never
    for n in (25, 26):
        records.entry(estate, engineer, day(n), white, team="工程")
    plan = inspection.plan_for(estate, "DT-01", frequency="每日", engineers=[],
                               created_at=local(estate, day(25)))
    inspection.sheet(plan, day(25), submit_at=local(estate, day(25), 15))
    for n, late, satisfaction in ((3, False, "满意"), (4, False, "不满意"), (5, True, "")):
        done = local(estate, day(n), 16)
        service.work_order(estate, now=local(estate, day(n), 9), assignee=engineer,
                           status="关闭", completed_at=done, satisfaction=satisfaction,
                           due_at=done + timedelta(hours=-1 if late else 1))
    # desk: two complaints handled, one reply within the promised time
    for n, kept in ((6, True), (7, False)):
        made = service.complaint(estate, now=local(estate, day(n), 9))
        due = local(estate, day(n), 12)
        Complaint.update(owner=desk, handled_at=local(estate, day(n), 15), due_at=due,
                         first_reply_at=due + timedelta(hours=-1 if kept else 1),
                         status="已处理").where(Complaint.id == made.id).execute()
    return first


def test_the_draft_counts_what_the_month_recorded(app, in_db, now):
    with in_db():
        estate = _estate()
        first = _records(estate, now)
        assert draft_month(estate, first, now) == 4  # guard, gate, engineer, desk
        drafts = {e.user.username: e for e in Evaluation.select()}
        guard = facts_of(drafts["guard"])
        assert {k: guard[k] for k in ("team", "rounds_done", "rounds_missed", "scans",
                                      "flagged_scans", "shifts", "shifts_on_leave",
                                      "leave_days")} == {
            "team": "秩序维护", "rounds_done": 1, "rounds_missed": 1, "scans": 2,
            "flagged_scans": 1, "shifts": 3, "shifts_on_leave": 1, "leave_days": {"病假": 1.0}}
        assert (drafts["guard"].facts_score, drafts["guard"].attendance_score) == (48, 98)
        engineer = facts_of(drafts["engineer"])
        assert {k: engineer[k] for k in ("sheets_on_time", "sheets_overdue", "orders_done",
                                         "orders_in_time", "satisfied", "unsatisfied")} == {
            "sheets_on_time": 1, "sheets_overdue": 1, "orders_done": 3, "orders_in_time": 2,
            "satisfied": 1, "unsatisfied": 1}
        assert drafts["engineer"].facts_score == 56  # (50 + 66.7 + 50) / 3
        desk = facts_of(drafts["desk"])
        assert (desk["complaints_handled"], desk["replies_kept"], desk["replies_late"]) == \
            (2, 1, 1)
        assert drafts["gate"].team == "门岗" and drafts["gate"].facts_score == 100


def test_the_periodic_job_drafts_last_month_once(app, in_db, now):
    with in_db():
        estate = _estate()
        other = factories.estate("别的小区", buildings=1)
        factories.user("far", roles=("guard",), estates=[other])
        factories.estate("空小区", buildings=1)  # nobody to evaluate: never drafted
        assert draft_due(now) == {"别的小区": 1}  # one estate a tick
        assert draft_due(now) == {"示范花园": 4}
        assert draft_due(now) == {}
        assert {e.month for e in Evaluation.select()} == {f"{_last_month(estate, now):%Y-%m}"}


def test_supervisor_scores_manager_approves_each_sees_what_they_may(client, login, in_db, now):
    with in_db():
        estate = _estate()
        first = _records(estate, now)
        draft_month(estate, first, now)
        ids = {e.user.username: e.id for e in Evaluation.select()}
    month = f"{first:%Y-%m}"
    login("guard")
    listed = client.get(f"/staff/evaluations?month={month}")
    assert "张保安" in listed.text and "陈工" not in listed.text
    assert client.get(f"/staff/evaluations/{ids['engineer']}").status_code == 404
    mine = client.get(f"/staff/evaluations/{ids['guard']}")
    assert mine.status_code == 200 and "漏巡（当班）：<strong>1</strong>" in mine.text
    assert client.post(f"/staff/evaluations/{ids['guard']}/score").status_code == 403
    login("supervisor")
    assert "陈工" in client.get(f"/staff/evaluations?month={month}").text
    url = f"/staff/evaluations/{ids['guard']}"
    bad = client.post(f"{url}/score", data={"attitude": 101, "appearance": 80,
                                            "discipline": 100})
    assert bad.status_code == 422 and "服务态度应在 0 到 100 之间" in bad.text
    assert client.post(f"{url}/score", data={"attitude": 90, "appearance": 80, "discipline": 100,
                                             "comment": "巡逻认真"}).status_code == 302
    assert client.post(f"{url}/reward", data={"kind": "奖励", "points": 2,
                                              "reason": "协助抓获小偷"}).status_code == 302
    assert client.post(f"{url}/approve").status_code == 403
    login("manager")
    assert client.post(f"{url}/approve").status_code == 302
    with in_db():
        evaluation = Evaluation.get_by_id(ids["guard"])
        # (35×48 + 20×98 + 5×100 + 15×90 + 10×80 + 15×100) / 100 + 2
        assert (evaluation.status, str(evaluation.total)) == ("已批准", "79.9")
    login("guard")
    page = client.get(url)
    assert "已批准" in page.text and "79.9" in page.text and "协助抓获小偷" in page.text


def test_weights_must_sum_to_100(client, login):
    login("manager")
    weights = {"manager_after_days": 3, "weight_facts": 40, "weight_attendance": 20,
               "weight_training": 5, "weight_attitude": 15, "weight_appearance": 10,
               "weight_discipline": 15}
    bad = client.post("/staff/settings", data=weights)
    assert bad.status_code == 422 and "各项权重之和应为 100（现在是 105）" in bad.text
    assert client.post("/staff/settings", data={**weights, "weight_facts": 35}).status_code == 302
    assert login("supervisor").get("/staff/settings").status_code == 403


def test_the_months_evaluations_are_filed_as_monthly_sheet(app, in_db, now):
    with in_db():
        estate = _estate()
        first = _records(estate, now)
        draft_month(estate, first, now)
        supervisor, manager = records.staff("supervisor"), records.staff("manager")
        month = f"{first:%Y-%m}"
        assert archive.file_document("staff_evaluations", estate, month) is None  # drafts
        for evaluation in Evaluation.select():
            score(evaluation, {"attitude": 90, "appearance": 90, "discipline": 90,
                               "comment": "表现良好"}, supervisor, now)
            approve_evaluation(evaluation, manager, now)
        doc = archive.file_document("staff_evaluations", estate, month)
        assert doc is not None
    reader = PdfReader(f"{app.config['DATA_DIR']}/archive/{doc.path}")
    text = "".join("".join(page.extract_text() for page in reader.pages).split())
    assert "月度考评表" in text and f"{first.year}年{first.month}月" in text
    assert "张保安" in text and "漏巡（当班）1" in text and "表现良好" in text
    data = json.loads(reader.attachments["source-data.json"][0])
    assert {row["name"]: row["team"] for row in data["rows"]} == {
        "张保安": "秩序维护", "赵门岗": "门岗", "陈工": "工程", "刘客服": "客服"}
    assert 'pdfaid:part="3"' in reader.trailer["/Root"]["/Metadata"].get_object().get_data() \
        .decode()
