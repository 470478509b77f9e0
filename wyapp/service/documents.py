"""The service desk's documents: what a work order's and a complaint's PDF show, and the
records it hands the archive: each closed work order and complaint with its whole timeline
and follow-up; major complaints (重大投诉) are filed as their own kind.

The archive files a record under a key of its own, "WO-12" / "TS-7" (its period). Those keys
are stored in the archive's hash-chained index, so they stay as they are: they are internal.
People see the record's number (BX000012, TS000007): each kind's `label` (record_label)
turns the key into it for the archive's list and the PDF's period line.
"""
from datetime import timedelta

from ..documents import local_text
from ..features import DocumentKind
from .complaints import complaint_timeline, repeat_complaints
from .models import Complaint, ComplaintStep, WorkOrder, WorkOrderStep
from .orders import order_photos, order_timeline

RECHECK = timedelta(days=30)  # closed records whose history moved this recently are re-checked
DESK = frozenset({"desk", "supervisor", "manager"})
ORDER_ROLES = frozenset({"engineer", "desk", "supervisor", "manager"})
ORIGINS = {"patrol_incident": "巡更异常", "inspection_item": "设备日检"}


KEY_PREFIX = {WorkOrder: "WO", Complaint: "TS"}  # the archive's keys: "WO-12", "TS-7"


def order_document(order):
    """Everything an order's PDF shows: the record, its photos and its whole timeline."""
    return {"order": order, "timeline": order_timeline(order), "photos": order_photos(order)}


def complaint_document(complaint):
    """Everything a complaint's PDF shows; `major` complaints go to their own file group."""
    return {"complaint": complaint, "timeline": complaint_timeline(complaint),
            "file_group": "重大投诉" if complaint.major else "投诉"}


def record_key(record):
    """The archive's key for a work order or complaint ("WO-12"): internal, never shown."""
    return f"{KEY_PREFIX[type(record)]}-{record.id}"


def _key_id(prefix, key):
    head, _, number = (key or "").partition("-")
    return int(number) if head == prefix and number.isdigit() and len(number) < 19 else None


def record_label(key):
    """What people read for an archive key: "WO-12" → BX000012, "TS-7" → TS000007; any
    other text as it is."""
    for model, prefix in KEY_PREFIX.items():
        record_id = _key_id(prefix, key)
        if record_id is not None:
            return model(id=record_id).code
    return key


def _record(estate, model, key):
    """The record a key like "WO-12" names, in this estate; None for anything else."""
    record_id = _key_id(KEY_PREFIX[model], key)
    if record_id is None:
        return None
    return model.get_or_none(model.id == record_id, model.estate == estate)


def _timeline(estate, rows):
    """Timeline rows as archived: a 完工's materials close its note ("…\n材料：…"), the way
    the records filed before materials had their own column read."""
    return [{"step": t["step"], "actor": t["actor"], "at": local_text(estate, t["at"]),
             "note": t["note"] + (f"\n材料：{t['materials']}" if t.get("materials") else "")}
            for t in rows]


def collect_order(estate, key):
    """A closed order's archived data (JSON-able, times as the estate's wall time); None
    when `key` names no closed order of this estate."""
    order = _record(estate, WorkOrder, key)
    if order is None or order.status != "关闭":
        return None
    document = order_document(order)
    # the caller and the appointment only where registered: the records filed before they
    # existed keep the same data (a changed record would be filed again as a new version)
    caller = {"caller": f"{order.caller_name} {order.caller_phone}".strip()} if (
        order.caller_name or order.caller_phone) else {}
    if order.appointment_at:
        caller["appointment_at"] = local_text(estate, order.appointment_at)
    return {**caller,
        "key": key, "code": order.code, "state": order.state, "source": order.source,
        "category": order.category, "paid": order.paid, "priority": order.priority,
        "where": order.where, "description": order.description,
        "reported_by": order.reported_by.display_name if order.reported_by_id else "",
        "created_at": local_text(estate, order.created_at),
        "due_at": local_text(estate, order.due_at), "late": order.finished_late(),
        "assignee": order.assignee.display_name if order.assignee_id else "",
        "completed_at": local_text(estate, order.completed_at),
        "completion_note": order.completion_note, "materials": order.materials,
        "satisfaction": order.satisfaction, "reopened": order.reopen_count,
        "closed_at": local_text(estate, order.closed_at),
        "origin": (f"{ORIGINS.get(order.origin_kind, order.origin_kind)} #{order.origin_id}"
                   if order.origin_kind else ""),
        "timeline": _timeline(estate, document["timeline"]),
        "photos": [p.id for p in document["photos"]],
    }


