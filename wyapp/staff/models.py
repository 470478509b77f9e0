"""Staff tables (人员管理): shifts, the monthly roster, leave, 月评, training, 例会.

Every instant is naive UTC; days (`day`, `start_day` …) are the estate's local dates. A
roster entry stores its own UTC bounds, computed from its shift once, so "who is on duty at
t" is one indexed range query; a shift's end not after its start runs into the next day.
"""
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
from ..models import Estate, Numbered, User
from ..photos import Photo

# The office's teams and the role whose holders make up each (SPEC §1).
TEAMS = {"秩序维护": "guard", "门岗": "gate", "工程": "engineer", "客服": "desk"}
TEAM_OF_ROLE = {role: team for team, role in TEAMS.items()}
LEAVE_KINDS = ("病假", "事假", "年假", "调休", "其他")
PENDING, APPROVED, REFUSED, WITHDRAWN = "待审批", "已批准", "已驳回", "已撤回"
LEAVE_STATES = (PENDING, APPROVED, REFUSED, WITHDRAWN)
HALVES = ("上午", "下午")
DRAFT, SUBMITTED = "草稿", "待审批"  # 月评 and training plans: 草稿 → 待审批 → 已批准
JUDGED = {"attitude": "服务态度", "appearance": "仪容仪表", "discipline": "纪律"}
RESULTS = ("合格", "不合格")


class StaffSettings(BaseModel):
    """Per-estate rules; an estate without a row uses the defaults. The 月评's weights (per
    cent) sum to 100: 实绩 (facts of the person's work), 出勤, 培训 and the three judged
    items the supervisor scores."""
    estate = ForeignKeyField(Estate, unique=True, on_delete="CASCADE")
    manager_after_days = DecimalField(max_digits=4, decimal_places=1, default=3)
    weight_facts = IntegerField(default=35)
    weight_attendance = IntegerField(default=20)
    weight_training = IntegerField(default=5)
    weight_attitude = IntegerField(default=15)
    weight_appearance = IntegerField(default=10)
    weight_discipline = IntegerField(default=15)

    WEIGHTS = {"facts": "工作实绩", "attendance": "出勤", "training": "培训",
               "attitude": "服务态度", "appearance": "仪容仪表", "discipline": "纪律"}

    @classmethod
    def of(cls, estate):
        """The estate's settings (an unsaved row of defaults when none is stored)."""
        return cls.get_or_none(cls.estate == estate) or cls(estate=estate)

    def weights(self):
        return {key: getattr(self, f"weight_{key}") for key in self.WEIGHTS}


class Shift(BaseModel):
    """A shift of an estate: 白班 08:00–20:00, 夜班 20:00–08:00 (crossing midnight)."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    name = CharField(max_length=20)
    starts = CharField(max_length=5)  # "20:00", the estate's wall time
    ends = CharField(max_length=5)  # "08:00": not after `starts` = the next day
    active = BooleanField(default=True)

    class Meta:
        indexes = ((("estate", "name"), True),)

    @property
    def hours(self):
        return f"{self.starts}–{self.ends}{'（次日）' if self.ends <= self.starts else ''}"


class RosterEntry(BaseModel):
    """One person on one shift of one local day, for a team. `covers`: the entry of a person
    on leave this one replaces (替班)."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    team = CharField(max_length=10)
    day = DateField()
    shift = ForeignKeyField(Shift, on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")
    starts_at = DateTimeField()
    ends_at = DateTimeField()
    covers = ForeignKeyField("self", null=True, on_delete="CASCADE", backref="replacements")
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("day", "shift", "user"), True),
                   (("estate", "team", "starts_at"), False))


