"""Group robots (群机器人) of an estate, the alerts they forward and every delivery made.

A robot's webhook URL and 加签 secret are credentials: pages show them masked (`masked_url`,
`masked_secret`), logs name a robot by its id and name only.
"""
from datetime import timedelta

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from ..db import BaseModel, MigrationGroup, utcnow
from ..models import Estate, Numbered, User

ROBOT_KINDS = {"wecom": "企业微信群机器人", "dingtalk": "钉钉自定义机器人"}
FORMATS = {"markdown": "Markdown", "text": "纯文本"}
# The alert kinds a robot may forward (the codes features pass to notify()), in page order.
ALERT_KINDS = {
    "patrol_missed": "漏巡 / 未巡完",
    "inspection_abnormal": "设备巡检异常项",
    "inspection_overdue": "设备日检超时",
    "work_order_overdue": "工单超时",
    "complaint_overdue": "投诉超时",
    "watchlist": "关注名单命中",
    "complaint_major": "收到重大投诉",
    "weekly_report": "周报已签发",
    "renovation_inspection_overdue": "装修巡查逾期",
    "renovation_rectify_overdue": "装修整改逾期",
    "digest": "每日摘要",
    "export_ready": "导出文件已生成",
}
PENDING, DELIVERED, FAILED, MERGED = "待发送", "已送达", "失败", "已合并"
# After the n-th failed attempt the next one waits BACKOFF[n-1]; after the last, 失败
# (issue 19: 1 min, 5 min, 30 min, 2 h, 6 h).
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
           timedelta(hours=2), timedelta(hours=6))
ANSWER_CHARS = 1000


class Robot(BaseModel):
    """One group robot of an estate and what it forwards.

    `quiet_from`/`quiet_to` are hours of the estate's day (0–23): alerts raised in between
    wait and go out as one message when the quiet hours end; equal or empty means none.
    `digest_hour` is the estate hour after which the daily digest of yesterday is sent.
    """
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    name = CharField(max_length=40)
    kind = CharField(max_length=10)  # ROBOT_KINDS
    webhook = CharField(max_length=500)
    secret = CharField(max_length=200, default="")  # 钉钉 加签
    keyword = CharField(max_length=40, default="")  # 钉钉 自定义关键词
    message_format = CharField(max_length=10, default="markdown")
    kinds = TextField(default="")  # ALERT_KINDS codes, comma-separated
    quiet_from = IntegerField(null=True)
    quiet_to = IntegerField(null=True)
    digest_hour = IntegerField(default=8)
    active = BooleanField(default=True)
    created_by = ForeignKeyField(User, null=True, on_delete="SET NULL")
    created_at = DateTimeField(default=utcnow)

    @property
    def kind_list(self):
        """The alert kinds (codes of ALERT_KINDS) this robot forwards."""
        return [k for k in self.kinds.split(",") if k]

    def forwards(self, kind):
        """Whether alerts of `kind` (a notify() kind code, or "digest") go to this robot."""
        return kind in self.kind_list

    @property
    def kind_label(self):
        """企业微信群机器人 or 钉钉自定义机器人."""
        return ROBOT_KINDS.get(self.kind, self.kind)

    @property
    def masked_url(self):
        """The webhook with its key/access_token reduced to the last four characters."""
        base, _, query = self.webhook.partition("?")
        parts = []
        for pair in query.split("&") if query else []:
            name, _, value = pair.partition("=")
            parts.append(f"{name}=…{value[-4:]}" if value else name)
        return base + ("?" + "&".join(parts) if parts else "")

    @property
    def masked_secret(self):
        """What a page may say about the 加签 secret: saved (its last four characters) or not."""
        return f"已保存（…{self.secret[-4:]}）" if self.secret else "未设置"

    @classmethod
    def forwarding(cls, estate, kind):
        """The estate's active robots that forward alerts of `kind`."""
        robots = cls.select().where(cls.estate == estate, cls.active)
        return [r for r in robots if r.forwards(kind)]


class Alert(Numbered, BaseModel):
    """One alert as raised through notify(): what the group chats are told."""
    PREFIX = "TZ"
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    kind = CharField(max_length=30)
    title = CharField(max_length=200)
    body = TextField(default="")
    link = CharField(max_length=300, default="")
    responsible = CharField(max_length=200, default="")  # the names notify() told
    raised_at = DateTimeField(default=utcnow, index=True)


class Delivery(Numbered, BaseModel):
    """One message to one robot: an alert, a summary of several, a digest, or a test.

    The message is built once (`payload`, JSON without the signature) so every retry sends
    the same text. `claimed_until` is a short lease: a worker sets it before sending, so two
    workers (or a queued task and the minute's tick) never send the same row at once.
    """
    PREFIX = "TS"
    robot = ForeignKeyField(Robot, backref="deliveries", on_delete="CASCADE")
    alert = ForeignKeyField(Alert, null=True, on_delete="CASCADE")
    purpose = CharField(max_length=10, default="alert")  # alert | summary | digest | test
    period = CharField(max_length=40, null=True)  # e.g. digest:2026-06-14, once per robot
    held = CharField(max_length=10, default="")  # "quiet": raised during quiet hours
    merged_into = ForeignKeyField("self", null=True, on_delete="SET NULL", backref="merged")
    status = CharField(max_length=4, default=PENDING)
    attempts = IntegerField(default=0)
    payload = TextField(default="")
    answer = TextField(default="")
    next_attempt_at = DateTimeField(default=utcnow)
    claimed_until = DateTimeField(null=True)
    last_attempt_at = DateTimeField(null=True)
    delivered_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("status", "next_attempt_at"), False),
                   (("robot", "period"), True),
                   (("robot", "last_attempt_at"), False))

    @property
    def title(self):
        """What the row was about, for the settings page: the alert's title or the purpose."""
        if self.alert_id:
            return self.alert.title
        return {"summary": "合并提醒", "digest": "每日摘要", "test": "测试发送"}.get(
            self.purpose, self.purpose)

    @classmethod
    def recent(cls, robot, limit=10):
        """The robot's last `limit` deliveries, newest first."""
        return (cls.select().where(cls.robot == robot)
                .order_by(cls.created_at.desc(), cls.id.desc()).limit(limit))


MIGRATIONS = MigrationGroup("alerts", [Robot, Alert, Delivery])
