"""Sheets (日检记录): started per plan slot, filled item by item as a draft, evaluated, and
submitted once (per Idempotency-Key) with one work order per abnormal item; corrections of a
submitted sheet are amendments beside the original; the day's sheets for the archive.
"""
from decimal import Decimal

from flask import has_request_context, url_for
from peewee import IntegrityError

from ..db import db, utcnow
from ..errors import DomainError
from ..inputs import parse_number as read_number
from ..models import User, notify, record_number
from ..service.orders import create_work_order, orders_for_origin  # the service desk's calls
from .models import Equipment, Sheet, SheetAmendment, SheetAnswer

WORK_ORDER_CATEGORY = {"供配电": "电", "给排水": "水", "电梯": "电梯", "消防": "消防",
                       "公共照明": "电"}


def start_sheet(plan, period, shift, user):
    """The sheet of a plan's slot (`period` a local date, `shift` 白班/夜班 or ""): the one
    already started, or a new draft against the checklist's current version."""
    existing = Sheet.get_or_none(plan=plan, period=period, shift=shift)
    if existing is not None:
        return existing
    try:
        with db.atomic():
            return Sheet.create(estate=plan.estate, plan=plan, equipment=plan.equipment,
                                version=plan.checklist.current_version(), period=period,
                                shift=shift, started_by=user)
    except IntegrityError:  # a colleague started it at the same moment
        return Sheet.get(plan=plan, period=period, shift=shift)


def parse_number(text):
    """A typed reading ("230", "1,250" = 1250, "0,45" = 0.45, full-width digits) as a
    Decimal, by wyapp.inputs.parse_number. Raises DomainError when it is not a number, is
    ambiguous, or is 10⁹ or more in size."""
    value = read_number(text)
    if abs(value) >= Decimal("1e9"):
        raise DomainError("请填写合理的数字。")
    return value


def evaluate(item, value):
    """Whether `value` (text) of `item` is abnormal: out of range, 异常, or an abnormal
    choice. Raises DomainError when the value is not valid for the item."""
    value = (value or "").strip()
    if not value:
        return False
    if len(value) > 500:
        raise DomainError("不能超过 500 个字。")
    if item.kind == "pass_fail":
        if value not in ("正常", "异常"):
            raise DomainError("请选择正常或异常。")
        return value == "异常"
    if item.kind == "number":
        number = parse_number(value)
        return ((item.min_value is not None and number < item.min_value)
                or (item.max_value is not None and number > item.max_value))
    if item.kind == "choice":
        if value not in item.choice_list:
            raise DomainError("请从选项中选择。")
        return value in item.abnormal_list
    return False


def save_answer(sheet, item, value=None, note=None, photo=None):
    """Store one item of a draft as the engineer goes; returns the answer (abnormal or not).

    None leaves a part unchanged. An invalid value is kept (so nothing typed is lost) and
    its DomainError raised after saving."""
    if sheet.submitted:
        raise DomainError("这张记录已提交，不能再修改；如需更正请提交更正说明。")
    if item.version_id != sheet.version_id:
        raise DomainError("检查项不属于这张记录。")
    if note is not None and len(note) > 500:
        raise DomainError("说明不能超过 500 个字。")
    with db.atomic():
        answer, _ = SheetAnswer.get_or_create(sheet=sheet, item=item)
        if value is not None:
            answer.value = value.strip()[:500]
        if note is not None:
            answer.note = note.strip()
        if photo is not None:
            answer.photo = photo
        answer.updated_at = utcnow()
        error = None
        try:
            answer.abnormal = evaluate(item, answer.value)
        except DomainError as problem:
            answer.abnormal, error = False, problem
        answer.save()
    if error:
        raise error
    return answer


def sheet_rows(sheet):
    """(item, answer or None) for every item the sheet was filled against, in order."""
    answers = {a.item_id: a for a in sheet.answers}
    return [(item, answers.get(item.id)) for item in sheet.version.ordered_items()]


def problems_of(sheet):
    """{item id: message} for what blocks submitting: missing, invalid, unexplained."""
    problems = {}
    for item, answer in sheet_rows(sheet):
        value = answer.value if answer else ""
        has_photo = bool(answer and answer.photo_id)
        if item.kind == "photo":
            if item.required and not has_photo:
                problems[item.id] = "请拍照上传。"
            continue
        if not value:
            if item.required:
                problems[item.id] = "此项必填。"
            continue
        try:
            abnormal = evaluate(item, value)
        except DomainError as error:
            problems[item.id] = error.message
            continue
        if abnormal and not (answer.note or has_photo):
            problems[item.id] = "异常项请填写说明或拍照。"
    return problems


def fill_all_normal(sheet):
    """全部正常: every pass/fail item not yet answered becomes 正常."""
    for item, answer in sheet_rows(sheet):
        if item.kind == "pass_fail" and not (answer and answer.value):
            save_answer(sheet, item, "正常")


