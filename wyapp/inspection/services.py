"""Inspection rules shared by views, the periodic job, the CLI, tests and the archive.

Equipment import, checklist versioning, plan slots (which sheet is due when), drafts,
item evaluation, submission (once per Idempotency-Key) with one work order per abnormal
item, overdue alerts, and the day-sheet data the archive prints.
"""
import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, url_for
from peewee import IntegrityError

from ..admin.services import ImportRejected, decode_csv
from ..db import db, utcnow
from ..errors import DomainError
from ..models import User, notify
from ..service.orders import create_work_order
from .models import (
    CATEGORIES,
    ITEM_KINDS,
    STATUSES,
    Checklist,
    ChecklistItem,
    ChecklistVersion,
    Equipment,
    OverdueAlert,
    Plan,
    PlanEngineer,
    Sheet,
    SheetAmendment,
    SheetAnswer,
)


class InspectionError(Exception):
    """A broken inspection rule; `field` names the form field the message belongs beside."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message, self.field = message, field


# ── equipment ───────────────────────────────────────────────────────────────────────

EQUIPMENT_COLUMNS = ("编号", "名称", "类别", "位置", "型号", "厂家", "安装日期", "维保单位",
                     "维保电话")
MAX_IMPORT_ROWS = 5000


def import_equipment(estate, data):
    """Equipment from CSV bytes: every row, or none when any row is bad. Returns the count."""
    rows = list(csv.reader(io.StringIO(decode_csv(data))))
    if not rows or [c.strip() for c in rows[0][:2]] != list(EQUIPMENT_COLUMNS[:2]):
        raise ImportRejected([(1, "第一行应为表头：" + ",".join(EQUIPMENT_COLUMNS) +
                               "（编号、名称必填，其余可留空）。")])
    if len(rows) - 1 > MAX_IMPORT_ROWS:
        raise ImportRejected([(1, f"一次最多导入 {MAX_IMPORT_ROWS} 行。")])
    existing = {c for (c,) in Equipment.select(Equipment.code)
                .where(Equipment.estate == estate).tuples()}
    errors, parsed, seen = [], [], {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        values, problems = _parse_equipment_row(row)
        code = values["code"]
        if code and code in existing:
            problems.append(f"编号 {code} 已存在")
        elif code and code in seen:
            problems.append(f"与第 {seen[code]} 行编号重复")
        seen.setdefault(code, line)
        if problems:
            errors.append((line, "；".join(problems)))
        else:
            parsed.append(values)
    if errors:
        raise ImportRejected(errors)
    if not parsed:
        raise ImportRejected([(2, "文件里没有设备数据。")])
    with db.atomic():
        for values in parsed:
            Equipment.create(estate=estate, **values)
    return len(parsed)


def _parse_equipment_row(row):
    cells = [c.strip() for c in row] + [""] * (len(EQUIPMENT_COLUMNS) - len(row))
    code, name, category, location, model, maker, installed, contractor, phone = cells[:9]
    values = {"code": code, "name": name, "category": category or "其他", "location": location,
              "model": model, "maker": maker, "contractor": contractor,
              "contractor_phone": phone, "installed_on": None}
    problems = []
    limits = {"code": ("编号", 30), "name": ("名称", 100), "location": ("位置", 100),
              "model": ("型号", 60), "maker": ("厂家", 60), "contractor": ("维保单位", 100),
              "contractor_phone": ("维保电话", 30)}
    for key, (label, limit) in limits.items():
        if len(values[key]) > limit:
            problems.append(f"{label}不能超过 {limit} 个字")
    if not code:
        problems.append("编号不能为空")
    if not name:
        problems.append("名称不能为空")
    if values["category"] not in CATEGORIES:
        problems.append(f"类别“{category[:20]}”应为 " + "、".join(CATEGORIES) + " 之一")
    if installed:
        try:
            values["installed_on"] = date.fromisoformat(installed.replace("/", "-"))
        except ValueError:
            problems.append(f"安装日期“{installed[:20]}”应为 2020-05-01 这样的日期")
    return values, problems


def set_equipment_status(equipment, status):
    if status not in STATUSES:
        raise InspectionError("请选择设备状态。", "status")
    equipment.status = status
    equipment.save()


# ── checklists ──────────────────────────────────────────────────────────────────────

def create_checklist(estate, user, name, category="", equipment=None):
    with db.atomic():
        checklist = Checklist.create(estate=estate, name=name, category=category,
                                     equipment=equipment)
        ChecklistVersion.create(checklist=checklist, number=1, created_by=user)
    return checklist


def editable_version(checklist, user):
    """The version to change: the current one while no sheet used it, else a fresh copy."""
    current = checklist.current_version()
    if not current.is_used():
        return current
    fresh = ChecklistVersion.create(checklist=checklist, number=current.number + 1,
                                    created_by=user)
    for item in current.ordered_items():
        data = {f.name: getattr(item, f.name) for f in ChecklistItem._meta.sorted_fields
                if f.name not in ("id", "version")}
        ChecklistItem.create(version=fresh, **data)
    return fresh


def _item_in(version, key):
    item = version.items.where(ChecklistItem.key == key).first()
    if item is None:
        raise InspectionError("检查项不存在。")
    return item


def check_item_values(values):
    """Validate an item's settings (kind, range, choices); returns the cleaned values."""
    kind = values.get("kind")
    if kind not in ITEM_KINDS:
        raise InspectionError("请选择检查项类型。", "kind")
    low, high = values.get("min_value"), values.get("max_value")
    if kind == "number":
        if low is not None and high is not None and low > high:
            raise InspectionError("下限不能大于上限。", "max_value")
    else:
        values["min_value"] = values["max_value"] = None
    if kind == "choice":
        choices = [c.strip() for c in values.get("choices", "").splitlines() if c.strip()]
        abnormal = [c.strip() for c in values.get("abnormal_choices", "").splitlines()
                    if c.strip()]
        if len(choices) < 2:
            raise InspectionError("选项类至少填写两个选项，每行一个。", "choices")
        if not set(abnormal) <= set(choices):
            raise InspectionError("异常选项必须是上面选项中的一个。", "abnormal_choices")
        values["choices"], values["abnormal_choices"] = "\n".join(choices), "\n".join(abnormal)
    else:
        values["choices"] = values["abnormal_choices"] = ""
    return values


