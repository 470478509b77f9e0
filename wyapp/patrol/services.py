"""Patrol rules shared by views, the periodic job, the CLI, the demo and the reports.

Rounds are computed from the schedules and the clock: `rounds_between()` lists every window
with its state even if no job ever ran. `close_expired_rounds()` (periodic, and `wyapp
tick`) stores the final state of ended windows once, and alerts supervisors about missed
or partial ones exactly once. Every function takes `now` (naive UTC) from its caller.
"""
import math
import operator
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import reduce
from zoneinfo import ZoneInfo

from peewee import IntegrityError, fn

from ..db import Prepared, db, from_row
from ..labels import current_label, issue_label
from ..models import Estate, User, notify
from .models import (
    LONGEST_WINDOW_MINUTES,
    Checkpoint,
    Incident,
    IncidentComment,
    IncidentPhoto,
    PatrolStructure,
    Round,
    Route,
    RouteStop,
    Scan,
    Schedule,
    ScheduleGuard,
)

PENDING, ACTIVE, DONE, PARTIAL, MISSED = "待巡", "进行中", "已完成", "部分完成", "漏巡"
LATE_AFTER = timedelta(hours=12)  # a scan this long after a window still counts as late for it
OFFLINE_AFTER = timedelta(minutes=2)  # device time this far behind the server: sent later
DEVICE_AHEAD = timedelta(minutes=5)  # device clock ahead by more: not trusted
CLOCK_TOLERANCE = timedelta(minutes=5)  # phone and server clocks further apart: 时钟偏差


class PatrolError(Exception):
    """A patrol rule refused an input; `field` names the form field it belongs beside."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message, self.field = message, field


# ── time ────────────────────────────────────────────────────────────────────────────────

def zone_of(estate):
    return ZoneInfo(estate.timezone)


def to_utc(local_naive, zone):
    return local_naive.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def to_local(utc_naive, zone):
    return utc_naive.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def local_day_bounds(estate, day):
    zone = zone_of(estate)
    start = to_utc(datetime.combine(day, time()), zone)
    return start, to_utc(datetime.combine(day + timedelta(days=1), time()), zone)


HHMM = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")


def parse_hhmm(value, field=None):
    match = HHMM.match((value or "").strip())
    if not match:
        raise PatrolError(f"“{(value or '')[:20]}”不是有效的时间，请写成 20:00 这样。", field)
    return time(int(match.group(1)), int(match.group(2)))


def parse_times(text, field="start_times"):
    """'08:00, 14:00，20:00' → sorted distinct times."""
    parts = [p for p in re.split(r"[,，、\s]+", text or "") if p]
    if not parts:
        raise PatrolError("请至少填写一个开始时间，例如 08:00, 20:00。", field)
    if len(parts) > 48:
        raise PatrolError("开始时间最多 48 个。", field)
    return sorted({parse_hhmm(p, field) for p in parts})


def window_starts(schedule, day):
    """The local start times of a schedule's windows whose span begins on `day`."""
    if str(day.isoweekday()) not in schedule.weekdays:
        return []
    if not schedule.interval_mode:
        return [datetime.combine(day, t) for t in parse_times(schedule.start_times)]
    start = datetime.combine(day, parse_hhmm(schedule.span_start))
    end = datetime.combine(day, parse_hhmm(schedule.span_end))
    if end <= start:  # the span crosses midnight (equal: all day)
        end += timedelta(days=1)
    step, starts = timedelta(minutes=schedule.every_minutes), []
    while start < end:
        starts.append(start)
        start += step
    return starts


def windows(schedule, zone, start_utc, end_utc, memo=None):
    """(starts_at, ends_at) in naive UTC of each window of `schedule` overlapping the range.
    memo: a dict keeping each day's window starts (Structure.starts) for the next call."""
    length = timedelta(minutes=schedule.window_minutes)
    day = to_local(start_utc, zone).date() - timedelta(days=1)
    last = to_local(end_utc, zone).date()
    found = []
    while day <= last:
        starts = memo.get((schedule.id, day)) if memo is not None else None
        if starts is None:
            starts = [to_utc(local_start, zone) for local_start in window_starts(schedule, day)]
            if memo is not None:
                memo[(schedule.id, day)] = starts
        for begins in starts:
            if begins + length > start_utc and begins < end_utc \
                    and begins >= schedule.valid_from:
                found.append((begins, begins + length))
        day += timedelta(days=1)
    return found


