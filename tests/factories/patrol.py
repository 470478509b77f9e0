"""Patrol records for tests: checkpoints (with their labels), routes, schedules, scans,
incidents.

Each factory runs inside `in_db()`, goes through the patrol feature's own calls where it has
one (a checkpoint gets its label, a scan its round and flags), and returns the row. Times
are naive UTC and default to the current (test) instant; `local(estate, day, hh, mm)` turns
an estate wall time into one.
"""
from datetime import datetime, time, timedelta
from itertools import count

from wyapp.db import utcnow
from wyapp.models import User
from wyapp.patrol.incidents import report_incident
from wyapp.patrol.models import Checkpoint, Route, RouteStop, Schedule, ScheduleGuard
from wyapp.patrol.scanning import ScanRequest, record_scan
from wyapp.patrol.setup import save_checkpoint

_serial = count(1)


def local(estate, day, hh=0, mm=0, ss=0):
    """The estate's wall time `hh:mm:ss` on the local date `day` as naive UTC."""
    return estate.utc(datetime.combine(day, time(hh, mm, ss)))


def checkpoint(estate, name=None, *, at=None, radius_m=50, active=True, location=""):
    """A checkpoint with its label; `at` (lat, lon) gives it a geofence of `radius_m`."""
    latitude, longitude = at or (None, None)
    return save_checkpoint(estate, Checkpoint(), {
        "name": name or f"巡更点{next(_serial)}", "location": location,
        "latitude": latitude, "longitude": longitude,
        "radius_m": radius_m if at else None, "active": active})


def route(estate, checkpoints, name=None, *, enforce_order=True, min_seconds=60):
    """A route through `checkpoints` in that order."""
    made = Route.create(estate=estate, name=name or f"路线{next(_serial)}",
                        enforce_order=enforce_order, min_seconds=min_seconds)
    RouteStop.insert_many([{"route": made, "checkpoint": c, "position": p}
                           for p, c in enumerate(checkpoints, start=1)]).execute()
    return made


def schedule(route, *, times=None, interval=None, window=60, guards=(), valid_from=None,
             weekdays="1234567", name=None):
    """A schedule of `route`: fixed start `times` ("08:00, 20:00"), or `interval` =
    (span_start, span_end, every_minutes) — the default (all day, every 2 h); windows of
    `window` minutes; walked by `guards` (User rows; none: any guard); rounds from
    `valid_from` (naive UTC; default: three days ago)."""
    fields = {"start_times": times} if times else dict(zip(
        ("span_start", "span_end", "every_minutes"), interval or ("00:00", "00:00", 120),
        strict=True))
    made = Schedule.create(estate=route.estate_id, route=route,
                           name=name or f"计划{next(_serial)}", weekdays=weekdays,
                           window_minutes=window, any_guard=not guards,
                           valid_from=valid_from or utcnow() - timedelta(days=3), **fields)
    for guard in guards:
        ScheduleGuard.create(schedule=made, user=guard)
    return made


def around_now(route, now, *, before=10, window=60, **changes):
    """A fixed-time schedule of `route` whose window opened `before` minutes before `now`
    (it may run past the estate's midnight), valid since yesterday."""
    estate = route.estate
    opened = estate.local(now) - timedelta(minutes=before)
    return schedule(route, times=f"{opened:%H:%M}", window=window,
                    valid_from=now - timedelta(days=1), **changes)


def scan(estate, checkpoint, at=None, *, user=None, key=None, now=None, **request):
    """A scan of `checkpoint` tapped at the server time `now` (default: `at`, else the
    clock) through record_scan; `request`: ScanRequest fields (device_at, latitude …).
    Returns (Scan, RoundView or None, created)."""
    now = now or at or utcnow()
    user = user or User.get(User.username == "guard")
    key = key or f"key-{checkpoint.id}-{next(_serial)}-{now:%d%H%M%S}"
    return record_scan(estate, checkpoint, user, ScanRequest(key, **request), now)


def incident(estate, text="水泵房门锁损坏，门无法锁闭。", *, user=None, category="设施损坏",
             checkpoint=None, at=None):
    """An incident reported by `user` (default: the office's guard) at `at` (default: now)."""
    return report_incident(estate, user or User.get(User.username == "guard"), category, text,
                           at or utcnow(), checkpoint=checkpoint)


def gap_route(estate, now, guard):
    """A route of two checkpoints (西门岗亭, 南门) walked in 60-minute rounds every 2 hours:
    the last round ended 30 minutes before `now` (naive UTC), walked in full by `guard`; the
    next opens 30 minutes after it. Returns (route, [checkpoints], next start as HH:MM in
    estate time) — the gap between two rounds where a scan is 计划外."""
    points = [checkpoint(estate, name, location=where) for name, where in
              (("西门岗亭", "西门入口左侧"), ("南门", "南门车行道"))]
    walked = route(estate, points, "间隙测试路线", min_seconds=0)
    local_now = estate.local(now)
    starts = [(local_now + timedelta(minutes=30 - 120 * k)).strftime("%H:%M")
              for k in range(12)]
    schedule(walked, times=", ".join(starts), window=60, valid_from=now - timedelta(days=2),
             name="间隙计划")
    for i, point in enumerate(points):
        scan(estate, point, now - timedelta(minutes=80 - i), user=guard)
    return walked, points, starts[0]
