"""Who a missed patrol round or an overdue inspection sheet is put down to (issue 21): the
people the roster had on duty in its window — never someone on approved leave, and the
replacement when one was assigned.

Patrol schedules and inspection plans may name people; they name the post, the roster says
who stood it. So: the team's people on duty during the window (rosters.on_duty_during; for
a sheet, those on the shifts starting in its window);
when the schedule or plan names people and some of them were on duty, those; when nobody
of the team was rostered then, the people it names minus those on leave. The patrol and
inspection features are read through their own calls (rounds_between, make_slots).
"""
from datetime import timedelta

from ..inspection.models import PlanEngineer
from ..inspection.plans import active_plans, make_slots
from ..models import User
from ..patrol.rounds import MISSED, PARTIAL, rounds_between, structure
from .rosters import approved_leave, on_duty_during


def _responsible(estate, team, start, end, named_ids, starting=False):
    """(people on duty, people on leave not counted) for a window [start, end) (UTC);
    `starting`: only shifts starting in the window count (a day's sheet belongs to that
    day's shifts, not to the night shift that began the evening before)."""
    rostered = on_duty_during(estate, team, start, end, starting)
    named = [u for u in rostered if u.id in named_ids]
    if named:
        return named, []
    if rostered:
        return rostered, []
    if not named_ids:
        return [], []
    people = list(User.select().where(User.id.in_(list(named_ids))).order_by(User.display_name))
    leaves = approved_leave(estate, named_ids, start, end)
    away = [u for u in people if any(lv.starts_at <= start < lv.ends_at
                                     for lv in leaves.get(u.id, ()))]
    return [u for u in people if u not in away], away


def missed_rounds(estate, start, end, now):
    """The rounds starting in [start, end) (naive UTC) that ended 漏巡 or 部分完成 by `now`,
    oldest first, each as {"view" (patrol RoundView), "status", "people": [User] on duty,
    "away": [User] named on the schedule but on leave}."""
    found = []
    guards = structure(estate).guards
    for view in rounds_between(estate, start, end):
        if not start <= view.starts_at < end or view.ends_at > now:
            continue
        status = view.status(now)
        if status not in (MISSED, PARTIAL):
            continue
        named = set() if view.schedule.any_guard else guards.get(view.schedule.id, set())
        people, away = _responsible(estate, "秩序维护", view.starts_at, view.ends_at, named)
        found.append({"view": view, "status": status, "people": people, "away": away})
    return found


def _periods(plan, first_day, last_day):
    """The (period, shift) slots of `plan` whose period falls on first_day..last_day."""
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    if plan.frequency == "每班":
        return [(d, s) for d in days for s in ("白班", "夜班")]
    if plan.frequency == "每周":
        return [(d, "") for d in days if d.weekday() == 0]
    if plan.frequency == "每月":
        return [(d, "") for d in days if d.day == 1]
    return [(d, "") for d in days]


def sheet_slots(estate, first_day, last_day):
    """Every inspection slot of the estate's active plans whose period is a local day of
    first_day..last_day, with its sheet (inspection.plans.Slot)."""
    return make_slots(active_plans(estate), estate,
                      lambda plan: _periods(plan, first_day, last_day))


def late(slot):
    """Whether a slot's sheet was not submitted by its deadline (None: not yet due)."""
    sheet = slot.sheet
    return sheet is None or not sheet.submitted or sheet.submitted_at > slot.deadline


def overdue_sheets(estate, first_day, last_day, now):
    """Slots of first_day..last_day (local dates) whose deadline passed before `now` (naive
    UTC) without a sheet submitted in time, each as {"slot", "people": [User] of 工程 on duty
    in its window, "away": [User] named on the plan but on leave}."""
    found = []
    slots = [s for s in sheet_slots(estate, first_day, last_day)
             if s.deadline <= now and s.deadline > s.plan.created_at and late(s)]
    engineers = {}
    for plan_id, user_id in (PlanEngineer.select(PlanEngineer.plan, PlanEngineer.user)
                             .where(PlanEngineer.plan.in_([s.plan.id for s in slots] or [0]))
                             .tuples()):
        engineers.setdefault(plan_id, set()).add(user_id)
    for slot in slots:
        people, away = _responsible(estate, "工程", slot.starts, slot.deadline,
                                    engineers.get(slot.plan.id, set()), starting=True)
        found.append({"slot": slot, "people": people, "away": away})
    return found


def attributed_to(items, user):
    """The items (missed_rounds / overdue_sheets) put down to `user`."""
    return [item for item in items if any(u.id == user.id for u in item["people"])]
