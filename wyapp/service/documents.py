"""Records for the archive: each closed work order (WO-12) and complaint (TS-7) with its
whole timeline and follow-up; major complaints (重大投诉) are filed as their own kind."""
from datetime import timedelta

from ..documents import local_text
from ..features import DocumentKind
from .models import Complaint, ComplaintStep, WorkOrder, WorkOrderStep
from .services import complaint_document, order_document, repeat_complaints

RECHECK = timedelta(days=30)  # closed records whose history moved this recently are re-checked
DESK = frozenset({"desk", "supervisor", "manager"})
ORDER_ROLES = frozenset({"engineer", "desk", "supervisor", "manager"})
ORIGINS = {"patrol_incident": "巡更异常", "inspection_item": "设备日检"}


def _record(estate, model, prefix, key):
    """The record a key like "WO-12" names, in this estate; None for anything else."""
    head, _, number = (key or "").partition("-")
    if head != prefix or not number.isdigit():
        return None
    return model.get_or_none(model.id == int(number), model.estate == estate)


def _timeline(estate, rows):
    return [{"step": t["step"], "actor": t["actor"], "at": local_text(estate, t["at"]),
             "note": t["note"]} for t in rows]


def collect_order(estate, key):
    order = _record(estate, WorkOrder, "WO", key)
    if order is None or order.status != "关闭":
        return None
    document = order_document(order)
    return {
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
        complaint = _record(estate, Complaint, "TS", key)
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
    moved = WorkOrderStep.select(WorkOrderStep.order).where(WorkOrderStep.at >= now - RECHECK)
    return [f"WO-{o.id}" for o in WorkOrder.select(WorkOrder.id).where(
        WorkOrder.estate == estate, WorkOrder.status == "关闭", WorkOrder.id.in_(moved))
        .order_by(WorkOrder.id)]


def _due_complaints(major):
    def due(estate, now):
        moved = (ComplaintStep.select(ComplaintStep.complaint)
                 .where(ComplaintStep.at >= now - RECHECK))
        return [f"TS-{c.id}" for c in Complaint.select(Complaint.id).where(
            Complaint.estate == estate, Complaint.status == "已关闭", Complaint.major == major,
            Complaint.id.in_(moved) | (Complaint.closed_at >= now - RECHECK))
            .order_by(Complaint.id)]
    return due


RECORD_SECTIONS = {"timeline": "处理记录", "satisfaction": "回访", "description": "报修内容",
                   "content": "投诉内容", "materials": "使用材料", "state": "状态"}

WORK_ORDER_RECORD = DocumentKind(
    code="service_order", title="报修工单记录", template="pdf/service_order_record.html",
    collect=collect_order, cadence="record", due=due_orders, roles=ORDER_ROLES,
    signatures=("维修人员", "回访人", "审核人"), group="工单", sections=RECORD_SECTIONS)

COMPLAINT_RECORD = DocumentKind(
    code="service_complaint", title="投诉处理记录", template="pdf/service_complaint_record.html",
    collect=_complaint_collector(False), cadence="record", due=_due_complaints(False),
    roles=DESK, signatures=("责任人", "回访人", "审核人"), group="投诉",
    sections=RECORD_SECTIONS)

MAJOR_COMPLAINT_RECORD = DocumentKind(
    code="service_major_complaint", title="重大投诉处理记录",
    template="pdf/service_complaint_record.html", collect=_complaint_collector(True),
    cadence="record", due=_due_complaints(True), roles=frozenset({"supervisor", "manager"}),
    signatures=("责任人", "回访人", "主管", "经理"), group="重大投诉",
    sections=RECORD_SECTIONS)
