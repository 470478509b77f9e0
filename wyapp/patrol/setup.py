"""Patrol set-up by supervisors: checkpoints and their labels, routes and their ordered
stops, schedules and the guards named on them. Every write bumps the set-up version
(models.StructureModel), so each worker's cached set-up (rounds.structure) is reloaded."""
from peewee import IntegrityError

from ..db import db
from ..errors import DomainError
from ..labels import current_label, issue_label
from .models import EARLY_MINUTES, PatrolSettings, RouteStop, ScheduleGuard
from .schedules import parse_hhmm, parse_times


def save_checkpoint(estate, checkpoint, data):
    """Create or update a checkpoint; a new one gets its label. Raises DomainError."""
    geo = [data.get("latitude"), data.get("longitude")]
    if (geo[0] is None) != (geo[1] is None):
        raise DomainError("纬度和经度要一起填写，或都留空。", "latitude")
    if data.get("radius_m") is not None and geo[0] is None:
        raise DomainError("填写范围半径前请先填写经纬度。", "radius_m")
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
        raise DomainError("已有同名巡更点。", "name") from error
    return checkpoint


def reissue_label(checkpoint):
    """A new label for the checkpoint: the old printed one stops working at once."""
    return issue_label(checkpoint.estate, "checkpoint", checkpoint.id)


def checkpoint_label(checkpoint):
    """The checkpoint's current (unretired) Label, or None."""
    return current_label("checkpoint", checkpoint.id)


def save_route(estate, route, data):
    """Create or update a route from cleaned form data. Raises DomainError (name taken)."""
    for name, value in data.items():
        setattr(route, name, value)
    route.estate = estate
    try:
        with db.atomic():
            route.save()
    except IntegrityError as error:
        raise DomainError("已有同名路线。", "name") from error
    return route


def add_stop(route, checkpoint):
    """Put `checkpoint` at the end of `route`; returns the RouteStop. Raises DomainError
    when already on it."""
    with db.atomic():
        if RouteStop.select().where(RouteStop.route == route,
                                    RouteStop.checkpoint == checkpoint).exists():
            raise DomainError("这个巡更点已在路线中。", "checkpoint")
        last = max([s.position for s in route.stops] or [0])
        return RouteStop.create(route=route, checkpoint=checkpoint, position=last + 1)


def move_stop(route, stop_id, step):
    """Swap a stop with its neighbour (step -1 up, +1 down; at either end nothing moves).
    Raises DomainError when the stop is not on the route."""
    stops = list(route.stops.order_by(RouteStop.position))
    index = next((i for i, s in enumerate(stops) if s.id == stop_id), None)
    if index is None:
        raise DomainError("路线中没有这个巡更点。")
    other = index + step
    if 0 <= other < len(stops):
        stops[index], stops[other] = stops[other], stops[index]
        with db.atomic():
            for position, stop in enumerate(stops, start=1):
                RouteStop.update(position=position).where(RouteStop.id == stop.id).execute()


def remove_stop(route, stop_id):
    """Take a stop off the route (a stop of another route: nothing happens)."""
    with db.atomic():
        RouteStop.delete().where(RouteStop.route == route, RouteStop.id == stop_id).execute()


def save_schedule(estate, schedule, data, guards, now):
    """Create or update a schedule from cleaned form data (`guards`: the named User rows),
    after checking its days and times; a new one takes rounds from `now` (naive UTC) on.
    Raises DomainError beside the field at fault."""
    if not data["weekdays"]:
        raise DomainError("请至少选择一天。", "weekdays")
    if data["every_minutes"]:
        parse_hhmm(data["span_start"], "span_start")
        parse_hhmm(data["span_end"], "span_end")
        data["start_times"] = ""
    else:
        data["start_times"] = ", ".join(f"{t:%H:%M}" for t in parse_times(data["start_times"]))
        data["span_start"] = data["span_end"] = ""
        data["every_minutes"] = None
    if data.get("by_roster"):  # 当班人员（按排班）: the roster names who (issue 21)
        data["any_guard"], guards = True, []
    if not data["any_guard"] and not guards:
        raise DomainError("请选择执行的秩序维护员，或勾选“本小区任何秩序维护员”。", "guards")
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


def early_minutes(estate):
    """Minutes before a window opens in which a scan counts for it (提前): the estate's
    PatrolSettings, else models.EARLY_MINUTES."""
    row = PatrolSettings.get_or_none(PatrolSettings.estate == estate)
    return EARLY_MINUTES if row is None else row.early_minutes


def save_early_minutes(estate, minutes):
    """Store the estate's 提前 minutes (an int the form bounded to 0..EARLY_MINUTES_MAX); the
    write bumps the set-up version, so the scan path's cache sees it at once."""
    with db.atomic():
        (PatrolSettings.insert(estate=estate, early_minutes=minutes)
         .on_conflict(conflict_target=[PatrolSettings.estate],
                      update={PatrolSettings.early_minutes: minutes})
         .execute())
