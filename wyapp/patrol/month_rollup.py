"""The month report's per-guard figures by day: one PatrolDay row per estate and ended day.

A month holds tens of thousands of scans (issue 23): the month report reads the ended days
from these rows and counts only the other days (today, a day not yet rolled) from the
scans, through an index that carries what it counts (models.SCAN_BY_TIME).

Run by the periodic tick (every minute). Each pass, as dashboard/rollup.py does:
1. reads the scans added since the last pass (ids above a watermark, PatrolDayMark, kept
   one pass behind: PostgreSQL hands out ids before commit, so each pass reads again the
   ids the pass before saw) and recomputes the ended days they are dated on: a scan synced
   from a phone's offline queue the next morning changes the day it was made on;
2. adds the ended days of this month (on the 1st: yesterday) that have no row (a new
   install, a gap), newest first, at most MAX_PER_PASS: what is left is taken by the next
   pass. Older months keep the rows made while they were this month; a month with none is
   counted from the scans by the report.
A row holds its day's scans per guard with the ids of the rounds scanned for, so that a
round scanned on two days (a night round) counts once in the month, as the scans do.
"""
import json
import operator
from datetime import timedelta
from functools import reduce

from peewee import fn

from ..db import db
from ..models import Estate
from .models import PatrolDay, PatrolDayMark, Scan

MAX_PER_PASS = 40
MARK, LAG = "scan", "scan~"  # PatrolDayMark names: the watermark, the top the pass before saw


def count_scans(estate, start, end, user=None):
    """The scans of `estate` in [start, end) (naive UTC) per guard: {user id: [scans,
    flagged scans, {ids of the rounds scanned for}]}. Two reads of the index that carries
    user, round and flags (no table rows): the counts per guard, then the guards' rounds
    (grouping by guard and round in one read sorts every scan; most scans of a busy day
    are in a few rounds or none). user: only theirs (None: everyone's)."""
    where = [Scan.estate == estate, Scan.scanned_at >= start, Scan.scanned_at < end]
    if user is not None:
        where.append(Scan.user == user)
    figures = {user_id: [n, flagged, set()] for user_id, n, flagged in (
        Scan.select(Scan.user, fn.COUNT(Scan.id), fn.COUNT(fn.NULLIF(Scan.flags, "")))
        .where(*where).group_by(Scan.user).tuples())}
    if figures:
        for user_id, round_id in (Scan.select(Scan.user, Scan.round).distinct()
                                  .where(*where, Scan.round.is_null(False)).tuples()):
            figures[user_id][2].add(round_id)
    return figures


def stored_days(estate, first, last, user=None):
    """{day: {user id: [scans, flagged, {round ids}]}} of the rows of `estate`'s days
    first..last (dates) counted from the day's present bounds (a row counted before the
    estate's time zone changed is left out). user: only theirs (None: everyone's)."""
    days = {}
    for row in PatrolDay.select(PatrolDay.day, PatrolDay.starts_at, PatrolDay.guards).where(
            PatrolDay.estate == estate, PatrolDay.day >= first, PatrolDay.day <= last):
        if row.starts_at != estate.day_start(row.day):
            continue
        guards = {int(uid): [n, flagged, set(rounds)]
                  for uid, (n, flagged, rounds) in json.loads(row.guards).items()}
        if user is not None:
            guards = {uid: g for uid, g in guards.items() if uid == user.id}
        days[row.day] = guards
    return days


def recompute(estate, day, now):
    """Count `estate`'s local `day` (a date) from its scans and store the row (insert, or
    update the existing one) as of `now` (naive UTC)."""
    start, end = estate.day_bounds(day)
    guards = {str(uid): [n, flagged, sorted(rounds)]
              for uid, (n, flagged, rounds) in count_scans(estate, start, end).items()}
    (PatrolDay.insert(estate=estate, day=day, starts_at=start, computed_at=now,
                      guards=json.dumps(guards, separators=(",", ":")))
     .on_conflict(conflict_target=[PatrolDay.estate, PatrolDay.day],
                  preserve=[PatrolDay.starts_at, PatrolDay.computed_at, PatrolDay.guards])
     .execute())


