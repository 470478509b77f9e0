"""Dashboard tables: one figures row per estate and local day (the trends read these, never
the raw history), the rollup job's watermarks, and the weekly report (周报) with its plan."""
from peewee import (
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from ..db import BaseModel, MigrationGroup, utcnow
from ..models import Estate, User

# The figures of a day, in the order the 30-day table and its export show them:
# (column, 中文名). Every one is a count of that estate-local day.
FIGURES = (
    ("rounds", "巡更任务"), ("rounds_done", "已完成"), ("rounds_partial", "部分完成"),
    ("rounds_missed", "漏巡"), ("points_done", "已巡点次"), ("points_total", "应巡点次"),
    ("scans_flagged", "异常打卡"), ("incidents", "巡更异常"),
    ("sheets_due", "应检表"), ("sheets_done", "已检表"), ("sheets_overdue", "超时未检"),
    ("abnormal_items", "异常项"),
    ("orders_opened", "新报修"), ("orders_completed", "完工"), ("orders_on_time", "按时完工"),
    ("orders_overdue", "超时未完工"),
    ("complaints_received", "新投诉"), ("complaints_closed", "投诉关闭"),
    ("complaints_overdue", "超时未回复"), ("complaints_major", "重大投诉"),
    ("followups", "回访"), ("followups_satisfied", "回访满意"),
    ("visits", "访客登记"), ("vehicles", "车辆进场"), ("slips_released", "放行条"),
    ("watch_hits", "关注名单命中"),
)
FIGURE_NAMES = dict(FIGURES)


def percent(part, whole):
    """part / whole as a whole percentage (int), or None when there is nothing to divide."""
    return round(100 * part / whole) if whole else None


class DailyRollup(BaseModel):
    """The figures of one estate-local day, computed once the day has ended (rollup.py) and
    again when a late record lands for it. One row per (estate, day), written by upsert."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE", index=False)
    day = DateField()
    computed_at = DateTimeField(default=utcnow)
    rounds = IntegerField(default=0)  # 巡更任务
    rounds_done = IntegerField(default=0)  # 已完成
    rounds_partial = IntegerField(default=0)  # 部分完成
    rounds_missed = IntegerField(default=0)  # 漏巡
    points_done = IntegerField(default=0)  # 已巡点次
    points_total = IntegerField(default=0)  # 应巡点次
    scans_flagged = IntegerField(default=0)  # 异常打卡
    incidents = IntegerField(default=0)  # 巡更异常
    sheets_due = IntegerField(default=0)  # 应检表
    sheets_done = IntegerField(default=0)  # 已检表
    sheets_overdue = IntegerField(default=0)  # 超时未检
    abnormal_items = IntegerField(default=0)  # 异常项
    orders_opened = IntegerField(default=0)  # 新报修
    orders_completed = IntegerField(default=0)  # 完工
    orders_on_time = IntegerField(default=0)  # 按时完工
    orders_overdue = IntegerField(default=0)  # 超时未完工
    complaints_received = IntegerField(default=0)  # 新投诉
    complaints_closed = IntegerField(default=0)  # 投诉关闭
    complaints_overdue = IntegerField(default=0)  # 超时未回复
    complaints_major = IntegerField(default=0)  # 重大投诉
    followups = IntegerField(default=0)  # 回访
    followups_satisfied = IntegerField(default=0)  # 回访满意
    visits = IntegerField(default=0)  # 访客登记
    vehicles = IntegerField(default=0)  # 车辆进场
    slips_released = IntegerField(default=0)  # 放行条
    watch_hits = IntegerField(default=0)  # 关注名单命中

    class Meta:
        indexes = ((("estate", "day"), True),)

    # ── the rates the trends draw (None: nothing to count that day) ──
    @property
    def patrol_completion(self):
        return percent(self.points_done, self.points_total)

    @property
    def inspection_completion(self):
        return percent(self.sheets_done, self.sheets_due)

    @property
    def on_time_rate(self):
        return percent(self.orders_on_time, self.orders_completed)

    @property
    def satisfaction_rate(self):
        return percent(self.followups_satisfied, self.followups)


class RollupMark(BaseModel):
    """How far the rollup job has read a source table (its highest id seen): rows above it
    are new since the last tick, and those dated before their estate's today are late."""
    name = CharField(max_length=40, primary_key=True)
    last_id = IntegerField(default=0)
    at = DateTimeField(default=utcnow)


DRAFT, SIGNED = "草稿", "已审核"


class WeeklyReport(BaseModel):
    """周报 of one estate and one week (Monday–Sunday, estate time): drafted from the data by
    the Monday job, completed and signed off (审核) by the manager, then archived."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE", index=False)
    week = DateField()  # the Monday
    status = CharField(max_length=4, default=DRAFT)
    figures = TextField(default="{}")  # JSON: weekly_figures.compile_week (本周工作总结)
    highlights = TextField(default="")  # 本周重点工作说明
    drafted_at = DateTimeField(default=utcnow)  # when its figures were (last) compiled
    edited_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")  # 编制人
    signed_by = ForeignKeyField(User, null=True, on_delete="SET NULL", backref="+")  # 审核人
    signed_at = DateTimeField(null=True)
    revision = IntegerField(default=0)  # sign-offs so far: a correction signs again

    class Meta:
        indexes = ((("estate", "week"), True),)

    @property
    def signed(self):
        return self.status == SIGNED


class PlanItem(BaseModel):
    """One line of 下周工作计划: what, who, by when; marked 完成/未完成 on the next report."""
    report = ForeignKeyField(WeeklyReport, backref="plan_items", on_delete="CASCADE")
    text = CharField(max_length=200)
    owner = CharField(max_length=40)
    due = DateField()
    position = IntegerField(default=0)
    done = BooleanField(null=True)  # None: not yet marked
    created_at = DateTimeField(default=utcnow)


# The tick's "which days are computed since" reads every estate's rows of recent days.
DailyRollup.add_index(DailyRollup.index(DailyRollup.day, name="daily_rollup_day"))


def _scale_indexes(migrator):
    """0002_scale_indexes: the index of rollups by day (issue 23)."""
    DailyRollup._schema.create_indexes(safe=True)


MIGRATIONS = MigrationGroup("dashboard", [DailyRollup, RollupMark, WeeklyReport, PlanItem],
                            [("0002_scale_indexes", _scale_indexes)])
