"""当班人员（按排班）: the engineers of a plan whose people come from the staff roster
(Plan.by_roster, issue 21). The one place the inspection feature calls the staff feature;
when staff is not enabled (not in features.ENABLED, or not importable) any engineer does
such a plan's sheets, as with a plan naming nobody.
"""
from .. import features

TEAM = "工程"


def roster_engineers(estate, start, end):
    """The 工程 people on shifts starting in [start, end) (naive UTC: a slot's start and
    deadline) per the staff roster — not those on approved leave, their replacements yes
    (staff.rosters.on_duty_during) — [User] by name; None when the staff feature is off."""
    if "wyapp.staff" not in features.ENABLED:
        return None
    try:
        from ..staff.rosters import on_duty_during
    except ImportError:
        return None
    return on_duty_during(estate, TEAM, start, end, starting=True)


def slot_people(estate, slot, memo=None):
    """Who does the sheet of `slot` (plans.Slot) of a by_roster plan: the roster's engineers
    for its window; None for a plan naming its people itself, or with staff off. memo:
    {(starts, deadline): [User]} shared between the calls of one page or pass."""
    if not slot.plan.by_roster:
        return None
    key = (slot.starts, slot.deadline)
    if memo is not None and key in memo:
        return memo[key]
    people = roster_engineers(estate, slot.starts, slot.deadline)
    if memo is not None:
        memo[key] = people
    return people


def may_do(estate, slot, user, memo=None):
    """Whether the sheet of `slot` is `user`'s as far as the roster goes: always for a plan
    not on 当班人员; else when the roster has them on duty in its window."""
    people = slot_people(estate, slot, memo)
    return people is None or any(u.id == user.id for u in people)
