"""Factories: each test builds the estate, staff and records it uses, and nothing else.

Core records live here (estates, units, staff); each feature's records live in
tests/factories/<feature>.py (cookiecutter-flask's tests/factories.py is the model). Every
factory runs inside an app context with a connection (the `in_db` fixture) and returns the
row it made. The full demo (wyapp.demo) is built only by the tests of the demo itself.
"""
from functools import cache
from itertools import count

from werkzeug.security import generate_password_hash

from wyapp.db import db
from wyapp.demo import USERS
from wyapp.models import Building, Estate, Unit, User, UserEstate, UserRole

PASSWORD = "wyapp-demo"  # the demo's password, so login("guard") reads the same everywhere
ROLE_ACCOUNTS = USERS  # the demo's accounts: one per role, the same names
_serial = count(1)


@cache
def password_hash(password=PASSWORD):
    """A cheap hash for test accounts: check_password reads the method from the hash, and
    scrypt's 0.13 s on every login would be most of a web test's time. Production accounts
    keep werkzeug's default (the admin and accounts tests check that one)."""
    return generate_password_hash(password, method="pbkdf2:sha256:1000")


def estate(name=None, *, buildings=3, floors=6, doors=2, timezone="Asia/Shanghai", **fields):
    """An estate with `buildings` buildings (1号楼…) of floors × doors units (101, 102, …)."""
    estate = Estate.create(name=name or f"测试小区{next(_serial)}", timezone=timezone, **fields)
    for b in range(1, buildings + 1):
        building = Building.create(estate=estate, name=f"{b}号楼")
        Unit.insert_many([{"estate": estate, "building": building, "number": f"{f}{d:02d}",
                           "floor": f} for f in range(1, floors + 1)
                          for d in range(1, doors + 1)]).execute()
    return estate


def user(username=None, *, roles=("guard",), estates=(), display_name=None, password=PASSWORD,
         **fields):
    """A staff account with `roles`, working in `estates`."""
    username = username or f"user{next(_serial)}"
    account = User.create(username=username, display_name=display_name or username,
                          password_hash=password_hash(password), **fields)
    UserRole.insert_many([{"user": account, "role": r} for r in roles]).execute()
    if estates:
        UserEstate.insert_many([{"user": account, "estate": e} for e in estates]).execute()
    return account


def office(name="示范花园"):
    """The estate most web tests work in (示范花园, 3 buildings × 12 units) and one account
    per role working there: what login("guard") expects. Returns the estate."""
    with db.atomic():
        home = estate(name, address="示范市示范路 88 号")
        for username, display_name, roles in ROLE_ACCOUNTS:
            user(username, roles=roles, estates=[home], display_name=display_name)
    return home


def unit(estate, label="1-101"):
    """An existing unit of `estate` by its 楼栋-房号 label."""
    return Unit.find(estate, label)