def add_item(checklist, user, **values):
    values = check_item_values(values)
    with db.atomic():
        version = editable_version(checklist, user)
        last = version.items.order_by(ChecklistItem.position.desc()).first()
        return ChecklistItem.create(version=version, key=uuid.uuid4().hex,
                                    position=(last.position + 1) if last else 1, **values)


def update_item(checklist, user, key, **values):
    values = check_item_values(values)
    with db.atomic():
        item = _item_in(editable_version(checklist, user), key)
        for name, value in values.items():
            setattr(item, name, value)
        item.save()
        return item


def remove_item(checklist, user, key):
    with db.atomic():
        _item_in(editable_version(checklist, user), key).delete_instance()


def move_item(checklist, user, key, step):
    """Swap an item with its neighbour above (step −1) or below (step +1)."""
    with db.atomic():
        version = editable_version(checklist, user)
        items = list(version.ordered_items())
        index = next((i for i, it in enumerate(items) if it.key == key), None)
        if index is None:
            raise InspectionError("检查项不存在。")
        other = index + step
        if 0 <= other < len(items):
            items[index], items[other] = items[other], items[index]
        for position, item in enumerate(items, start=1):
            if item.position != position:
                item.position = position
                item.save()


# ── plans and slots ─────────────────────────────────────────────────────────────────

SHIFT_HOURS = {"白班": (8, 20), "夜班": (20, 32)}  # 夜班 ends at 08:00 the next day


@dataclass
class Slot:
    """One due sheet of a plan: its period, shift, window (naive UTC) and any sheet."""
    plan: Plan
    period: date
    shift: str
    starts: datetime
    deadline: datetime
    sheet: Sheet = None

    def status(self, now):
        if self.sheet is not None and self.sheet.submitted:
            return "有异常" if self.sheet.abnormal_count else "已完成"
        if now >= self.deadline:
            return "已超时"
        if self.sheet is not None:
            return "填写中"
        return "未开始" if now < self.starts else "待检"


