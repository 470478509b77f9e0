"""What the dashboard counts for one estate-local day (the rollup of an ended day) and for
today (live, each figure with the list behind it).

This feature reads the other features' records to count them; it never writes them. Every
day is the estate's (Estate.day_bounds); stored times are naive UTC.
"""
from datetime import timedelta

from peewee import fn

from ..gate.models import ReleaseSlip, VehicleEntry, Visit
from ..inspection.models import Sheet
from ..inspection.plans import active_plans, board, make_slots
from ..models import Notification
from ..patrol.models import Incident, Scan
from ..patrol.rounds import DONE, MISSED, PARTIAL, rounds_between
from ..service.models import (
    COMPLAINT_OPEN,
    ORDER_OPEN,
    Complaint,
    ComplaintStep,
    WorkOrder,
    WorkOrderStep,
)
from .models import FIGURES

SATISFIED = ("满意", "基本满意")  # a 回访 line begins with the satisfaction (service.flow)
DAY_PLANS = ("每班", "每日")  # inspection slots whose period is a day


def day_figures(estate, day, now):
    """The figures (FIGURES: {column: int}) of the estate's local `day` (a date) as they
    stand at `now` (naive UTC): rounds and their states, sheets due that day (每班/每日 slots,
    每周 on its Monday, 每月 on the 1st) and their states, what the desk received and closed,
    回访 made, visitors and vehicles registered. Counts only; no rates."""
    start, end = estate.day_bounds(day)
    figures = dict.fromkeys((name for name, _ in FIGURES), 0)
    figures.update(_patrol(estate, day, now, start, end))
    figures.update(_inspection(estate, day, now, start, end))
    figures.update(_service(estate, start, end))
    figures.update(_gate(estate, start, end))
    return figures


def _patrol(estate, day, now, start, end):
    # the rounds' states as the day report shows them (patrol.rounds), without loading the
    # day's scans: a busy day has thousands and only the flagged ones are counted here
    views = [v for v in rounds_between(estate, start, end) if start <= v.starts_at < end]
    statuses = [v.status(now) for v in views]
    ended = [v for v in views if v.ends_at <= now]
    return {"rounds": len(views),
            "rounds_done": statuses.count(DONE),
            "rounds_partial": statuses.count(PARTIAL),
            "rounds_missed": statuses.count(MISSED),
            "points_done": sum(v.done for v in ended),
            "points_total": sum(v.total for v in ended),
            "scans_flagged": Scan.select().where(
                Scan.estate == estate, _between(Scan.scanned_at, start, end),
                Scan.flags != "").count(),
            "incidents": Incident.select().where(
                Incident.estate == estate, _between(Incident.created_at, start, end)).count()}


def _periods(plan, day):
    if plan.frequency == "每班":
        return [(day, "白班"), (day, "夜班")]
    if plan.frequency == "每日" or (plan.frequency == "每周" and day.weekday() == 0) or \
            (plan.frequency == "每月" and day.day == 1):
        return [(day, "")]
    return []


def inspection_slots(estate, day):
    """The inspection slots due on the estate's local `day`, each with its sheet (or None)."""
    return make_slots(active_plans(estate), estate, lambda plan: _periods(plan, day))


def _inspection(estate, day, now, start, end):
    # a plan counts from when it was made: last week's slots of a plan made today are not due
    slots = [s for s in inspection_slots(estate, day) if s.plan.created_at < s.deadline]
    done = [s for s in slots if s.sheet is not None and s.sheet.submitted]
    abnormal = (Sheet.select(fn.COALESCE(fn.SUM(Sheet.abnormal_count), 0))
                .where(Sheet.estate == estate, Sheet.status == "已提交",
                       Sheet.submitted_at >= start, Sheet.submitted_at < end).scalar())
    return {"sheets_due": len(slots), "sheets_done": len(done),
            "sheets_overdue": sum(s.status(now) == "已超时" for s in slots),
            "abnormal_items": int(abnormal or 0)}


def _between(column, start, end):
    return (column >= start) & (column < end)


def _followups(estate, start, end):
    """回访 made in [start, end) on orders and complaints: (how many, how many satisfied)."""
    notes = [s.note for s in WorkOrderStep.select(WorkOrderStep.note).join(WorkOrder).where(
        WorkOrder.estate == estate, WorkOrderStep.step == "回访",
        _between(WorkOrderStep.at, start, end))]
    notes += [s.note for s in ComplaintStep.select(ComplaintStep.note).join(Complaint).where(
        Complaint.estate == estate, ComplaintStep.step == "回访",
        _between(ComplaintStep.at, start, end))]
    return len(notes), sum(note.startswith(SATISFIED) for note in notes)