# ── rounds ──────────────────────────────────────────────────────────────────────────────

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
        return self.schedule.route

    @property
    def key(self):
        return (self.schedule.id, self.starts_at)

    def counted_ids(self):
        """Checkpoints of the route scanned inside the window (late scans do not count)."""
        route_ids = {c.id for c in self.checkpoints}
        return {s.checkpoint_id for s in self.scans
                if "迟到" not in s.flag_list and s.checkpoint_id in route_ids}

    @property
    def total(self):
        return self.row.total if self.closed else len(self.checkpoints)

    @property
    def done(self):
        return self.row.done if self.closed else len(self.counted_ids())

    @property
    def closed(self):
        return self.row is not None and self.row.closed_at is not None

    @property
    def remaining(self):
        counted = self.counted_ids()
        return [c for c in self.checkpoints if c.id not in counted]

    def status(self, now):
        if self.closed:
            return self.row.status
        done, total = self.done, self.total
        if now < self.starts_at:
            return PENDING
        if total and done >= total:
            return DONE
        if now < self.ends_at:
            return ACTIVE if self.scans else PENDING
        return PARTIAL if done else MISSED

    def is_current(self, now):
        return self.starts_at <= now < self.ends_at


@dataclass
class Structure:
    """An estate's patrol set-up as the rounds need it, read at one structure version."""
    version: int | None
    schedules: list  # active schedules of active routes, route joined, by id
    guards: dict  # {schedule id: {user ids named on it}}
    stops: dict  # {route id: [active checkpoints in order]}, every route of the estate
    starts: dict = field(default_factory=dict)  # windows()'s memo: {(schedule id, day): […]}


_UNREAD = object()


def structure_version():
    """The set-up version as a subquery, for a read that wants it alongside (a checkpoint's
    label reads it with the checkpoint, as `structure_version`: views.LABEL_TARGET)."""
    return PatrolStructure.select(PatrolStructure.version).where(PatrolStructure.id == 1)


def structure(estate, version=_UNREAD):
    """The estate's set-up, cached per worker and database while PatrolStructure.version
    stays the same: one one-row query per call instead of three joined ones. Every write
    to the set-up bumps the version in its own transaction (models.StructureModel), and the
    version is read before the set-up, so a cached set-up is never older than its version.
    `version`: the version as the caller has just read it, saving that read."""
    if version is _UNREAD:
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
    cache[estate.id] = Structure(version, schedules, dict(guards), dict(stops))
    return cache[estate.id]


def schedules_for(estate, user=None, found=None):
    """Active schedules of active routes; with `user`, only those the user may walk."""
    found = found or structure(estate)
    return [s for s in found.schedules
            if user is None or s.any_guard or user.id in found.guards.get(s.id, ())]


@dataclass
class ScanMark:
    """What the scan path needs of earlier scans: which checkpoint, when, whether late."""
    checkpoint_id: int
    scanned_at: datetime
    flag_list: list


def _computed_rounds(estate, start, end, user, checkpoint, found=None):
    """The windows overlapping [start, end) of the schedules `user` may walk (all: None)
    whose route has `checkpoint` (any: None), as {key: RoundView} without rows or scans;
    {schedule id: schedule} of those schedules; and the estate's route stops.
    found: the estate's set-up (structure()) when the caller has it."""
    found = found or structure(estate, getattr(checkpoint, "structure_version", _UNREAD))
    schedules = schedules_for(estate, user, found)
    if checkpoint is not None:
        schedules = [s for s in schedules
                     if any(c.id == checkpoint.id for c in found.stops.get(s.route_id, ()))]
    if len(found.starts) > 1000:  # a worker running for years: forget old days
        found.starts.clear()
    zone = zone_of(estate)
    views = {}
    for schedule in schedules:
        for begins, ends in windows(schedule, zone, start, end, found.starts):
            views[(schedule.id, begins)] = RoundView(schedule, begins, ends,
                                                      list(found.stops.get(schedule.route_id, [])))
    return views, {s.id: s for s in schedules}, found.stops


