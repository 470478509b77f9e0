"""Scanning a checkpoint: which round a scan counts for, its flags, and recording it once.

The hot path of the feature (a guard's tap on 打卡): the set-up comes from the worker's cache
(rounds.structure), the round and its marks from one prepared query, the scan from one
prepared INSERT. Every time is naive UTC; `now` comes from the caller.
"""
import math
import operator
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce

from peewee import IntegrityError, fn

from ..db import Prepared, db, from_row
from ..errors import DomainError
from ..offline import clock_suspect
from .models import Round, Scan
from .rounds import UNREAD, RoundView, computed_rounds, ensure_round, in_order, structure

# The clocks of a scan. How far the phone's clock may be off the server's (CLOCK_TOLERANCE) is
# the core's: wyapp/offline.py measures it for every queued action, patrol's or not.
OFFLINE_AFTER = timedelta(minutes=2)  # device time this far behind the server: sent later
DEVICE_AHEAD = timedelta(minutes=5)  # device clock ahead by more: not trusted
DEVICE_BEHIND = timedelta(days=3)  # device time older than this: not trusted
CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")


@dataclass(frozen=True)
class ScanRequest:
    """What a tap of 打卡 says, parsed once from the post and its offline meta (scan_views).

    client_id: the Idempotency-Key (checked by record_scan); device_at: when the guard
    tapped, by the phone's clock (naive UTC, or None); latitude/longitude (degrees) and
    accuracy (metres) of the phone's GPS fix, or None; queued: replayed from the phone's
    offline queue; clock_skew: server minus phone clock when it was sent (or None)."""
    client_id: str
    device_at: datetime | None = None
    latitude: float | None = None
    longitude: float | None = None
    accuracy: float | None = None
    queued: bool = False
    clock_skew: timedelta | None = None

    @property
    def clock_suspect(self):
        """The phone's clock was off the server's by more than offline.CLOCK_TOLERANCE when
        the scan was sent (时钟偏差)."""
        return clock_suspect(self.clock_skew)


def parse_coordinate(value, limit):
    """A GPS number as the page posts it (text) → float within ±limit, or None when absent,
    not a number or out of range."""
    try:
        number = float((value or "").strip()[:30])
    except ValueError:
        return None
    return number if math.isfinite(number) and -limit <= number <= limit else None


@dataclass
class ScanMark:
    """What the scan path needs of earlier scans: which checkpoint, when, whether late."""
    checkpoint_id: int
    scanned_at: datetime
    flag_list: list


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
    with six does. A scan counts for a round only inside its window or just before it
    (round_for); scans after the window (迟到) exist only from before 计划外 did, and the
    window decides which marks are 迟到."""
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
                late = [] if at < view.ends_at else ["迟到"]
                view.scans.append(ScanMark(checkpoint_id, at, late))
        view.scans.sort(key=lambda m: m.scanned_at)


def _as_datetime(value):
    """An aggregate of a DateTimeField comes back from SQLite as text."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def distance_m(lat1, lon1, lat2, lon2):
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371000 * math.asin(min(1.0, math.sqrt(a)))


def effective_time(now, device_at):
    """The time a scan counts at (naive UTC): the device's (`device_at`, naive UTC or None)
    when plausible, since the tap may have been queued offline, never later than `now`;
    else the server's `now`."""
    if device_at is None or device_at > now + DEVICE_AHEAD or device_at < now - DEVICE_BEHIND:
        return now
    return min(device_at, now)


def round_for(estate, checkpoint, user, at, version=UNREAD):
    """The round a scan at `at` counts for: an open window where the checkpoint is still to
    scan, else a window opening within the estate's 提前 minutes
    (PatrolSettings.early_minutes) where it is (back-to-back windows), else an open window
    (the scan is 重复), else that opening window; None between windows, or when the window the
    scan's time falls in was already closed (a late offline sync): the scan is 计划外 and
    no ended round changes after it ended (issue 17). The round comes with its stored row
    (if any) and its marks (ScanMark). Rounds follow the schedules as they are now: a window
    that an edited schedule no longer has takes no more scans. `at`: naive UTC. `version`:
    the set-up version as the caller read it with the checkpoint (saves a query), else read."""
    found = structure(estate, version)
    # the windows overlapping [at, at + early + 1 min): every open one, and those opening soon
    views, _, _ = computed_rounds(estate, at, at + found.early + timedelta(minutes=1), user,
                                  checkpoint, found)
    ordered = in_order(views)
    current = _open([v for v in ordered if v.is_current(at)])
    fresh = _fresh(current, checkpoint)
    if fresh:
        return fresh[0]
    # no open window still needs the point: the next window opening within the 提前
    # minutes (back-to-back windows: the guard has started the next round early)
    early = _open([v for v in ordered if at < v.starts_at <= at + found.early][:1])
    return (_fresh(early, checkpoint) or current or early or [None])[0]


