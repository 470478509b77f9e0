"""当班人员（按排班） (issue 21): a patrol schedule or an inspection plan whose people come from
the staff roster — the rostered guard sees the round and the unrostered one does not; a
guard on approved leave does not, their replacement does; a missed round's alert names and
tells who was on duty; the same for an inspection plan's sheet and the 工程 roster.

The shift is a 24-hour 全天 shift on the local day of the window's start, so the tests hold
at any fixed clock; the module is marked `clock`."""
from datetime import timedelta

import pytest

from tests import factories
from tests.factories import inspection, patrol
from tests.factories import staff as records
from wyapp import features
from wyapp.inspection.models import Plan
from wyapp.inspection.plans import raise_overdue_alerts, today_slots
from wyapp.models import Estate, Notification
from wyapp.patrol import on_duty
from wyapp.patrol.models import Schedule
from wyapp.patrol.rounds import close_expired_rounds, guard_rounds
from wyapp.staff.attribution import missed_rounds, overdue_sheets

pytestmark = pytest.mark.clock


def _estate():
    return Estate.get(Estate.name == "示范花园")


def _all_day(estate):
    return records.shift(estate, "全天", "00:00", "00:00")


def _roster_schedule(estate, now, name, before=10):
    """A 当班人员 schedule of a one-point route whose window opened `before` minutes ago."""
    route = patrol.route(estate, [patrol.checkpoint(estate, f"{name}点")], name)
    made = patrol.around_now(route, now, before=before)
    Schedule.update(by_roster=True).where(Schedule.id == made.id).execute()
    return made


def _other_guard(estate):
    return factories.user("guard2", roles=("guard",), estates=[estate], display_name="孙保安")


def _window_day(estate, now, before=10):
    return estate.local(now - timedelta(minutes=before)).date()


def test_a_roster_schedule_shows_its_round_to_the_rostered_guard_only(app, in_db, now, login):
    with in_db():
        estate = _estate()
        _roster_schedule(estate, now, "东区按排班巡逻")
        _other_guard(estate)
        records.entry(estate, records.staff("guard"), _window_day(estate, now), _all_day(estate))
    for username, sees in (("guard", True), ("guard2", False)):
        client = login(username)
        for path in ("/patrol/", "/"):
            page = client.get(path)
            assert page.status_code == 200
            assert ("东区按排班巡逻" in page.text) is sees, (username, path)


def test_a_guard_on_leave_does_not_get_the_round_the_replacement_does(app, in_db, now, login):
    with in_db():
        estate = _estate()
        _roster_schedule(estate, now, "东区按排班巡逻")
        guard, other = records.staff("guard"), _other_guard(estate)
        day = _window_day(estate, now)
        entry = records.entry(estate, guard, day, _all_day(estate))
        records.leave(estate, guard, day, kind="病假", now=now - timedelta(days=5),
                      approved_by=[records.staff("supervisor")])
        assert on_duty.roster_guards(estate, now) == []  # the gap, before a replacement
        records.entry(estate, other, day, _all_day(estate), covers=entry)
        assert [u.display_name for u in on_duty.roster_guards(estate, now)] == ["孙保安"]
    assert "东区按排班巡逻" not in login("guard").get("/patrol/").text
    page = login("guard2").get("/patrol/")
    assert page.status_code == 200 and "东区按排班巡逻" in page.text


def test_a_missed_roster_round_is_alerted_to_and_put_down_to_the_guard_on_duty(app, in_db, now,
                                                                              login):
    with in_db():
        estate = _estate()
        schedule = _roster_schedule(estate, now, "夜间按排班巡逻", before=180)  # ended 2 h ago
        guard, other = records.staff("guard"), _other_guard(estate)
        records.entry(estate, guard, _window_day(estate, now, 180), _all_day(estate))
        assert close_expired_rounds(now)["alerted"] == 1
        [mine] = Notification.select().where(Notification.user == guard,
                                             Notification.kind == "patrol_missed")
        assert mine.title.startswith("漏巡：夜间按排班巡逻") and "当班：张保安。" in mine.body
        lead = Notification.get(Notification.user == records.staff("supervisor"),
                                Notification.kind == "patrol_missed")
        assert "当班：张保安。" in lead.body
        assert not Notification.select().where(Notification.user == other).exists()
        start = now - timedelta(hours=4)
        [found] = [f for f in missed_rounds(estate, start, now, now)
                   if f["view"].schedule.id == schedule.id]
        assert [u.display_name for u in found["people"]] == ["张保安"]
        day = _window_day(estate, now, 180)
    page = login("supervisor").get(f"/patrol/reports/day?date={day:%Y-%m-%d}")
    assert page.status_code == 200
    assert "夜间按排班巡逻" in page.text and "当班：张保安" in "".join(page.text.split())