def _add_rows(views, rows, schedules, stops):
    """Put stored rounds on their computed views; a stored round whose schedule has since
    changed, so that no computed window matches it, still shows as a view of its own."""
    for row in rows:
        view = views.get((row.schedule_id, row.starts_at))
        if view is None:
            schedule = schedules[row.schedule_id]
            view = views[(row.schedule_id, row.starts_at)] = RoundView(
                schedule, row.starts_at, row.ends_at, list(stops.get(schedule.route_id, [])))
        view.row = row


def _in_order(views):
    return sorted(views.values(), key=lambda v: (v.starts_at, v.schedule.id))


def rounds_between(estate, start, end, user=None, checkpoint=None):
    """Every round whose window overlaps [start, end), oldest first, with rows and scans.
    checkpoint: only the rounds whose route has this checkpoint."""
    views, schedules, stops = _computed_rounds(estate, start, end, user, checkpoint)
    rows = _stored_rounds(end, start, start - LONGEST_WINDOW, list(schedules) or [0])
    _add_rows(views, rows, schedules, stops)
    if rows:
        by_row = {v.row.id: v for v in views.values() if v.row is not None}
        for scan in (Scan.select(Scan, User).join(User)
                     .where(Scan.round.in_(list(by_row))).order_by(Scan.scanned_at)):
            by_row[scan.round_id].scans.append(scan)
    return _in_order(views)


_version = Prepared(lambda: structure_version().tuples())
# A round overlapping [start, …) began at most LONGEST_WINDOW before start: that bound lets
# the (schedule, starts_at) index skip the older history.
LONGEST_WINDOW = timedelta(minutes=LONGEST_WINDOW_MINUTES)
_stored_rounds = Prepared(lambda end, start, earliest, schedule_ids: Round.select().where(
    Round.schedule.in_(schedule_ids), Round.starts_at >= earliest, Round.starts_at < end,
    Round.ends_at > start))
_Earlier = Scan.alias()


def _scan_time(aggregate, checkpoint):
    """One scalar subquery over the (round, checkpoint, scanned_at) index: O(log n) rows."""
    return (_Earlier.select(aggregate(_Earlier.scanned_at))
            .where(_Earlier.round == Round.id, _Earlier.checkpoint == checkpoint))


_keyed_marks = Prepared(lambda schedule_ids, starts, checkpoint_ids: Round.select(
    *Round._meta.sorted_fields,
    *[_scan_time(aggregate, c) for c in checkpoint_ids for aggregate in (fn.MIN, fn.MAX)])
    .where(reduce(operator.or_, [(Round.schedule == s) & (Round.starts_at == t)
                                 for s, t in zip(schedule_ids, starts, strict=True)])).tuples())


def _attach_rows_and_marks(views):
    """Give each of `views` its stored row, if any, and what a new scan is judged against:
    per checkpoint its first and its last scan, as ScanMarks. One query, a row per round;
    two index lookups per checkpoint, so a round with thousands of scans costs what one
    with six does. A scan counts for a round only inside its window or after it
    (round_for), and is late exactly when after (scan_flags): so a checkpoint was scanned
    in time if its first scan is, and the window decides which marks are 迟到."""
    if not views:
        return
    by_key = {v.key: v for v in views}
    checkpoint_ids = sorted({c.id for v in views for c in v.checkpoints})
    fields = len(Round._meta.sorted_fields)
    for columns in _keyed_marks([v.schedule.id for v in views], [v.starts_at for v in views],
                                checkpoint_ids):
        row = from_row(Round, columns[:fields])
        view = by_key[(row.schedule_id, row.starts_at)]
        view.row = row
        times = columns[fields:]
        for checkpoint_id, first, last in zip(checkpoint_ids, times[::2], times[1::2],
                                              strict=True):
            for at in sorted({_as_datetime(t) for t in (first, last) if t is not None}):
                late = [] if view.starts_at <= at < view.ends_at else ["迟到"]
                view.scans.append(ScanMark(checkpoint_id, at, late))
        view.scans.sort(key=lambda m: m.scanned_at)


