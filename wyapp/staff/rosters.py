"""Rosters (排班): an estate's shifts, the monthly roster of each team, who is on duty.

Days are the estate's local dates; instants naive UTC (the estate's clock converts). A shift
whose end is not after its start (夜班 20:00–08:00) ends on the next local day.
"""
from datetime import date, datetime, timedelta

from peewee import IntegrityError

from ..db import db
from ..errors import DomainError
from ..models import User
from ..patrol.schedules import parse_hhmm
from .models import APPROVED, TEAMS, Leave, RosterEntry, Shift

ROSTERABLE = ("guard", "gate", "engineer", "desk", "supervisor")  # who can be rostered
DEFAULT_SHIFTS = (("白班", "08:00", "20:00"), ("夜班", "20:00", "08:00"))


def check_team(team, field="team"):
    """`team` if it is one of TEAMS, else DomainError."""
    if team not in TEAMS:
        raise DomainError("请选择班组：秩序维护、门岗、工程或客服。", field)
    return team


def shifts(estate, active_only=True):
    """The estate's shifts, by start time; the default 白班/夜班 are made when it has none."""
    if not Shift.select().where(Shift.estate == estate).exists():
        for name, starts, ends in DEFAULT_SHIFTS:
            Shift.insert(estate=estate, name=name, starts=starts, ends=ends) \
                .on_conflict_ignore().execute()
    query = Shift.select().where(Shift.estate == estate)
    if active_only:
        query = query.where(Shift.active)
    return list(query.order_by(Shift.starts, Shift.name))


def save_shift(estate, name, starts, ends, shift=None):
    """Add or change a shift: `name` (≤ 20 characters), `starts`/`ends` as HH:MM (estate wall
    time; an end not after the start runs into the next day). Raises DomainError."""
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写班次名称，例如 白班。", "name")
    starts_at, ends_at = parse_hhmm(starts, "starts"), parse_hhmm(ends, "ends")
    shift = shift or Shift(estate=estate)
    shift.name, shift.starts, shift.ends = name[:20], f"{starts_at:%H:%M}", f"{ends_at:%H:%M}"
    try:
        with db.atomic():
            shift.save()
    except IntegrityError:
        raise DomainError(f"已有名为“{name}”的班次。", "name") from None
    return shift


def shift_bounds(estate, shift, day):
    """Naive-UTC [start, end) of `shift` on the local date `day` (crossing midnight when its
    end is not after its start; 08:00–08:00 is 24 hours)."""
    start = datetime.combine(day, parse_hhmm(shift.starts))
    end = datetime.combine(day, parse_hhmm(shift.ends))
    if end <= start:
        end += timedelta(days=1)
    return estate.utc(start), estate.utc(end)


def month_days(first):
    """The local dates of the month beginning at `first` (a date, the 1st)."""
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return [first + timedelta(days=n) for n in range((following - first).days)]


def add_entry(estate, team, day, shift, user, covers=None):
    """Put `user` on `shift` of the local `day` for `team` (a replacement when `covers` is
    the entry of the person on leave). Returns the entry; the same person on the same shift
    and day again is refused (DomainError), as is someone not working in the estate."""
    check_team(team)
    if shift.estate_id != estate.id:
        raise DomainError("请选择本小区的班次。", "shift")
    if not User.with_role(estate, *ROSTERABLE).where(User.id == user.id).exists():
        raise DomainError("请选择本小区的员工。", "user")
    starts_at, ends_at = shift_bounds(estate, shift, day)
    try:
        with db.atomic():
            return RosterEntry.create(estate=estate, team=team, day=day, shift=shift, user=user,
                                      starts_at=starts_at, ends_at=ends_at, covers=covers)
    except IntegrityError:
        raise DomainError(f"{user.display_name} {day:%m-%d} 已排{shift.name}。", "user") from None


def add_entries(estate, team, first_day, last_day, shift, user):
    """`user` on `shift` of every local day first_day..last_day (at most 31 days) for `team`;
    days already rostered so are skipped. Returns how many entries were made. Raises
    DomainError when the range is backwards or too long, or as add_entry does."""
    if last_day < first_day:
        raise DomainError("结束日期不能早于开始日期。", "until")
    if (last_day - first_day).days >= 31:
        raise DomainError("一次最多排 31 天。", "until")
    made = 0
    for n in range((last_day - first_day).days + 1):
        try:
            add_entry(estate, team, first_day + timedelta(days=n), shift, user)
        except DomainError as error:
            if error.field != "user" or "已排" not in error.message:
                raise
        else:
            made += 1
    return made


def remove_entry(estate, entry_id):
    """Take an entry (and the replacements covering it) off the roster."""
    return RosterEntry.delete().where(RosterEntry.id == entry_id,
                                      RosterEntry.estate == estate).execute()


def month_roster(estate, team, first):
    """{local date: [entries of that day, by shift start then name]} of the month starting
    at `first`, for `team` (users and shifts joined)."""
    days = month_days(first)
    start, end = estate.day_bounds(days[0], days[-1])  # a shift starts on its own local day
    entries = (RosterEntry.select(RosterEntry, Shift, User).join(Shift)
               .switch(RosterEntry).join(User)
               .where(RosterEntry.estate == estate, RosterEntry.team == team,
                      RosterEntry.starts_at >= start, RosterEntry.starts_at < end,
                      RosterEntry.day >= days[0], RosterEntry.day <= days[-1])
               .order_by(RosterEntry.day, Shift.starts, User.display_name))
    grid = {day: [] for day in days}
    for entry in entries:
        grid[entry.day].append(entry)
    return grid