def _fresh(views, checkpoint):
    """The rounds of `views` in which `checkpoint` is not yet scanned."""
    return [v for v in views if checkpoint.id not in {s.checkpoint_id for s in v.scans}]


def _open(views):
    """`views` with their rows and marks, less the rounds already closed: a scan synced from
    the offline queue after its round was closed (its figures stored, a 部分完成/漏巡 alert
    sent) must not change that round, so it is kept as 计划外 (issue 17)."""
    _attach_rows_and_marks(views)
    return [v for v in views if v.row is None or v.row.closed_at is None]


def next_round(estate, checkpoint, user, at):
    """The next window (RoundView, no row) after `at` (naive UTC) that `user` may walk and
    whose route has `checkpoint`, within the next 36 hours; None if there is none. What a
    guard is told after a 计划外 scan."""
    views, _, _ = computed_rounds(estate, at, at + timedelta(hours=36), user, checkpoint,
                                  structure(estate))
    return next((v for v in in_order(views) if v.starts_at > at), None)


def scan_flags(view, checkpoint, at, latitude=None, longitude=None):
    """The flags of a scan at `at` (naive UTC) of `checkpoint` in round `view` (None: no
    round, 计划外), GPS fix in degrees or None. A round not yet open at `at` was scanned
    提前. Never rejects; returns (flags, distance in metres from the checkpoint, or None
    without a geofence or a fix)."""
    flags, distance = [], None
    if view is None:
        flags.append("计划外")
    elif at < view.starts_at:
        flags.append("提前")
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


def record_scan(estate, checkpoint, user, scan, now, version=UNREAD):
    """Record one scan (`scan`: a ScanRequest) of `checkpoint` by `user` at the server's
    `now` (naive UTC), exactly once per client id. Returns (Scan, RoundView or None,
    created). `version`: the set-up version read with the checkpoint's label, if any.
    Raises DomainError for an invalid client id, an inactive checkpoint (unless the scan is
    a replay) or a client id that another user's scan took.

    The unique client id decides: the insert of a replayed id fails and the first scan is
    returned unchanged (nothing of the replay is kept), with no lookup before each insert.
    A queued scan is flagged 离线补传; one whose phone clock was off by more than
    offline.CLOCK_TOLERANCE is flagged 时钟偏差 and its device time is corrected by the skew
    before it picks a round.
    """
    client_id = (scan.client_id or "").strip()
    if not CLIENT_ID.fullmatch(client_id):
        raise DomainError("打卡编号无效，请刷新页面后重试。")
    if not checkpoint.active:
        existing = Scan.get_or_none(Scan.client_id == client_id)
        if existing is not None:
            return _replayed(existing, user)
        raise DomainError("这个巡更点已停用，本次不记录。")
    device_at, skewed = scan.device_at, scan.clock_suspect
    at = effective_time(now, device_at + scan.clock_skew if skewed and device_at else device_at)
    view = round_for(estate, checkpoint, user, at, version)
    flags, distance = scan_flags(view, checkpoint, at, scan.latitude, scan.longitude)
    if scan.queued or now - at > OFFLINE_AFTER:  # sent from the queue, or acted well before
        flags.append("离线补传")
    if skewed:
        flags.append("时钟偏差")
    values = dict(estate=estate.id, checkpoint=checkpoint.id, user=user.id, round=None,
                  client_id=client_id, scanned_at=at, server_at=now, device_at=device_at,
                  latitude=scan.latitude, longitude=scan.longitude, accuracy_m=scan.accuracy,
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
    row = Scan(__no_default__=1, id=scan_id, **values)  # all columns given: no defaults
    if view is not None:
        view.scans.append(row)
    return row, view, True


_SCAN_COLUMNS = ("estate", "checkpoint", "user", "round", "client_id", "scanned_at", "server_at",
                 "device_at", "latitude", "longitude", "accuracy_m", "distance_m", "flags")
_insert = Prepared(lambda *values: Scan.insert(dict(zip(_SCAN_COLUMNS, values, strict=True))))


def _insert_scan(values):
    """The new scan's id (values as the database takes them: ids, not rows)."""
    return _insert(*[values[c] for c in _SCAN_COLUMNS])


def _replayed(scan, user):
    if scan.user_id != user.id:
        raise DomainError("这个打卡编号已被使用，请刷新页面后重试。")
    view = None
    if scan.round_id:
        row = scan.round
        view = RoundView(row.schedule, row.starts_at, row.ends_at,
                         row.schedule.route.checkpoints(), row, list(row.scans))
    return scan, view, False