def _as_datetime(value):
    """An aggregate of a DateTimeField comes back from SQLite as text."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def guard_rounds(estate, user, now, upcoming=2):
    """The guard's current rounds and the next few, for the home panel and the patrol page."""
    views = rounds_between(estate, now - timedelta(hours=13), now + timedelta(hours=36), user)
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
    """Store the final state of every ended round and alert once about missed/partial ones
    (alert=False: mark them alerted without notifying, as the demo history does)."""
    closed = alerted = 0
    for estate in Estate.active_ones():
        for view in rounds_between(estate, now - lookback, now):
            if view.ends_at > now or view.closed:
                continue
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


def _alert(estate, view, status, now, send=True):
    if not Round.update(alerted_at=now).where(Round.id == view.row.id,
                                              Round.alerted_at.is_null()).execute():
        return False
    if not send:
        return False
    local = to_local(view.starts_at, zone_of(estate))
    missing = "、".join(c.name for c in view.remaining[:10])
    notify(User.with_role(estate, "supervisor", "manager"), estate, "patrol_missed",
           f"{status}：{view.route.name} {local:%m-%d %H:%M}",
           f"已巡 {len(view.counted_ids())}/{len(view.checkpoints)}。未巡：{missing}",
           link=f"/patrol/reports/day?date={local:%Y-%m-%d}")  # no request here for url_for
    return True


def periodic_close(now):
    """The patrol feature's periodic job (huey every minute, or `wyapp tick`)."""
    return close_expired_rounds(now)


# ── scans ───────────────────────────────────────────────────────────────────────────────

def distance_m(lat1, lon1, lat2, lon2):
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371000 * math.asin(min(1.0, math.sqrt(a)))


def effective_time(now, device_at):
    """The device's time when plausible (it may have been taken offline), else the server's."""
    if device_at is None or device_at > now + DEVICE_AHEAD or device_at < now - timedelta(days=3):
        return now
    return min(device_at, now)


def round_for(estate, checkpoint, user, at):
    """The round a scan at `at` counts for: an open window first (one where the checkpoint
    is still to scan, if several are open), else the last ended one; None when no window
    of the last 12 hours has the checkpoint. The round comes with its stored row (if any)
    and its marks (ScanMark). Rounds follow the schedules as they are now: a window that an
    edited schedule no longer has takes no more scans."""
    found = structure(estate, getattr(checkpoint, "structure_version", _UNREAD))
    # the windows overlapping [at, at + 1 min): every open one, also one opening exactly at `at`
    views, _, _ = _computed_rounds(estate, at, at + timedelta(minutes=1), user, checkpoint,
                                   found)
    candidates = [v for v in _in_order(views) if v.is_current(at)]
    if not candidates:  # only then the windows of the last 12 hours
        views, _, _ = _computed_rounds(estate, at - LATE_AFTER, at, user, checkpoint, found)
        candidates = [v for v in _in_order(views) if v.ends_at <= at][-1:]
    _attach_rows_and_marks(candidates)
    fresh = [v for v in candidates if checkpoint.id not in {s.checkpoint_id for s in v.scans}]
    return (fresh or candidates or [None])[0]


def scan_flags(view, checkpoint, at, latitude=None, longitude=None):
    """The flags of a scan at `at` of `checkpoint` in round `view` (None: no round). Never
    rejects; returns (flags, distance in metres or None)."""
    flags, distance = [], None
    if view is None or not view.is_current(at):
        flags.append("迟到")
    if view is not None:
        earlier = [s for s in view.scans if s.scanned_at <= at]
        seen = {s.checkpoint_id for s in earlier}
        if checkpoint.id in seen:
            flags.append("重复")
        elif view.route.enforce_order:
            expected = next((c for c in view.checkpoints if c.id not in seen), None)
            if expected is not None and expected.id != checkpoint.id:
                flags.append("顺序错误")
        if earlier and earlier[-1].checkpoint_id != checkpoint.id and \
                (at - earlier[-1].scanned_at).total_seconds() < view.route.min_seconds:
            flags.append("过快")
    if checkpoint.has_geofence and latitude is not None and longitude is not None:
        distance = distance_m(checkpoint.latitude, checkpoint.longitude, latitude, longitude)
        if distance > checkpoint.radius_m:
            flags.append("超出范围")
    return flags, distance


