"""Rounds: each window of a schedule, computed from the schedules and the clock.

`rounds_between()` lists every window with its state even if no job ever ran.
`close_expired_rounds()` (periodic, and `wyapp tick`) stores the final state of ended
windows once, and alerts supervisors about missed or partial ones exactly once. Every
function takes `now` (naive UTC) from its caller; local times come from the estate's clock.
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..db import Prepared, db
from ..models import Estate, User, notify
from . import on_duty
from .models import (
    EARLY_MINUTES,
    LONGEST_WINDOW_MINUTES,
    Checkpoint,
    PatrolSettings,
    PatrolStructure,
    Round,
    Route,
    RouteStop,
    Scan,
    Schedule,
    ScheduleGuard,
)
from .schedules import windows

PENDING, ACTIVE, DONE, PARTIAL, MISSED = "待巡", "进行中", "已完成", "部分完成", "漏巡"
UNREAD = object()  # structure(version=…) not given: read the version first


@dataclass
class RoundView:
    """One window of a schedule with its checkpoints, stored row (if any) and scans."""
    schedule: Schedule
    starts_at: datetime
    ends_at: datetime
    checkpoints: list
    row: Round | None = None
    scans: list = field(default_factory=list)

    @property
    def route(self):
        """The schedule's Route (joined with the schedule)."""
        return self.schedule.route

    @property
    def key(self):
        """(schedule id, starts_at): what identifies a round, stored or not."""
        return (self.schedule.id, self.starts_at)

    def counted_ids(self):
        """Checkpoints of the route scanned for the round: inside the window or just before
        it (提前); scans after it (迟到, kept from before 计划外 existed) do not count."""
        route_ids = {c.id for c in self.checkpoints}
        return {s.checkpoint_id for s in self.scans
                if "迟到" not in s.flag_list and s.checkpoint_id in route_ids}

    @property
    def total(self):
        """Checkpoints to scan: as stored when closed, else the route's now."""
        return self.row.total if self.closed else len(self.checkpoints)

    @property
    def done(self):
        """Checkpoints scanned in time: as stored when closed, else counted now."""
        return self.row.done if self.closed else len(self.counted_ids())

    @property
    def closed(self):
        """The periodic job stored the round's final state."""
        return self.row is not None and self.row.closed_at is not None

    @property
    def remaining(self):
        """The route's checkpoints not yet scanned in time, in route order."""
        counted = self.counted_ids()
        return [c for c in self.checkpoints if c.id not in counted]

    def status(self, now):
        """待巡, 进行中, 已完成, 部分完成 or 漏巡 at `now` (naive UTC); a closed round keeps
        the state it was closed with."""
        if self.closed:
            return self.row.status
        done, total = self.done, self.total
        if now < self.starts_at and not self.scans:  # scanned early (提前): under way
            return PENDING
        if total and done >= total:
            return DONE
        if now < self.ends_at:
            return ACTIVE if self.scans else PENDING
        return PARTIAL if done else MISSED

    def is_current(self, now):
        """The window is open at `now` (naive UTC): [starts_at, ends_at)."""
        return self.starts_at <= now < self.ends_at


@dataclass
class Structure:
    """An estate's patrol set-up as the rounds need it, read at one structure version."""
    version: int | None
    schedules: list  # active schedules of active routes, route joined, by id
    guards: dict  # {schedule id: {user ids named on it}}
    stops: dict  # {route id: [active checkpoints in order]}, every route of the estate
    early: timedelta = timedelta(minutes=EARLY_MINUTES)  # 提前: scans this long before count
    starts: dict = field(default_factory=dict)  # windows()'s memo: {(schedule id, day): […]}


def structure_version():
    """The set-up version as a subquery, for a read that wants it alongside (a checkpoint's
    label reads it with the checkpoint, as `structure_version`: scan_views.LABEL_TARGET)."""
    return PatrolStructure.select(PatrolStructure.version).where(PatrolStructure.id == 1)


def structure(estate, version=UNREAD):
    """The estate's set-up, cached per worker and database while PatrolStructure.version
    stays the same: one one-row query per call instead of three joined ones. Every write
    to the set-up bumps the version in its own transaction (models.StructureModel), and the
    version is read before the set-up, so a cached set-up is never older than its version.
    `version`: the version as the caller has just read it, saving that read."""
    if version is UNREAD:
        version = (_version.first() or (None,))[0]
    cache = db.obj.__dict__.setdefault("patrol_structure_cache", {})
    cached = cache.get(estate.id)
    if cached is not None and cached.version == version:
        return cached
    schedules = list(Schedule.select(Schedule, Route).join(Route)
                     .where(Schedule.estate == estate, Schedule.active, Route.active)
                     .order_by(Schedule.id))
    guards = defaultdict(set)
    for schedule_id, user_id in (ScheduleGuard.select(ScheduleGuard.schedule, ScheduleGuard.user)
                                 .where(ScheduleGuard.schedule.in_([s.id for s in schedules]
                                                                   or [0])).tuples()):
        guards[schedule_id].add(user_id)
    stops = defaultdict(list)
    for stop in (RouteStop.select(RouteStop, Checkpoint).join(Checkpoint)
                 .switch(RouteStop).join(Route)
                 .where(Route.estate == estate, Checkpoint.active)
                 .order_by(RouteStop.route, RouteStop.position)):
        stops[stop.route_id].append(stop.checkpoint)
    early = (PatrolSettings.select(PatrolSettings.early_minutes)
             .where(PatrolSettings.estate == estate).scalar())
    cache[estate.id] = Structure(version, schedules, dict(guards), dict(stops),
                                 timedelta(minutes=EARLY_MINUTES if early is None else early))
    return cache[estate.id]