def _utc(zone, day, hours=0):
    local = datetime.combine(day, time()).replace(tzinfo=zone) + timedelta(hours=hours)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def slot_window(zone, frequency, period, shift=""):
    """Start and deadline (naive UTC) of a slot."""
    if frequency == "每班":
        start_h, end_h = SHIFT_HOURS[shift]
        return _utc(zone, period, start_h), _utc(zone, period, end_h)
    if frequency == "每周":
        return _utc(zone, period), _utc(zone, period + timedelta(days=7))
    if frequency == "每月":
        following = (period.replace(day=28) + timedelta(days=4)).replace(day=1)
        return _utc(zone, period), _utc(zone, following)
    return _utc(zone, period), _utc(zone, period + timedelta(days=1))


def local_today(estate, now):
    return now.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(estate.timezone))


def current_periods(frequency, local_now):
    """The (period, shift) pairs an engineer works on at this local time."""
    today = local_now.date()
    if frequency == "每班":
        if local_now.hour < 8:
            return [(today - timedelta(days=1), "夜班"), (today, "白班")]
        return [(today, "白班"), (today, "夜班")]
    if frequency == "每周":
        return [(today - timedelta(days=today.weekday()), "")]
    if frequency == "每月":
        return [(today.replace(day=1), "")]
    return [(today, "")]


def recent_periods(frequency, local_now):
    """Slots of the last few days/weeks/months, for the overdue check."""
    today = local_now.date()
    if frequency == "每班":
        return [(today - timedelta(days=d), s) for d in (3, 2, 1, 0) for s in ("白班", "夜班")]
    if frequency == "每日":
        return [(today - timedelta(days=d), "") for d in (3, 2, 1, 0)]
    if frequency == "每周":
        monday = today - timedelta(days=today.weekday())
        return [(monday - timedelta(days=7), ""), (monday, "")]
    first = today.replace(day=1)
    return [((first - timedelta(days=1)).replace(day=1), ""), (first, "")]


def make_slots(plans, estate, pairs_for):
    """Slots for plans, each with the sheet already started for it (one query)."""
    zone = ZoneInfo(estate.timezone)
    slots = []
    for plan in plans:
        for period, shift in pairs_for(plan):
            starts, deadline = slot_window(zone, plan.frequency, period, shift)
            slots.append(Slot(plan, period, shift, starts, deadline))
    if slots:
        sheets = {(s.plan_id, s.period, s.shift): s for s in Sheet.select().where(
            Sheet.plan.in_([p.id for p in plans]),
            Sheet.period >= min(s.period for s in slots))}
        for slot in slots:
            slot.sheet = sheets.get((slot.plan.id, slot.period, slot.shift))
    return slots


def active_plans(estate, engineer=None):
    """An estate's active plans; for an engineer, those assigned to them or to nobody."""
    plans = (Plan.select(Plan, Equipment, Checklist).join(Equipment).switch(Plan)
             .join(Checklist).where(Plan.estate == estate, Plan.active)
             .order_by(Equipment.code))
    if engineer is not None:
        assigned = PlanEngineer.select(PlanEngineer.plan)
        mine = PlanEngineer.select(PlanEngineer.plan).where(PlanEngineer.user == engineer)
        plans = plans.where(Plan.id.in_(mine) | Plan.id.not_in(assigned))
    return list(plans)


def today_slots(estate, now, engineer=None):
    """Today's due sheets of the estate (or of one engineer), by shift then equipment."""
    local_now = local_today(estate, now)
    slots = make_slots(active_plans(estate, engineer), estate,
                       lambda plan: current_periods(plan.frequency, local_now))
    order = {"白班": 0, "夜班": 1, "": 2}
    return sorted(slots, key=lambda s: (s.period, order[s.shift], s.plan.equipment.code))