def test_without_the_staff_feature_any_guard_walks_a_roster_schedule(app, in_db, now,
                                                                      monkeypatch):
    monkeypatch.setattr(features, "ENABLED", tuple(p for p in features.ENABLED
                                                   if p != "wyapp.staff"))
    with in_db():
        estate = _estate()
        _roster_schedule(estate, now, "东区按排班巡逻")
        other = _other_guard(estate)
        assert on_duty.roster_guards(estate, now) is None
        current, _ = guard_rounds(estate, other, now)
        assert [v.route.name for v in current] == ["东区按排班巡逻"]


def test_the_schedule_form_saves_the_roster_choice(app, in_db, now, login):
    with in_db():
        estate = _estate()
        route = patrol.route(estate, [patrol.checkpoint(estate, "南门")], "南区路线")
    client = login("supervisor")
    page = client.get("/patrol/schedules/new")
    assert "当班人员（按排班）" in page.text and "指定人员" in page.text
    response = client.post("/patrol/schedules/new", data={
        "name": "南区当班巡逻", "route": route.id, "weekdays": list("1234567"),
        "mode": "fixed", "start_times": "08:00, 20:00", "window_minutes": 60,
        "crew": "roster", "active": "y"})
    assert response.status_code == 302, response.text
    with in_db():
        made = Schedule.get(Schedule.name == "南区当班巡逻")
        assert made.by_roster and made.any_guard
    assert "当班人员（按排班）" in client.get("/patrol/schedules").text


# ── inspection plans on 当班人员: the 工程 roster ──

def _roster_plan(estate):
    made = inspection.plan_for(estate, "DT-01", frequency="每日", engineers=[])
    Plan.update(by_roster=True).where(Plan.id == made.id).execute()
    return made


def _other_engineer(estate):
    return factories.user("engineer2", roles=("engineer",), estates=[estate],
                          display_name="周工")


def test_a_roster_plans_sheet_is_the_rostered_engineers_only(app, in_db, now, login):
    with in_db():
        estate = _estate()
        plan = _roster_plan(estate)
        engineer, other = records.staff("engineer"), _other_engineer(estate)
        records.entry(estate, engineer, estate.today(now), _all_day(estate), team="工程")
        assert [s.plan.id for s in today_slots(estate, now, engineer)] == [plan.id]
        assert today_slots(estate, now, other) == []
        name = plan.equipment.name
    assert name in login("engineer").get("/").text
    assert name not in login("engineer2").get("/").text


def test_an_overdue_roster_sheet_is_alerted_to_the_replacement_not_the_engineer_on_leave(
        app, in_db, now):
    with in_db():
        estate = _estate()
        plan = _roster_plan(estate)
        engineer, other = records.staff("engineer"), _other_engineer(estate)
        yesterday = estate.today(now) - timedelta(days=1)
        entry = records.entry(estate, engineer, yesterday, _all_day(estate), team="工程")
        records.leave(estate, engineer, yesterday, kind="病假", now=now - timedelta(days=5),
                      approved_by=[records.staff("supervisor")])
        records.entry(estate, other, yesterday, _all_day(estate), team="工程", covers=entry)
        assert raise_overdue_alerts(now) >= 1
        when = f"{yesterday:%m-%d}"
        [alert] = Notification.select().where(Notification.user == other,
                                              Notification.kind == "inspection_overdue")
        assert when in alert.title and "当班：周工。" in alert.body
        assert not Notification.select().where(Notification.user == engineer,
                                               Notification.kind == "inspection_overdue",
                                               Notification.title.contains(when)).exists()
        lead = Notification.get(Notification.user == records.staff("supervisor"),
                                Notification.kind == "inspection_overdue",
                                Notification.title.contains(when))
        assert "当班：周工。" in lead.body
        found = [f for f in overdue_sheets(estate, yesterday, yesterday, now)
                 if f["slot"].plan.id == plan.id]
        assert [[u.display_name for u in f["people"]] for f in found] == [["周工"]]


def test_the_plan_form_saves_the_roster_choice(app, in_db, now, login):
    with in_db():
        estate = _estate()
        equipment = inspection.equipment(estate, "SB-01")
        checklist = inspection.checklist(estate, "水泵房日检表")
        engineer_id = records.staff("engineer").id
    client = login("supervisor")
    page = client.get("/inspection/plans/new")
    assert "当班人员（按排班）" in page.text
    response = client.post("/inspection/plans/new", data={
        "equipment": equipment.id, "checklist": checklist.id, "frequency": "每日",
        "crew": "roster", "engineers": [engineer_id], "active": "y"})
    assert response.status_code == 302, response.text
    with in_db():
        made = Plan.get(Plan.equipment == equipment.id)
        assert made.by_roster and not list(made.engineer_rows)
    assert "当班人员（按排班）" in client.get("/inspection/plans").text
