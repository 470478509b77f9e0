"""The patrol day and month reports (pages, the lead's home panel, the archived 巡更日报):
rounds with their state, completion, missed checkpoints, flagged scans, per guard."""
import calendar
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import NamedTuple

from peewee import Case, fn

from ..models import User
from . import month_rollup, on_duty
from .models import Checkpoint, Round, Scan
from .rounds import (
    MISSED,
    PARTIAL,
    add_rows,
    computed_rounds,
    in_order,
    rounds_between,
    structure,
)


def _percent(done, total):
    return round(100 * done / total) if total else None


def _guard_summary(scans, views):
    guards = {}
    for scan in scans:
        row = guards.setdefault(scan.user_id, {"user": scan.user, "scans": 0, "flagged": 0,
                                               "rounds": set()})
        row["scans"] += 1
        row["flagged"] += bool(scan.flags)
        if scan.round_id:
            row["rounds"].add(scan.round_id)
    for row in guards.values():
        row["rounds"] = len(row["rounds"])
    return sorted(guards.values(), key=lambda r: r["user"].display_name)


# the month report lists the first flagged scans and counts them all
FLAGGED_SHOWN = 200


def _scans_between(estate, start, end, user=None, flagged_only=False, limit=None):
    query = (Scan.select(Scan, Checkpoint, User).join(Checkpoint).switch(Scan).join(User)
             .where(Scan.estate == estate, Scan.scanned_at >= start, Scan.scanned_at < end))
    if user is not None:
        query = query.where(Scan.user == user)
    if flagged_only:
        query = query.where(Scan.flags != "")
    return list(query.order_by(Scan.scanned_at).limit(limit))


class FlaggedScan(NamedTuple):
    """A flagged scan as the month report lists it (a row, not a model: the list holds up
    to FLAGGED_SHOWN of them). checkpoint: .id, .name; user: .id, .display_name."""
    id: int
    scanned_at: datetime
    flags: str
    checkpoint: SimpleNamespace
    user: SimpleNamespace

    @property
    def flag_list(self):
        """The flags as a list, as Scan.flag_list."""
        return [f for f in self.flags.split(",") if f]


def _flagged_scans(estate, start, end, user=None, limit=FLAGGED_SHOWN):
    """The first `limit` flagged scans of [start, end) (naive UTC), oldest first, as
    FlaggedScan rows. The index SCAN_BY_TIME carries the flags, so only the rows shown are
    read; their checkpoints' and guards' names come in one query each."""
    # the time as the driver gives it (SQLite: text), parsed below by fromisoformat: peewee's
    # own parsing tries its formats one by one, the most of this list's cost per row
    query = (Scan.select(Scan.id, Scan.scanned_at.coerce(False), Scan.flags, Scan.checkpoint,
                         Scan.user)
             .where(Scan.estate == estate, Scan.scanned_at >= start, Scan.scanned_at < end,
                    Scan.flags != ""))
    if user is not None:
        query = query.where(Scan.user == user)
    rows = list(query.order_by(Scan.scanned_at).limit(limit).tuples())
    if not rows:
        return []
    points = {i: SimpleNamespace(id=i, name=name) for i, name in Checkpoint.select(
        Checkpoint.id, Checkpoint.name).where(Checkpoint.id.in_({r[3] for r in rows})).tuples()}
    people = {i: SimpleNamespace(id=i, display_name=name) for i, name in User.select(
        User.id, User.display_name).where(User.id.in_({r[4] for r in rows})).tuples()}
    return [FlaggedScan(i, at if isinstance(at, datetime) else datetime.fromisoformat(at),
                        flags, points[point], people[person])
            for i, at, flags, point, person in rows]


