"""Reference data every feature stands on: estates, buildings, units, staff, notifications.

Logins (the throttle, the sessions kept on the server) are in sessions.py; cli.CORE puts the
tables of both into the core migration group."""
import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from blinker import Namespace
from flask_login import UserMixin
from peewee import (
    JOIN,
    BooleanField,
    CharField,
    DateTimeField,
    DecimalField,
    ForeignKeyField,
    IntegerField,
    TextField,
    fn,
)
from werkzeug.security import check_password_hash, generate_password_hash

from .db import BaseModel, Prepared, utcnow
from .errors import DomainError

ROLES = {
    "guard": "秩序维护员",
    "gate": "门岗",
    "engineer": "工程维修",
    "desk": "客服前台",
    "supervisor": "主管",
    "manager": "物业经理",
    "admin": "系统管理员",
}


class Estate(BaseModel):
    name = CharField(max_length=100, unique=True)
    address = CharField(max_length=200, default="")
    timezone = CharField(max_length=64, default="Asia/Shanghai")
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    @classmethod
    def active_ones(cls):
        return cls.select().where(cls.active).order_by(cls.name)

    # ── the estate's clock: the one place estate time is converted ──────────────────────
    # Stored datetimes are naive UTC (db.utcnow); "today", a day's or a month's bounds and
    # every time shown come from the estate's zone (Asia/Shanghai by default), never from the
    # server's.

    @cached_property
    def zone(self):
        """The estate's time zone (a ZoneInfo)."""
        return ZoneInfo(self.timezone)

    def local(self, moment):
        """A stored naive-UTC datetime as the estate's wall time: naive, in the estate's zone.

        None stays None. Raises nothing for any datetime (years 1 and 9999 included: an
        instant whose local time falls outside datetime's range is clamped to it)."""
        if moment is None:
            return None
        try:
            return moment.replace(tzinfo=UTC).astimezone(self.zone).replace(tzinfo=None)
        except OverflowError:
            return datetime.min if moment.year == 1 else datetime.max

    def utc(self, local):
        """The estate's wall time (naive, or aware in any zone) as naive UTC, as stored.

        A wall time that a daylight-saving change skips or repeats takes its first reading
        (PEP 495 fold=0). Raises nothing: times beyond datetime's range are clamped."""
        aware = local if local.tzinfo else local.replace(tzinfo=self.zone)
        try:
            return aware.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:
            return datetime.min if local.year == 1 else datetime.max

    def today(self, now):
        """The estate's date (a `date`) at the naive-UTC instant `now`."""
        return self.local(now).date()

    def day_start(self, day):
        """The naive-UTC instant at which the estate's local `day` (a date) begins."""
        return self.utc(datetime.combine(day, time()))

    def day_bounds(self, first_day, last_day=None):
        """Naive-UTC [start, end) of the estate's local days first_day..last_day (dates,
        both included; one day when last_day is None). Days at the calendar's edges
        (0001-01-01, 9999-12-31) give bounds clamped to datetime's range."""
        last_day = last_day or first_day
        end = (self.day_start(last_day + timedelta(days=1)) if last_day < date.max
               else datetime.max)
        return self.day_start(first_day), end

    def month_bounds(self, year, month):
        """Naive-UTC [start, end) of the estate's local calendar month."""
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1) if first < date(9999, 12, 1) \
            else None
        last = following - timedelta(days=1) if following else date.max
        return self.day_bounds(first, last)


class Building(BaseModel):
    estate = ForeignKeyField(Estate, backref="buildings", on_delete="CASCADE")
    name = CharField(max_length=50)

    class Meta:
        indexes = ((("estate", "name"), True),)

    @classmethod
    def of_estate(cls, estate):
        return (cls.select(cls, fn.COUNT(Unit.id).alias("unit_count"))
                .join(Unit, join_type=JOIN.LEFT_OUTER).where(cls.estate == estate)
                .group_by(cls.id).order_by(cls.name))


