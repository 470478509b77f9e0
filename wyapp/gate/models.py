"""Gate records: visits, invitations, vehicles, release slips, the watchlist, settings.

Personal fields (name, phone, ID, plate, photo) are blanked by the purge after the
estate's retention period; the rows stay, so counts and statistics stay intact.
"""
from datetime import timedelta

from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
)

from ..db import BaseModel, MigrationGroup, utcnow
from ..models import Estate, Unit, User
from ..photos import Photo

PURPOSES = ("探亲访友", "快递外卖", "装修施工", "维修服务", "中介看房", "其他")
VEHICLE_KINDS = ("访客", "业主")


class GateSettings(BaseModel):
    """Per-estate rules; an estate without a row uses the defaults."""
    estate = ForeignKeyField(Estate, unique=True, on_delete="CASCADE")
    long_stay_hours = IntegerField(default=12)
    retention_days = IntegerField(default=180)
    store_full_id = BooleanField(default=False)

    @classmethod
    def of(cls, estate):
        return cls.get_or_none(cls.estate == estate) or cls(estate=estate)


class Invitation(BaseModel):
    """A visitor the desk expects: valid on its dates, usable once per day."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    code = CharField(max_length=8, unique=True)
    token = CharField(max_length=32, unique=True)  # the visitor's own page with the QR
    name = CharField(max_length=40, default="")
    phone = CharField(max_length=20, default="")
    unit = ForeignKeyField(Unit, null=True, on_delete="SET NULL")
    purpose = CharField(max_length=10, default="探亲访友")
    party_size = IntegerField(default=1)
    plate = CharField(max_length=10, default="")
    valid_from = DateField()
    valid_to = DateField()
    note = CharField(max_length=200, default="")
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)
    purged_at = DateTimeField(null=True)


class Visit(BaseModel):
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    name = CharField(max_length=40, default="")
    phone = CharField(max_length=20, default="", index=True)
    unit = ForeignKeyField(Unit, null=True, on_delete="SET NULL")
    host = CharField(max_length=40, default="")  # 被访人, when there is no unit
    purpose = CharField(max_length=10)
    party_size = IntegerField(default=1)
    plate = CharField(max_length=10, default="")
    id_masked = CharField(max_length=18, default="")
    id_number = CharField(max_length=18, null=True)  # only when the estate stores it
    note = CharField(max_length=200, default="")
    photo = ForeignKeyField(Photo, null=True, on_delete="SET NULL")
    invitation = ForeignKeyField(Invitation, null=True, on_delete="SET NULL")
    invitation_day = DateField(null=True)  # local day of use: once per day, enforced below
    time_in = DateTimeField(default=utcnow, index=True)
    time_out = DateTimeField(null=True)
    registered_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    signed_out_by = ForeignKeyField(User, null=True, on_delete="SET NULL",
                                    backref="signed_out_visits")
    watch_hit = BooleanField(default=False)
    idempotency_key = CharField(max_length=64, null=True, unique=True)
    purged_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("invitation", "invitation_day"), True),)

    @property
    def visited(self):
        return self.unit.label if self.unit_id else self.host

    def stayed(self, now):
        return (self.time_out or now) - self.time_in

    def long_stay(self, now, hours):
        return self.time_out is None and self.stayed(now) > timedelta(hours=hours)


class VehicleEntry(BaseModel):
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    plate = CharField(max_length=10, index=True)
    kind = CharField(max_length=4, default="访客")
    visit = ForeignKeyField(Visit, null=True, backref="vehicles", on_delete="SET NULL")
    time_in = DateTimeField(default=utcnow, index=True)
    time_out = DateTimeField(null=True)
    registered_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    watch_hit = BooleanField(default=False)
    purged_at = DateTimeField(null=True)

    def stayed(self, now):
        return (self.time_out or now) - self.time_in


class ReleaseSlip(BaseModel):
    """放行条: large goods leaving the estate; valid on one day, used once."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    code = CharField(max_length=8, unique=True)
    unit = ForeignKeyField(Unit, on_delete="CASCADE")
    applicant = CharField(max_length=40)
    valid_on = DateField()
    approved_by = CharField(max_length=40)
    note = CharField(max_length=200, default="")
    issued_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    issued_at = DateTimeField(default=utcnow)
    used_at = DateTimeField(null=True)
    used_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="released_slips")
    exit_note = CharField(max_length=200, default="")

    @property
    def goods(self):
        """The slip's items in the order the desk wrote them (a query)."""
        return self.items.order_by(SlipItem.id)


class SlipItem(BaseModel):
    slip = ForeignKeyField(ReleaseSlip, backref="items", on_delete="CASCADE")
    name = CharField(max_length=60)
    quantity = IntegerField(default=1)


class WatchEntry(BaseModel):
    """关注名单: a match warns the guard and alerts supervisors; it never blocks."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    name = CharField(max_length=40, default="")
    phone = CharField(max_length=20, default="")
    id_hash = CharField(max_length=64, default="")  # sha256 of the ID: matched, never shown
    id_masked = CharField(max_length=18, default="")
    plate = CharField(max_length=10, default="")
    reason = CharField(max_length=200)
    active = BooleanField(default=True)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)


class PurgeRun(BaseModel):
    """What each purge blanked: the counts are kept, the data is not."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    ran_at = DateTimeField(default=utcnow)
    cutoff = DateTimeField()
    visits = IntegerField(default=0)
    invitations = IntegerField(default=0)
    vehicles = IntegerField(default=0)
    photos = IntegerField(default=0)