def _late_days(estates, now, stale):
    """Add to `stale` the ended (estate id, day)s of scans added since the last pass.
    Returns the watermark's move: (new last_id, top seen now), or None on the first pass."""
    marks = {m.name: m.last_id for m in PatrolDayMark.select()}
    top = Scan.select(fn.MAX(Scan.id)).scalar() or 0
    if MARK not in marks:
        for name in (MARK, LAG):
            PatrolDayMark.insert(name=name, last_id=top).on_conflict_ignore().execute()
        return None
    last = marks[MARK]
    before = min(marks.get(LAG, last), top)
    if top > last and estates:
        # today's scans (most of them) are left in the database: only a scan dated before
        # the latest of the estates' today can be late
        latest = max(e.day_start(e.today(now)) for e in estates.values())
        for estate_id, moment in (Scan.select(Scan.estate, Scan.scanned_at)
                                  .where(Scan.id > last, Scan.id <= top,
                                         Scan.scanned_at < latest).tuples()):
            estate = estates.get(estate_id)
            if estate is not None and estate.today(moment) < estate.today(now):
                stale.add((estate_id, estate.today(moment)))
    return before, top


def _window(estate, now):
    """The days the job fills in: [first, today) of `estate` at `now`, first being the 1st
    of this month (on the 1st: yesterday, the last month's last day)."""
    today = estate.today(now)
    return min(today.replace(day=1), today - timedelta(days=1)), today


def _kept_since(estate, now):
    """The oldest day whose row a late scan recomputes (the 1st of last month): the rows
    of older days it deletes instead, and the report counts those days from the scans."""
    return (estate.today(now).replace(day=1) - timedelta(days=1)).replace(day=1)


def _missing_days(estates, now, missing):
    """Add to `missing` the days of each estate's _window with no row. One count per
    estate in one query; the days of an estate that lacks some are read."""
    if not estates:
        return
    windows = {e.id: _window(e, now) for e in estates.values()}
    counts = dict(PatrolDay.select(PatrolDay.estate, fn.COUNT(PatrolDay.id)).where(
        reduce(operator.or_, [(PatrolDay.estate == estate_id) & (PatrolDay.day >= first)
                              & (PatrolDay.day < today)
                              for estate_id, (first, today) in windows.items()]))
        .group_by(PatrolDay.estate).tuples())
    for estate_id, (first, today) in windows.items():
        if counts.get(estate_id, 0) == (today - first).days:
            continue
        have = {d for (d,) in PatrolDay.select(PatrolDay.day).where(
            PatrolDay.estate == estate_id, PatrolDay.day >= first,
            PatrolDay.day < today).tuples()}
        day = first
        while day < today:
            if day not in have:
                missing.add((estate_id, day))
            day += timedelta(days=1)


def refresh(now):
    """The periodic job: bring the PatrolDay rows up to date at `now` (naive UTC). Returns
    the number of estate-days (re)computed in this pass.

    Late scans: their days since _kept_since are recomputed, all of them in this pass; the
    rows of older days are deleted (a bulk import of old scans recomputes nothing). Days
    without a row: newest first, at most MAX_PER_PASS less the late ones."""
    estates = {e.id: e for e in Estate.select()}
    late, missing = set(), set()
    moved = _late_days(estates, now, late)
    _missing_days({i: e for i, e in estates.items() if e.active}, now, missing)
    old = {(i, day) for i, day in late if day < _kept_since(estates[i], now)}
    for estate_id in {i for i, _ in old}:
        days = sorted(day for i, day in old if i == estate_id)
        for chunk in range(0, len(days), 500):
            PatrolDay.delete().where(PatrolDay.estate == estate_id,
                                     PatrolDay.day.in_(days[chunk:chunk + 500])).execute()
    late -= old
    newest = sorted(missing - late, key=lambda pair: pair[1], reverse=True)
    todo = sorted(late) + newest[:max(0, MAX_PER_PASS - len(late))]
    for estate_id, day in todo:
        with db.atomic():
            recompute(estates[estate_id], day, now)
    if moved is not None:
        before, top = moved
        PatrolDayMark.update(last_id=before).where(PatrolDayMark.name == MARK).execute()
        PatrolDayMark.update(last_id=top).where(PatrolDayMark.name == LAG).execute()
    return len(todo)


def periodic_month_rollup(now):
    """The patrol feature's periodic job for the month report (huey every minute, or
    `wyapp tick`): refresh(now)."""
    return refresh(now)
