"""当班人员（按排班）: the people of a schedule whose guards come from the staff roster
(Schedule.by_roster, issue 21). The one place the patrol feature calls the staff feature;
when staff is not enabled (not in features.ENABLED, or not importable) any guard of the
estate walks such a schedule, as with 本小区任何秩序维护员.
"""
from .. import features

TEAM = "秩序维护"


def roster_guards(estate, at_utc):
    """The 秩序维护 people the roster has on duty at the naive-UTC instant `at_utc`
    (staff.rosters.on_duty: rostered on a shift running then, minus approved leave, plus
    replacements), [User] by name; None when the staff feature is off (anyone may walk)."""
    if "wyapp.staff" not in features.ENABLED:
        return None
    try:
        from ..staff.rosters import on_duty
    except ImportError:
        return None
    return on_duty(estate, TEAM, at_utc)


def round_people(estate, view, memo=None):
    """Who walks the round `view` (a RoundView) of a by_roster schedule: the roster's guards
    on duty at the window's start; None for a schedule naming its people itself, or when the
    staff feature is off. memo: {starts_at: [User]} shared between calls of one page."""
    if not view.schedule.by_roster:
        return None
    if memo is not None and view.starts_at in memo:
        return memo[view.starts_at]
    people = roster_guards(estate, view.starts_at)
    if memo is not None:
        memo[view.starts_at] = people
    return people


def may_walk(estate, view, user, memo=None):
    """Whether the round `view` is `user`'s to walk as far as the roster goes: always for a
    schedule not on 当班人员; else when the roster has them on duty at its start."""
    people = round_people(estate, view, memo)
    return people is None or any(u.id == user.id for u in people)
