"""Renovation applications (申请): the estate's settings (deposit, fees, work hours,
holidays, inspection interval), the workers' list, and taking an application at the desk.

Rule source: the office's 业主房屋装修管理流程 (seed: 主任 "负责住户装修方案的报批、审批");
one open renovation per unit, kept by the unique column Renovation.open_unit.
"""
import re
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from peewee import IntegrityError

from ..db import db
from ..errors import DomainError
from ..gate.validators import clean_id_number, mask_id
from ..inputs import clean_mobile, clean_phone, fits_column, parse_day, parse_number
from ..models import Building, Unit
from .models import (
    OPEN_STATES,
    PENDING,
    SCOPE_ITEMS,
    Renovation,
    RenovationPhoto,
    RenovationSettings,
    Step,
    Worker,
)

CENT = Decimal("0.01")
HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
MAX_WORKERS = 50


def yuan(value):
    """A Decimal amount rounded to the cent (half up), as money is shown and stored."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money(text, field, label):
    """Typed yuan → Decimal with 2 decimals (≥ 0, fits the column); DomainError on `field`."""
    amount = yuan(parse_number(text, field))
    if amount < 0:
        raise DomainError(f"{label}不能为负数。", field)
    return fits_column(Renovation.deposit, amount, field)


# ── settings ─────────────────────────────────────────────────────────────────────────────

def parse_hours(text, field="work_hours"):
    """'08:00-12:00,14:00-18:00' (commas, 、 or spaces between; – or - inside) → the list of
    (start, end) `time` pairs. Raises DomainError on `field` for a range that is not HH:MM-HH:MM
    or ends before it starts."""
    ranges = []
    for part in re.split(r"[,，、;；\s]+", (text or "").replace("–", "-").replace("~", "-")):
        if not part:
            continue
        match = HOURS.match(part)
        if not match:
            raise DomainError("施工时间请写成 08:00-12:00,14:00-18:00。", field)
        start = time(int(match.group(1)), int(match.group(2)))
        end = time(int(match.group(3)), int(match.group(4)))
        if end <= start:
            raise DomainError(f"{part}：结束时间要晚于开始时间。", field)
        ranges.append((start, end))
    if not ranges:
        raise DomainError("请填写允许施工的时间段。", field)
    return ranges


def parse_holidays(text, field="holidays"):
    """Holiday dates, one a line (YYYY-MM-DD) → sorted unique ISO strings; DomainError."""
    days = set()
    for line in (text or "").splitlines():
        if line.strip():
            day = parse_day(line.strip())
            if day is None:
                raise DomainError(f"“{line.strip()[:20]}”不是日期，请每行写一个，如 2026-10-01。",
                                  field)
            days.add(day.isoformat())
    return sorted(days)


def save_settings(estate, *, deposit, management_fee, garbage_fee, work_hours, holidays,
                  inspect_every_days, office_phone):
    """Store the estate's renovation settings from typed values; returns the row.
    Raises DomainError beside the field at fault."""
    row = RenovationSettings.of(estate)
    row.deposit = money(deposit, "deposit", "装修押金")
    row.management_fee = money(management_fee, "management_fee", "装修管理费")
    row.garbage_fee = money(garbage_fee, "garbage_fee", "垃圾清运费")
    row.work_hours = ",".join(f"{a:%H:%M}-{b:%H:%M}" for a, b in parse_hours(work_hours))
    row.holidays = "\n".join(parse_holidays(holidays))
    if not isinstance(inspect_every_days, int) or not 1 <= inspect_every_days <= 30:
        raise DomainError("巡查间隔为 1–30 天。", "inspect_every_days")
    row.inspect_every_days = inspect_every_days
    row.office_phone = clean_phone(office_phone, "office_phone")
    row.save()
    return row


def hours_text(settings):
    """The allowed hours as printed: 08:00–12:00、14:00–18:00."""
    return "、".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in parse_hours(settings.work_hours))


def work_allowed(settings, moment):
    """Whether work is allowed at `moment`, the estate's wall time (a naive datetime):
    inside one of the hours and not on a listed public holiday."""
    if moment.date().isoformat() in settings.holiday_list():
        return False
    return any(start <= moment.time() < end for start, end in parse_hours(settings.work_hours))


# ── the application ──────────────────────────────────────────────────────────────────────

def parse_workers(text, field="workers"):
    """The workers' list as typed, one a line: 姓名 [手机号] [身份证号] (spaces or commas) →
    [{name, phone, id_masked}]. An ID number is checked (GB 11643 check digit, as at the
    gate) and kept masked only (110***********1234). Raises DomainError on `field`."""
    workers = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        parts = [p for p in re.split(r"[\s,，、]+", line.strip()) if p]
        if not parts:
            continue
        name, phone, id_number = parts[0][:40], "", ""
        for part in parts[1:]:
            try:
                if len(part) >= 15:
                    id_number = clean_id_number(part, field)
                else:
                    phone = clean_mobile(part, field)
            except DomainError as error:
                raise DomainError(f"第 {number} 行（{name}）：{error.message}", field) from None
        workers.append({"name": name, "phone": phone, "id_masked": mask_id(id_number)})
    if len(workers) > MAX_WORKERS:
        raise DomainError(f"工人名单最多 {MAX_WORKERS} 人。", field)
    return workers


def log(renovation, step, actor, at, note=""):
    """One line of the renovation's timeline (`at`: naive UTC)."""
    return Step.create(renovation=renovation, step=step, actor=actor, at=at, note=note)


