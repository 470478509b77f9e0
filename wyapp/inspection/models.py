"""Equipment, versioned checklists, plans, sheets; meters and readings; the duty log."""
from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from ..db import BaseModel, MigrationGroup, utcnow
from ..models import Estate, Unit, User
from ..photos import Photo

CATEGORIES = ("供配电", "给排水", "电梯", "消防", "空调暖通", "弱电监控", "公共照明", "其他")
STATUSES = ("在用", "停用", "维修中")
ITEM_KINDS = {"pass_fail": "正常/异常", "number": "数值", "choice": "选项", "text": "文本",
              "photo": "照片"}
FREQUENCIES = ("每班", "每日", "每周", "每月")
SHIFTS = ("白班", "夜班")


class Equipment(BaseModel):
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    code = CharField(max_length=30)
    name = CharField(max_length=100)
    category = CharField(max_length=10, default="其他")
    location = CharField(max_length=100, default="")
    model = CharField(max_length=60, default="")
    maker = CharField(max_length=60, default="")
    installed_on = DateField(null=True)
    contractor = CharField(max_length=100, default="")
    contractor_phone = CharField(max_length=30, default="")
    status = CharField(max_length=10, default="在用")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("estate", "code"), True),)

    def __str__(self):
        return f"{self.code} {self.name}"


class Checklist(BaseModel):
    """A checklist's identity; its items live in versions (a used version is never edited)."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    name = CharField(max_length=100)
    category = CharField(max_length=10, default="")
    equipment = ForeignKeyField(Equipment, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    def current_version(self):
        """The newest ChecklistVersion (the one new sheets are filled against)."""
        return (ChecklistVersion.select().where(ChecklistVersion.checklist == self)
                .order_by(ChecklistVersion.number.desc()).first())


class ChecklistVersion(BaseModel):
    checklist = ForeignKeyField(Checklist, backref="versions", on_delete="CASCADE")
    number = IntegerField()
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("checklist", "number"), True),)

    def ordered_items(self):
        """The version's items in their order on the sheet."""
        return self.items.order_by(ChecklistItem.position, ChecklistItem.id)

    def is_used(self):
        """Whether a sheet was filled against this version (then it is never edited)."""
        return Sheet.select().where(Sheet.version == self).exists()


class ChecklistItem(BaseModel):
    version = ForeignKeyField(ChecklistVersion, backref="items", on_delete="CASCADE")
    key = CharField(max_length=32)  # the same item across versions
    position = IntegerField(default=0)
    kind = CharField(max_length=10, default="pass_fail")
    label = CharField(max_length=100)
    unit = CharField(max_length=10, default="")
    min_value = DecimalField(max_digits=12, decimal_places=3, null=True)
    max_value = DecimalField(max_digits=12, decimal_places=3, null=True)
    choices = TextField(default="")           # one per line
    abnormal_choices = TextField(default="")  # the subset of choices that is abnormal
    required = BooleanField(default=True)

    @property
    def choice_list(self):
        """A choice item's options, in order."""
        return [c for c in self.choices.splitlines() if c.strip()]

    @property
    def abnormal_list(self):
        """The options that count as abnormal."""
        return [c for c in self.abnormal_choices.splitlines() if c.strip()]

    @property
    def range_text(self):
        """A number item's normal range as read, e.g. "220–240 V", "≤ 85 ℃"."""
        low, high = self.min_value, self.max_value
        fmt = lambda v: f"{v.normalize():f}"  # noqa: E731
        if low is not None and high is not None:
            return f"{fmt(low)}–{fmt(high)} {self.unit}".strip()
        if low is not None:
            return f"≥ {fmt(low)} {self.unit}".strip()
        if high is not None:
            return f"≤ {fmt(high)} {self.unit}".strip()
        return self.unit


class Plan(BaseModel):
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    equipment = ForeignKeyField(Equipment, backref="plans", on_delete="CASCADE")
    checklist = ForeignKeyField(Checklist, backref="plans", on_delete="CASCADE")
    frequency = CharField(max_length=4, default="每日")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)
    by_roster = BooleanField(default=False)  # 当班人员（按排班）: the staff roster names who


