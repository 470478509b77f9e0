"""Demo data: estate 示范花园, its buildings and units, one account per role.

Running it twice changes nothing; each feature adds its own demo data through
Feature.demo(estate, users, now), which must be just as idempotent and places its records
relative to `now` (naive UTC), never reading the machine's clock itself.
"""
from functools import cache

from werkzeug.security import generate_password_hash

from .db import db, utcnow
from .models import Building, Estate, Unit, User

PASSWORD = "wyapp-demo"  # noqa: S105 — the documented demo password
USERS = [
    ("admin", "系统管理员", ["admin"]),
    ("manager", "王经理", ["manager"]),
    ("supervisor", "李主管", ["supervisor"]),
    ("guard", "张保安", ["guard"]),
    ("gate", "赵门岗", ["gate"]),
    ("engineer", "陈工", ["engineer"]),
    ("desk", "刘客服", ["desk"]),
]
USERNAMES = [u for u, _, _ in USERS]


@cache
def _password_hash():
    """The demo accounts share one password, so they share one hash, made once per process:
    scrypt takes about 0.13 s a time, and the tests make the demo for nearly every test."""
    return generate_password_hash(PASSWORD)


def create(features, now=None):
    """Make the demo estate, its units and accounts, then each feature's demo data as of
    `now` (naive UTC; the `wyapp demo` command passes None: the current time). Idempotent.
    Returns the estate."""
    now = now or utcnow()
    with db.atomic():
        estate, _ = Estate.get_or_create(name="示范花园",
                                         defaults={"address": "示范市示范路 88 号"})
        for b in range(1, 4):
            building, _ = Building.get_or_create(estate=estate, name=f"{b}号楼")
            for floor in range(1, 7):
                for door in (1, 2):
                    Unit.get_or_create(estate=estate, building=building,
                                       number=f"{floor}{door:02d}", defaults={"floor": floor})
        users = {}
        for username, name, roles in USERS:
            user = User.get_or_none(User.username == username)
            if user is None:
                user = User(username=username, display_name=name,
                            password_hash=_password_hash())
                user.save()
                user.set_roles(roles)
                user.set_estates([estate])
            users[username] = user
        for feature in features:
            if feature.demo is not None:
                feature.demo(estate, users, now)
    return estate
