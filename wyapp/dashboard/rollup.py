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
from datetime import timedelta

from peewee import fn

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
    for name, model, dated in SOURCES:
        top = model.select(fn.MAX(model.id)).scalar() or 0
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
    since = min((e.today(now) for e in estates.values()), default=None)
    if since is None:
        return
    since -= timedelta(days=BACKFILL_DAYS)
    rows = {(r.estate_id, r.day): r.computed_at for r in DailyRollup.select(
        DailyRollup.estate, DailyRollup.day, DailyRollup.computed_at)
        .where(DailyRollup.day >= since)}
    for estate in estates.values():
        today = estate.today(now)
        first = max(_first_day(estate), today - timedelta(days=BACKFILL_DAYS))
        for n in range((today - first).days):
            day = today - timedelta(days=n + 1)
            computed = rows.get((estate.id, day))
            settled = estate.day_bounds(day)[1] + SETTLE
            if computed is None or (computed < settled <= now):
                stale.add((estate.id, day))


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
