"""Service-desk tables: repair work orders (报修工单) and complaints (投诉), with timelines."""
from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)
from playhouse.migrate import migrate as run_steps

from ..db import BaseModel, MigrationGroup, utcnow
from ..models import Estate, Numbered, Unit, User
from ..photos import Photo

# ── repair work orders ──
SOURCES = ("业主来电", "业主来访", "巡更异常", "设备巡检", "员工发现")
CATEGORIES = ("水", "电", "门窗", "电梯", "公共设施", "消防", "其他")
PRIORITIES = ("紧急", "高", "普通")
ORIGIN_KINDS = {"patrol_incident": "巡更异常", "inspection_item": "设备巡检"}
# The status is the last step done; the flow is 登记 → 派单 → 接单 → 处理中 → 完工 → 回访 → 关闭.
ORDER_STEPS = ("登记", "派单", "接单", "处理中", "完工", "回访", "关闭")
ORDER_OPEN = ("登记", "派单", "接单", "处理中")  # the due time runs in these
ORDER_STATE_LABELS = {"登记": "待派单", "派单": "已派单", "接单": "已接单", "处理中": "处理中",
                      "完工": "已完工", "回访": "已回访", "关闭": "已关闭"}
SATISFACTION = ("满意", "基本满意", "不满意")
DEFAULT_DUE_HOURS = {"紧急": 2, "高": 24, "普通": 72}


class ServiceSettings(BaseModel):
    """Per-estate service-desk settings; an estate without a row uses the defaults."""
    estate = ForeignKeyField(Estate, unique=True, on_delete="CASCADE")
    urgent_hours = IntegerField(default=DEFAULT_DUE_HOURS["紧急"])
    high_hours = IntegerField(default=DEFAULT_DUE_HOURS["高"])
    normal_hours = IntegerField(default=DEFAULT_DUE_HOURS["普通"])
    complaint_reply_hours = IntegerField(default=24)

    @classmethod
    def of(cls, estate):
        return cls.get_or_none(cls.estate == estate) or cls(estate=estate)

    def due_hours(self, priority):
        return {"紧急": self.urgent_hours, "高": self.high_hours}.get(priority, self.normal_hours)


class WorkOrder(Numbered, BaseModel):
    """A repair (报修), shown by its number BX000006 everywhere."""
    PREFIX = "BX"
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    source = CharField(max_length=10)
    category = CharField(max_length=10, default="其他")
    priority = CharField(max_length=4, default="普通")
    paid = BooleanField(default=False)  # 有偿 / 无偿
    unit = ForeignKeyField(Unit, null=True, on_delete="SET NULL")
    place = CharField(max_length=100, default="")
    caller_name = CharField(max_length=40, default="")  # 报修人
    caller_phone = CharField(max_length=20, default="")  # 联系电话, digits (inputs.clean_phone)
    appointment_at = DateTimeField(null=True)  # 预约上门时间, naive UTC
    description = TextField()
    status = CharField(max_length=6, default="登记", index=True)
    reported_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = DateTimeField(default=utcnow, index=True)
    due_at = DateTimeField(index=True)
    assignee = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    completed_at = DateTimeField(null=True)
    completion_note = TextField(default="")
    materials = TextField(default="")
    satisfaction = CharField(max_length=6, default="")
    closed_at = DateTimeField(null=True)
    overdue_alerted_at = DateTimeField(null=True)
    reopen_count = IntegerField(default=0)
    origin_kind = CharField(max_length=30, default="")
    origin_id = IntegerField(null=True)

    class Meta:
        indexes = ((("origin_kind", "origin_id"), False),)

    @property
    def where(self):
        return self.unit.label if self.unit_id else self.place

    @property
    def state(self):
        """The status as staff say it: 待派单, 已派单 … 已关闭."""
        return ORDER_STATE_LABELS[self.status]

    def is_open(self):
        return self.status in ORDER_OPEN

    def is_overdue(self, now=None):
        """Computed from the clock on read, so it is right even before the periodic job ran."""
        return self.is_open() and (now or utcnow()) > self.due_at

    def finished_late(self):
        return self.completed_at is not None and self.completed_at > self.due_at


class WorkOrderStep(BaseModel):
    """One line of an order's timeline: which step, who, when, and what they wrote."""
    order = ForeignKeyField(WorkOrder, backref="steps", on_delete="CASCADE")
    step = CharField(max_length=6)
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    at = DateTimeField(default=utcnow)
    note = TextField(default="")
    materials = TextField(default="")  # 完工: the materials of this round (kept after 返工)


class WorkOrderPhoto(BaseModel):
    order = ForeignKeyField(WorkOrder, backref="photo_rows", on_delete="CASCADE")
    photo = ForeignKeyField(Photo, on_delete="CASCADE")
    stage = CharField(max_length=6, default="登记")


# ── complaints ──
CHANNELS = ("来访", "来电", "书信", "电子邮件", "网上", "上级转办")
DEFAULT_CAUSES = ("工程维修", "秩序安全", "环境卫生", "绿化", "收费", "服务态度", "邻里纠纷",
                  "开发遗留", "其他")
# 已受理: open, with an owner and a promised reply time; 协商中: replied, the complainant
# disagreed, negotiation goes on; 已处理: agreed, waiting for 回访 (or the 7-day auto-close);
# 已关闭: read-only, corrections are amendments in the timeline.
COMPLAINT_OPEN = ("已受理", "协商中")
COMPLAINT_STATES = (*COMPLAINT_OPEN, "已处理", "已关闭")
AUTO_CLOSE_DAYS = 7