def _complaint_collector(major):
    def collect(estate, key):
        complaint = _record(estate, Complaint, key)
        if complaint is None or complaint.status != "已关闭" or complaint.major != major:
            return None
        document = complaint_document(complaint)
        return {
            "key": key, "code": complaint.code, "group": document["file_group"],
            "status": complaint.status, "who": complaint.who, "phone": complaint.phone,
            "channel": complaint.channel, "neighbour_dispute": complaint.neighbour_dispute,
            "cause": complaint.cause.name if complaint.cause_id else "未分类",
            "event": complaint.event.title if complaint.event_id else "",
            "received_by": (complaint.received_by.display_name
                            if complaint.received_by_id else ""),
            "received_at": local_text(estate, complaint.received_at),
            "owner": complaint.owner.display_name if complaint.owner_id else "",
            "due_at": local_text(estate, complaint.due_at),
            "was_overdue": complaint.was_overdue,
            "first_reply_at": local_text(estate, complaint.first_reply_at),
            "handled_at": local_text(estate, complaint.handled_at),
            "needs_followup": complaint.needs_followup,
            "satisfaction": complaint.satisfaction,
            "closed_at": local_text(estate, complaint.closed_at),
            "close_reason": complaint.close_reason, "content": complaint.content,
            "timeline": _timeline(estate, document["timeline"]),
            "repeats": [c.code for c in repeat_complaints(complaint)],
        }
    return collect


def due_orders(estate, now):
    """The keys of the estate's closed orders whose timeline moved in the last 30 days."""
    moved = WorkOrderStep.select(WorkOrderStep.order).where(WorkOrderStep.at >= now - RECHECK)
    return [record_key(o) for o in WorkOrder.select(WorkOrder.id).where(
        WorkOrder.estate == estate, WorkOrder.status == "关闭", WorkOrder.id.in_(moved))
        .order_by(WorkOrder.id)]


def _due_complaints(major):
    def due(estate, now):
        moved = (ComplaintStep.select(ComplaintStep.complaint)
                 .where(ComplaintStep.at >= now - RECHECK))
        return [record_key(c) for c in Complaint.select(Complaint.id).where(
            Complaint.estate == estate, Complaint.status == "已关闭", Complaint.major == major,
            Complaint.id.in_(moved) | (Complaint.closed_at >= now - RECHECK))
            .order_by(Complaint.id)]
    return due


RECORD_SECTIONS = {"timeline": "处理记录", "satisfaction": "回访", "description": "报修内容",
                   "content": "投诉内容", "materials": "使用材料", "state": "状态"}

WORK_ORDER_RECORD = DocumentKind(
    code="service_order", title="报修工单记录", template="pdf/service_order_record.html",
    collect=collect_order, cadence="record", due=due_orders, label=record_label,
    roles=ORDER_ROLES, signatures=("维修人员", "回访人", "审核人"), group="工单",
    sections=RECORD_SECTIONS)

COMPLAINT_RECORD = DocumentKind(
    code="service_complaint", title="投诉处理记录", template="pdf/service_complaint_record.html",
    collect=_complaint_collector(False), cadence="record", due=_due_complaints(False),
    label=record_label, roles=DESK, signatures=("责任人", "回访人", "审核人"), group="投诉",
    sections=RECORD_SECTIONS)

MAJOR_COMPLAINT_RECORD = DocumentKind(
    code="service_major_complaint", title="重大投诉处理记录",
    template="pdf/service_complaint_record.html", collect=_complaint_collector(True),
    cadence="record", due=_due_complaints(True), label=record_label,
    roles=frozenset({"supervisor", "manager"}), signatures=("责任人", "回访人", "主管", "经理"),
    group="重大投诉", sections=RECORD_SECTIONS)
