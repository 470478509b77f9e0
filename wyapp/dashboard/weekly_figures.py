"""周报 figures: compile_week, the 本周工作总结 of an estate's week (SPEC §8) that
weekly.draft stores in WeeklyReport.figures, each figure beside the week before's, from the
daily rollup (recomputing the ended days it has not come to yet) and a few live counts
(complaints by root cause, 重大投诉, meter readings, what is still open, 例会待办).

The report's life cycle (drafting, editing, plan items, sign-off, reopen) is in weekly.py.
"""
from datetime import timedelta

from peewee import JOIN, fn

from .. import features
from ..inspection.meters import month_report
from ..patrol.models import Incident
from ..service.models import (
    COMPLAINT_OPEN,
    ORDER_OPEN,
    Complaint,
    ComplaintCause,
    WorkOrder,
)
from .figures import week_days
from .models import FIGURES, DailyRollup, percent
from .rollup import SETTLE, recompute


def week_label(monday):
    """The week of `monday` (a date) in words: "2026年6月8日—6月14日" (str)."""
    sunday = monday + timedelta(days=6)
    return f"{monday.year}年{monday.month}月{monday.day}日—{sunday.month}月{sunday.day}日"


def settled_at(estate, day):
    """When the local `day`'s figures are final (naive UTC): SETTLE after its midnight (the
    rollup's rule: its night rounds and night-shift sheets run on into the next morning)."""
    return estate.day_bounds(day)[1] + SETTLE


def _rows(estate, days, now):
    """The rollup rows of `days`: an ended day with no row, or with a row computed before
    the day settled when it has settled by `now`, is computed now (the periodic rollup may
    not have come to it yet in this tick)."""
    rows = {r.day: r for r in DailyRollup.select().where(
        DailyRollup.estate == estate, DailyRollup.day.in_(days))}
    today = estate.today(now)
    for day in days:
        row = rows.get(day)
        if day < today and (row is None or row.computed_at < settled_at(estate, day) <= now):
            rows[day] = recompute(estate, day, now)
    return [rows.get(d) for d in days]


def _sum(rows):
    total = dict.fromkeys((name for name, _ in FIGURES), 0)
    for row in rows:
        if row is not None:
            for name in total:
                total[name] += getattr(row, name)
    return total


def _pct(figures, part, whole):
    value = percent(figures[part], figures[whole])
    return "—" if value is None else f"{value}%"


def _lines(this, prev, spec):
    """[(label, this week, the week before)] for a section: spec [(label, column | rate)]."""
    lines = []
    for label, what in spec:
        if isinstance(what, tuple):
            lines.append([label, _pct(this, *what), _pct(prev, *what)])
        else:
            lines.append([label, this[what], prev[what]])
    return lines


def _between(column, start, end):
    return (column >= start) & (column < end)


def _causes(estate, start, end):
    rows = (Complaint.select(fn.COALESCE(ComplaintCause.name, "未分类"), fn.COUNT(Complaint.id))
            .join(ComplaintCause, JOIN.LEFT_OUTER, on=(Complaint.cause == ComplaintCause.id))
            .where(Complaint.estate == estate, _between(Complaint.received_at, start, end))
            .group_by(fn.COALESCE(ComplaintCause.name, "未分类")).tuples())
    return sorted(([name, n] for name, n in rows), key=lambda pair: (-pair[1], pair[0]))


def _inspection_orders(estate, start, end):
    return WorkOrder.select().where(WorkOrder.estate == estate,
                                    WorkOrder.origin_kind == "inspection_item",
                                    _between(WorkOrder.created_at, start, end)).count()


def _meters(estate, sunday):
    report = month_report(estate, sunday.replace(day=1))
    read = sum(r["reading"] is not None for r in report["rows"])
    public = report["public"]["本月"]
    return {"month": f"{sunday.year}年{sunday.month}月", "meters": len(report["rows"]),
            "read": read, "missing": len(report["missing"]), "flagged": len(report["flagged"]),
            "water": f"{public['水']:g}", "power": f"{public['电']:g}"}