def schedules_for(estate, user=None, found=None):
    """Active schedules of active routes (rows, route joined); with `user`, only those the
    user may walk. found: the estate's set-up (structure()) when the caller has it."""
    found = found or structure(estate)
    return [s for s in found.schedules
            if user is None or s.any_guard or user.id in found.guards.get(s.id, ())]


def computed_rounds(estate, start, end, user, checkpoint, found):
    """The windows overlapping [start, end) (naive UTC) of the schedules `user` may walk
    (all: None) whose route has `checkpoint` (any: None), as {key: RoundView} without rows
    or scans; {schedule id: schedule} of those schedules; and the estate's route stops.
    found: the estate's set-up (structure())."""
    schedules = schedules_for(estate, user, found)
    if checkpoint is not None:
        schedules = [s for s in schedules
                     if any(c.id == checkpoint.id for c in found.stops.get(s.route_id, ()))]
    if len(found.starts) > 1000:  # a worker running for years: forget old days
        found.starts.clear()
    views = {}
    for schedule in schedules:
        for begins, ends in windows(schedule, estate, start, end, found.starts):
            views[(schedule.id, begins)] = RoundView(schedule, begins, ends,
                                                      list(found.stops.get(schedule.route_id, [])))
    return views, {s.id: s for s in schedules}, found.stops


def add_rows(views, rows, schedules, stops):
    """Put stored rounds on their computed views; a stored round whose schedule has since
    changed, so that no computed window matches it, still shows as a view of its own."""
    for row in rows:
        view = views.get((row.schedule_id, row.starts_at))
        if view is None:
            schedule = schedules[row.schedule_id]
            view = views[(row.schedule_id, row.starts_at)] = RoundView(
                schedule, row.starts_at, row.ends_at, list(stops.get(schedule.route_id, [])))
        view.row = row


def in_order(views):
    """RoundViews of a {key: view} dict, oldest window first."""
    return sorted(views.values(), key=lambda v: (v.starts_at, v.schedule.id))


def rounds_between(estate, start, end, user=None, checkpoint=None, closed_scans=True):
    """Every round (RoundView) whose window overlaps [start, end) (naive UTC), oldest first,
    with its stored row and scans; user: only the schedules they may walk (None: all);
    checkpoint: only the rounds whose route has this checkpoint. closed_scans=False leaves
    the scans of closed rounds unread (their done, total and status are stored): for the
    figures of a month, whose scans number tens of thousands (issue 23)."""
    views, schedules, stops = computed_rounds(estate, start, end, user, checkpoint,
                                              structure(estate))
    rows = _stored_rounds(end, start, start - LONGEST_WINDOW, list(schedules) or [0])
    add_rows(views, rows, schedules, stops)
    if rows:
        by_row = {v.row.id: v for v in views.values()
                  if v.row is not None and (closed_scans or v.row.closed_at is None)}
        for scan in (Scan.select(Scan, User).join(User)
                     .where(Scan.round.in_(list(by_row))).order_by(Scan.scanned_at)
                     if by_row else ()):
            by_row[scan.round_id].scans.append(scan)
    return in_order(views)


_version = Prepared(lambda: structure_version().tuples())
# A round overlapping [start, …) began at most LONGEST_WINDOW before start: that bound lets
# the (schedule, starts_at) index skip the older history.
LONGEST_WINDOW = timedelta(minutes=LONGEST_WINDOW_MINUTES)
_stored_rounds = Prepared(lambda end, start, earliest, schedule_ids: Round.select().where(
    Round.schedule.in_(schedule_ids), Round.starts_at >= earliest, Round.starts_at < end,
    Round.ends_at > start))
def guard_rounds(estate, user, now, upcoming=2):
    """The guard's current rounds and the next few, for the home panel and the patrol page."""
    views = rounds_between(estate, now - timedelta(hours=13), now + timedelta(hours=36), user)
    memo = {}  # 当班人员（按排班）: only the rounds the roster gives this guard (issue 21)
    views = [v for v in views if on_duty.may_walk(estate, v, user, memo)]
    current = [v for v in views if v.is_current(now)]
    later = [v for v in views if v.starts_at > now][:upcoming]
    return current, later


