"""Personal data (个人信息保护法): visitor fields blanked after each estate's retention days.

Rows stay, so counts and statistics stay intact; a PurgeRun keeps what each purge blanked.
"""
from datetime import timedelta

from ..db import db, utcnow
from ..models import Estate
from ..photos import Photo
from .models import GateSettings, Invitation, PurgeRun, VehicleEntry, Visit


def discard_photos(photos):
    """Photos saved for a registration that was then refused."""
    for photo in photos:
        photo.delete_file()
        photo.delete_instance()


def purge_personal_data(now=None, estates=None):
    """Blank visitor personal fields older than each estate's retention period.

    Rows stay (so counts and statistics stay intact); a PurgeRun keeps the counts.
    Returns {estate name: {"visits": n, ...}} for estates where anything was purged.
    """
    now = now or utcnow()
    results = {}
    for estate in estates or Estate.select():
        cutoff = now - timedelta(days=GateSettings.of(estate).retention_days)
        counts = _purge_estate(estate, cutoff, now)
        if any(counts.values()):
            PurgeRun.create(estate=estate, ran_at=now, cutoff=cutoff, **counts)
            results[estate.name] = counts
    return results


def _anything_to_purge(estate, cutoff):
    """Whether any visit, visitor's car or invitation of `estate` waits for the purge: read
    through the partial indexes of rows not yet purged, so the minute's job opens no write
    transaction for an estate with nothing to do (issue 23: dozens of estates a database)."""
    return (Visit.select().where(Visit.estate == estate, Visit.time_in < cutoff,
                                 Visit.purged_at.is_null()).exists()
            or VehicleEntry.select().where(VehicleEntry.estate == estate,
                                           VehicleEntry.kind == "访客",
                                           VehicleEntry.time_in < cutoff,
                                           VehicleEntry.purged_at.is_null()).exists()
            or Invitation.select().where(Invitation.estate == estate,
                                         Invitation.valid_to < cutoff.date(),
                                         Invitation.purged_at.is_null()).exists())


def _purge_estate(estate, cutoff, now):
    if not _anything_to_purge(estate, cutoff):
        return {"visits": 0, "invitations": 0, "vehicles": 0, "photos": 0}
    with db.atomic():
        old = Visit.select().where(Visit.estate == estate, Visit.time_in < cutoff,
                                   Visit.purged_at.is_null())
        photo_ids = [v.photo_id for v in old.where(Visit.photo.is_null(False))]
        visits = (Visit.update(name="", phone="", host="", plate="", id_masked="",
                               id_number=None, note="", photo=None, purged_at=now)
                  .where(Visit.id.in_(old.select(Visit.id))).execute())
        vehicles = (VehicleEntry.update(plate="", purged_at=now)
                    .where(VehicleEntry.estate == estate, VehicleEntry.kind == "访客",
                           VehicleEntry.time_in < cutoff, VehicleEntry.purged_at.is_null())
                    .execute())
        invitations = (Invitation.update(name="", phone="", plate="", note="", purged_at=now)
                       .where(Invitation.estate == estate,
                              Invitation.valid_to < cutoff.date(),
                              Invitation.purged_at.is_null()).execute())
        doomed = list(Photo.select().where(Photo.id.in_(photo_ids)))
        discard_photos(doomed)
        photos = len(doomed)
    return {"visits": visits, "invitations": invitations, "vehicles": vehicles,
            "photos": photos}