def _still_open(estate, end):
    orders = WorkOrder.select().where(WorkOrder.estate == estate,
                                      WorkOrder.status.in_(ORDER_OPEN))
    complaints = Complaint.select().where(Complaint.estate == estate,
                                          Complaint.status.in_(COMPLAINT_OPEN))
    oldest = [[o.code, o.where or o.category, o.description[:40]] for o in
              orders.order_by(WorkOrder.created_at).limit(5)]
    oldest += [[c.code, c.who, c.content[:40]] for c in
               complaints.order_by(Complaint.received_at).limit(5)]
    return {"orders": orders.count(), "orders_overdue": orders.where(WorkOrder.due_at < end)
            .count(), "complaints": complaints.count(),
            "complaints_overdue": complaints.where(Complaint.due_at < end).count(),
            "incidents": Incident.select().where(Incident.estate == estate,
                                                 Incident.status == "待处理").count(),
            "oldest": oldest}


def _actions(estate, last_day, end):
    """例会待办 open at the week's end (issue 21: staff.meetings.open_at) as [[owner, item,
    due date ISO, done since]]; [] when the staff feature is not enabled."""
    if "wyapp.staff" not in features.ENABLED:
        return []
    try:
        from ..staff.meetings import open_at
    except ImportError:
        return []
    return [[a.owner.display_name, a.text, a.due_on.isoformat(), a.done_at is not None]
            for a in open_at(estate, last_day, end)]


def compile_week(estate, monday, now):
    """本周工作总结 of the week beginning `monday` (estate-local dates) as of `now` (naive UTC):
    a JSON-able dict of sections, each [(label, this week, the week before)], the daily
    series for the charts, complaints by root cause, 重大投诉, what is still open."""
    days, before = week_days(monday), week_days(monday - timedelta(days=7))
    rows, prev_rows = _rows(estate, days, now), _rows(estate, before, now)
    this, prev = _sum(rows), _sum(prev_rows)
    start, end = estate.day_bounds(days[0], days[-1])
    p_start, p_end = estate.day_bounds(before[0], before[-1])
    this["inspection_orders"] = _inspection_orders(estate, start, end)
    prev["inspection_orders"] = _inspection_orders(estate, p_start, p_end)
    majors = Complaint.select().where(Complaint.estate == estate, Complaint.major,
                                      _between(Complaint.received_at, start, end))
    sections = [
        ["巡更", _lines(this, prev, [("巡更任务", "rounds"), ("已完成", "rounds_done"),
                                   ("部分完成", "rounds_partial"), ("漏巡", "rounds_missed"),
                                   ("巡点完成率", ("points_done", "points_total")),
                                   ("异常打卡", "scans_flagged"), ("巡更异常", "incidents")])],
        ["设备日检", _lines(this, prev, [("应检表", "sheets_due"), ("已检表", "sheets_done"),
                                     ("超时未检", "sheets_overdue"),
                                     ("完成率", ("sheets_done", "sheets_due")),
                                     ("异常项", "abnormal_items"),
                                     ("巡检生成工单", "inspection_orders")])],
        ["门岗", _lines(this, prev, [("访客登记", "visits"), ("车辆进场", "vehicles"),
                                   ("放行条", "slips_released"), ("关注名单命中", "watch_hits")])],
        ["报修工单", _lines(this, prev, [("新报修", "orders_opened"), ("完工", "orders_completed"),
                                     ("按时完工率", ("orders_on_time", "orders_completed")),
                                     ("超时未完工（日末）", "orders_overdue")])],
        ["投诉", _lines(this, prev, [("新投诉", "complaints_received"),
                                   ("关闭", "complaints_closed"),
                                   ("超时未回复（日末）", "complaints_overdue"),
                                   ("重大投诉", "complaints_major")])],
        ["回访", _lines(this, prev, [("回访次数", "followups"),
                                   ("满意/基本满意", "followups_satisfied"),
                                   ("满意率", ("followups_satisfied", "followups"))])],
    ]
    daily = [{"day": d.isoformat(), **({name: getattr(r, name) for name, _ in FIGURES}
                                       if r is not None else {})}
             for d, r in zip(days, rows, strict=True)]
    return {"week": monday.isoformat(), "label": week_label(monday),
            "previous_label": week_label(monday - timedelta(days=7)),
            "sections": sections, "daily": daily,
            "causes": _causes(estate, start, end),
            "majors": [[c.code, c.who, c.content[:60], c.status] for c in majors],
            "meters": _meters(estate, days[-1]), "open": _still_open(estate, end),
            "actions": _actions(estate, days[-1], end)}