# A plate is on site once: one entry not yet out per plate and estate, kept by the database
# (four taps at once: one entry, the others are told it is inside). Purged rows (plate
# blanked) are not plates any more.
VehicleEntry.add_index(VehicleEntry.index(
    VehicleEntry.estate, VehicleEntry.plate, unique=True,
    where=VehicleEntry.time_out.is_null() & VehicleEntry.purged_at.is_null(),
    name="vehicle_entry_plate_on_site"))


def _plate_on_site_once(migrator):
    """0002: the index of a plate on site once. Where a race left a plate inside twice, the
    older entries are taken out when the newest came in (only one car can be inside)."""
    inside = (VehicleEntry.select().where(VehicleEntry.time_out.is_null(),
                                          VehicleEntry.purged_at.is_null())
              .order_by(VehicleEntry.time_in.desc(), VehicleEntry.id.desc()))
    newest = {}
    for entry in inside:
        key = (entry.estate_id, entry.plate)
        if key in newest:
            (VehicleEntry.update(time_out=newest[key].time_in)
             .where(VehicleEntry.id == entry.id).execute())
        else:
            newest[key] = entry
    VehicleEntry._schema.create_indexes(safe=True)


# Reads by estate and time (a day's log, a report's range) and the two that every page or
# job asks: who is still on site (the shell's badge, the on-site list: partial, so it holds
# only the few rows not yet out) and what the purge has still to blank (partial too).
for _model in (Visit, VehicleEntry):
    _table = _model._meta.table_name
    _model.add_index(_model.index(_model.estate, _model.time_in, name=f"{_table}_estate_time_in"))
    _model.add_index(_model.index(_model.estate, _model.time_in, where=_model.time_out.is_null(),
                                  name=f"{_table}_on_site"))
    _model.add_index(_model.index(_model.estate, _model.time_in,
                                  where=_model.purged_at.is_null(), name=f"{_table}_unpurged"))


def _scale_indexes(migrator):
    """0003_scale_indexes: the estate-and-time and on-site indexes above (issue 23)."""
    for model in (Visit, VehicleEntry):
        model._schema.create_indexes(safe=True)


# Found by bench/scale.py on an analysed PostgreSQL: the form's usual province reads the
# newest plated visits (partial: visits by car only); the report's "on site during the day"
# reads visits that left after its start (or are still in: visit_on_site); the purge asks
# for visitors' cars not yet blanked (owners' cars are never purged, so kind leads).
Visit.add_index(Visit.index(Visit.estate, Visit.id, where=Visit.plate != "",
                            name="visit_plated"))
Visit.add_index(Visit.index(Visit.estate, Visit.time_out, name="visit_estate_time_out"))
VehicleEntry.add_index(VehicleEntry.index(VehicleEntry.estate, VehicleEntry.kind,
                                          VehicleEntry.time_in,
                                          where=VehicleEntry.purged_at.is_null(),
                                          name="vehicle_entry_kind_unpurged"))


def _scale_indexes_2(migrator):
    """0004_scale_indexes_2: the three indexes above (issue 23)."""
    for model in (Visit, VehicleEntry):
        model._schema.create_indexes(safe=True)


# The usual province reads the newest plated cars too (plates.py): on PostgreSQL the
# estate's index alone gives no id order, so it read and sorted all of an estate's cars.
VehicleEntry.add_index(VehicleEntry.index(VehicleEntry.estate, VehicleEntry.id,
                                          where=VehicleEntry.plate != "",
                                          name="vehicle_entry_plated"))


def _vehicle_entry_plated(migrator):
    """0005_vehicle_entry_plated: the index above (issue 23)."""
    VehicleEntry._schema.create_indexes(safe=True)


# The tick's purge asks, for every estate, whether any invitation past its keep date still
# holds personal data: only the unpurged ones, by date (the estate's index alone read all of
# each estate's invitations every minute).
Invitation.add_index(Invitation.index(Invitation.estate, Invitation.valid_to,
                                      where=Invitation.purged_at.is_null(),
                                      name="invitation_unpurged"))


# The desk's home counts today's invitations (valid_to from today on) and today's release
# slips (valid today, or used today): by date, not every one the estate ever issued.
Invitation.add_index(Invitation.index(Invitation.estate, Invitation.valid_to,
                                      name="invitation_estate_valid_to"))
ReleaseSlip.add_index(ReleaseSlip.index(ReleaseSlip.estate, ReleaseSlip.valid_on,
                                        name="release_slip_estate_valid_on"))
ReleaseSlip.add_index(ReleaseSlip.index(ReleaseSlip.estate, ReleaseSlip.used_at,
                                        name="release_slip_estate_used_at"))


def _invitation_and_slip_indexes(migrator):
    """0006_invitation_and_slip_indexes: the four indexes above (issue 23)."""
    for model in (Invitation, ReleaseSlip):
        model._schema.create_indexes(safe=True)


MIGRATIONS = MigrationGroup("gate", [GateSettings, Invitation, Visit, VehicleEntry,
                                     ReleaseSlip, SlipItem, WatchEntry, PurgeRun],
                            [("0002_plate_on_site_once", _plate_on_site_once),
                             ("0003_scale_indexes", _scale_indexes),
                             ("0004_scale_indexes_2", _scale_indexes_2),
                             ("0005_vehicle_entry_plated", _vehicle_entry_plated),
                             ("0006_invitation_and_slip_indexes", _invitation_and_slip_indexes)])