def _month_figures(estate, first, last, now, user=None):
    """Per guard over `estate`'s local days first..last (dates), as _guard_summary gives
    from loaded scans: [{"user", "scans", "flagged", "rounds"}] by name. The ended days come
    from their PatrolDay rows (month_rollup.py); the others (today, a day the job has not
    counted yet) from the scans, one grouped index read per run of such days. A round
    scanned on two days counts once. user: only theirs (None: everyone's)."""
    today = estate.today(now)
    stored = month_rollup.stored_days(estate, first, min(last, today - timedelta(days=1)),
                                      user) if first < today else {}
    figures = {}

    def add(counted):
        for uid, (n, flagged, rounds) in counted.items():
            row = figures.setdefault(uid, [0, 0, set()])
            row[0] += n
            row[1] += flagged
            row[2] |= rounds

    for counted in stored.values():
        add(counted)
    runs = []  # the runs of days without a row, counted live
    for n in range((last - first).days + 1):
        day = first + timedelta(days=n)
        if day in stored:
            continue
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    for run_first, run_last in runs:
        add(month_rollup.count_scans(estate, *estate.day_bounds(run_first, run_last), user))
    users = {u.id: u for u in User.select().where(User.id.in_(list(figures)))} if figures \
        else {}
    return sorted(({"user": users[uid], "scans": n, "flagged": flagged, "rounds": len(rounds)}
                   for uid, (n, flagged, rounds) in figures.items()),
                  key=lambda r: r["user"].display_name)


def day_summary(estate, day, now):
    """The figures of day_report (completion, missed and partial rounds, each round's state,
    flagged scans as a count) without loading the day's scans: the home panel and the patrol
    page show only these, and a busy day holds thousands of scans (issue 23)."""
    start, end = estate.day_bounds(day)
    views = [v for v in rounds_between(estate, start, end, closed_scans=False)
             if start <= v.starts_at < end]
    rounds = [{"view": v, "status": v.status(now), "done": v.done, "total": v.total}
              for v in views]
    ended = [r for r in rounds if r["view"].ends_at <= now]
    flagged = Scan.select().where(Scan.estate == estate, Scan.scanned_at >= start,
                                  Scan.scanned_at < end, Scan.flags != "").count()
    return {"day": day, "rounds": rounds,
            "completion": _percent(sum(r["done"] for r in ended), sum(r["total"] for r in ended)),
            "missed_rounds": sum(r["status"] == MISSED for r in rounds),
            "partial_rounds": sum(r["status"] == PARTIAL for r in rounds),
            "flagged": flagged}


def _with_checkpoints(round_scans, day_scans):
    """Give each of `round_scans` (Scans read without their checkpoint) its Checkpoint: from
    `day_scans` (read with theirs) when there, else all the others in one query, instead
    of one query per scan when the page shows its checkpoint's name."""
    known = {s.checkpoint_id: s.checkpoint for s in day_scans}
    missing = {s.checkpoint_id for s in round_scans} - set(known)
    if missing:
        known.update({c.id: c for c in Checkpoint.select().where(Checkpoint.id.in_(missing))})
    for scan in round_scans:
        scan.checkpoint = known[scan.checkpoint_id]


def day_report(estate, day, now, user=None):
    """The estate's local `day` (a date) as of `now` (naive UTC): each round with state,
    scans and missed checkpoints; completion of the ended rounds; the 计划外 scans (in no
    round) apart as "off_round"; per guard. user: only their rounds and scans (None:
    everyone's)."""
    start, end = estate.day_bounds(day)
    memo = {}  # 当班人员（按排班）: who the roster had on a round (issue 21)
    views = [v for v in rounds_between(estate, start, end, user) if start <= v.starts_at < end
             and (user is None or on_duty.may_walk(estate, v, user, memo))]
    rounds = []
    for view in views:
        status = view.status(now)
        scans = [s for s in view.scans if user is None or s.user_id == user.id]
        rounds.append({"view": view, "status": status, "done": view.done, "total": view.total,
                       "scans": scans, "people": on_duty.round_people(estate, view, memo),
                       "missed": view.remaining if status in (PARTIAL, MISSED) else []})
    ended = [r for r in rounds if r["view"].ends_at <= now]
    scans = _scans_between(estate, start, end, user)
    _with_checkpoints([s for r in rounds for s in r["scans"]], scans)
    return {"day": day, "rounds": rounds, "scans": scans,
            "off_round": [s for s in scans if s.round_id is None],
            "completion": _percent(sum(r["done"] for r in ended), sum(r["total"] for r in ended)),
            "missed_rounds": sum(r["status"] == MISSED for r in rounds),
            "partial_rounds": sum(r["status"] == PARTIAL for r in rounds),
            "flagged": sum(bool(s.flags) for s in scans),
            "guards": _guard_summary(scans, views)}


