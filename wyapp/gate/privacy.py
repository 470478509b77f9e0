"""Personal data (个人信息保护法): visitor fields blanked after each estate's retention days.

Rows stay, so counts and statistics stay intact; a PurgeRun keeps what each purge blanked.
"""
from datetime import timedelta

from peewee import SQL, fn

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

    now: naive UTC (default the clock); estates: the Estate rows to purge (default every
    estate, inactive ones included: their visitors' data expires all the same). Rows stay
    (so counts and statistics stay intact); a PurgeRun keeps the counts. Returns {estate
    name: {"visits": n, "invitations": n, "vehicles": n, "photos": n}} for the estates
    where anything was purged. Safe run twice or on two workers at once: every blanking
    is a conditional UPDATE of rows not yet purged.
    """
    now = now or utcnow()
    estates = list(estates or Estate.select())
    cutoffs = _cutoffs(estates, now)
    due = _estates_with_work(cutoffs)
    results = {}
    for estate in estates:
        if estate.id not in due:
            continue
        cutoff = cutoffs[estate.id]
        counts = _purge_estate(estate, cutoff, now)
        if any(counts.values()):
            PurgeRun.create(estate=estate, ran_at=now, cutoff=cutoff, **counts)
            results[estate.name] = counts
    return results


def _cutoffs(estates, now):
    """{estate id: naive-UTC instant before which its visitors' data expires}: each
    estate's retention (GateSettings, default 180 days), read in one query."""
    default = GateSettings.retention_days.default
    days = dict(GateSettings.select(GateSettings.estate, GateSettings.retention_days)
                .where(GateSettings.estate.in_([e.id for e in estates] or [0])).tuples())
    return {e.id: now - timedelta(days=days.get(e.id, default)) for e in estates}


def _estates_with_work(cutoffs):
    """The ids of the estates of {estate id: cutoff} with any visit, visitor's car or
    invitation past its cutoff and not yet purged: one query per distinct cutoff (one in
    all, usually), each estate probing the partial indexes of rows not yet purged, so the
    minute's job costs the same few reads however many estates share the database and
    opens no write transaction when there is nothing to do (issue 23)."""
    by_cutoff = {}
    for estate_id, cutoff in cutoffs.items():
        by_cutoff.setdefault(cutoff, []).append(estate_id)
    due = set()
    for cutoff, ids in by_cutoff.items():
        due.update(estate_id for estate_id, in Estate.select(Estate.id).where(
            Estate.id.in_(ids),
            fn.EXISTS(Visit.select(SQL("1")).where(
                Visit.estate == Estate.id, Visit.time_in < cutoff, Visit.purged_at.is_null()))
            | fn.EXISTS(VehicleEntry.select(SQL("1")).where(
                VehicleEntry.estate == Estate.id, VehicleEntry.kind == "访客",
                VehicleEntry.time_in < cutoff, VehicleEntry.purged_at.is_null()))
            | fn.EXISTS(Invitation.select(SQL("1")).where(
                Invitation.estate == Estate.id, Invitation.valid_to < cutoff.date(),
                Invitation.purged_at.is_null()))).tuples().iterator())
    return due


def _purge_estate(estate, cutoff, now):
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
