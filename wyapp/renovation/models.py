"""Renovation (装修管理) tables: the application and its state, workers, the timeline,
inspections with their item results, violations and deductions, extension requests, and
the estate's renovation settings.

"One open renovation per unit" is kept by the database: `open_unit` holds the unit's id
while the renovation is open (待审核 … 已完工(押金待退)) and NULL once it is refused or
closed; a unique index on it lets two concurrent applications for one unit make one row, on
SQLite and PostgreSQL alike (NULLs never collide in a unique index on either).
"""
from decimal import Decimal

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
from ..models import Estate, Numbered, Unit, User
from ..photos import Photo

SCOPE_ITEMS = ("拆改墙体", "水电改造", "防水", "门窗", "空调外机", "其他")
# Scope that touches the structure: only the manager may approve it (never a supervisor).
STRUCTURAL = ("拆改墙体", "承重")
INSPECTION_ITEMS = ("作业时间", "垃圾清运", "消防", "防水闭水试验", "违规拆改", "其他")
ACCEPTANCE_ITEMS = ("墙体结构无损", "防水闭水试验合格", "水电线路规范", "门窗及空调外机安装规范",
                    "公共部位无损坏", "装修垃圾已清运")
# Status codes are the Chinese names people read on every page.
PENDING, REFUSED, WORKING = "待审核", "已驳回", "施工中"
AWAITING, FAILED, FINISHED, CLOSED = "待验收", "验收未通过", "已完工", "已关闭"
STATES = (PENDING, REFUSED, WORKING, AWAITING, FAILED, FINISHED, CLOSED)
STATE_LABELS = {FINISHED: "已完工（押金待退）"}
OPEN_STATES = (PENDING, WORKING, AWAITING, FAILED, FINISHED)
UNDER_WAY = (WORKING, AWAITING, FAILED)  # workers on site: the gate knows them, inspections due
MONEY = {"max_digits": 10, "decimal_places": 2}


class RenovationSettings(BaseModel):
    """An estate's renovation rules; an estate without a row uses the defaults."""
    estate = ForeignKeyField(Estate, unique=True, on_delete="CASCADE")
    deposit = DecimalField(**MONEY, default=Decimal("3000.00"))  # 装修押金
    management_fee = DecimalField(**MONEY, default=Decimal("300.00"))  # 装修管理费
    garbage_fee = DecimalField(**MONEY, default=Decimal("200.00"))  # 垃圾清运费
    work_hours = CharField(max_length=100, default="08:00-12:00,14:00-18:00")
    holidays = TextField(default="")  # YYYY-MM-DD, one a line: no work on these days
    inspect_every_days = IntegerField(default=3)
    office_phone = CharField(max_length=20, default="")
    inspection_checklist = IntegerField(null=True)  # inspection.Checklist ids, made on first use
    acceptance_checklist = IntegerField(null=True)

    @classmethod
    def of(cls, estate):
        return cls.get_or_none(cls.estate == estate) or cls(estate=estate)

    @property
    def fees(self):
        return self.management_fee + self.garbage_fee

    def holiday_list(self):
        return [line.strip() for line in self.holidays.splitlines() if line.strip()]


class Renovation(Numbered, BaseModel):
    """One unit's renovation, shown by its number ZX000003 everywhere."""
    PREFIX = "ZX"
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    unit = ForeignKeyField(Unit, on_delete="CASCADE")
    open_unit = IntegerField(null=True, unique=True)  # the unit's id while open, else NULL
    status = CharField(max_length=6, default=PENDING, index=True)
    owner_name = CharField(max_length=40)
    owner_phone = CharField(max_length=20)
    company = CharField(max_length=100)
    company_person = CharField(max_length=40)
    company_phone = CharField(max_length=20)
    licence_no = CharField(max_length=40, default="")
    planned_start = DateField()
    planned_end = DateField()
    end_date = DateField()  # the planned end, moved by approved extensions
    scope = CharField(max_length=100)  # SCOPE_ITEMS, comma-separated
    scope_text = TextField(default="")
    deposit = DecimalField(**MONEY)
    management_fee = DecimalField(**MONEY)
    garbage_fee = DecimalField(**MONEY)
    applied_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    applied_at = DateTimeField(default=utcnow, index=True)
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    decided_at = DateTimeField(null=True)
    conditions = TextField(default="")  # 审批条件
    refusal = TextField(default="")
    next_inspection = DateField(null=True)  # the estate date the next 装修巡查 is due
    inspection_alerted_on = DateField(null=True)
    accepted_at = DateTimeField(null=True)
    refund_amount = DecimalField(**MONEY, null=True)
    refunded_at = DateTimeField(null=True)
    refunded_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    closed_at = DateTimeField(null=True)

    @property
    def state(self):
        """The status as every page shows it: 待审核 … 已完工（押金待退）, 已关闭."""
        return STATE_LABELS.get(self.status, self.status)

    @property
    def scope_items(self):
        return [s for s in self.scope.split(",") if s]

    @property
    def structural(self):
        return any(s in STRUCTURAL for s in self.scope_items) or "承重" in self.scope_text

    @property
    def fees(self):
        return self.management_fee + self.garbage_fee

    def is_open(self):
        return self.status in OPEN_STATES