class Leave(Numbered, BaseModel):
    """A leave request (请假): from a half day to a half day, approved by the team's
    supervisor and, when longer than the estate's threshold, by the manager too."""
    PREFIX = "QJ"
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    team = CharField(max_length=10, default="")
    kind = CharField(max_length=4)
    start_day = DateField()
    start_half = CharField(max_length=2, default="上午")
    end_day = DateField()
    end_half = CharField(max_length=2, default="下午")
    days = DecimalField(max_digits=5, decimal_places=1)
    starts_at = DateTimeField()
    ends_at = DateTimeField()
    reason = CharField(max_length=500)
    photo = ForeignKeyField(Photo, null=True, on_delete="SET NULL")
    status = CharField(max_length=4, default=PENDING, index=True)
    needs_manager = BooleanField(default=False)
    supervisor_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    supervisor_at = DateTimeField(null=True)
    manager_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    manager_at = DateTimeField(null=True)
    refusal = CharField(max_length=200, default="")
    created_at = DateTimeField(default=utcnow)

    @property
    def waiting_for(self):
        """Who the request waits for: "主管", "经理" or "" (decided)."""
        if self.status != PENDING:
            return ""
        return "经理" if self.supervisor_at else "主管"

    @property
    def days_text(self):
        """The length as people write it: 4, 0.5, 2.5 (天)."""
        return f"{float(self.days):g}"

    @property
    def span(self):
        return f"{self.start_day:%m-%d} {self.start_half} 至 {self.end_day:%m-%d} {self.end_half}"


class Evaluation(BaseModel):
    """A person's 月评 of one month: facts drafted by the periodic job (JSON text), the
    supervisor's judged scores and comment, the manager's approval."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    month = CharField(max_length=7)  # "2026-05"
    team = CharField(max_length=10)
    facts = TextField(default="{}")
    facts_score = IntegerField(default=100)
    attendance_score = IntegerField(default=100)
    training_score = IntegerField(default=100)
    attitude = IntegerField(null=True)
    appearance = IntegerField(null=True)
    discipline = IntegerField(null=True)
    comment = CharField(max_length=500, default="")
    total = DecimalField(max_digits=5, decimal_places=1, null=True)
    status = CharField(max_length=4, default=DRAFT)
    drafted_at = DateTimeField(default=utcnow)
    scored_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    scored_at = DateTimeField(null=True)
    approved_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    approved_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("estate", "month", "user"), True),)


class RewardPenalty(BaseModel):
    """奖惩: a reward (+points) or penalty (−points) with its reason, on an evaluation."""
    evaluation = ForeignKeyField(Evaluation, backref="rewards", on_delete="CASCADE")
    kind = CharField(max_length=2)  # 奖励 / 处罚
    points = IntegerField(default=0)
    reason = CharField(max_length=200)
    made_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    made_at = DateTimeField(default=utcnow)


class TrainingPlan(BaseModel):
    """The month's training plan (培训计划): drafted by a supervisor, approved by the manager."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    month = CharField(max_length=7)
    status = CharField(max_length=4, default=DRAFT)
    drafted_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    approved_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    approved_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("estate", "month"), True),)


class TrainingSession(BaseModel):
    """One session of a plan: topic, trainer, time, place; its sign-in QR is a label."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    plan = ForeignKeyField(TrainingPlan, backref="sessions", on_delete="CASCADE")
    topic = CharField(max_length=100)
    trainer = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    starts_at = DateTimeField()
    ends_at = DateTimeField()
    place = CharField(max_length=100, default="")


class TrainingAttendee(BaseModel):
    """A person who must attend a session: when they signed in, and their 考核 result."""
    session = ForeignKeyField(TrainingSession, backref="attendees", on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    signed_at = DateTimeField(null=True)
    result = CharField(max_length=3, default="")  # 合格 / 不合格
    score = IntegerField(null=True)

    class Meta:
        indexes = ((("session", "user"), True),)


class Meeting(Numbered, BaseModel):
    """例会 minutes: date, topics, decisions; attendees and action items in their tables."""
    PREFIX = "LH"
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    held_on = DateField()
    title = CharField(max_length=100, default="每周例会")
    topics = TextField(default="")
    decisions = TextField(default="")
    recorded_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")
    created_at = DateTimeField(default=utcnow)


class MeetingAttendee(BaseModel):
    meeting = ForeignKeyField(Meeting, backref="attendee_rows", on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE", backref="+")

    class Meta:
        indexes = ((("meeting", "user"), True),)


class ActionItem(BaseModel):
    """A decision's task: its owner sees it on the home page until it is marked done."""
    meeting = ForeignKeyField(Meeting, backref="actions", on_delete="CASCADE")
    text = CharField(max_length=200)
    owner = ForeignKeyField(User, on_delete="CASCADE", backref="+")
    due_on = DateField()
    done_at = DateTimeField(null=True)


STAFF = MigrationGroup("staff", [StaffSettings, Shift, RosterEntry, Leave, Evaluation,
                                 RewardPenalty, TrainingPlan, TrainingSession,
                                 TrainingAttendee, Meeting, MeetingAttendee, ActionItem])