class Unit(BaseModel):
    estate = ForeignKeyField(Estate, backref="units", on_delete="CASCADE")
    building = ForeignKeyField(Building, backref="units", on_delete="CASCADE")
    number = CharField(max_length=30)
    floor = IntegerField(null=True)
    area = DecimalField(max_digits=8, decimal_places=2, null=True)
    note = CharField(max_length=200, default="")

    class Meta:
        indexes = ((("building", "number"), True),)

    @property
    def label(self):
        return f"{self.building.name}-{self.number}"

    @classmethod
    def find(cls, estate, text, field="unit"):
        """The unit of `estate` that staff typed as 楼栋 and 房号, or None for empty text.

        Takes every way the desk and the gate write a unit: `1-101`, `1号楼101`, `1号楼-101`,
        `1栋101`, `1幢101`, `1#101`, `1/101`, `1 101`, full-width digits and signs (NFKC),
        and the building's full name (`1号楼-101`). Raises DomainError (on `field`) when the
        text names no unit of this estate."""
        building, number = cls.split_label(text)
        if building is None and number is None:
            return None
        unit = None
        if building and number:
            names = {building, *(f"{building}{kind}" for kind in ("号楼", "栋", "幢", "座"))}
            unit = (cls.select(cls, Building).join(Building)
                    .where(cls.estate == estate, Building.name.in_(names),
                           cls.number == number).first())
        if unit is None:
            shown = unicodedata.normalize("NFKC", text or "").strip()[:30]
            raise DomainError(f"本小区没有房号“{shown}”，请按“楼栋-房号”填写，例如 1-101。", field)
        return unit

    @staticmethod
    def split_label(text):
        """(building, number) as typed, normalised (NFKC, no spaces); (None, None) for empty
        text; (None, text) when no building can be told apart from the number."""
        text = unicodedata.normalize("NFKC", text or "")
        text = re.sub(r"[\s\u200b-\u200f\u202a-\u202e\u2060\ufeff]+", " ", text).strip()
        text = re.sub(r"[－—–‐]", "-", text)
        if not text:
            return None, None
        match = re.fullmatch(r"(.+?)\s*(?:号楼|栋|幢|座|#|-|/|\s)+\s*(.+)", text)
        if not match or len(text) > 60:
            return None, text
        return match.group(1).strip(), match.group(2).strip()


class User(UserMixin, BaseModel):
    username = CharField(max_length=40, unique=True)
    display_name = CharField(max_length=40)
    phone = CharField(max_length=20, default="")
    password_hash = CharField(max_length=255)
    active = BooleanField(default=True)
    created_at = DateTimeField(default=utcnow)

    @property
    def is_active(self):
        return self.active

    def set_password(self, password):
        self.password_hash = generate_password_hash(password)

    def check_password(self, password):
        return check_password_hash(self.password_hash, password)

    @property
    def roles(self):
        if not hasattr(self, "_roles"):
            self._roles = {r.role for r in self.role_rows}
        return self._roles

    def has_role(self, *roles):
        return bool(self.roles & set(roles))

    @property
    def role_names(self):
        return [ROLES[r] for r in ROLES if r in self.roles]

    def estates(self):
        """The estates this user works in: every active one for an admin."""
        if self.has_role("admin"):
            return Estate.active_ones()
        return (Estate.active_ones().join(UserEstate)
                .where(UserEstate.user == self))

    def estate(self, estate_id):
        """One of estates(), by id, or None (a prepared query: asked on every request)."""
        if self.has_role("admin"):
            return _active_estate.first(estate_id)
        return _staff_estate.first(self.id, estate_id)

    def set_roles(self, roles):
        UserRole.delete().where(UserRole.user == self).execute()
        UserRole.insert_many([{"user": self, "role": r} for r in roles]).execute()
        self.__dict__.pop("_roles", None)

    def set_estates(self, estates):
        UserEstate.delete().where(UserEstate.user == self).execute()
        UserEstate.insert_many([{"user": self, "estate": e} for e in estates]).execute()

    @classmethod
    def with_role(cls, estate, *roles):
        """Active staff of an estate holding any of the roles."""
        # subqueries, not DISTINCT over joins: PostgreSQL refuses DISTINCT with this ORDER BY
        # once a caller adds .exists() or further filters
        return (cls.select()
                .where(cls.active,
                       cls.id.in_(UserRole.select(UserRole.user).where(UserRole.role.in_(roles))),
                       cls.id.in_(UserEstate.select(UserEstate.user)
                                  .where(UserEstate.estate == estate)))
                .order_by(cls.display_name))