class PlanEngineer(BaseModel):
    plan = ForeignKeyField(Plan, backref="engineer_rows", on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")

    class Meta:
        indexes = ((("plan", "user"), True),)


class Sheet(BaseModel):
    """One filled checklist (日检记录) for one slot of a plan, or one started from a label."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    plan = ForeignKeyField(Plan, null=True, backref="sheets", on_delete="SET NULL")
    equipment = ForeignKeyField(Equipment, backref="sheets", on_delete="CASCADE")
    version = ForeignKeyField(ChecklistVersion, on_delete="RESTRICT")
    period = DateField()  # the slot's day (the Monday of a week, the 1st of a month)
    shift = CharField(max_length=4, default="")
    status = CharField(max_length=4, default="草稿")  # 草稿 / 已提交
    started_by = ForeignKeyField(User, on_delete="RESTRICT")
    started_at = DateTimeField(default=utcnow)
    submitted_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    submitted_at = DateTimeField(null=True)
    abnormal_count = IntegerField(default=0)
    idempotency_key = CharField(max_length=64, null=True, unique=True)

    class Meta:
        indexes = ((("plan", "period", "shift"), True),)

    @property
    def submitted(self):
        """Whether the sheet is submitted (read-only; corrections are amendments)."""
        return self.status == "已提交"


class SheetAnswer(BaseModel):
    sheet = ForeignKeyField(Sheet, backref="answers", on_delete="CASCADE")
    item = ForeignKeyField(ChecklistItem, on_delete="RESTRICT")
    value = CharField(max_length=500, default="")
    abnormal = BooleanField(default=False)
    note = CharField(max_length=500, default="")
    photo = ForeignKeyField(Photo, null=True, on_delete="SET NULL")
    work_order_id = IntegerField(null=True)  # the service desk's WorkOrder raised for it
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("sheet", "item"), True),)


class SheetAmendment(BaseModel):
    """A correction of a submitted sheet: who, when, why; the original stays visible."""
    sheet = ForeignKeyField(Sheet, backref="amendments", on_delete="CASCADE")
    item = ForeignKeyField(ChecklistItem, on_delete="RESTRICT")
    old_value = CharField(max_length=500)
    new_value = CharField(max_length=500)
    reason = CharField(max_length=500)
    made_by = ForeignKeyField(User, on_delete="RESTRICT")
    made_at = DateTimeField(default=utcnow)


class OverdueAlert(BaseModel):
    """One row per overdue slot that has been alerted: makes the periodic job idempotent."""
    plan = ForeignKeyField(Plan, on_delete="CASCADE")
    period = DateField()
    shift = CharField(max_length=4, default="")
    alerted_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("plan", "period", "shift"), True),)


METER_KINDS = ("水", "电")


class Meter(BaseModel):
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    kind = CharField(max_length=2, default="水")
    name = CharField(max_length=100)
    unit = ForeignKeyField(Unit, null=True, on_delete="SET NULL")  # None: a public meter
    location = CharField(max_length=100, default="")
    multiplier = DecimalField(max_digits=10, decimal_places=2, default=1)
    serial = CharField(max_length=40, default="")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    @property
    def public(self):
        return self.unit_id is None

    @property
    def measure(self):
        return "吨" if self.kind == "水" else "度"


class MeterReplacement(BaseModel):
    """An old meter's final reading and the new one's start: the series continues across it."""
    meter = ForeignKeyField(Meter, backref="replacements", on_delete="CASCADE")
    replaced_on = DateField()
    old_serial = CharField(max_length=40, default="")
    old_final = DecimalField(max_digits=14, decimal_places=2)
    new_serial = CharField(max_length=40, default="")
    new_start = DecimalField(max_digits=14, decimal_places=2)
    recorded_by = ForeignKeyField(User, on_delete="RESTRICT")
    recorded_at = DateTimeField(default=utcnow)


class MeterReading(BaseModel):
    meter = ForeignKeyField(Meter, backref="readings", on_delete="CASCADE")
    month = DateField()  # the 1st of the month read
    value = DecimalField(max_digits=14, decimal_places=2)
    consumption = DecimalField(max_digits=14, decimal_places=2, null=True)
    flags = CharField(max_length=200, default="")
    note = CharField(max_length=500, default="")
    read_by = ForeignKeyField(User, on_delete="RESTRICT")
    read_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("meter", "month"), True),)


class DutyShift(BaseModel):
    """One engineer's duty (值班): events during it, handover notes, the next one's 接班确认."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    engineer = ForeignKeyField(User, on_delete="RESTRICT")
    started_at = DateTimeField(default=utcnow)
    ended_at = DateTimeField(null=True)
    pending = TextField(default="")           # 未完成事项
    equipment_status = TextField(default="")  # 设备运行情况
    confirmed_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    confirmed_at = DateTimeField(null=True)


# One engineer on duty at a time: at most one open shift per estate, kept by the database
# (two 接班 at the same moment: the second insert fails and reads the first's shift).
DutyShift.add_index(DutyShift.index(DutyShift.estate, unique=True,
                                    where=DutyShift.ended_at.is_null(),
                                    name="duty_shift_one_open"))


class DutyEvent(BaseModel):
    shift = ForeignKeyField(DutyShift, backref="events", on_delete="CASCADE")
    happened_at = DateTimeField(default=utcnow)
    text = CharField(max_length=500)
    recorded_by = ForeignKeyField(User, on_delete="RESTRICT")


MODELS = [Equipment, Checklist, ChecklistVersion, ChecklistItem, Plan, PlanEngineer, Sheet,
          SheetAnswer, SheetAmendment, OverdueAlert, Meter, MeterReplacement, MeterReading,
          DutyShift, DutyEvent]


def _one_open_shift(migrator):
    """0002: the index of one open shift per estate. Where a race left several open, the
    older ones end when the newest began (its engineer took over from them)."""
    open_shifts = (DutyShift.select().where(DutyShift.ended_at.is_null())
                   .order_by(DutyShift.estate, DutyShift.started_at.desc(), DutyShift.id.desc()))
    newest = {}
    for shift in open_shifts:
        if shift.estate_id in newest:
            (DutyShift.update(ended_at=newest[shift.estate_id].started_at)
             .where(DutyShift.id == shift.id).execute())
        else:
            newest[shift.estate_id] = shift
    DutyShift._schema.create_indexes(safe=True)


# Sheets handed in by estate, state and time (the day's record, the rollups; issue 23).
Sheet.add_index(Sheet.index(Sheet.estate, Sheet.status, Sheet.submitted_at,
                            name="sheet_estate_status_submitted"))


def _scale_indexes(migrator):
    """0003_scale_indexes: the sheet index above."""
    Sheet._schema.create_indexes(safe=True)


# The rollup's "handed in since" across estates (a late sheet recomputes its day).
Sheet.add_index(Sheet.index(Sheet.submitted_at, name="sheet_submitted_at"))


def _sheet_submitted_index(migrator):
    """0004_sheet_submitted_index: the index above."""
    Sheet._schema.create_indexes(safe=True)


def _plan_by_roster(migrator):
    """0005_plan_by_roster: Plan.by_roster (issue 21)."""
    # One ALTER (both databases): SQLite's add_not_null would rebuild the table, and the
    # rebuild's DROP cascades to the rows that refer to it.
    migrator.database.execute_sql(
        'ALTER TABLE "plan" ADD COLUMN "by_roster" BOOLEAN NOT NULL DEFAULT FALSE')


MIGRATIONS = MigrationGroup("inspection", MODELS, [("0002_one_open_shift", _one_open_shift),
                                                   ("0003_scale_indexes", _scale_indexes),
                                                   ("0004_sheet_submitted_index",
                                                    _sheet_submitted_index),
                                                   ("0005_plan_by_roster", _plan_by_roster)])
