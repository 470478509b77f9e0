"""Missed rounds and overdue sheets are put down to who the roster had on duty (issue 21):
not to the person on approved leave, to the replacement when one was assigned.

Days are the estate's, derived from the test's `now`: the module is marked `clock`."""
from datetime import timedelta

import pytest

from tests import factories
from tests.factories import inspection, patrol
from tests.factories import staff as records
from tests.factories.patrol import local
from wyapp.models import Estate
from wyapp.staff.attribution import attributed_to, missed_rounds, overdue_sheets
from wyapp.staff.rosters import gaps

pytestmark = pytest.mark.clock


def _estate():
    return Estate.get(Estate.name == "示范花园")


def _names(users):
    return [u.display_name for u in users]


def _night_patrol(estate, now):
    """Guards on the night shift of three days; 张保安 on leave the middle one, 孙保安 his
    replacement; a 22:00 round every day, none walked. Returns (days, guard, other)."""
    today = estate.today(now)
    days = [today - timedelta(days=n) for n in (3, 2, 1)]
    guard, other = records.staff("guard"), factories.user(
        "guard2", roles=("guard",), estates=[estate], display_name="孙保安")
    night = records.shift(estate)
    entries = [records.entry(estate, guard, day, night) for day in days[:2]]
    records.leave(estate, guard, days[1], kind="病假", now=now - timedelta(days=5),
                  approved_by=[records.staff("supervisor")])
    [gap] = gaps(estate, local(estate, days[0]), local(estate, today))
    assert gap.id == entries[1].id
    records.entry(estate, other, days[1], night, covers=entries[1])
    route = patrol.route(estate, [patrol.checkpoint(estate, "北门")], "夜间巡逻")
    patrol.schedule(route, times="22:00", window=60, valid_from=local(estate, days[0]))
    return days, guard, other


def test_a_missed_round_goes_to_the_person_on_duty_not_the_one_on_leave(app, in_db, now,
                                                                         login):
    with in_db():
        estate = _estate()
        days, guard, other = _night_patrol(estate, now)
        found = missed_rounds(estate, local(estate, days[0]), local(estate, days[-1] +
                                                                     timedelta(days=1)), now)
        assert [(estate.local(f["view"].starts_at).date(), f["status"], _names(f["people"]))
                for f in found] == [(days[0], "漏巡", ["张保安"]), (days[1], "漏巡", ["孙保安"]),
                                    (days[2], "漏巡", [])]
        assert len(attributed_to(found, guard)) == 1 and len(attributed_to(found, other)) == 1
    page = login("supervisor").get(f"/staff/attribution?month={days[1]:%Y-%m}")
    text = "".join(page.text.split())
    assert page.status_code == 200 and "当班：孙保安" in text and "未排班" in text
    assert login("guard").get("/staff/attribution").status_code == 403


def test_a_round_naming_a_guard_on_leave_with_nobody_rostered_is_not_his(app, in_db, now):
    with in_db():
        estate = _estate()
        day = estate.today(now) - timedelta(days=2)
        guard = records.staff("guard")
        records.leave(estate, guard, day, now=now - timedelta(days=5),
                      approved_by=[records.staff("supervisor")])
        route = patrol.route(estate, [patrol.checkpoint(estate, "东门")])
        patrol.schedule(route, times="10:00", window=60, guards=[guard],
                        valid_from=local(estate, day))
        [found] = [f for f in missed_rounds(estate, local(estate, day),
                                            local(estate, day + timedelta(days=1)), now)]
        assert (found["people"], _names(found["away"])) == ([], ["张保安"])


def test_an_overdue_sheet_goes_to_the_engineer_on_duty(app, in_db, now):
    with in_db():
        estate = _estate()
        today = estate.today(now)
        first, second = today - timedelta(days=3), today - timedelta(days=2)
        engineer = records.staff("engineer")
        other = factories.user("engineer2", roles=("engineer",), estates=[estate],
                               display_name="周工")
        day, night = records.shift(estate, "白班", "08:00", "20:00"), records.shift(estate)
        for d in (first, second):
            records.entry(estate, engineer, d, day, team="工程")
        records.entry(estate, other, first, night, team="工程")
        records.leave(estate, engineer, first, now=now - timedelta(days=5),
                      approved_by=[records.staff("supervisor")])
        plan = inspection.plan_for(estate, "DT-01", frequency="每日", engineers=[])
        inspection.sheet(plan, today - timedelta(days=1), submit_at=local(
            estate, today - timedelta(days=1), 15))
        found = overdue_sheets(estate, first, today - timedelta(days=1), now)
        assert [(f["slot"].period, _names(f["people"])) for f in found] == [
            (first, ["周工"]), (second, ["陈工"])]