class UserRole(BaseModel):
    user = ForeignKeyField(User, backref="role_rows", on_delete="CASCADE")
    role = CharField(max_length=20)

    class Meta:
        indexes = ((("user", "role"), True),)


class UserEstate(BaseModel):
    user = ForeignKeyField(User, backref="estate_rows", on_delete="CASCADE")
    estate = ForeignKeyField(Estate, backref="staff_rows", on_delete="CASCADE")

    class Meta:
        indexes = ((("user", "estate"), True),)


_active_estate = Prepared(lambda estate_id: Estate.active_ones()
                         .where(Estate.id == estate_id).limit(1))
_staff_estate = Prepared(lambda user_id, estate_id: Estate.active_ones().join(UserEstate)
                         .where(UserEstate.user == user_id, Estate.id == estate_id).limit(1))


class Notification(BaseModel):
    """One alert for one user: a missed round, an overdue order, a watchlist hit…"""
    user = ForeignKeyField(User, backref="notifications", on_delete="CASCADE")
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    kind = CharField(max_length=30)
    title = CharField(max_length=200)
    body = TextField(default="")
    link = CharField(max_length=300, default="")
    created_at = DateTimeField(default=utcnow, index=True)
    read_at = DateTimeField(null=True)

    @classmethod
    def for_user(cls, user, estate):
        return (cls.select().where(cls.user == user, cls.estate == estate)
                .order_by(cls.created_at.desc(), cls.id.desc()))

    @classmethod
    def unread_count(cls, user, estate):
        return cls.for_user(user, estate).where(cls.read_at.is_null()).count()


# Sent once per raised alert (sender: the estate; kind, title, body, link, users), inside the
# caller's transaction. Features that forward alerts elsewhere (group robots) subscribe to
# it, so the core imports none of them.
alert_raised = Namespace().signal("alert-raised")


def notify(users, estate, kind, title, body="", link=""):
    """Raise one alert for each user; the one call every feature uses. Announces the alert
    through `alert_raised` (also when no user is to be told: the group may still want it)."""
    users = list(users)
    rows = [{"user": u, "estate": estate, "kind": kind, "title": title, "body": body,
             "link": link} for u in users]
    if rows:
        Notification.insert_many(rows).execute()
    alert_raised.send(estate, kind=kind, title=title, body=body, link=link, users=users)
    return len(rows)


# A person's notifications in an estate, newest first, and the unread badge every page shows
# (partial: only the unread rows), however many years of them there are (issue 23).
Notification.add_index(Notification.index(Notification.user, Notification.estate,
                                          Notification.created_at, name="notification_user_list"))
Notification.add_index(Notification.index(Notification.user, Notification.estate,
                                          where=Notification.read_at.is_null(),
                                          name="notification_unread"))


def add_notification_indexes(migrator):
    """Core migration 0003_scale_indexes: the notification indexes above (`migrator`: unused;
    the indexes are created if missing)."""
    Notification._schema.create_indexes(safe=True)


def record_number(prefix, record_id):
    """The number people see for a record: its kind's prefix and the id in (at least) six
    digits, e.g. record_number("BX", 6) == "BX000006"."""
    return f"{prefix}{record_id:06d}"


class Numbered:
    """A record shown to people by a number of its own: `PREFIX` and the id in six digits
    (BX000006). The one format every page, PDF and alert shows; `id_from_code` reads it back."""
    PREFIX = ""

    @property
    def code(self):
        return record_number(self.PREFIX, self.id)

    @classmethod
    def id_from_code(cls, text):
        """The id a code like BX000006 (or bx6) names, or None when it is not this kind's."""
        match = re.fullmatch(rf"{cls.PREFIX}0*(\d{{1,18}})", (text or "").strip(), re.I | re.A)
        return int(match.group(1)) if match else None
