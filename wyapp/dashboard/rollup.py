"""The daily rollup: one DailyRollup row per estate and ended local day, kept right.

Run by the periodic tick (every minute). Each pass:
1. reads the rows added to the source tables since the last pass (ids above a watermark
   per table, RollupMark, kept one pass behind: see _late_rows) and marks the estate-days
   they belong to stale when that day has already ended: an offline scan synced the next
   morning, a visitor registered late…; inspection sheets submitted since the last pass
   for a slot of an earlier day likewise;
2. adds the ended days of the last BACKFILL_DAYS that have no row (a new install, a gap);
3. recomputes once more the days whose row was computed before the day settled (rounds and
   night-shift sheets of a day run on into the next morning: SETTLE after midnight);
4. recomputes the stale days (at most MAX_PER_PASS) and writes each row by upsert on the
   unique (estate, day): two workers at once still leave one row.

Why watermarks and not a signal from each feature: the writes of other features stay
untouched, and a late row is found however it came (a form, the offline queue, an import).
Reading the rows above a watermark uses the primary key, so a pass costs a few indexed
queries when nothing changed.
"""
import operator
from datetime import timedelta
from functools import reduce

from peewee import SQL, Select, fn

from ..db import db
from ..gate.models import VehicleEntry, Visit
from ..inspection.models import Sheet
from ..models import Estate
from ..patrol.models import Incident, Scan
from ..service.models import Complaint, WorkOrder
from .figures import day_figures
from .models import FIGURES, DailyRollup, RollupMark

BACKFILL_DAYS = 35
SETTLE = timedelta(hours=12)
MAX_PER_PASS = 40
# (watermark name, model, the column that dates a row): rows whose day may have ended
SOURCES = (("scan", Scan, Scan.scanned_at), ("incident", Incident, Incident.created_at),
           ("visit", Visit, Visit.time_in), ("vehicle", VehicleEntry, VehicleEntry.time_in),
           ("complaint", Complaint, Complaint.received_at),
           ("work_order", WorkOrder, WorkOrder.created_at))


def recompute(estate, day, now):
    """Compute the figures of `estate`'s local `day` as of `now` (naive UTC) and store them
    (insert, or update the existing row: one row per estate and day). Returns the row."""
    figures = day_figures(estate, day, now)
    columns = [getattr(DailyRollup, name) for name, _ in FIGURES] + [DailyRollup.computed_at]
    (DailyRollup.insert(estate=estate, day=day, computed_at=now, **figures)
     .on_conflict(conflict_target=[DailyRollup.estate, DailyRollup.day], preserve=columns)
     .execute())
    return DailyRollup.get(DailyRollup.estate == estate, DailyRollup.day == day)


def _first_day(estate):
    return estate.today(estate.created_at)


LAG = "~"  # RollupMark name suffix: the top id (or time) the pass before this one saw


def _late_rows(estates, now, stale):
    """Mark the ended days of rows added since the last pass. Returns the watermarks to
    move: [(name, new last_id, top seen now)].

    PostgreSQL hands out ids before commit: a row with id n whose transaction is still open
    when a pass reads id n + 1 commits afterwards. So the watermark moves only to the top
    the pass before saw, and each pass reads again the ids above it (a minute's rows; their
    days are mostly today, which is not marked): a row whose transaction ran across a pass
    is found at the next one. Sheets likewise by submission time."""
    moved = []
    marks = {m.name: m for m in RollupMark.select()}
    # the top id of every source table in one statement (each an index's last entry)
    tops = Select(columns=[model.select(fn.MAX(model.id)) for _, model, _ in SOURCES]) \
        .bind(db).tuples().first()
    for (name, model, dated), top in zip(SOURCES, tops, strict=True):
        top = top or 0
        mark = marks.get(name)
        if mark is None:
            for key in (name, name + LAG):
                RollupMark.insert(name=key, last_id=top, at=now).on_conflict_ignore().execute()
            continue
        seen = marks.get(name + LAG)
        before = min(seen.last_id if seen else mark.last_id, top)
        if top > mark.last_id:
            rows = (model.select(model.estate, dated)
                    .where(model.id > mark.last_id, model.id <= top).tuples())
            for estate_id, moment in rows:
                _mark(estates.get(estate_id), estate_id, moment, now, stale)
        if (mark.last_id, seen.last_id if seen else None) != (before, top):
            moved.append((name, before, top))
    mark, seen = marks.get("sheet"), marks.get("sheet" + LAG)
    if mark is None:
        for key in ("sheet", "sheet" + LAG):
            RollupMark.insert(name=key, last_id=0, at=now).on_conflict_ignore().execute()
    else:
        since = min(mark.at, seen.at) if seen else mark.at
        for estate_id, period in (Sheet.select(Sheet.estate, Sheet.period)
                                  .where(Sheet.submitted_at >= since).tuples()):
            estate = estates.get(estate_id)
            if estate is not None and period < estate.today(now):
                stale.add((estate_id, period))
        moved.append(("sheet", None, None))
    return moved


def _mark(estate, estate_id, moment, now, stale):
    if estate is None or moment is None:
        return
    day = estate.today(moment)
    if _first_day(estate) <= day < estate.today(now):
        stale.add((estate_id, day))