def record_scan(estate, checkpoint, user, client_id, now, device_at=None, latitude=None,
                longitude=None, accuracy=None, queued=False, clock_skew=None):
    """Record one scan, exactly once per client id. Returns (scan, view, created).

    The unique client id decides: the insert of a replayed id fails and the first scan is
    returned unchanged (nothing of the replay is kept), with no lookup before each insert.

    `queued`: replayed from the phone's offline queue (flagged 离线补传). `clock_skew`:
    server minus phone clock measured when it was sent; beyond 5 minutes the scan is
    flagged 时钟偏差 and its device time is corrected by the skew before it picks a round.
    """
    client_id = (client_id or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9._:-]{8,64}", client_id):
        raise PatrolError("打卡编号无效，请刷新页面后重试。")
    if not checkpoint.active:
        existing = Scan.get_or_none(Scan.client_id == client_id)
        if existing is not None:
            return _replayed(existing, user)
        raise PatrolError("这个巡更点已停用，本次不记录。")
    clock_suspect = clock_skew is not None and abs(clock_skew) > CLOCK_TOLERANCE
    at = effective_time(now, device_at + clock_skew if clock_suspect and device_at else device_at)
    view = round_for(estate, checkpoint, user, at)
    flags, distance = scan_flags(view, checkpoint, at, latitude, longitude)
    if queued or now - at > OFFLINE_AFTER:  # sent from the queue, or acted well before
        flags.append("离线补传")
    if clock_suspect:
        flags.append("时钟偏差")
    values = dict(estate=estate.id, checkpoint=checkpoint.id, user=user.id, round=None,
                  client_id=client_id, scanned_at=at, server_at=now, device_at=device_at,
                  latitude=latitude, longitude=longitude, accuracy_m=accuracy,
                  distance_m=distance, flags=",".join(flags))
    try:
        if view is not None and view.row is None:
            with db.atomic():  # the round's first scan stores the round: both or neither
                values["round"] = ensure_round(view).id
                scan_id = _insert_scan(values)
        else:  # one INSERT is atomic by itself
            values["round"] = view and view.row.id
            scan_id = _insert_scan(values)
    except IntegrityError:  # the key is taken: a replay (the round row too is rolled back)
        return _replayed(Scan.get(Scan.client_id == client_id), user)
    scan = Scan(__no_default__=1, id=scan_id, **values)  # all columns given: no defaults
    if view is not None:
        view.scans.append(scan)
    return scan, view, True


_SCAN_COLUMNS = ("estate", "checkpoint", "user", "round", "client_id", "scanned_at", "server_at",
                 "device_at", "latitude", "longitude", "accuracy_m", "distance_m", "flags")
_insert = Prepared(lambda *values: Scan.insert(dict(zip(_SCAN_COLUMNS, values, strict=True))))


def _insert_scan(values):
    """The new scan's id (values as the database takes them: ids, not rows)."""
    return _insert(*[values[c] for c in _SCAN_COLUMNS])


def _replayed(scan, user):
    if scan.user_id != user.id:
        raise PatrolError("这个打卡编号已被使用，请刷新页面后重试。")
    view = None
    if scan.round_id:
        row = scan.round
        view = RoundView(row.schedule, row.starts_at, row.ends_at,
                         row.schedule.route.checkpoints(), row, list(row.scans))
    return scan, view, False


# ── set-up ──────────────────────────────────────────────────────────────────────────────

def save_checkpoint(estate, checkpoint, data):
    """Create or update a checkpoint; a new one gets its label. Raises PatrolError."""
    geo = [data.get("latitude"), data.get("longitude")]
    if (geo[0] is None) != (geo[1] is None):
        raise PatrolError("纬度和经度要一起填写，或都留空。", "latitude")
    if data.get("radius_m") is not None and geo[0] is None:
        raise PatrolError("填写范围半径前请先填写经纬度。", "radius_m")
    for name, value in data.items():
        setattr(checkpoint, name, value)
    if geo[0] is not None and checkpoint.radius_m is None:
        checkpoint.radius_m = 50
    checkpoint.estate = estate
    try:
        with db.atomic():
            new = checkpoint.id is None
            checkpoint.save()
            if new:
                issue_label(estate, "checkpoint", checkpoint.id)
    except IntegrityError as error:
        raise PatrolError("已有同名巡更点。", "name") from error
    return checkpoint