def board(estate, now):
    """The supervisors' today board: per shift group, the slots and their counts."""
    groups = {}
    for slot in today_slots(estate, now):
        title = slot.shift or slot.plan.frequency
        group = groups.setdefault(title, {"slots": [], "counts": dict.fromkeys(
            ("应检", "已完成", "已超时", "有异常"), 0)})
        group["slots"].append(slot)
        status = slot.status(now)
        group["counts"]["应检"] += 1
        group["counts"]["已完成"] += status in ("已完成", "有异常")
        group["counts"]["已超时"] += status == "已超时"
        group["counts"]["有异常"] += status == "有异常"
    order = ["白班", "夜班", "每日", "每周", "每月"]
    return dict(sorted(groups.items(), key=lambda pair: order.index(pair[0])))


def raise_overdue_alerts(now):
    """Alert the plan's engineers and the supervisors once per overdue slot (idempotent)."""
    from ..models import Estate

    raised = 0
    for estate in Estate.active_ones():
        local_now = local_today(estate, now)
        plans = active_plans(estate)
        slots = make_slots(plans, estate,
                           lambda p, at=local_now: recent_periods(p.frequency, at))
        for slot in slots:
            late = slot.deadline <= now and slot.deadline > slot.plan.created_at
            if not late or (slot.sheet is not None and slot.sheet.submitted):
                continue
            raised += _alert_once(estate, slot)
    return raised


def _alert_once(estate, slot):
    """Notify about one overdue slot unless an earlier pass did (the unique row decides)."""
    done = OverdueAlert.select().where(OverdueAlert.plan == slot.plan,
                                       OverdueAlert.period == slot.period,
                                       OverdueAlert.shift == slot.shift).exists()
    if done:
        return 0
    equipment = slot.plan.equipment
    users = _plan_engineers(slot.plan) | set(User.with_role(estate, "supervisor"))
    when = f"{slot.period:%m-%d}{' ' + slot.shift if slot.shift else ''}"
    try:
        with db.atomic():
            OverdueAlert.create(plan=slot.plan, period=slot.period, shift=slot.shift)
            return notify(users, estate, "inspection_overdue",
                          f"设备日检超时：{equipment.name}（{when}）",
                          f"{equipment.location} {slot.plan.checklist.name} 未在期限内提交。",
                          _link("inspection.equipment", equipment_id=equipment.id))
    except IntegrityError:  # another worker alerted it a moment ago
        return 0


def _link(endpoint, **values):
    """A path for a notification, also from the periodic job (which has no request)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _plan_engineers(plan):
    rows = list(User.select().join(PlanEngineer).where(PlanEngineer.plan == plan, User.active))
    return set(rows) or set(User.with_role(plan.estate, "engineer"))


# ── sheets ──────────────────────────────────────────────────────────────────────────

def start_sheet(plan, period, shift, user):
    """The sheet of a plan's slot: the one already started, or a new draft."""
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
    try:
        value = Decimal(text.strip().replace("，", ".").replace(",", "."))
    except InvalidOperation:
        raise InspectionError("请填写数字，例如 230 或 0.45。") from None
    if not value.is_finite() or abs(value) >= Decimal("1e9"):
        raise InspectionError("请填写合理的数字。")
    return value


def evaluate(item, value):
    """Whether a value of an item is abnormal; InspectionError when it is not valid."""
    value = (value or "").strip()
    if not value:
        return False
    if len(value) > 500:
        raise InspectionError("不能超过 500 个字。")
    if item.kind == "pass_fail":
        if value not in ("正常", "异常"):
            raise InspectionError("请选择正常或异常。")
        return value == "异常"
    if item.kind == "number":
        number = parse_number(value)
        return ((item.min_value is not None and number < item.min_value)
                or (item.max_value is not None and number > item.max_value))
    if item.kind == "choice":
        if value not in item.choice_list:
            raise InspectionError("请从选项中选择。")
        return value in item.abnormal_list
    return False


def save_answer(sheet, item, value=None, note=None, photo=None):
    """Store one item of a draft as the engineer goes; returns the answer (abnormal or not).

    An invalid value is kept (so nothing typed is lost) and the InspectionError raised.
    """
    if sheet.submitted:
        raise InspectionError("这张记录已提交，不能再修改；如需更正请提交更正说明。")
    if item.version_id != sheet.version_id:
        raise InspectionError("检查项不属于这张记录。")
    if note is not None and len(note) > 500:
        raise InspectionError("说明不能超过 500 个字。")
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
        except InspectionError as problem:
            answer.abnormal, error = False, problem
        answer.save()
    if error:
        raise error
    return answer