def _service(estate, start, end):
    orders = WorkOrder.select().where(WorkOrder.estate == estate)
    complaints = Complaint.select().where(Complaint.estate == estate)
    completed = orders.where(_between(WorkOrder.completed_at, start, end))
    visits, satisfied = _followups(estate, start, end)
    return {
        "orders_opened": orders.where(_between(WorkOrder.created_at, start, end)).count(),
        "orders_completed": completed.count(),
        "orders_on_time": completed.where(WorkOrder.completed_at <= WorkOrder.due_at).count(),
        # open at the day's end and past due then
        "orders_overdue": orders.where(
            WorkOrder.created_at < end, WorkOrder.due_at < end,
            WorkOrder.completed_at.is_null() | (WorkOrder.completed_at >= end)).count(),
        "complaints_received": complaints.where(
            _between(Complaint.received_at, start, end)).count(),
        "complaints_closed": complaints.where(_between(Complaint.closed_at, start, end)).count(),
        "complaints_overdue": complaints.where(
            Complaint.received_at < end, Complaint.due_at < end,
            Complaint.handled_at.is_null() | (Complaint.handled_at >= end),
            Complaint.closed_at.is_null() | (Complaint.closed_at >= end)).count(),
        "complaints_major": complaints.where(_between(Complaint.received_at, start, end),
                                             Complaint.major).count(),
        "followups": visits, "followups_satisfied": satisfied,
    }


def _gate(estate, start, end):
    visits = Visit.select().where(Visit.estate == estate, _between(Visit.time_in, start, end))
    vehicles = VehicleEntry.select().where(VehicleEntry.estate == estate,
                                           _between(VehicleEntry.time_in, start, end))
    return {"visits": visits.count(), "vehicles": vehicles.count(),
            "slips_released": ReleaseSlip.select().where(
                ReleaseSlip.estate == estate, _between(ReleaseSlip.used_at, start, end)).count(),
            "watch_hits": visits.where(Visit.watch_hit).count()
            + vehicles.where(VehicleEntry.watch_hit).count()}


def board_counts(estate, now):
    """The inspection today board's totals at `now` (naive UTC), over the very slots it
    lists (inspection.plans.board: the night shift still on before 08:00, a weekly plan all
    week, a monthly one all month): {"应检", "已完成", "已超时", "有异常": int}, 有异常
    counting sheets with an abnormal item, 已完成 including them."""
    totals = dict.fromkeys(("应检", "已完成", "已超时", "有异常"), 0)
    for group in board(estate, now).values():
        for name in totals:
            totals[name] += group["counts"][name]
    return totals


def today(estate, user, now):
    """Today's figures of `estate` at `now` (naive UTC) for `user`'s dashboard, in groups:
    [(group title, [(label, value, url endpoint, url arguments, warn)])]; each figure is a
    link to the list behind it and counts the rows that list shows (设备日检: the today
    board's slots; 今日完工: the work orders finished on the estate's today). Live queries
    (today has no rollup row yet)."""
    day = estate.today(now)
    figures = day_figures(estate, day, now)
    orders = WorkOrder.select().where(WorkOrder.estate == estate,
                                      WorkOrder.status.in_(ORDER_OPEN))
    complaints = Complaint.select().where(Complaint.estate == estate,
                                          Complaint.status.in_(COMPLAINT_OPEN))
    patrol_day = ("patrol.day_report", {"date": day.isoformat()})
    completion = (round(100 * figures["points_done"] / figures["points_total"])
                  if figures["points_total"] else None)
    board = board_counts(estate, now)
    return [
        ("巡更", [
            ("已完成", figures["rounds_done"], *patrol_day, False),
            ("部分完成", figures["rounds_partial"], *patrol_day, figures["rounds_partial"]),
            ("漏巡", figures["rounds_missed"], *patrol_day, figures["rounds_missed"]),
            ("完成率", "—" if completion is None else f"{completion}%", *patrol_day, False)]),
        ("设备日检", [
            ("应检", board["应检"], "inspection.today", {}, False),
            ("已检", board["已完成"], "inspection.today", {}, False),
            ("超时", board["已超时"], "inspection.today", {}, board["已超时"]),
            ("有异常", board["有异常"], "inspection.today", {}, board["有异常"])]),
        ("报修工单", [
            ("处理中", orders.count(), "service.work_orders", {"tab": "open"}, False),
            ("已超时", orders.where(WorkOrder.due_at < now).count(), "service.work_orders",
             {"tab": "overdue"}, True),
            ("今日完工", figures["orders_completed"], "service.work_orders",
             {"tab": "all", "completed": day.isoformat()}, False)]),
        ("投诉", [
            ("处理中", complaints.count(), "service.complaints", {"tab": "open"}, False),
            ("已超时", complaints.where(Complaint.due_at < now).count(), "service.complaints",
             {"tab": "overdue"}, True),
            ("今日受理", figures["complaints_received"], "service.daily",
             {"date": day.isoformat()}, False)]),
        ("门岗", [
            ("在场访客", Visit.select().where(Visit.estate == estate,
                                          Visit.time_out.is_null()).count(),
             "gate.on_site", {}, False),
            ("在场车辆", VehicleEntry.select().where(VehicleEntry.estate == estate,
                                                 VehicleEntry.time_out.is_null()).count(),
             "gate.vehicles", {}, False),
            ("今日访客", figures["visits"], "gate.report", {"day": day.isoformat()}, False)]),
        ("提醒", [
            ("未读提醒", Notification.unread_count(user, estate), "accounts.notifications", {},
             False)]),
    ]


def week_days(monday):
    """The seven local dates of the week that begins on `monday`."""
    return [monday + timedelta(days=n) for n in range(7)]