class Worker(BaseModel):
    """A worker on the renovation's list: the ID number is kept masked only."""
    renovation = ForeignKeyField(Renovation, backref="workers", on_delete="CASCADE")
    name = CharField(max_length=40)
    phone = CharField(max_length=20, default="")
    id_masked = CharField(max_length=18, default="")

    class Meta:
        table_name = "renovation_worker"


class Step(BaseModel):
    """One line of the renovation's timeline."""
    renovation = ForeignKeyField(Renovation, backref="steps", on_delete="CASCADE")
    step = CharField(max_length=10)
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    at = DateTimeField(default=utcnow, index=True)  # the archive's sweep reads the last 30 days
    note = TextField(default="")

    class Meta:
        table_name = "renovation_step"


class Inspection(BaseModel):
    """A 装修巡查 or a 验收, filled against a checklist version of the inspection engine."""
    renovation = ForeignKeyField(Renovation, backref="inspections", on_delete="CASCADE")
    kind = CharField(max_length=4)  # 巡查 | 验收
    checklist_version = IntegerField(null=True)  # inspection.ChecklistVersion id
    inspector = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    at = DateTimeField(default=utcnow)
    passed = BooleanField()
    note = TextField(default="")

    class Meta:
        table_name = "renovation_inspection"


class InspectionResult(BaseModel):
    """One checklist item's answer; its label is copied, so the record keeps what was asked."""
    inspection = ForeignKeyField(Inspection, backref="results", on_delete="CASCADE")
    item_key = CharField(max_length=32)
    label = CharField(max_length=100)
    ok = BooleanField()
    note = CharField(max_length=500, default="")

    class Meta:
        table_name = "renovation_inspection_result"


class Violation(BaseModel):
    """An item found 违规: what, by when it must be put right, and whether it was."""
    renovation = ForeignKeyField(Renovation, backref="violations", on_delete="CASCADE")
    inspection = ForeignKeyField(Inspection, null=True, on_delete="SET NULL", backref="+")
    item = CharField(max_length=100)
    description = TextField()
    deadline = DateField()
    found_at = DateTimeField(default=utcnow)
    status = CharField(max_length=4, default="待整改", index=True)  # 待整改 | 整改完成
    rectified_at = DateTimeField(null=True)
    rectified_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    rectify_note = TextField(default="")
    overdue_alerted_at = DateTimeField(null=True)

    class Meta:
        table_name = "renovation_violation"


class Deduction(BaseModel):
    """An amount kept from the deposit for one violation (one deduction per violation)."""
    renovation = ForeignKeyField(Renovation, backref="deductions", on_delete="CASCADE")
    violation = ForeignKeyField(Violation, unique=True, on_delete="CASCADE", backref="+")
    amount = DecimalField(**MONEY)
    reason = CharField(max_length=200, default="")
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "renovation_deduction"


class Extension(BaseModel):
    """A 延期 request: a new end date, decided by the manager."""
    renovation = ForeignKeyField(Renovation, backref="extensions", on_delete="CASCADE")
    new_end = DateField()
    reason = CharField(max_length=200)
    requested_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    requested_at = DateTimeField(default=utcnow)
    status = CharField(max_length=4, default="待审批")  # 待审批 | 已批准 | 已驳回
    decided_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    decided_at = DateTimeField(null=True)

    class Meta:
        table_name = "renovation_extension"


class RenovationPhoto(BaseModel):
    """A photo of the renovation: drawings at 申请, site photos at 巡查 / 违规 / 验收."""
    renovation = ForeignKeyField(Renovation, backref="photo_rows", on_delete="CASCADE")
    photo = ForeignKeyField(Photo, on_delete="CASCADE")
    stage = CharField(max_length=4)
    inspection = ForeignKeyField(Inspection, null=True, on_delete="CASCADE", backref="+")


MODELS = [RenovationSettings, Renovation, Worker, Step, Inspection, InspectionResult,
          Violation, Deduction, Extension, RenovationPhoto]


def _index_open_rows(migrator):
    """0002: indexes for the periodic reads (violations 待整改, the last 30 days of steps), on
    databases made with the first baseline."""
    for table, column in (("renovation_violation", "status"), ("renovation_step", "at")):
        migrator.database.execute_sql(
            f'CREATE INDEX IF NOT EXISTS "{table}_{column}" ON "{table}" ("{column}")')


MIGRATIONS = MigrationGroup("renovation", MODELS, [("0002_open_row_indexes", _index_open_rows)])
