"""Gate records for tests: visits, vehicles, invitations, release slips, watchlist entries.

Each factory goes through the gate's own domain call (so a record is what the booth or the
desk would have made), runs inside `in_db()`, and returns the row. Times are naive UTC and
default to the current (test) instant; days are the estate's dates.
"""
from wyapp.db import utcnow
from wyapp.gate.goods import issue_slip
from wyapp.gate.invitations import create_invitation
from wyapp.gate.vehicles import vehicle_in, vehicle_out
from wyapp.gate.visits import register_visit, sign_out
from wyapp.gate.watchlist import add_watch
from wyapp.models import User

from . import user as make_user


def staff(estate, username):
    """The account `username` (the office's gate, desk, supervisor …), or a new one with that
    role in `estate` when the database has none."""
    return User.get_or_none(User.username == username) or make_user(
        f"{username}-{estate.id}", roles=(username,), estates=[estate])


def visit_data(**changes):
    """Cleaned registration values (what VisitForm.data holds) with ordinary defaults."""
    return {"name": "王小明", "phone": "13912345678", "unit": "1-101", "host": "",
            "purpose": "探亲访友", "party_size": 1, "plate": "", "id_number": "", "note": "",
            "invitation": "", **changes}


def visit(estate, *, at=None, left=None, by=None, key=None, **changes):
    """A visit registered at `at` (default: now), signed out at `left` if given."""
    by = by or staff(estate, "gate")
    made, _, _ = register_visit(estate, by, visit_data(**changes), now=at or utcnow(),
                                idempotency_key=key)
    if left is not None:
        sign_out(made, by, left)
    return made


def vehicle(estate, plate="粤B12345", kind="业主", *, at=None, left=None, by=None):
    """A vehicle entered at `at` (default: now), out at `left` if given."""
    entry, _ = vehicle_in(estate, by or staff(estate, "gate"), plate, kind, now=at or utcnow())
    if left is not None:
        vehicle_out(entry, left)
    return entry


def invitation(estate, first_day=None, last_day=None, *, by=None, **changes):
    """An invitation valid from `first_day` to `last_day` (default: the estate's today)."""
    first_day = first_day or estate.today(utcnow())
    data = {"name": "林晓", "phone": "13687654321", "unit": "1-301", "purpose": "探亲访友",
            "party_size": 2, "plate": "", "note": "", **changes,
            "valid_from": first_day, "valid_to": last_day or first_day}
    return create_invitation(estate, by or staff(estate, "desk"), data)


def slip(estate, valid_on=None, *, by=None, **changes):
    """A release slip for `valid_on` (default: the estate's today)."""
    data = {"unit": "2-502", "applicant": "马先生", "items": "沙发 1\n冰箱 1",
            "approved_by": "王经理", "note": "", **changes,
            "valid_on": valid_on or estate.today(utcnow())}
    return issue_slip(estate, by or staff(estate, "desk"), data)


def watch(estate, reason="曾冒充快递员进入小区，发现后请通知主管", *, by=None, **values):
    """A watchlist entry (name, phone, id_number, plate as given; default a name)."""
    values = values or {"name": "钱某"}
    return add_watch(estate, by or staff(estate, "supervisor"), reason=reason, **values)
