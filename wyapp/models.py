"""Reference data every feature stands on: estates, buildings, units, staff, notifications."""
from datetime import timedelta

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

from .db import BaseModel, MigrationGroup, Prepared, utcnow

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


class LoginThrottle(BaseModel):
    """Consecutive failed logins per username (known or not): after five, each try waits."""
    username = CharField(max_length=40, primary_key=True)
    failures = IntegerField(default=0)
    last_failure = DateTimeField(default=utcnow)

    FREE_TRIES = 5

    @classmethod
    def wait_seconds(cls, username):
        row = cls.get_or_none(cls.username == username.lower())
        if row is None or row.failures < cls.FREE_TRIES:
            return 0
        delay = min(30 * 2 ** (row.failures - cls.FREE_TRIES), 900)
        remaining = row.last_failure + timedelta(seconds=delay) - utcnow()
        return max(0, int(remaining.total_seconds()) + 1) if remaining.total_seconds() > 0 else 0

    @classmethod
    def failed(cls, username):
        (cls.insert(username=username.lower(), failures=1, last_failure=utcnow())
         .on_conflict(conflict_target=[cls.username],
                      update={cls.failures: cls.failures + 1, cls.last_failure: utcnow()})
         .execute())

    @classmethod
    def succeeded(cls, username):
        cls.delete().where(cls.username == username.lower()).execute()


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


def notify(users, estate, kind, title, body="", link=""):
    """Raise one alert for each user; the one call every feature uses."""
    rows = [{"user": u, "estate": estate, "kind": kind, "title": title, "body": body,
             "link": link} for u in users]
    if rows:
        Notification.insert_many(rows).execute()
    return len(rows)


CORE = MigrationGroup("core", [Estate, Building, Unit, User, UserRole, UserEstate,
                               LoginThrottle, Notification])
