"""Plans and their slots: which sheet is due when (per shift, day, week or month, in the
estate's time), today's sheets of an engineer, the supervisors' board, overdue alerts.

All instants are naive UTC; periods (dates) and shift hours are the estate's wall time.
"""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app, has_request_context, url_for
from peewee import IntegrityError

from ..db import db
from ..models import Estate, User, notify
from . import on_duty
from .models import Checklist, Equipment, OverdueAlert, Plan, PlanEngineer, Sheet

SHIFT_HOURS = {"白班": (8, 20), "夜班": (20, 32)}  # 夜班 ends at 08:00 the next day
SHIFT_ORDER = {"白班": 0, "夜班": 1, "": 2}
BOARD_ORDER = ["白班", "夜班", "每日", "每周", "每月"]


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
        """未开始 / 待检 / 填写中 / 已超时 / 已完成 / 有异常 at the naive-UTC instant `now`."""
        if self.sheet is not None and self.sheet.submitted:
            return "有异常" if self.sheet.abnormal_count else "已完成"
        if now >= self.deadline:
            return "已超时"
        if self.sheet is not None:
            return "填写中"
        return "未开始" if now < self.starts else "待检"


def slot_window(estate, frequency, period, shift=""):
    """Start and deadline (naive UTC) of the slot of `period` (the estate's local date: the
    day, the week's Monday or the month's first) and `shift` (每班 only)."""
    def at(day, hours=0):  # wall time: 夜班's 32 hours is 08:00 the next day
        return estate.utc(datetime.combine(day, time()) + timedelta(hours=hours))

    if frequency == "每班":
        start_h, end_h = SHIFT_HOURS[shift]
        return at(period, start_h), at(period, end_h)
    if frequency == "每周":
        return at(period), at(period + timedelta(days=7))
    if frequency == "每月":
        following = (period.replace(day=28) + timedelta(days=4)).replace(day=1)
        return at(period), at(following)
    return at(period), at(period + timedelta(days=1))


def current_periods(frequency, local_now):
    """The (period, shift) pairs an engineer works on at `local_now` (the estate's naive
    wall time): before 08:00 the night shift that began yesterday is still on."""
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
    """Slots of the last few days/weeks/months before `local_now` (estate wall time), for
    the overdue check."""
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


def startable(plan, local_now, period, shift):
    """Whether (`period`, `shift`) is a slot of `plan` that may be started at `local_now`
    (the estate's wall time): one now on or one of the recent ones (late sheets). Any other
    shift text or period (year 0001, next year) is junk, not a slot."""
    pairs = current_periods(plan.frequency, local_now) + recent_periods(plan.frequency,
                                                                        local_now)
    return (period, shift) in pairs


def make_slots(plans, estate, pairs_for):
    """Slots for plans (pairs_for(plan) → [(period, shift)]), each with the sheet already
    started for it (one query)."""
    slots = []
    for plan in plans:
        for period, shift in pairs_for(plan):
            starts, deadline = slot_window(estate, plan.frequency, period, shift)
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
    """The due sheets of the estate (or of one engineer) at the naive-UTC instant `now`, by
    period, shift, then equipment code."""
    local_now = estate.local(now)
    slots = make_slots(active_plans(estate, engineer), estate,
                       lambda plan: current_periods(plan.frequency, local_now))
    if engineer is not None:  # 当班人员（按排班）: only the slots the roster gives them
        memo = {}
        slots = [s for s in slots if on_duty.may_do(estate, s, engineer, memo)]
    return sorted(slots, key=lambda s: (s.period, SHIFT_ORDER[s.shift],
                                        s.plan.equipment.code))


def board(estate, now):
    """The supervisors' today board at `now` (naive UTC): {shift or frequency: {"slots",
    "counts": 应检/已完成/已超时/有异常}} in BOARD_ORDER."""
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
    return dict(sorted(groups.items(), key=lambda pair: BOARD_ORDER.index(pair[0])))


def raise_overdue_alerts(now):
    """Alert the plan's engineers and the supervisors once per slot whose deadline passed
    before `now` (naive UTC) unsubmitted (idempotent; the periodic job). Returns the number
    of notifications made.

    Set-based (issue 23): the active plans of every active estate in one read, the recent
    slots computed from each estate's clock, then one read of the submitted sheets and one
    of the alerts already made for the late slots of all estates; only a slot left over
    (late, unsubmitted, not alerted) does any more. Safe run twice or on two workers: the
    unique OverdueAlert row of a slot decides who alerts (_alert_once)."""
    estates, late = {}, []
    for plan in (Plan.select(Plan, Equipment, Checklist, Estate).join(Equipment)
                 .switch(Plan).join(Checklist).switch(Plan).join(Estate)
                 .where(Estate.active, Plan.active).order_by(Estate.name, Equipment.code)):
        estate = plan.estate = estates.setdefault(plan.estate_id, plan.estate)
        local_now = estate.local(now)
        for period, shift in recent_periods(plan.frequency, local_now):
            starts, deadline = slot_window(estate, plan.frequency, period, shift)
            if plan.created_at < deadline <= now:
                late.append(Slot(plan, period, shift, starts, deadline))
    if not late:
        return 0
    plan_ids = sorted({slot.plan.id for slot in late})
    since = min(slot.period for slot in late)
    done = set(Sheet.select(Sheet.plan, Sheet.period, Sheet.shift).where(
        Sheet.plan.in_(plan_ids), Sheet.period >= since,
        Sheet.status == "已提交").tuples())
    done.update(OverdueAlert.select(OverdueAlert.plan, OverdueAlert.period, OverdueAlert.shift)
                .where(OverdueAlert.plan.in_(plan_ids), OverdueAlert.period >= since).tuples())
    raised = 0
    for slot in late:
        if (slot.plan.id, slot.period, slot.shift) not in done:
            raised += _alert_once(slot.plan.estate, slot)
    return raised


def _alert_once(estate, slot):
    """Notify about one overdue slot unless an earlier pass did (the unique row decides)."""
    done = OverdueAlert.select().where(OverdueAlert.plan == slot.plan,
                                       OverdueAlert.period == slot.period,
                                       OverdueAlert.shift == slot.shift).exists()
    if done:
        return 0
    equipment = slot.plan.equipment
    people = on_duty.slot_people(estate, slot)  # 当班人员（按排班）, issue 21
    users = (set(people) if people is not None else _plan_engineers(slot.plan)) \
        | set(User.with_role(estate, "supervisor"))
    when = f"{slot.period:%m-%d}{' ' + slot.shift if slot.shift else ''}"
    duty = f"当班：{'、'.join(u.display_name for u in people)}。" if people else ""
    try:
        with db.atomic():
            OverdueAlert.create(plan=slot.plan, period=slot.period, shift=slot.shift)
            return notify(users, estate, "inspection_overdue",
                          f"设备日检超时：{equipment.name}（{when}）",
                          f"{duty}{equipment.location} {slot.plan.checklist.name} 未在期限内提交。",
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
