"""The renovation's documents: the 装修许可证 (A4, posted at the door, QR to the permit's
public page), the 押金退还单 the owner signs, and the 装修档案 the archive files for each
closed renovation (PDF/A with JSON: application, approval, inspections, violations,
acceptance, refund).

The permit and its public page carry no personal data: unit, allowed work, allowed hours,
dates, company, the office's phone — never the owner's or a worker's name, phone or ID.
"""
from datetime import timedelta

from peewee import JOIN

from ..documents import local_text
from ..features import DocumentKind
from ..models import User, record_number
from .applications import hours_text
from .flow import deducted, refund_due
from .models import (
    AWAITING,
    CLOSED,
    UNDER_WAY,
    Deduction,
    Inspection,
    Renovation,
    RenovationSettings,
    Step,
    Violation,
)

RECHECK = timedelta(days=30)
KEY = "ZX"  # the archive's key of a renovation: "ZX-3" (internal; people read ZX000003)


def permit_facts(renovation, now=None):
    """What the permit and its public page show (no personal data): a dict of text. With
    `now` (naive UTC; the public page) `valid` holds only on the estate's days from the
    planned start to the end date: a neighbour scanning the door after the end date reads
    已超期, before the start 未到开工日期."""
    settings = RenovationSettings.of(renovation.estate)
    state, valid = renovation.state, renovation.status in UNDER_WAY
    if valid and now is not None:
        today = renovation.estate.today(now)
        if today > renovation.end_date and renovation.status == AWAITING:
            valid = False  # reported done in time or not, the work waits for acceptance
        elif today > renovation.end_date:
            state, valid = f"已超期（应于 {renovation.end_date:%Y-%m-%d} 前完工）", False
        elif today < renovation.planned_start:
            state, valid = "未到开工日期", False
    scope = "、".join(renovation.scope_items)
    return {"code": renovation.code, "unit": renovation.unit.label,
            "estate": renovation.estate.name, "scope": scope,
            "scope_text": renovation.scope_text, "hours": hours_text(settings),
            "holidays": "公共假日（" + "、".join(settings.holiday_list()) + "）不得施工"
            if settings.holiday_list() else "公共假日不得施工",
            "start": f"{renovation.planned_start:%Y-%m-%d}",
            "end": f"{renovation.end_date:%Y-%m-%d}", "company": renovation.company,
            "licence_no": renovation.licence_no, "state": state, "valid": valid,
            "conditions": renovation.conditions,
            "office_phone": settings.office_phone or "请咨询物业服务中心"}


def refund_facts(renovation):
    """The 押金退还单's lines: deposit, each deduction with its violation, the refund."""
    rows = [{"item": d.violation.item, "description": d.violation.description,
             "found": local_text(renovation.estate, d.violation.found_at, "%Y-%m-%d"),
             "amount": f"{d.amount:.2f}", "reason": d.reason}
            for d in renovation.deductions.order_by(Deduction.id)]
    return {"deposit": f"{renovation.deposit:.2f}", "deductions": rows,
            "deducted": f"{deducted(renovation):.2f}",
            "refund": f"{(renovation.refund_amount if renovation.refund_amount is not None else refund_due(renovation)):.2f}",  # noqa: E501
            "refunded_at": local_text(renovation.estate, renovation.refunded_at),
            "refunded_by": renovation.refunded_by.display_name if renovation.refunded_by_id
            else ""}


def timeline(renovation):
    """The renovation's timeline, oldest first: [{step, actor, at (naive UTC), note}]."""
    steps = (Step.select(Step, User).join(User, JOIN.LEFT_OUTER, on=(Step.actor == User.id))
             .where(Step.renovation == renovation).order_by(Step.at, Step.id))
    return [{"step": s.step, "actor": s.actor.display_name if s.actor_id else "系统",
             "at": s.at, "note": s.note} for s in steps]


def record_label(key):
    """"ZX-3" → ZX000003; other text as it is."""
    head, _, number = (key or "").partition("-")
    if head == KEY and number.isdigit() and len(number) < 19:
        return record_number(KEY, int(number))
    return key


def collect(estate, key):
    """A closed renovation's archived data (JSON-able, times as estate wall time), or None."""
    head, _, number = (key or "").partition("-")
    if head != KEY or not number.isdigit() or len(number) >= 19:
        return None
    r = Renovation.get_or_none(Renovation.id == int(number), Renovation.estate == estate)
    if r is None or r.status != CLOSED:
        return None
    at = lambda moment: local_text(estate, moment)  # noqa: E731
    inspections = []
    for i in r.inspections.order_by(Inspection.at, Inspection.id):
        inspections.append({
            "kind": i.kind, "at": at(i.at), "passed": i.passed, "note": i.note,
            "inspector": i.inspector.display_name if i.inspector_id else "",
            "results": [{"label": x.label, "ok": x.ok, "note": x.note}
                      for x in i.results.order_by(1)]})
    return {
        "key": key, "code": r.code, "unit": r.unit.label, "status": r.state,
        "application": {"owner": r.owner_name, "owner_phone": r.owner_phone,
                        "company": r.company, "company_person": r.company_person,
                        "company_phone": r.company_phone, "licence_no": r.licence_no,
                        "scope": r.scope_items, "scope_text": r.scope_text,
                        "planned": f"{r.planned_start:%Y-%m-%d} 至 {r.planned_end:%Y-%m-%d}",
                        "applied_at": at(r.applied_at),
                        "workers": [{"name": w.name, "id": w.id_masked}
                                    for w in r.workers.order_by(1)]},
        "approval": {"by": r.decided_by.display_name if r.decided_by_id else "",
                     "at": at(r.decided_at), "conditions": r.conditions,
                     "refusal": r.refusal, "end_date": f"{r.end_date:%Y-%m-%d}"},
        "inspections": inspections,
        "violations": [{"item": v.item, "description": v.description,
                        "deadline": f"{v.deadline:%Y-%m-%d}", "status": v.status,
                        "rectified_at": at(v.rectified_at)}
                       for v in r.violations.order_by(Violation.id)],
        "acceptance": at(r.accepted_at),
        "refund": refund_facts(r) if r.refunded_at else None,
        "timeline": [{"step": t["step"], "actor": t["actor"], "at": at(t["at"]),
                      "note": t["note"]} for t in timeline(r)],
    }


def due(estate, now):
    """Keys of the estate's closed renovations whose timeline moved in the last 30 days."""
    moved = Step.select(Step.renovation).where(Step.at >= now - RECHECK)
    return [f"{KEY}-{r.id}" for r in Renovation.select(Renovation.id).where(
        Renovation.estate == estate, Renovation.status == CLOSED, Renovation.id.in_(moved))
        .order_by(Renovation.id)]


RENOVATION_RECORD = DocumentKind(
    code="renovation_record", title="装修档案", template="renovation/pdf_record.html",
    collect=collect, cadence="record", due=due, label=record_label,
    roles=frozenset({"desk", "supervisor", "manager"}),
    signatures=("经办人", "审核人", "业主"), group="装修档案",
    sections={"application": "申请", "approval": "审批", "inspections": "巡查与验收",
              "violations": "违规整改", "refund": "押金退还", "timeline": "办理记录"})