def reissue_label(checkpoint):
    """A new label for the checkpoint: the old printed one stops working at once."""
    return issue_label(checkpoint.estate, "checkpoint", checkpoint.id)


def checkpoint_label(checkpoint):
    return current_label("checkpoint", checkpoint.id)


def save_route(estate, route, data):
    for name, value in data.items():
        setattr(route, name, value)
    route.estate = estate
    try:
        with db.atomic():
            route.save()
    except IntegrityError as error:
        raise PatrolError("已有同名路线。", "name") from error
    return route


def add_stop(route, checkpoint):
    with db.atomic():
        if RouteStop.select().where(RouteStop.route == route,
                                    RouteStop.checkpoint == checkpoint).exists():
            raise PatrolError("这个巡更点已在路线中。", "checkpoint")
        last = max([s.position for s in route.stops] or [0])
        RouteStop.create(route=route, checkpoint=checkpoint, position=last + 1)


def move_stop(route, stop_id, step):
    """Swap a stop with its neighbour (step -1 up, +1 down)."""
    stops = list(route.stops.order_by(RouteStop.position))
    index = next((i for i, s in enumerate(stops) if s.id == stop_id), None)
    if index is None:
        raise PatrolError("路线中没有这个巡更点。")
    other = index + step
    if 0 <= other < len(stops):
        stops[index], stops[other] = stops[other], stops[index]
        with db.atomic():
            for position, stop in enumerate(stops, start=1):
                RouteStop.update(position=position).where(RouteStop.id == stop.id).execute()


def remove_stop(route, stop_id):
    with db.atomic():
        RouteStop.delete().where(RouteStop.route == route, RouteStop.id == stop_id).execute()


def save_schedule(estate, schedule, data, guards, now):
    """Create or update a schedule after checking its times. Raises PatrolError."""
    if not data["weekdays"]:
        raise PatrolError("请至少选择一天。", "weekdays")
    if data["every_minutes"]:
        parse_hhmm(data["span_start"], "span_start")
        parse_hhmm(data["span_end"], "span_end")
        data["start_times"] = ""
    else:
        data["start_times"] = ", ".join(f"{t:%H:%M}" for t in parse_times(data["start_times"]))
        data["span_start"] = data["span_end"] = ""
        data["every_minutes"] = None
    if not data["any_guard"] and not guards:
        raise PatrolError("请选择执行的秩序维护员，或勾选“本小区任何秩序维护员”。", "guards")
    for name, value in data.items():
        setattr(schedule, name, value)
    schedule.estate = estate
    with db.atomic():
        if schedule.id is None:
            schedule.valid_from = now
        schedule.save()
        ScheduleGuard.delete().where(ScheduleGuard.schedule == schedule).execute()
        ScheduleGuard.insert_many([{"schedule": schedule, "user": g} for g in guards]).execute()
    return schedule


# ── incidents ───────────────────────────────────────────────────────────────────────────

def incident_by_key(user, client_id):
    """The incident already reported with this Idempotency-Key by this user, if any."""
    if not client_id:
        return None
    return Incident.get_or_none(Incident.client_id == client_id, Incident.reported_by == user)


def report_incident(estate, user, category, text, photos=(), checkpoint=None, round_row=None,
                    client_id=None, device_at=None, queued=False):
    """Record an incident once per client id (a retried upload returns the first one)."""
    try:
        with db.atomic():
            incident = Incident.create(estate=estate, reported_by=user, checkpoint=checkpoint,
                                       round=round_row, category=category, text=text,
                                       client_id=client_id, device_at=device_at, queued=queued)
            for photo in photos:
                IncidentPhoto.create(incident=incident, photo=photo)
    except IntegrityError:
        existing = incident_by_key(user, client_id)
        if existing is None:
            raise
        return existing
    return incident


def comment_incident(incident, user, text):
    with db.atomic():
        return IncidentComment.create(incident=incident, user=user, text=text)


def close_incident(incident, now):
    if incident.status != "待处理":
        raise PatrolError("这条异常已经处理过了。")
    with db.atomic():
        incident.status, incident.closed_at = "已关闭", now
        incident.save()


