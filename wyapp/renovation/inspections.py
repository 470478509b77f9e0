"""装修巡查 and 验收, on the inspection feature's checklist engine (versioned checklists),
violations followed until 整改完成, and the periodic alerts for overdue inspections and
rectifications.

Each estate gets two checklists made on first use, 装修巡查 (作业时间, 垃圾清运, 消防,
防水闭水试验, 违规拆改, 其他) and 装修验收; supervisors edit them with the checklist pages like
any other (a change makes a new version). An inspection keeps the version it was filled
against and a copy of each item's label, so an old record shows what was asked.
"""
from datetime import timedelta

from ..errors import DomainError, NotAllowed
from ..inspection.checklists import add_item, create_checklist
from ..inspection.models import Checklist
from ..models import Estate, User, notify
from .applications import log
from .flow import INSPECTORS, _move
from .models import (
    ACCEPTANCE_ITEMS,
    AWAITING,
    FAILED,
    FINISHED,
    INSPECTION_ITEMS,
    UNDER_WAY,
    Inspection,
    InspectionResult,
    Renovation,
    RenovationPhoto,
    RenovationSettings,
    Violation,
)

KINDS = {"巡查": ("装修巡查检查表", INSPECTION_ITEMS, "inspection_checklist"),
         "验收": ("装修验收检查表", ACCEPTANCE_ITEMS, "acceptance_checklist")}
RECTIFY_DAYS = 3  # default deadline offered for a violation


def checklist_for(estate, kind, user=None):
    """The estate's Checklist for `kind` (巡查 | 验收), made with its default items on first
    use and remembered in the estate's renovation settings."""
    name, items, column = KINDS[kind]
    settings = RenovationSettings.of(estate)
    checklist_id = getattr(settings, column)
    checklist = (Checklist.get_or_none(Checklist.id == checklist_id, Checklist.estate == estate)
                 if checklist_id else None)
    if checklist is None:
        checklist = create_checklist(estate, user, name, category="其他")
        for label in items:
            add_item(checklist, user, kind="pass_fail", label=label, unit="", min_value=None,
                     max_value=None, choices="", abnormal_choices="", required=True)
        setattr(settings, column, checklist.id)
        settings.save()
    return checklist


def checklist_items(estate, kind, user=None):
    """(version, [ChecklistItem]) that a new inspection of `kind` is filled against."""
    version = checklist_for(estate, kind, user).current_version()
    return version, list(version.ordered_items())


def record(renovation, kind, by, now, answers, deadline=None, note="", photos=()):
    """Record a 巡查 or a 验收 of `renovation` by `by` at `now` (naive UTC).

    `answers`: {item key: (ok: bool, note: str)} for every item of the current checklist
    version; an item not ok is a violation (巡查: with `deadline`, an estate date, and the
    item's note as its description, followed until 整改完成) or a point to fix (验收: the
    renovation goes to 验收未通过 with the list; all ok → 已完工（押金待退）).
    `photos`: saved Photos. Raises NotAllowed (role), DomainError (state, missing answers)."""
    if not by.has_role(*INSPECTORS):
        raise NotAllowed("装修巡查和验收由主管或工程人员办理。")
    estate = renovation.estate
    if kind == "巡查" and renovation.status not in UNDER_WAY:
        raise DomainError(f"装修当前为“{renovation.state}”，不在施工中，无需巡查。")
    if kind == "验收" and renovation.status != AWAITING:
        raise DomainError(f"装修当前为“{renovation.state}”，还没有申请验收。")
    version, items = checklist_items(estate, kind, by)
    missing = [i.label for i in items if i.key not in answers]
    if missing:
        raise DomainError(f"请逐项选择：{'、'.join(missing)}。")
    failed = [i for i in items if not answers[i.key][0]]
    if kind == "巡查" and failed:
        if deadline is None:
            raise DomainError("有违规项时请填写整改期限。", "deadline")
        if deadline < estate.today(now):
            raise DomainError("整改期限不能早于今天。", "deadline")
        blank = [i.label for i in failed if not answers[i.key][1]]
        if blank:
            raise DomainError(f"请写明违规情况：{'、'.join(blank)}。")
    inspection = Inspection.create(renovation=renovation, kind=kind, checklist_version=version.id,
                                   inspector=by, at=now, passed=not failed, note=note)
    InspectionResult.insert_many([
        {"inspection": inspection, "item_key": i.key, "label": i.label,
         "ok": answers[i.key][0], "note": answers[i.key][1][:500]} for i in items]).execute()
    for photo in photos:
        RenovationPhoto.create(renovation=renovation, photo=photo, stage=kind,
                               inspection=inspection)
    if kind == "巡查":
        for item in failed:
            Violation.create(renovation=renovation, inspection=inspection, item=item.label,
                             description=answers[item.key][1], deadline=deadline, found_at=now)
        every = RenovationSettings.of(estate).inspect_every_days
        Renovation.update(next_inspection=estate.today(now) + timedelta(days=every)).where(
            Renovation.id == renovation.id).execute()
        text = "；".join(f"{i.label}违规：{answers[i.key][1]}" for i in failed)
        log(renovation, "装修巡查", by, now,
            (f"{text}；整改期限 {deadline:%Y-%m-%d}" if failed else "全部合格") +
            (f"；照片 {len(photos)} 张" if photos else "") + (f"。{note}" if note else ""))
        return inspection
    if failed:
        _move(renovation, (AWAITING,), FAILED)
        log(renovation, "验收不通过", by, now, "待整改：" + "；".join(
            f"{i.label}" + (f"（{answers[i.key][1]}）" if answers[i.key][1] else "")
            for i in failed))
    else:
        _move(renovation, (AWAITING,), FINISHED, accepted_at=now)
        log(renovation, "验收通过", by, now, note or "已完工，押金待退")
    return inspection


