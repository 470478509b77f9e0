"""Patrol tables: checkpoints, routes and their stops, schedules, rounds, scans, incidents.

A round is one window of a schedule. Its state is computed from the clock and the scans
(rounds.py); a Round row exists only once something happened to the window (a scan was
recorded for it, or the periodic job closed it), so reading never has to write.
"""
from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    ModelDelete,
    ModelInsert,
    ModelUpdate,
    TextField,
    classmethod_only,
)
from playhouse.migrate import migrate as run_steps

from ..db import BaseModel, MigrationGroup, utcnow
from ..models import Estate, Numbered, User
from ..photos import Photo

WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日"]  # ISO weekday 1..7
INCIDENT_CATEGORIES = ["安全隐患", "设施损坏", "可疑人员", "消防", "卫生", "其他"]
FLAGS = ["迟到", "顺序错误", "过快", "超出范围", "重复", "离线补传", "时钟偏差", "提前", "计划外"]
EARLY_MINUTES = 10  # a scan this many minutes before a window opens counts for it (提前)
EARLY_MINUTES_MAX = 60


class PatrolStructure(BaseModel):
    """One row whose version goes up with every write to the patrol set-up (checkpoints,
    routes, their stops, schedules, their guards), in the same transaction as the write.
    A worker's cached set-up is good while this number is unchanged (rounds.structure)."""
    version = IntegerField(default=0)


def bump_structure():
    (PatrolStructure.insert(id=1, version=1)
     .on_conflict(conflict_target=[PatrolStructure.id],
                  update={PatrolStructure.version: PatrolStructure.version + 1})
     .execute())


class _Bumping:
    """A write query that bumps the structure version right after it ran."""

    def _execute(self, database):
        with database.atomic():
            result = super()._execute(database)
            bump_structure()
        return result


class _BumpingUpdate(_Bumping, ModelUpdate):
    pass


class _BumpingInsert(_Bumping, ModelInsert):
    pass


class _BumpingDelete(_Bumping, ModelDelete):
    pass


class StructureModel(BaseModel):
    """Part of the patrol set-up: every write, however it is made (save, create, update,
    insert, delete, delete_instance), bumps PatrolStructure.version in its transaction."""

    @classmethod
    def update(cls, __data=None, **update):
        return _BumpingUpdate(cls, cls._normalize_data(__data, update))

    @classmethod
    def insert(cls, __data=None, **insert):
        return _BumpingInsert(cls, cls._normalize_data(__data, insert))

    @classmethod
    def insert_many(cls, rows, fields=None):
        return _BumpingInsert(cls, insert=rows, columns=fields)

    @classmethod
    def insert_from(cls, query, fields):
        columns = [getattr(cls, f) if isinstance(f, str) else f for f in fields]
        return _BumpingInsert(cls, insert=query, columns=columns)

    @classmethod_only
    def delete(cls):
        return _BumpingDelete(cls)


class Checkpoint(StructureModel):
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    name = CharField(max_length=100)
    location = CharField(max_length=200, default="")
    latitude = FloatField(null=True)
    longitude = FloatField(null=True)
    radius_m = IntegerField(null=True)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("estate", "name"), True),)

    @property
    def code(self):
        """The short human code printed under the QR: XG + number."""
        return f"XG{self.id:03d}"

    @property
    def has_geofence(self):
        return None not in (self.latitude, self.longitude, self.radius_m)


class Route(StructureModel):
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    name = CharField(max_length=100)
    enforce_order = BooleanField(default=True)
    min_seconds = IntegerField(default=30)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("estate", "name"), True),)

    def checkpoints(self):
        return [s.checkpoint for s in
                RouteStop.select(RouteStop, Checkpoint).join(Checkpoint)
                .where(RouteStop.route == self).order_by(RouteStop.position)]


class RouteStop(StructureModel):
    route = ForeignKeyField(Route, backref="stops", on_delete="CASCADE")
    checkpoint = ForeignKeyField(Checkpoint, on_delete="CASCADE")
    position = IntegerField()

    class Meta:
        indexes = ((("route", "checkpoint"), True),)


LONGEST_WINDOW_MINUTES = 720  # a round's window is at most 12 hours (ScheduleForm)


