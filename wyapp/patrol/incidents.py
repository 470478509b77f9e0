"""巡更异常: what a guard reports on patrol, a supervisor's comments, closing it, or turning
it into a repair work order through the service desk's one named call."""
from peewee import IntegrityError

from ..db import db
from ..errors import DomainError
from .models import Incident, IncidentComment, IncidentPhoto

HANDLED = "这条异常已经处理过了。"


def incident_by_key(user, client_id):
    """The incident already reported with this Idempotency-Key by this user, if any."""
    if not client_id:
        return None
    return Incident.get_or_none(Incident.client_id == client_id, Incident.reported_by == user)


def report_incident(estate, user, category, text, now, photos=(), checkpoint=None,
                    round_row=None, client_id=None, device_at=None, queued=False):
    """Record an incident at `now` (naive UTC), once per client id (a retried upload returns
    the first one). photos: saved Photo rows; device_at: when it was reported by the phone's
    clock (naive UTC); queued: sent later from the offline queue. Returns the Incident."""
    try:
        with db.atomic():
            incident = Incident.create(estate=estate, reported_by=user, checkpoint=checkpoint,
                                       round=round_row, category=category, text=text,
                                       client_id=client_id, device_at=device_at, queued=queued,
                                       created_at=now)
            for photo in photos:
                IncidentPhoto.create(incident=incident, photo=photo)
    except IntegrityError:
        existing = incident_by_key(user, client_id)
        if existing is None:
            raise
        return existing
    return incident


def comment_incident(incident, user, text, now):
    """Add a supervisor's comment to an incident at `now` (naive UTC); returns the
    IncidentComment."""
    with db.atomic():
        return IncidentComment.create(incident=incident, user=user, text=text, created_at=now)


def close_incident(incident, now):
    """Close a pending incident that needs no repair, at `now` (naive UTC).
    Raises DomainError when it was already handled (also a moment ago, by another request:
    the UPDATE is conditional, as in incident_to_work_order)."""
    if incident.status != "待处理":
        raise DomainError(HANDLED)
    with db.atomic():
        closed = (Incident.update(status="已关闭", closed_at=now)
                  .where(Incident.id == incident.id, Incident.status == "待处理").execute())
    if not closed:
        raise DomainError(HANDLED)
    incident.status, incident.closed_at = "已关闭", now


def incident_to_work_order(incident, user, now):
    """Turn a pending incident into a repair work order through the service desk's one
    domain call (service.orders.create_work_order; the order links back to the incident).
    Closes the incident as 已转工单 at `now` (naive UTC) and returns the WorkOrder. Raises
    DomainError when it was already handled, or the service desk's own DomainError.

    The incident is claimed first by a conditional UPDATE (status still 待处理): of
    concurrent requests one claims it, the others' UPDATE (waiting on PostgreSQL for the
    row, on SQLite for the write lock) changes nothing and they are told it was handled."""
    from ..service.orders import create_work_order  # the feature's one named call

    if incident.status != "待处理":
        raise DomainError(HANDLED)
    place = incident.checkpoint.name if incident.checkpoint else ""
    category = {"消防": "消防", "设施损坏": "公共设施"}.get(incident.category, "其他")
    with db.atomic():
        claimed = (Incident.update(status="已转工单", closed_at=now)
                   .where(Incident.id == incident.id, Incident.status == "待处理").execute())
        if not claimed:
            raise DomainError(HANDLED)
        order = create_work_order(
            incident.estate, source="巡更异常", reported_by=user, category=category,
            description=f"【{incident.category}】{incident.text}", place=place,
            photos=[p.photo for p in incident.photo_rows],
            origin=("patrol_incident", incident.id))
        Incident.update(work_order_id=order.id).where(Incident.id == incident.id).execute()
    incident.status, incident.closed_at, incident.work_order_id = "已转工单", now, order.id
    return order