def copy_last_month(estate, team, first):
    """Fill the month starting at `first` for `team` from the month before, day by day (the
    1st from the 1st …; days the last month lacks are taken from its last week, same
    weekday). Entries already there stay; replacements are not copied. Returns how many
    entries were made."""
    previous = (first - timedelta(days=1)).replace(day=1)
    source = month_roster(estate, team, previous)
    last = max(source)
    made = 0
    there = {(e.day, e.shift_id, e.user_id) for entries in month_roster(estate, team, first)
             .values() for e in entries}
    with db.atomic():
        for day in month_days(first):
            from_day = previous.replace(day=day.day) if day.day <= last.day \
                else last - timedelta(days=(last.weekday() - day.weekday()) % 7)
            for entry in source.get(from_day, []):
                if entry.covers_id is not None or not entry.shift.active \
                        or (day, entry.shift_id, entry.user_id) in there:
                    continue
                starts_at, ends_at = shift_bounds(estate, entry.shift, day)
                RosterEntry.insert(estate=estate, team=team, day=day, shift=entry.shift,
                                   user=entry.user, starts_at=starts_at, ends_at=ends_at) \
                    .on_conflict_ignore().execute()  # another team's entry of that person
                made += 1
    return made


def approved_leave(estate, user_ids, start, end):
    """{user id: [Leave]} of approved leave of those users overlapping [start, end) (UTC)."""
    found = {}
    if not user_ids:
        return found
    for leave in Leave.select().where(Leave.estate == estate, Leave.status == APPROVED,
                                      Leave.user.in_(list(user_ids)),
                                      Leave.starts_at < end, Leave.ends_at > start):
        found.setdefault(leave.user_id, []).append(leave)
    return found


def on_leave(entry, leaves):
    """The approved Leave (of `leaves`, {user id: [Leave]}) that takes `entry` off the
    roster: one covering the entry's start. None when the person works it."""
    return next((leave for leave in leaves.get(entry.user_id, ())
                 if leave.starts_at <= entry.starts_at < leave.ends_at), None)


LONGEST_SHIFT = timedelta(hours=24)  # an end not after the start is the next day


def entries_during(estate, team, start, end, starting=False):
    """Roster entries of `team` overlapping [start, end) (naive UTC; `starting`: only those
    whose shift starts in it), users joined; team None: every team. Read per team through
    the (estate, team, starts_at) index, from LONGEST_SHIFT before `start`: never the
    estate's whole roster history."""
    earliest = start if starting else start - LONGEST_SHIFT
    found = []
    for one in ([team] if team is not None else list(TEAMS)):
        found.extend(RosterEntry.select(RosterEntry, User).join(User)
                     .where(RosterEntry.estate == estate, RosterEntry.team == one,
                            RosterEntry.starts_at >= earliest, RosterEntry.starts_at < end,
                            RosterEntry.ends_at > start))
    return sorted(found, key=lambda e: (e.starts_at, e.user.display_name, e.id))


def on_duty_during(estate, team, start, end, starting=False):
    """The people of `team` rostered at some moment of [start, end) (naive UTC; `starting`:
    on a shift starting in it) and not on approved leave for that shift, replacements
    included; [User], by name, no repeats."""
    entries = entries_during(estate, team, start, end, starting)
    leaves = approved_leave(estate, {e.user_id for e in entries}, start - timedelta(days=1),
                            end + timedelta(days=1))
    people = {e.user_id: e.user for e in entries if on_leave(e, leaves) is None}
    return sorted(people.values(), key=lambda u: (u.display_name, u.id))


def on_duty(estate, team, at_utc):
    """Who of `team` is on duty at the naive-UTC instant `at_utc`, per the roster: everyone
    rostered on a shift running then, minus those on approved leave (Leave covering the
    shift's start), plus the replacements assigned to them. [User], by display name.
    Raises DomainError for an unknown team. (Issue 21: patrol rounds and inspection sheets
    are attributed to these people.)"""
    check_team(team)
    return on_duty_during(estate, team, at_utc, at_utc + timedelta(microseconds=1))


def my_roster(estate, user, first_day, last_day):
    """The entries of `user` on the local days first_day..last_day, each with `.leave` (the
    approved Leave taking it off the roster, or None); shifts joined."""
    entries = list(RosterEntry.select(RosterEntry, Shift).join(Shift)
                   .where(RosterEntry.estate == estate, RosterEntry.user == user,
                          RosterEntry.day >= first_day, RosterEntry.day <= last_day)
                   .order_by(RosterEntry.starts_at))
    if entries:
        leaves = approved_leave(estate, {user.id}, entries[0].starts_at, entries[-1].ends_at)
        for entry in entries:
            entry.leave = on_leave(entry, leaves)
    return entries


def gaps(estate, start, end, team=None):
    """Shifts left without their person (缺岗) in [start, end) (naive UTC): entries whose
    person is on approved leave and that no replacement covers yet, each with `.leave`,
    oldest first."""
    entries = entries_during(estate, team, start, end)
    covered = {e.covers_id for e in entries if e.covers_id is not None}
    leaves = approved_leave(estate, {e.user_id for e in entries}, start - timedelta(days=1),
                            end + timedelta(days=1))
    found = []
    for entry in entries:
        entry.leave = on_leave(entry, leaves)
        if entry.leave is not None and entry.id not in covered:
            found.append(entry)
    return found


def assign_replacement(estate, entry, user):
    """Put `user` on the shift of `entry` (whose person is on leave) as their replacement."""
    if entry.user_id == user.id:
        raise DomainError("替班人不能是请假的本人。", "user")
    return add_entry(estate, entry.team, entry.day, entry.shift, user, covers=entry)


def team_of(user):
    """The team a person belongs to by their role (秩序维护, 门岗, 工程, 客服), or ""."""
    return next((team for team, role in TEAMS.items() if role in user.roles), "")


def first_of(day):
    return date(day.year, day.month, 1)