class Schedule(StructureModel):
    """When a route is walked: fixed start times, or every N minutes within a span."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    route = ForeignKeyField(Route, on_delete="CASCADE")
    name = CharField(max_length=100)
    weekdays = CharField(max_length=7, default="1234567")  # ISO weekday digits
    start_times = CharField(max_length=300, default="")  # "08:00,14:00" (fixed mode)
    span_start = CharField(max_length=5, default="")  # "20:00" (interval mode)
    span_end = CharField(max_length=5, default="")  # "06:00": earlier = next day
    every_minutes = IntegerField(null=True)
    window_minutes = IntegerField(default=60)
    any_guard = BooleanField(default=True)
    by_roster = BooleanField(default=False)  # 当班人员（按排班）: the staff roster names who
    active = BooleanField(default=True)
    valid_from = DateTimeField(default=utcnow)  # no round before this moment (naive UTC)

    @property
    def interval_mode(self):
        return bool(self.every_minutes)


class ScheduleGuard(StructureModel):
    schedule = ForeignKeyField(Schedule, backref="guard_rows", on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")

    class Meta:
        indexes = ((("schedule", "user"), True),)


class PatrolSettings(StructureModel):
    """An estate's patrol settings (one row per estate, none: the defaults). Part of the
    set-up: a change bumps the structure version, so the scan path reads it from the cache."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE", unique=True)
    early_minutes = IntegerField(default=EARLY_MINUTES)  # 提前: minutes before a window opens


class Round(BaseModel):
    """A window of a schedule that something happened to; closed once by the periodic job."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    schedule = ForeignKeyField(Schedule, on_delete="CASCADE")
    starts_at = DateTimeField()
    ends_at = DateTimeField()
    closed_at = DateTimeField(null=True)
    status = CharField(max_length=10, default="")  # set when closed
    done = IntegerField(default=0)
    total = IntegerField(default=0)
    alerted_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("schedule", "starts_at"), True),)


class Scan(BaseModel):
    """One tap of 打卡. Written on every scan and read by round and by day, so it keeps
    only the indexes those reads use (no scan's estate, checkpoint or user is ever deleted,
    so the foreign keys need none of their own)."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE", index=False)
    checkpoint = ForeignKeyField(Checkpoint, on_delete="CASCADE", index=False)
    user = ForeignKeyField(User, on_delete="CASCADE", index=False)
    round = ForeignKeyField(Round, null=True, backref="scans", on_delete="SET NULL", index=False)
    client_id = CharField(max_length=64, unique=True)  # the Idempotency-Key
    scanned_at = DateTimeField()  # the time that counts (device time if plausible)
    server_at = DateTimeField(default=utcnow)
    device_at = DateTimeField(null=True)
    latitude = FloatField(null=True)
    longitude = FloatField(null=True)
    accuracy_m = FloatField(null=True)
    distance_m = FloatField(null=True)
    flags = CharField(max_length=100, default="")  # "提前,过快"; 计划外: no round

    class Meta:  # a round's first/last per checkpoint (the estate's by time: SCAN_BY_TIME)
        indexes = ((("round", "checkpoint", "scanned_at"), False),)

    @property
    def flag_list(self):
        return [f for f in self.flags.split(",") if f]


# The estate's scans by time (a day's, a month's), carrying who scanned, the round and the
# flags: the month report's per-guard counts and a day's flagged count read the index alone,
# however many scans the day holds (issue 23). Kept under the name of the (estate, time)
# index it replaced (0008), so older databases and new ones have one index of one name.
SCAN_BY_TIME = "scan_estate_id_scanned_at"
Scan.add_index(Scan.index(Scan.estate, Scan.scanned_at, Scan.user, Scan.round, Scan.flags,
                          name=SCAN_BY_TIME))


class PatrolDay(BaseModel):
    """The scans of one estate-local ended day per guard, for the month report: written by
    the periodic job (month_rollup.py) once the day has ended and again when a scan lands
    for it late. One row per (estate, day), written by upsert."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE", index=False)
    day = DateField()
    starts_at = DateTimeField()  # the day's start (naive UTC) it was counted from
    computed_at = DateTimeField(default=utcnow)
    # {"user id": [scans, flagged scans, [ids of the rounds scanned for]]}, JSON
    guards = TextField(default="{}")

    class Meta:
        indexes = ((("estate", "day"), True),)


class PatrolDayMark(BaseModel):
    """How far the job has read the scans (their highest id seen): scans above it are new
    since its last pass, and those dated before their estate's today are late."""
    name = CharField(max_length=20, primary_key=True)
    last_id = IntegerField(default=0)