class ComplaintCause(BaseModel):
    """A root-cause category (by the final cause, not the complainant's wording)."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    name = CharField(max_length=20)
    position = IntegerField(default=0)
    active = BooleanField(default=True)

    class Meta:
        indexes = ((("estate", "name"), True),)


class ComplaintEvent(BaseModel):
    """One event (事件) several complaints are about: statistics count it once."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    title = CharField(max_length=100)
    created_at = DateTimeField(default=utcnow)


class Complaint(Numbered, BaseModel):
    """A complaint (投诉), shown by its number TS000007 everywhere."""
    PREFIX = "TS"
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    channel = CharField(max_length=6)
    neighbour_dispute = BooleanField(default=False)  # 邻里纠纷: name and unit never forced
    name = CharField(max_length=40, default="")
    unit = ForeignKeyField(Unit, null=True, on_delete="SET NULL")
    phone = CharField(max_length=20, default="")
    content = TextField()
    received_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    received_at = DateTimeField(default=utcnow, index=True)
    owner = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    due_at = DateTimeField()  # 约定回复时间
    status = CharField(max_length=4, default="已受理", index=True)
    needs_followup = BooleanField(default=True)
    first_reply_at = DateTimeField(null=True)
    handled_at = DateTimeField(null=True)
    satisfaction = CharField(max_length=6, default="")
    closed_at = DateTimeField(null=True)
    close_reason = CharField(max_length=40, default="")
    cause = ForeignKeyField(ComplaintCause, null=True, on_delete="SET NULL")
    event = ForeignKeyField(ComplaintEvent, null=True, on_delete="SET NULL", backref="complaints")
    major = BooleanField(default=False)  # 重大投诉: its own file group in the archive
    was_overdue = BooleanField(default=False)
    overdue_alerted_at = DateTimeField(null=True)

    @property
    def state(self):
        return self.status

    @property
    def who(self):
        parts = [self.name, self.unit.label if self.unit_id else ""]
        return " ".join(p for p in parts if p) or "未留姓名"

    def is_open(self):
        return self.status in COMPLAINT_OPEN

    def is_overdue(self, now=None):
        return self.is_open() and (now or utcnow()) > self.due_at


class ComplaintStep(BaseModel):
    """One line of a complaint's timeline (受理, 转交, 处理 round, 回访, 关闭, 更正…)."""
    complaint = ForeignKeyField(Complaint, backref="steps", on_delete="CASCADE")
    step = CharField(max_length=6)
    actor = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    at = DateTimeField(default=utcnow)
    note = TextField(default="")


MODELS = [ServiceSettings, WorkOrder, WorkOrderStep, WorkOrderPhoto, ComplaintCause,
          ComplaintEvent, Complaint, ComplaintStep]

MATERIALS_MARK = "\n材料："  # how a 完工 line wrote its materials into the note before 0002


def _caller_and_round_materials(migrator):
    """0002: the caller (报修人, 联系电话) and the appointment (预约上门时间) on a work order;
    each 完工 line keeps its own materials. Lines written before, whose note ends in
    "\n材料：…", have that part moved into the new column (the text stays the same)."""
    # Plain ALTER TABLE … NOT NULL DEFAULT '': peewee's add_column of a NOT NULL column
    # rebuilds the table on SQLite, and dropping the old work_order would cascade to every
    # step and photo of every order.
    for table, column, kind in (("work_order", "caller_name", "VARCHAR(40)"),
                                ("work_order", "caller_phone", "VARCHAR(20)"),
                                ("work_order_step", "materials", "TEXT")):
        migrator.database.execute_sql(
            f"ALTER TABLE {table} ADD COLUMN {column} {kind} NOT NULL DEFAULT ''")
    run_steps(migrator.add_column("work_order", "appointment_at", WorkOrder.appointment_at))
    done = WorkOrderStep.select().where(WorkOrderStep.step == "完工",
                                        WorkOrderStep.note.contains(MATERIALS_MARK))
    for line in done:
        note, _, materials = line.note.rpartition(MATERIALS_MARK)
        (WorkOrderStep.update(note=note, materials=materials)
         .where(WorkOrderStep.id == line.id).execute())


# The lists and badges read by estate and status (open ones by due time), the day's and
# month's figures by estate and time; the tick's "touched since" by step time (issue 23).
for _model, _received in ((WorkOrder, WorkOrder.created_at), (Complaint, Complaint.received_at)):
    _table = _model._meta.table_name
    _model.add_index(_model.index(_model.estate, _model.status, _model.due_at,
                                  name=f"{_table}_estate_status_due"))
    _model.add_index(_model.index(_model.estate, _received, name=f"{_table}_estate_received"))
    _model.add_index(_model.index(_model.estate, _model.closed_at,
                                  name=f"{_table}_estate_closed"))
WorkOrder.add_index(WorkOrder.index(WorkOrder.estate, WorkOrder.completed_at,
                                    name="work_order_estate_completed"))
Complaint.add_index(Complaint.index(Complaint.estate, Complaint.handled_at,
                                    name="complaint_estate_handled"))
for _model in (WorkOrderStep, ComplaintStep):
    _table = _model._meta.table_name
    _model.add_index(_model.index(_model.at, name=f"{_table}_at"))
    _model.add_index(_model.index(_model.step, _model.at, name=f"{_table}_step_at"))


def _scale_indexes(migrator):
    """0003_scale_indexes: the estate-first indexes above (issue 23)."""
    for model in (WorkOrder, Complaint, WorkOrderStep, ComplaintStep):
        model._schema.create_indexes(safe=True)


MIGRATIONS = MigrationGroup("service", MODELS,
                            [("0002_caller_and_round_materials", _caller_and_round_materials),
                             ("0003_scale_indexes", _scale_indexes)])
