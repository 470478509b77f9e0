"""车辆出入: plates in and out at the gate, with the watchlist checked on the way in."""
from ..db import db, utcnow
from ..errors import DomainError
from .models import VehicleEntry
from .watchlist import alert_watch_hit, watch_matches


def vehicle_in(estate, user, plate, kind, now=None):
    """A vehicle (cleaned plate, kind 访客/业主) enters at `now` (naive UTC); returns
    (entry, watchlist hits). Raises DomainError (on "plate") when it is already inside."""
    now = now or utcnow()
    if VehicleEntry.select().where(VehicleEntry.estate == estate, VehicleEntry.plate == plate,
                                   VehicleEntry.time_out.is_null()).exists():
        raise DomainError(f"{plate} 已在场内，请先登记出场。", "plate")
    hits = watch_matches(estate, plate=plate)
    with db.atomic():
        entry = VehicleEntry.create(estate=estate, plate=plate, kind=kind, time_in=now,
                                    registered_by=user, watch_hit=bool(hits))
        if hits:
            alert_watch_hit(estate, hits, "车辆入场", plate)
    return entry, hits


def vehicle_out(entry, now=None):
    """The vehicle leaves at `now` (naive UTC). Raises DomainError when it already left."""
    if entry.time_out is not None:
        raise DomainError("这辆车已经出场。")
    entry.time_out = now or utcnow()
    with db.atomic():
        entry.save()
    return entry


def vehicles_on_site(estate):
    """The estate's vehicles not out yet, earliest first (a query)."""
    return (VehicleEntry.select().where(VehicleEntry.estate == estate,
                                        VehicleEntry.time_out.is_null())
            .order_by(VehicleEntry.time_in, VehicleEntry.id))