class Incident(Numbered, BaseModel):
    PREFIX = "YC"  # 巡更异常 YC000012
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    reported_by = ForeignKeyField(User, on_delete="CASCADE")
    checkpoint = ForeignKeyField(Checkpoint, null=True, on_delete="SET NULL")
    round = ForeignKeyField(Round, null=True, on_delete="SET NULL")
    category = CharField(max_length=10)
    text = TextField()
    status = CharField(max_length=10, default="待处理")  # 待处理 已关闭 已转工单
    created_at = DateTimeField(default=utcnow, index=True)
    closed_at = DateTimeField(null=True)
    work_order_id = IntegerField(null=True)
    client_id = CharField(max_length=80, unique=True, null=True)  # Idempotency-Key
    device_at = DateTimeField(null=True)  # when it was reported, by the phone's clock
    queued = BooleanField(default=False)  # sent later from the phone's offline queue


class IncidentPhoto(BaseModel):
    incident = ForeignKeyField(Incident, backref="photo_rows", on_delete="CASCADE")
    photo = ForeignKeyField(Photo, on_delete="CASCADE")


class IncidentComment(BaseModel):
    incident = ForeignKeyField(Incident, backref="comments", on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")
    text = TextField()
    created_at = DateTimeField(default=utcnow)


def _add_structure_version(migrator):
    migrator.database.create_tables([PatrolStructure], safe=True)


def _add_scan_marks_index(migrator):
    run_steps(migrator.add_index("scan", ("round_id", "checkpoint_id", "scanned_at", "flags")))


SCAN_INDEXES_BEFORE_0004 = ("scan_estate_id", "scan_checkpoint_id", "scan_user_id", "scan_round_id",
                            "scan_scanned_at", "scan_round_id_checkpoint_id_scanned_at_flags")


def _lean_scan_indexes(migrator):
    present = {index.name for index in migrator.database.get_indexes("scan")}
    run_steps(*[migrator.drop_index("scan", name) for name in SCAN_INDEXES_BEFORE_0004
                if name in present],
              migrator.add_index("scan", ("estate_id", "scanned_at")),
              migrator.add_index("scan", ("round_id", "checkpoint_id", "scanned_at")))


# Incidents by estate and status (the open badge) and by estate and time (a day, a month).
Incident.add_index(Incident.index(Incident.estate, Incident.status, name="incident_estate_status"))
Incident.add_index(Incident.index(Incident.estate, Incident.created_at,
                                  name="incident_estate_created"))


def _scale_indexes(migrator):
    """0006_scale_indexes: the incident indexes above (issue 23)."""
    Incident._schema.create_indexes(safe=True)


def _add_patrol_settings(migrator):
    migrator.database.create_tables([PatrolSettings], safe=True)


def _schedule_by_roster(migrator):
    """0007_schedule_by_roster: Schedule.by_roster (issue 21)."""
    # One ALTER (both databases): SQLite's add_not_null would rebuild the table, and the
    # rebuild's DROP cascades to the rows that refer to it.
    migrator.database.execute_sql(
        'ALTER TABLE "schedule" ADD COLUMN "by_roster" BOOLEAN NOT NULL DEFAULT FALSE')


def _scan_figures_index(migrator):
    """0008_scan_figures_index: the (estate, time) index of scans widened into SCAN_BY_TIME
    (issue 23)."""
    present = {index.name for index in migrator.database.get_indexes("scan")}
    if SCAN_BY_TIME in present:
        run_steps(migrator.drop_index("scan", SCAN_BY_TIME))
    Scan._schema.create_indexes(safe=True)


def _add_patrol_days(migrator):
    """0009_patrol_days: PatrolDay and PatrolDayMark (issue 23)."""
    migrator.database.create_tables([PatrolDay, PatrolDayMark], safe=True)


PATROL = MigrationGroup("patrol", [Checkpoint, Route, RouteStop, Schedule, ScheduleGuard,
                                   Round, Scan, Incident, IncidentPhoto, IncidentComment,
                                   PatrolStructure, PatrolSettings, PatrolDay, PatrolDayMark],
                        [("0002_structure_version", _add_structure_version),
                         ("0003_scan_marks_index", _add_scan_marks_index),
                         ("0004_lean_scan_indexes", _lean_scan_indexes),
                         ("0005_patrol_settings", _add_patrol_settings),
                         ("0006_scale_indexes", _scale_indexes),
                         ("0007_schedule_by_roster", _schedule_by_roster),
                         ("0008_scan_figures_index", _scan_figures_index),
                         ("0009_patrol_days", _add_patrol_days)])
