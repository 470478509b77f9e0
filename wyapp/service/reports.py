"""What the service desk counts: the 日盘点 (everything received on one local day, with its
state now), the monthly complaint statistics by root cause, and the home panel's figures.

Days and months are the estate's (Estate.day_bounds / month_bounds); stored times naive UTC.
"""
from peewee import JOIN

from ..db import utcnow
from .causes import causes_of
from .complaints import complaint_badge, complaint_list, complaints_of
from .flow import DESK
from .models import CHANNELS, Complaint, ComplaintCause, ComplaintEvent, WorkOrder
from .orders import order_list, orders_of


def daily_list(estate, day):
    """日盘点: (complaints, orders) received on the estate's local `day` (a date), oldest
    first, each with its state now, so nothing slips."""
    start, end = estate.day_bounds(day)
    complaints = (complaints_of(estate)
                  .where(Complaint.received_at >= start, Complaint.received_at < end)
                  .order_by(Complaint.received_at, Complaint.id))
    orders = (orders_of(estate).where(WorkOrder.created_at >= start, WorkOrder.created_at < end)
              .order_by(WorkOrder.created_at, WorkOrder.id))
    return list(complaints), list(orders)


def _person(complaint):
    """Who complained, for counting people: by phone, else name and unit, else anonymous."""
    if complaint.phone:
        return ("phone", complaint.phone)
    if complaint.name or complaint.unit_id:
        return ("name", complaint.name, complaint.unit_id)
    return ("anonymous", complaint.id)


def _hours(deltas):
    deltas = [d.total_seconds() / 3600 for d in deltas]
    return round(sum(deltas) / len(deltas), 1) if deltas else None


def monthly_stats(estate, year, month, now=None):
    """The complaints received in the estate's local month, counted the office's way: many
    complaints about one event count as one case (件) with how many people and how many
    times; causes are the final root causes. `now` (naive UTC) decides what is overdue.

    Returns {complaints, cases, events, by_cause, by_channel, avg_reply_hours,
    avg_close_hours, overdue, visited, satisfied, satisfaction_rate, major, closed}."""
    now = now or utcnow()
    start, end = estate.month_bounds(year, month)
    rows = list(Complaint.select(Complaint, ComplaintCause, ComplaintEvent)
                .join(ComplaintCause, JOIN.LEFT_OUTER).switch(Complaint)
                .join(ComplaintEvent, JOIN.LEFT_OUTER)
                .where(Complaint.estate == estate, Complaint.received_at >= start,
                       Complaint.received_at < end)
                .order_by(Complaint.received_at, Complaint.id))
    cases = {}
    for c in rows:
        cases.setdefault(("event", c.event_id) if c.event_id else ("one", c.id), []).append(c)
    by_cause = {}
    events = []
    for members in cases.values():
        cause = next((c.cause.name for c in members if c.cause_id), "未分类")
        people = len({_person(c) for c in members})
        row = by_cause.setdefault(cause, {"cause": cause, "cases": 0, "people": 0, "times": 0})
        row["cases"] += 1
        row["people"] += people
        row["times"] += len(members)
        if members[0].event_id:
            events.append({"title": members[0].event.title, "cause": cause, "people": people,
                           "times": len(members)})
    order = [c.name for c in causes_of(estate)]
    by_channel = {ch: sum(1 for c in rows if c.channel == ch) for ch in CHANNELS}
    visited = [c for c in rows if c.satisfaction]
    satisfied = sum(1 for c in visited if c.satisfaction != "不满意")
    return {
        "complaints": len(rows), "cases": len(cases), "events": events,
        "by_cause": sorted(by_cause.values(), key=lambda r: (
            order.index(r["cause"]) if r["cause"] in order else len(order))),
        "by_channel": {k: v for k, v in by_channel.items() if v},
        "avg_reply_hours": _hours([c.first_reply_at - c.received_at for c in rows
                                   if c.first_reply_at]),
        "avg_close_hours": _hours([c.closed_at - c.received_at for c in rows if c.closed_at]),
        "overdue": sum(1 for c in rows if c.was_overdue or c.is_overdue(now)),
        "visited": len(visited),
        "satisfied": satisfied,
        "satisfaction_rate": round(100 * satisfied / len(visited)) if visited else None,
        "major": [c for c in rows if c.major],
        "closed": sum(1 for c in rows if c.status == "已关闭"),
    }


def panel_counts(user, estate, now=None):
    """The figures on a service-desk user's home panel at `now` (naive UTC): my orders and
    complaints; for the desk also what waits for 派单, what is overdue, what needs 回访."""
    now = now or utcnow()
    counts = {"mine": order_list(estate, "mine", user, now).count(),
              "my_complaints": complaint_badge(user, estate)}
    if user.has_role(*DESK):
        counts.update(
            pending=order_list(estate, "pending", user, now).count(),
            overdue=order_list(estate, "overdue", user, now).count(),
            to_visit=WorkOrder.select().where(WorkOrder.estate == estate,
                                              WorkOrder.status == "完工").count(),
            open_complaints=complaint_list(estate, "open", user, now).count(),
            overdue_complaints=complaint_list(estate, "overdue", user, now).count(),
            complaints_to_visit=complaint_list(estate, "handled", user, now).count())
    return counts