def answers_by_item(sheet):
    return {a.item_id: a for a in sheet.answers}


def sheet_rows(sheet):
    """(item, answer or None) for every item the sheet was filled against, in order."""
    answers = answers_by_item(sheet)
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
        except InspectionError as error:
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
    """Submit a draft: read-only from now, one work order per abnormal item.

    The same Idempotency-Key a second time returns the sheet already submitted; a
    different key for a submitted sheet is refused.
    """
    key = (idempotency_key or "").strip()[:64] or None
    if key:
        earlier = Sheet.get_or_none(Sheet.idempotency_key == key)
        if earlier is not None:
            return earlier
    if sheet.submitted:
        raise InspectionError("这张记录已经提交过了。")
    problems = problems_of(sheet)
    if problems:
        raise InspectionError(f"还有 {len(problems)} 项需要处理，见标红的检查项。")
    with db.atomic():
        updated = (Sheet.update(status="已提交", submitted_by=user,
                                submitted_at=now or utcnow(), idempotency_key=key)
                   .where(Sheet.id == sheet.id, Sheet.status == "草稿").execute())
        if not updated:
            raise InspectionError("这张记录已经提交过了。")
        abnormal = [a for a in sheet.answers.where(SheetAnswer.abnormal)]
        Sheet.update(abnormal_count=len(abnormal)).where(Sheet.id == sheet.id).execute()
        for answer in abnormal:
            answer.work_order_id = raise_work_order(sheet, answer, user)
            answer.save()
        if abnormal and mark_repairing:
            Equipment.update(status="维修中").where(Equipment.id == sheet.equipment_id).execute()
    return Sheet.get_by_id(sheet.id)


WORK_ORDER_CATEGORY = {"供配电": "电", "给排水": "水", "电梯": "电梯", "消防": "消防",
                       "公共照明": "电"}


def raise_work_order(sheet, answer, user):
    """The service desk's repair order (source 设备巡检) for one abnormal item; its id."""
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
            origin=("inspection_item", answer.id))
    except DomainError as error:  # the whole submission rolls back
        raise InspectionError(f"无法生成维修工单：{error}") from error
    return order.id


def amend_answer(sheet, item, new_value, reason, user):
    """A correction of a submitted sheet; the original value stays on record."""
    if not sheet.submitted:
        raise InspectionError("草稿可以直接修改，无需更正。")
    if item.version_id != sheet.version_id:
        raise InspectionError("检查项不属于这张记录。", "item")
    if not reason.strip():
        raise InspectionError("请填写更正原因。", "reason")
    evaluate(item, new_value)
    answer = SheetAnswer.get_or_none(sheet=sheet, item=item)
    with db.atomic():
        return SheetAmendment.create(sheet=sheet, item=item, new_value=new_value.strip(),
                                     old_value=answer.value if answer else "",
                                     reason=reason.strip(), made_by=user)


# ── the archive's data ──────────────────────────────────────────────────────────────

def day_sheets(estate, day):
    """The submitted sheets of a local day, for 设备日检记录表: one dict per sheet."""
    zone = ZoneInfo(estate.timezone)
    start, end = _utc(zone, day), _utc(zone, day + timedelta(days=1))
    sheets = (Sheet.select(Sheet, Equipment).join(Equipment)
              .where(Sheet.estate == estate, Sheet.status == "已提交",
                     Sheet.submitted_at >= start, Sheet.submitted_at < end)
              .order_by(Equipment.code, Sheet.submitted_at))
    return [{"sheet": s, "equipment": s.equipment, "checklist": s.version.checklist.name,
             "version": s.version.number, "shift": s.shift, "submitted_at": s.submitted_at,
             "submitted_by": s.submitted_by.display_name, "rows": sheet_rows(s),
             "amendments": list(s.amendments.order_by(SheetAmendment.made_at))}
            for s in sheets]