def _month_rounds(estate, start, cut, now, user):
    """The rounds of a month that began at or after `start` and ended by `now` (naive UTC),
    up to `cut`: (views of those not closed yet, with their scans; [(schedule, rounds, done,
    total, missed, partial)] of the closed ones, summed in SQL from their stored state;
    views of the closed 漏巡 rounds, which the report lists). A closed round keeps the state
    it was closed with (RoundView.status), so summing the stored rows gives what the views
    would; the month's closed rounds are never loaded one by one (issue 23)."""
    views, schedules, stops = computed_rounds(estate, start, cut, user, None, structure(estate))
    in_month = (Round.schedule.in_(list(schedules) or [0]), Round.starts_at >= start,
                Round.starts_at < cut)
    closed = Round.closed_at.is_null(False) & (Round.ends_at <= now)
    for key in Round.select(Round.schedule, Round.starts_at).where(*in_month, closed).tuples():
        views.pop(key, None)
    add_rows(views, list(Round.select().where(*in_month, ~closed)), schedules, stops)
    by_row = {v.row.id: v for v in views.values() if v.row is not None}
    for scan in (Scan.select(Scan, User).join(User).where(Scan.round.in_(list(by_row)))
                 .order_by(Scan.scanned_at) if by_row else ()):
        by_row[scan.round_id].scans.append(scan)
    ended = [v for v in in_order(views) if start <= v.starts_at and v.ends_at <= now]
    figures = [(schedules[sid], *numbers) for sid, *numbers in Round.select(
        Round.schedule, fn.COUNT(Round.id), fn.SUM(Round.done), fn.SUM(Round.total),
        fn.SUM(Case(None, [(Round.status == MISSED, 1)], 0)),
        fn.SUM(Case(None, [(Round.status == PARTIAL, 1)], 0)))
        .where(*in_month, closed).group_by(Round.schedule).tuples()]
    missed = {}
    add_rows(missed, Round.select().where(*in_month, closed, Round.status == MISSED),
              schedules, stops)
    return ended, figures, list(missed.values())


def month_report(estate, year, month, now, user=None):
    """The estate's local calendar month as of `now` (naive UTC): completion per route and
    per guard of the rounds ended by `now`, missed rounds, flagged scans. user: only their
    rounds and scans (None: everyone's)."""
    first = date(year, month, 1)
    start, end = estate.month_bounds(year, month)
    views, closed, closed_missed = _month_rounds(estate, start, min(end, now), now, user)
    routes = {}

    def route_row(route):
        return routes.setdefault(route.id, {"route": route, "rounds": 0, "done": 0,
                                            "total": 0, "missed": 0, "partial": 0})
    for view in views:
        row = route_row(view.route)
        status = view.status(now)
        row["rounds"] += 1
        row["done"] += view.done
        row["total"] += view.total
        row["missed"] += status == MISSED
        row["partial"] += status == PARTIAL
    for schedule, rounds, done, total, missed, partial in closed:
        row = route_row(schedule.route)
        row["rounds"] += rounds
        row["done"] += done
        row["total"] += total
        row["missed"] += missed
        row["partial"] += partial
    for row in routes.values():
        row["completion"] = _percent(row["done"], row["total"])
    guards = _month_figures(estate, first, first.replace(
        day=calendar.monthrange(year, month)[1]), now, user)
    return {"first": first, "routes": sorted(routes.values(), key=lambda r: r["route"].name),
            "completion": _percent(sum(r["done"] for r in routes.values()),
                                   sum(r["total"] for r in routes.values())),
            "rounds": sum(r["rounds"] for r in routes.values()),
            "missed": sorted([*closed_missed, *(v for v in views if v.status(now) == MISSED)],
                             key=lambda v: (v.starts_at, v.schedule.id)),
            "flagged": _flagged_scans(estate, start, end, user),
            "flagged_count": sum(g["flagged"] for g in guards),
            "guards": guards}