def rectify(violation, by, now, note=""):
    """整改完成: an inspector confirms the violation was put right."""
    if not by.has_role(*INSPECTORS):
        raise NotAllowed("整改由主管或工程人员确认。")
    changed = (Violation.update(status="整改完成", rectified_at=now, rectified_by=by,
                                rectify_note=note)
               .where(Violation.id == violation.id, Violation.status == "待整改").execute())
    if not changed:
        raise DomainError("这项违规已经确认整改完成。")
    log(violation.renovation, "整改完成", by, now, f"{violation.item}" +
        (f"：{note}" if note else ""))


def fix_list(renovation):
    """What the last failed 验收 asked to fix ([labels]); [] unless 验收未通过."""
    if renovation.status != FAILED:
        return []
    last = (Inspection.select().where(Inspection.renovation == renovation,
                                      Inspection.kind == "验收")
            .order_by(Inspection.at.desc(), Inspection.id.desc()).first())
    if last is None:
        return []
    return [f"{r.label}" + (f"（{r.note}）" if r.note else "")
            for r in last.results.where(InspectionResult.ok == False)]  # noqa: E712


def _inspectors(estate):
    return User.with_role(estate, "supervisor", "engineer")


def alert_overdue(now):
    """Periodic job: one alert per renovation whose 装修巡查 is past due (once per due date),
    and one per violation past its rectification deadline (once), each by its estate's
    date at `now` (naive UTC); returns how many. Safe run twice or on two workers at once:
    each alert is claimed by a conditional UPDATE first."""
    raised = 0
    # no estate's date is later than UTC's + 14 hours: only what is past due somewhere is
    # read, with its estate (issue 23: the minute's job reads nothing when nothing is late)
    latest = (now + timedelta(hours=14)).date()
    late = (Renovation.select(Renovation, Estate).join(Estate)
            .where(Renovation.status.in_(UNDER_WAY), Renovation.next_inspection < latest,
                   Renovation.inspection_alerted_on.is_null()
                   | (Renovation.inspection_alerted_on != Renovation.next_inspection))
            .order_by(Renovation.id))
    for renovation in late:
        estate = renovation.estate
        due = renovation.next_inspection
        if estate.today(now) <= due or renovation.inspection_alerted_on == due:
            continue
        # conditional: a second worker running the job at once finds it taken
        if not Renovation.update(inspection_alerted_on=due).where(
                Renovation.id == renovation.id,
                Renovation.inspection_alerted_on.is_null()
                | (Renovation.inspection_alerted_on != due)).execute():
            continue
        notify(_inspectors(estate), estate, "renovation_inspection_overdue",
               f"装修巡查逾期：{renovation.unit.label}（{renovation.code}）",
               f"应于 {due:%Y-%m-%d} 巡查", f"/renovation/{renovation.id}")
        raised += 1
    overdue = (Violation.select(Violation, Renovation, Estate).join(Renovation).join(Estate)
               .where(Violation.status == "待整改", Violation.overdue_alerted_at.is_null(),
                      Violation.deadline < latest)
               .order_by(Violation.id))
    for violation in overdue:
        renovation = violation.renovation
        estate = renovation.estate
        if estate.today(now) <= violation.deadline:
            continue
        if not Violation.update(overdue_alerted_at=now).where(
                Violation.id == violation.id, Violation.overdue_alerted_at.is_null()).execute():
            continue
        notify(_inspectors(estate), estate, "renovation_rectify_overdue",
               f"装修整改逾期：{renovation.unit.label} {violation.item}",
               f"整改期限 {violation.deadline:%Y-%m-%d}：{violation.description}",
               f"/renovation/{renovation.id}")
        raised += 1
    return raised

