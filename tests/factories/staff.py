"""Staff records for tests: shifts, roster entries, leave (through the staff feature's own
calls, so a leave gets its bounds and days, an entry its UTC bounds).

Days are the estate's local dates; times naive UTC. Each factory runs inside `in_db()`.
"""
from datetime import timedelta

from wyapp.db import utcnow
from wyapp.models import User
from wyapp.staff import leave as leaves
from wyapp.staff.models import Shift
from wyapp.staff.rosters import add_entry, save_shift


def staff(username):
    return User.get(User.username == username)


def shift(estate, name="夜班", starts="20:00", ends="08:00"):
    """A shift of `estate` (the default crosses midnight); an existing one of that name."""
    found = Shift.get_or_none(Shift.estate == estate, Shift.name == name)
    return found or save_shift(estate, name, starts, ends)


def entry(estate, user, day, the_shift=None, team="秩序维护", covers=None):
    """`user` on `the_shift` (default 白班 08:00–20:00) of the local `day` for `team`."""
    return add_entry(estate, team, day, the_shift or shift(estate, "白班", "08:00", "20:00"),
                     user, covers=covers)


def leave(estate, user, start_day, end_day=None, *, kind="事假", start_half="上午",
          end_half="下午", reason="家中有事", now=None, approved_by=()):
    """A leave request of `user` (whole days by default), approved in turn by each user of
    `approved_by` (e.g. the supervisor, then the manager)."""
    now = now or utcnow()
    made = leaves.apply_leave(estate, user, {
        "kind": kind, "start_day": start_day, "start_half": start_half,
        "end_day": end_day or start_day, "end_half": end_half, "reason": reason}, now)
    for step, approver in enumerate(approved_by, start=1):
        leaves.approve(made, approver, now + timedelta(minutes=step))
    return made