def ensure_round(view):
    """The stored row of a computed round, created once (safe under concurrency)."""
    if view.row is None:
        (Round.insert(estate=view.schedule.estate_id, schedule=view.schedule,
                      starts_at=view.starts_at, ends_at=view.ends_at)
         .on_conflict_ignore().execute())
        view.row = Round.get(Round.schedule == view.schedule, Round.starts_at == view.starts_at)
    return view.row


def close_expired_rounds(now, lookback=timedelta(days=2), alert=True):
    """Store the final state of every round of the active estates that ended in
    (now - lookback, now] (naive UTC) and is not closed yet, and alert once about missed or
    partial ones (alert=False: mark them alerted without notifying, as the demo history
    does). Returns {"closed": n, "alerted": n}.

    Set-based (issue 23): the windows come from each estate's cached set-up (structure()),
    one read of the stored rounds of every estate at once says which are closed already,
    and rows and scans are read only for the rounds to close now; a pass with nothing to
    close costs three small reads however many estates share the database. Safe run twice,
    late or on two workers at once: a round is closed by a conditional UPDATE (closed_at IS
    NULL) and alerted by another (alerted_at IS NULL)."""
    start = now - lookback
    version = (_version.first() or (None,))[0]
    order, views, schedules, stops, owners = {}, {}, {}, {}, {}  # owners: {schedule id: estate}
    for position, estate in enumerate(Estate.active_ones()):
        found = structure(estate, version)
        if not found.schedules:
            continue
        computed, by_id, _ = computed_rounds(estate, start, now, None, None, found)
        views.update(computed)
        owners.update(dict.fromkeys(by_id, estate))
        schedules.update(by_id)
        stops.update(found.stops)
        order[estate.id] = position
    if not schedules:
        return {"closed": 0, "alerted": 0}
    open_ids = []
    for row_id, schedule_id, starts_at, ends_at, closed_at in _round_marks(
            now, start, start - LONGEST_WINDOW, sorted(schedules)):
        view = views.get((schedule_id, starts_at))
        if closed_at is not None:
            views.pop((schedule_id, starts_at), None)
        elif (ends_at if view is None else view.ends_at) <= now:
            open_ids.append(row_id)
    if open_ids:  # stored, ended, not closed: their rows and scans (a few, at most)
        rows = list(Round.select().where(Round.id.in_(open_ids)))
        add_rows(views, rows, schedules, stops)
        by_row = {v.row.id: v for v in views.values() if v.row is not None}
        for scan in (Scan.select(Scan, User).join(User)
                     .where(Scan.round.in_(list(by_row))).order_by(Scan.scanned_at)):
            by_row[scan.round_id].scans.append(scan)
    closed = alerted = 0
    ended = [v for v in views.values() if v.ends_at <= now and not v.closed]
    for view in sorted(ended, key=lambda v: (order[v.schedule.estate_id], v.starts_at,
                                             v.schedule.id)):
        estate = owners[view.schedule.id]
        status = view.status(now)
        with db.atomic():
            row = ensure_round(view)
            won = (Round.update(closed_at=now, status=status, done=len(view.counted_ids()),
                                total=len(view.checkpoints))
                   .where(Round.id == row.id, Round.closed_at.is_null()).execute())
            if not won:  # another worker closed it first
                continue
            closed += 1
            if status in (PARTIAL, MISSED) and _alert(estate, view, status, now, alert):
                alerted += 1
    return {"closed": closed, "alerted": alerted}


# (id, schedule id, starts_at, ends_at, closed_at) of the stored rounds overlapping
# [start, end) of the schedules: which computed windows are closed already
_round_marks = Prepared(lambda end, start, earliest, schedule_ids: Round.select(
    Round.id, Round.schedule, Round.starts_at, Round.ends_at, Round.closed_at).where(
    Round.schedule.in_(schedule_ids), Round.starts_at >= earliest, Round.starts_at < end,
    Round.ends_at > start).tuples())


def _alert(estate, view, status, now, send=True):
    if not Round.update(alerted_at=now).where(Round.id == view.row.id,
                                              Round.alerted_at.is_null()).execute():
        return False
    if not send:
        return False
    local = estate.local(view.starts_at)
    missing = "、".join(c.name for c in view.remaining[:10])
    people = on_duty.round_people(estate, view) or []  # 当班人员（按排班）, issue 21
    duty = f"当班：{'、'.join(u.display_name for u in people)}。" if people else ""
    told = {u.id: u for u in [*User.with_role(estate, "supervisor", "manager"), *people]}
    notify(told.values(), estate,
           "patrol_missed", f"{status}：{view.route.name} {local:%m-%d %H:%M}",
           f"{duty}已巡 {len(view.counted_ids())}/{len(view.checkpoints)}。未巡：{missing}",
           link=f"/patrol/reports/day?date={local:%Y-%m-%d}")  # no request here for url_for
    return True


def periodic_close(now):
    """The patrol feature's periodic job (huey every minute, or `wyapp tick`)."""
    return close_expired_rounds(now)
