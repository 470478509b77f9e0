"""Demo patrol data for 示范花园: 12 checkpoints, two routes, day and night schedules, a
交接班巡查 whose guards come from the staff roster (当班人员（按排班）), and three days of
history (a few flagged scans, one partial and one missed round)."""
from datetime import timedelta

from ..db import db
from .models import Checkpoint, Incident, Route, RouteStop, Scan, Schedule, ScheduleGuard
from .rounds import close_expired_rounds, ensure_round, rounds_between
from .scanning import scan_flags
from .setup import save_checkpoint

NIGHT = ["东门岗亭", "1号楼大堂", "1号楼天台门", "2号楼大堂", "2号楼消防通道", "3号楼大堂",
         "儿童游乐场"]
GARAGE = ["地库入口坡道", "地库A区配电房", "地库B区水泵房", "3号楼地下车库B区", "地库消防控制室"]
ORIGIN = (31.2304, 121.4737)  # the demo estate's gate (GPS)


def create_demo(estate, users, now):
    """The demo's patrol set-up and three local days of history up to `now` (naive UTC; the
    machine's clock is never read), for `users` ({username: User}). Idempotent: does nothing
    once the estate has checkpoints."""
    if Checkpoint.select().where(Checkpoint.estate == estate).exists():
        return
    valid_from = estate.day_start(estate.today(now) - timedelta(days=3))
    with db.atomic():
        points = {}
        for i, name in enumerate(NIGHT + GARAGE):
            outdoor = name in NIGHT
            points[name] = save_checkpoint(estate, Checkpoint(), {
                "name": name, "location": ("地面" if outdoor else "地下一层") + f"，{i + 1} 号点",
                "latitude": ORIGIN[0] + 0.0004 * i if outdoor else None,
                "longitude": ORIGIN[1] + 0.0003 * i if outdoor else None,
                "radius_m": 60 if outdoor else None, "active": True, "created_at": valid_from})
        night = Route.create(estate=estate, name="夜间巡逻路线", enforce_order=True, min_seconds=60,
                             created_at=valid_from)
        garage = Route.create(estate=estate, name="地库巡逻路线", enforce_order=False,
                              min_seconds=30, created_at=valid_from)
        for route, names in ((night, NIGHT), (garage, GARAGE)):
            RouteStop.insert_many([{"route": route, "checkpoint": points[n], "position": p}
                                   for p, n in enumerate(names, start=1)]).execute()
        Schedule.create(estate=estate, route=night, name="夜间巡逻", span_start="20:00",
                        span_end="06:00", every_minutes=120, window_minutes=120,
                        valid_from=valid_from)
        day = Schedule.create(estate=estate, route=garage, name="日间地库巡查",
                              span_start="06:00", span_end="20:00", every_minutes=120,
                              window_minutes=120, any_guard=False, valid_from=valid_from)
        ScheduleGuard.create(schedule=day, user=users["guard"])
        # 当班人员（按排班）: half an hour into each shift the guard the staff roster has on
        # it walks the garage (张保安 alternates 白班 and 夜班 there, so each day one of the
        # two rounds is his and the other shows 未排班). Rounds from `now` on: no history.
        Schedule.create(estate=estate, route=garage, name="交接班巡查",
                        start_times="08:30, 20:30", window_minutes=60, by_roster=True,
                        valid_from=now)
        _history(estate, users["guard"], valid_from, now)
        close_expired_rounds(now, lookback=now - valid_from, alert=False)
        Incident.create(estate=estate, reported_by=users["guard"],
                        checkpoint=points["地库B区水泵房"], category="设施损坏",
                        text="水泵房门锁损坏，门无法锁闭。",
                        created_at=now - timedelta(hours=20))
        Incident.create(estate=estate, reported_by=users["guard"],
                        checkpoint=points["儿童游乐场"], category="安全隐患",
                        text="滑梯扶手松动，已放置警示牌。",
                        created_at=now - timedelta(hours=3))


def _history(estate, guard, since, now):
    """Every ended round walked, except: one missed, one partial, two with flags (one out of
    order, one too fast), whatever the hour the demo is made at."""
    ended = [v for v in rounds_between(estate, since, now) if v.ends_at <= now]
    missed, partial, fast = len(ended) - 9, len(ended) - 5, len(ended) - 3
    # 顺序错误 only counts on a route that enforces its order: the latest round of one
    out_of_order = max(number for number, view in enumerate(ended)
                       if view.route.enforce_order and len(view.checkpoints) > 2
                       and number not in (missed, partial, fast))
    for number, view in enumerate(ended):
        stops = list(view.checkpoints)
        if number == missed:
            continue  # 漏巡
        if number == partial:
            stops = stops[:3]  # 部分完成
        if number == out_of_order:
            stops[1], stops[2] = stops[2], stops[1]  # 顺序错误
        row = ensure_round(view)
        at = view.starts_at + timedelta(minutes=5 + number % 7)
        for position, checkpoint in enumerate(stops):
            gap = 20 if number == fast and position == 2 else 240 + 17 * position
            at += timedelta(seconds=gap if position else 0)
            flags, distance = scan_flags(view, checkpoint, at)
            view.scans.append(Scan.create(
                estate=estate, checkpoint=checkpoint, user=guard, round=row,
                client_id=f"demo-{row.id}-{checkpoint.id}", scanned_at=at, server_at=at,
                device_at=at, flags=",".join(flags), distance_m=distance))