def submit_sheet(sheet, user, idempotency_key=None, mark_repairing=False, now=None):
    """Submit a draft at `now` (naive UTC; default the clock): read-only from then on, one
    work order per abnormal item, the equipment 维修中 when asked. Returns the Sheet.

    The same Idempotency-Key a second time returns the sheet already submitted; a
    different key for a submitted sheet, or a sheet with problems, raises DomainError."""
    now = now or utcnow()
    key = (idempotency_key or "").strip()[:64] or None
    if key:
        earlier = Sheet.get_or_none(Sheet.idempotency_key == key)
        if earlier is not None:
            return earlier
    if sheet.submitted:
        raise DomainError("这张记录已经提交过了。")
    problems = problems_of(sheet)
    if problems:
        raise DomainError(f"还有 {len(problems)} 项需要处理，见标红的检查项。")
    with db.atomic():
        updated = (Sheet.update(status="已提交", submitted_by=user, submitted_at=now,
                                idempotency_key=key)
                   .where(Sheet.id == sheet.id, Sheet.status == "草稿").execute())
        if not updated:
            raise DomainError("这张记录已经提交过了。")
        abnormal = list(sheet.answers.where(SheetAnswer.abnormal).order_by(SheetAnswer.id))
        Sheet.update(abnormal_count=len(abnormal)).where(Sheet.id == sheet.id).execute()
        for answer in abnormal:
            answer.work_order_id = raise_work_order(sheet, answer, user, now)
            answer.save()
        if abnormal:
            _alert_abnormal(sheet, abnormal)
        if abnormal and mark_repairing:
            Equipment.update(status="维修中").where(Equipment.id == sheet.equipment_id).execute()
    return Sheet.get_by_id(sheet.id)


def _alert_abnormal(sheet, abnormal):
    """SPEC §9: an abnormal inspection item alerts the estate's supervisors and managers
    (kind "inspection_abnormal", which the group robots may forward), once per sheet."""
    equipment = sheet.equipment
    items = "、".join(a.item.label for a in abnormal[:5]) + ("等" if len(abnormal) > 5 else "")
    codes = "、".join(record_number("BX", a.work_order_id) for a in abnormal if a.work_order_id)
    notify(User.with_role(sheet.estate, "supervisor", "manager"), sheet.estate,
           "inspection_abnormal", f"设备日检异常：{equipment.code} {equipment.name}",
           f"{len(abnormal)} 项异常：{items}" + (f"；已生成维修工单 {codes}" if codes else ""),
           url_for("inspection.sheet", sheet_id=sheet.id) if has_request_context() else "")


def raise_work_order(sheet, answer, user, now=None):
    """The service desk's repair order (source 设备巡检) for one abnormal item, through its
    one named call create_work_order; returns the order's id. Raises DomainError (the
    whole submission rolls back) when the service desk refuses it."""
    equipment, item = sheet.equipment, answer.item
    shown = f"{answer.value} {item.unit}".strip() if item.kind == "number" else answer.value
    description = (f"设备日检异常：{equipment.code} {equipment.name} — {item.label}：{shown}"
                   + (f"（正常范围 {item.range_text}）" if item.kind == "number" else "")
                   + (f"。说明：{answer.note}" if answer.note else ""))
    try:
        order = create_work_order(
            sheet.estate, source="设备巡检", description=description, reported_by=user,
            category=WORK_ORDER_CATEGORY.get(equipment.category, "其他"),
            place=f"{equipment.location} {equipment.name}".strip()[:100],
            photos=[answer.photo] if answer.photo_id else (),
            origin=("inspection_item", answer.id), now=now)
    except DomainError as error:
        raise DomainError(f"无法生成维修工单：{error.message}") from error
    return order.id


def raised_orders(answer):
    """The work orders raised from an abnormal answer (each with .id and .code, BX000006)."""
    if answer is None or not answer.work_order_id:
        return []
    return list(orders_for_origin("inspection_item", answer.id))


def amend_answer(sheet, item, new_value, reason, user):
    """A correction of a submitted sheet by `user`; the original value stays on record.
    Raises DomainError (field "item", "reason", or none for the value)."""
    if not sheet.submitted:
        raise DomainError("草稿可以直接修改，无需更正。")
    if item.version_id != sheet.version_id:
        raise DomainError("检查项不属于这张记录。", "item")
    if not reason.strip():
        raise DomainError("请填写更正原因。", "reason")
    evaluate(item, new_value)
    answer = SheetAnswer.get_or_none(sheet=sheet, item=item)
    with db.atomic():
        return SheetAmendment.create(sheet=sheet, item=item, new_value=new_value.strip(),
                                     old_value=answer.value if answer else "",
                                     reason=reason.strip(), made_by=user)


def day_sheets(estate, day):
    """The sheets submitted on the estate's local `day` (a date), for 设备日检记录表: one
    dict per sheet (sheet, equipment, checklist, version, shift, submitted_at naive UTC,
    submitted_by, rows, amendments), by equipment code."""
    start, end = estate.day_bounds(day)
    sheets = (Sheet.select(Sheet, Equipment).join(Equipment)
              .where(Sheet.estate == estate, Sheet.status == "已提交",
                     Sheet.submitted_at >= start, Sheet.submitted_at < end)
              .order_by(Equipment.code, Sheet.submitted_at))
    return [{"sheet": s, "equipment": s.equipment, "checklist": s.version.checklist.name,
             "version": s.version.number, "shift": s.shift, "submitted_at": s.submitted_at,
             "submitted_by": s.submitted_by.display_name, "rows": sheet_rows(s),
             "amendments": list(s.amendments.order_by(SheetAmendment.made_at))}
            for s in sheets]
