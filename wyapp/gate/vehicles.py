"""车辆出入: plates in and out at the gate, with the watchlist checked on the way in."""
from peewee import IntegrityError

from ..db import db, utcnow
from ..errors import DomainError
from .models import VehicleEntry
from .watchlist import alert_watch_hit, watch_matches


def vehicle_in(estate, user, plate, kind, now=None):
    """A vehicle (cleaned plate, kind 访客/业主) enters at `now` (naive UTC); returns
    (entry, watchlist hits). Raises DomainError (on "plate") when it is already inside,
    also when it came in at this same moment (index vehicle_entry_plate_on_site)."""
    now = now or utcnow()
    if on_site(estate, plate):
        raise DomainError(inside_message(plate), "plate")
    hits = watch_matches(estate, plate=plate)
    try:
        with db.atomic():
            entry = VehicleEntry.create(estate=estate, plate=plate, kind=kind, time_in=now,
                                        registered_by=user, watch_hit=bool(hits))
            if hits:
                alert_watch_hit(estate, hits, "车辆入场", plate)
    except IntegrityError:
        if on_site(estate, plate):
            raise DomainError(inside_message(plate), "plate") from None
        raise
    return entry, hits


def inside_message(plate):
    return f"{plate} 已在场内，请先登记出场。"


def on_site(estate, plate):
    """Whether `plate` (cleaned) is inside the estate now (in, not out, not purged)."""
    return VehicleEntry.select().where(
        VehicleEntry.estate == estate, VehicleEntry.plate == plate,
        VehicleEntry.time_out.is_null(), VehicleEntry.purged_at.is_null()).exists()


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
