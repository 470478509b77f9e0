"""Service-desk records for tests: work orders, complaints, root causes, staff.

Each factory runs inside the app with a connection (`in_db`), makes its row through the
service desk's own domain calls (so the timeline, due time and alerts are what the pages
make), then sets any state the test asks for directly, and returns the row as stored.
"""
from datetime import timedelta

from wyapp.db import utcnow
from wyapp.models import Estate, Unit, User
from wyapp.service.causes import causes_of
from wyapp.service.complaints import create_complaint
from wyapp.service.models import ComplaintCause, WorkOrder
from wyapp.service.orders import create_work_order


def staff(username):
    """An account of the office (factories.office()): admin, desk, engineer, supervisor …"""
    return User.get(User.username == username)


def home():
    """The office's estate, 示范花园."""
    return Estate.get(Estate.name == "示范花园")


def work_order(estate=None, *, now=None, **fields):
    """A registered repair (登记) in `estate` (default: the office's), reported by the desk
    at `now` (naive UTC; default: the clock) for unit 1-101, 水, 普通.

    Keys create_work_order takes (source, description, category, priority, unit, place,
    photos, origin, paid, reported_by) go to it; any other column (status, assignee,
    due_at …) is then set on the row as it is, the way an order that went through the flow
    would hold it."""
    estate = estate or home()
    made = {"source": "业主来电", "description": "厨房水龙头漏水", "category": "水"}
    takes = {"source", "description", "category", "priority", "unit", "place", "photos",
             "origin", "paid", "reported_by"}
    made.update({k: v for k, v in fields.items() if k in takes})
    made.setdefault("reported_by", staff("desk"))
    if "unit" not in made and not made.get("place"):
        made["unit"] = Unit.find(estate, "1-101")
    order = create_work_order(estate, now=now or utcnow(), **made)
    state = {k: v for k, v in fields.items() if k not in takes}
    if state:
        WorkOrder.update(**state).where(WorkOrder.id == order.id).execute()
    return WorkOrder.get_by_id(order.id)


def complaint(estate=None, *, now=None, **fields):
    """A complaint received (受理) by the desk at `now` (naive UTC; default: the clock) from
    王女士 by phone about noise; any create_complaint keyword overrides a default."""
    estate = estate or home()
    now = now or utcnow()
    args = {"channel": "来电", "content": "楼上装修噪音太大", "received_by": staff("desk"),
            "name": "王女士", "phone": "13800138000", **fields}
    return create_complaint(estate, now=now, **args)


def cause(estate=None, name="环境卫生"):
    """A root-cause category of `estate` by name (the office's defaults are seeded on first
    use; another name is added)."""
    estate = estate or home()
    found = next((c for c in causes_of(estate) if c.name == name), None)
    return found or ComplaintCause.create(estate=estate, name=name, position=99)


def overdue_by(record, hours=1, now=None):
    """Move an open order's or complaint's due time `hours` before `now`; returns the row."""
    model = type(record)
    due = (now or utcnow()) - timedelta(hours=hours)
    model.update(due_at=due).where(model.id == record.id).execute()
    return model.get_by_id(record.id)