def _missing_and_unsettled(estates, now, stale):
    """Mark the ended days of the last BACKFILL_DAYS of `estates` ({id: Estate}) that have
    no row, or a row computed before the day settled when it has settled by `now` (naive
    UTC). Estates are taken by time zone (one clock, one window of days): one grouped count
    per zone finds the estates whose every day is in order, the usual case, for which
    nothing more is read; only the others' rows are read day by day (issue 23)."""
    zones = {}
    for estate in estates.values():
        zones.setdefault(estate.timezone, []).append(estate)
    for members in zones.values():
        clock = members[0]
        today = clock.today(now)
        since = today - timedelta(days=BACKFILL_DAYS)
        firsts = {e.id: max(_first_day(e), since) for e in members}
        members = [e for e in members if firsts[e.id] < today]
        if not members:
            continue
        settled = {}
        day = min(firsts[e.id] for e in members)
        while day < today:
            settled[day] = clock.day_bounds(day)[1] + SETTLE
            day += timedelta(days=1)
        in_order = _days_in_order(members, firsts, today, settled, now)
        for estate in members:
            first = firsts[estate.id]
            if in_order.get(estate.id, 0) < (today - first).days:
                _stale_days(estate, first, today, settled, now, stale)


def _days_in_order(members, firsts, today, settled, now):
    """{estate id: how many of its days first..today-1 have a row that needs no recompute}
    for the estates of one zone, in one grouped count over the (estate, day) index; the
    unique (estate, day) makes a full count mean every day is in order."""
    by_first = {}
    for estate in members:
        by_first.setdefault(firsts[estate.id], []).append(estate.id)
    window = reduce(operator.or_, [DailyRollup.estate.in_(ids) & (DailyRollup.day >= first)
                                   for first, ids in by_first.items()])
    condition = window & (DailyRollup.day < today)
    unsettled = [(day, at) for day, at in settled.items() if at <= now]
    if unsettled:  # written out: peewee takes longer to build 35 such terms than to run them
        day, computed = DailyRollup.day.column_name, DailyRollup.computed_at.column_name
        mark = db.obj.param  # "?" on SQLite, "%s" on PostgreSQL
        terms = " OR ".join([f'("{day}" = {mark} AND "{computed}" < {mark})']
                            * len(unsettled))
        condition &= SQL(f"NOT ({terms})", [value for pair in unsettled for value in pair])
    return dict(DailyRollup.select(DailyRollup.estate, fn.COUNT(DailyRollup.id))
                .where(condition).group_by(DailyRollup.estate).tuples())


def _stale_days(estate, first, today, settled, now, stale):
    """Add to `stale` each day first..today-1 of `estate` with no row, or with one computed
    before the day settled (`settled`: {day: naive-UTC instant}) when that is past `now`."""
    rows = dict(DailyRollup.select(DailyRollup.day, DailyRollup.computed_at).where(
        DailyRollup.estate == estate, DailyRollup.day >= first, DailyRollup.day < today)
        .tuples())
    day = first
    while day < today:
        computed = rows.get(day)
        if computed is None or computed < settled[day] <= now:
            stale.add((estate.id, day))
        day += timedelta(days=1)


def refresh(now):
    """The periodic job: bring the rollup rows up to date at `now` (naive UTC). Returns the
    number of estate-days (re)computed in this pass."""
    estates = {e.id: e for e in Estate.active_ones()}
    late, other = set(), set()
    moved = _late_rows(estates, now, late)
    _missing_and_unsettled(estates, now, other)
    # late rows first and all of them (their watermark moves on); the rest newest first,
    # up to MAX_PER_PASS: what is left stays missing and is taken by the next pass
    newest = sorted(other - late, key=lambda pair: pair[1], reverse=True)
    todo = sorted(late) + newest[:max(0, MAX_PER_PASS - len(late))]
    for estate_id, day in todo:
        with db.atomic():
            recompute(estates[estate_id], day, now)
    for name, before, top in moved:
        _move_mark(name, before, top, now)
    return len(todo)


def _move_mark(name, before, top, now):
    """Move a watermark to `before` (the top the previous pass saw) and remember `top` for
    the next pass; for sheets (before None) the times: `at` now, the lag row the last `at`."""
    if before is None:
        last = RollupMark.get(RollupMark.name == name).at
        (RollupMark.insert(name=name + LAG, last_id=0, at=last)
         .on_conflict(conflict_target=[RollupMark.name], update={RollupMark.at: last})
         .execute())
        RollupMark.update(at=now).where(RollupMark.name == name).execute()
        return
    RollupMark.update(last_id=before, at=now).where(RollupMark.name == name).execute()
    (RollupMark.insert(name=name + LAG, last_id=top, at=now)
     .on_conflict(conflict_target=[RollupMark.name],
                  update={RollupMark.last_id: top, RollupMark.at: now}).execute())


def rollup_range(estate, first, last, now):
    """Compute (or recompute) the rows of `estate` for the local days first..last (dates);
    the CLI's backfill and the demo. Returns how many rows were written."""
    count = 0
    day = first
    while day <= last:
        with db.atomic():
            recompute(estate, day, now)
        day += timedelta(days=1)
        count += 1
    return count