def incident_to_work_order(incident, user, now):
    """Turn an incident into a repair work order through the service desk's domain call."""
    from ..errors import DomainError
    from ..service.orders import create_work_order

    if incident.status != "待处理":
        raise PatrolError("这条异常已经处理过了。")
    place = incident.checkpoint.name if incident.checkpoint else ""
    category = {"消防": "消防", "设施损坏": "公共设施"}.get(incident.category, "其他")
    with db.atomic():
        try:
            order = create_work_order(
                incident.estate, source="巡更异常", reported_by=user, category=category,
                description=f"【{incident.category}】{incident.text}", place=place,
                photos=[p.photo for p in incident.photo_rows],
                origin=("patrol_incident", incident.id))
        except DomainError as error:
            raise PatrolError(error.message) from error
        incident.status, incident.closed_at, incident.work_order_id = "已转工单", now, order.id
        incident.save()
    return order


# ── reports ─────────────────────────────────────────────────────────────────────────────

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


def _scans_between(estate, start, end, user=None):
    query = (Scan.select(Scan, Checkpoint, User).join(Checkpoint).switch(Scan).join(User)
             .where(Scan.estate == estate, Scan.scanned_at >= start, Scan.scanned_at < end))
    if user is not None:
        query = query.where(Scan.user == user)
    return list(query.order_by(Scan.scanned_at))


def day_report(estate, day, now, user=None):
    """One local day: each round with state, scans and missed checkpoints; per guard."""
    start, end = local_day_bounds(estate, day)
    views = [v for v in rounds_between(estate, start, end, user) if start <= v.starts_at < end]
    rounds = []
    for view in views:
        status = view.status(now)
        scans = [s for s in view.scans if user is None or s.user_id == user.id]
        rounds.append({"view": view, "status": status, "done": view.done, "total": view.total,
                       "scans": scans,
                       "missed": view.remaining if status in (PARTIAL, MISSED) else []})
    ended = [r for r in rounds if r["view"].ends_at <= now]
    scans = _scans_between(estate, start, end, user)
    return {"day": day, "rounds": rounds, "scans": scans,
            "completion": _percent(sum(r["done"] for r in ended), sum(r["total"] for r in ended)),
            "missed_rounds": sum(r["status"] == MISSED for r in rounds),
            "partial_rounds": sum(r["status"] == PARTIAL for r in rounds),
            "flagged": sum(bool(s.flags) for s in scans),
            "guards": _guard_summary(scans, views)}


def month_report(estate, year, month, now, user=None):
    """One local month: completion per route and per guard, missed rounds, flagged scans."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    start, end = local_day_bounds(estate, first)[0], local_day_bounds(estate, following)[0]
    views = [v for v in rounds_between(estate, start, min(end, now), user)
             if start <= v.starts_at and v.ends_at <= now]
    routes = {}
    for view in views:
        row = routes.setdefault(view.route.id, {"route": view.route, "rounds": 0, "done": 0,
                                                "total": 0, "missed": 0, "partial": 0})
        status = view.status(now)
        row["rounds"] += 1
        row["done"] += view.done
        row["total"] += view.total
        row["missed"] += status == MISSED
        row["partial"] += status == PARTIAL
    for row in routes.values():
        row["completion"] = _percent(row["done"], row["total"])
    scans = _scans_between(estate, start, end, user)
    return {"first": first, "routes": sorted(routes.values(), key=lambda r: r["route"].name),
            "completion": _percent(sum(v.done for v in views), sum(v.total for v in views)),
            "rounds": len(views),
            "missed": [v for v in views if v.status(now) == MISSED],
            "flagged": [s for s in scans if s.flags],
            "guards": _guard_summary(scans, views)}


def parse_device_time(value):
    """X-Device-Time: epoch milliseconds or ISO 8601 (with zone) → naive UTC; junk → None."""
    value = (value or "").strip()[:40]
    try:
        if value.isdigit():
            return datetime.fromtimestamp(int(value) / 1000, UTC).replace(tzinfo=None)
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    if parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC).replace(tzinfo=None)


def parse_coordinate(value, limit):
    """A GPS number from the page, or None when absent or out of range."""
    try:
        number = float((value or "").strip()[:30])
    except ValueError:
        return None
    return number if math.isfinite(number) and -limit <= number <= limit else None