def open_renovation(unit):
    """The unit's open renovation (not refused, not closed), or None."""
    return Renovation.get_or_none(Renovation.open_unit == unit.id)


def _day(value, field, label):
    if isinstance(value, date):
        return value
    day = parse_day(value or "")
    if day is None:
        raise DomainError(f"请填写{label}，如 2026-07-01。", field)
    return day


def apply(estate, unit, by, now, *, owner_name, owner_phone, company, company_person,
          company_phone, licence_no, planned_start, planned_end, scope, scope_text="",
          workers="", photos=()):
    """Take an application (申请, status 待审核) for `unit` of `estate` at `now` (naive UTC),
    with the deposit and fees the estate's settings ask for. `scope`: items of SCOPE_ITEMS;
    `workers`: text, one worker a line (parse_workers); `photos`: saved Photos (drawings).

    Raises DomainError beside the field at fault, and when the unit already has an open
    renovation (also when a concurrent application took it first: the unique open_unit)."""
    if unit is None:
        raise DomainError("请填写房号，例如 1-101。", "unit")
    if not owner_name:
        raise DomainError("请填写业主姓名。", "owner_name")
    owner_phone = clean_mobile(owner_phone, "owner_phone")
    if not owner_phone:
        raise DomainError("请填写业主手机号。", "owner_phone")
    if not company or not company_person:
        raise DomainError("请填写装修公司及负责人。", "company" if not company else
                          "company_person")
    company_phone = clean_mobile(company_phone, "company_phone")
    if not company_phone:
        raise DomainError("请填写负责人手机号。", "company_phone")
    start = _day(planned_start, "planned_start", "计划开工日期")
    end = _day(planned_end, "planned_end", "计划完工日期")
    if end < start:
        raise DomainError("计划完工日期不能早于开工日期。", "planned_end")
    scope = [s for s in SCOPE_ITEMS if s in (scope or ())]
    if not scope:
        raise DomainError("请至少选择一项装修内容。", "scope")
    if "其他" in scope and not scope_text:
        raise DomainError("选择“其他”时请写明装修内容。", "scope_text")
    crew = parse_workers(workers)
    earlier = open_renovation(unit)
    if earlier is not None:
        raise DomainError(_taken(earlier), "unit")
    settings = RenovationSettings.of(estate)
    try:
        with db.atomic():  # a savepoint: PostgreSQL's transaction survives the unique miss
            renovation = Renovation.create(
                estate=estate, unit=unit, open_unit=unit.id, status=PENDING,
                owner_name=owner_name, owner_phone=owner_phone, company=company,
                company_person=company_person, company_phone=company_phone,
                licence_no=licence_no, planned_start=start, planned_end=end, end_date=end,
                scope=",".join(scope), scope_text=scope_text, deposit=settings.deposit,
                management_fee=settings.management_fee, garbage_fee=settings.garbage_fee,
                applied_by=by, applied_at=now)
    except IntegrityError:
        earlier = open_renovation(unit)
        raise DomainError(_taken(earlier) if earlier else "该房号已有未结束的装修。",
                          "unit") from None
    if crew:
        Worker.insert_many([{"renovation": renovation, **w} for w in crew]).execute()
    for photo in photos:
        RenovationPhoto.create(renovation=renovation, photo=photo, stage="申请")
    log(renovation, "申请", by, now,
        f"{'、'.join(scope)}；{start:%Y-%m-%d} 至 {end:%Y-%m-%d}；"
        f"押金 {yuan(renovation.deposit)} 元，费用 {yuan(renovation.fees)} 元；工人 {len(crew)} 人")
    return renovation


def _taken(earlier):
    return (f"该房号已有未结束的装修 {earlier.code}（{earlier.state}），"
            "同一房号同时只能有一个装修申请。")


def renovations(estate, tab="open"):
    """The estate's renovations for a list tab: open (办理中), all, closed."""
    # each row's unit and building with it: the list shows 1号楼-101 on every line
    query = (Renovation.select(Renovation, Unit, Building).join(Unit).join(Building)
             .where(Renovation.estate == estate))
    if tab == "open":
        query = query.where(Renovation.status.in_(OPEN_STATES))
    elif tab == "closed":
        query = query.where(Renovation.status.not_in(OPEN_STATES))
    return query.order_by(Renovation.applied_at.desc(), Renovation.id.desc())


def start_of(day):
    """A date as the naive datetime of its first moment (for estate.utc())."""
    return datetime.combine(day, time())
