"""Trends and the company view: read from the daily rollup only (a 30-day trend is 30 rows),
plus today's live figures where the page shows today."""
from datetime import timedelta

from ..service.models import COMPLAINT_OPEN, ORDER_OPEN, Complaint, WorkOrder
from . import figures
from .charts import line_chart
from .figures import day_figures
from .models import FIGURES, DailyRollup, percent

RANGES = (7, 30)


def rollups(estate, first, last):
    """The rows of the local days first..last (dates) by day; a day without a row is None."""
    found = {r.day: r for r in DailyRollup.select().where(
        DailyRollup.estate == estate, DailyRollup.day >= first, DailyRollup.day <= last)}
    days, day = [], first
    while day <= last:
        days.append(day)
        day += timedelta(days=1)
    return days, [found.get(d) for d in days]


def _values(rows, get):
    return [None if r is None else get(r) for r in rows]


def charts(days, rows):
    """The dashboard's (and the 周报's) charts over `days` from their rollup rows."""
    def of(name):
        return _values(rows, lambda r: getattr(r, name))

    return [
        line_chart("巡更与日检完成率", "完成率（%）", days,
                   [("巡更", of("patrol_completion")),
                    ("设备日检", of("inspection_completion"))], percent=True),
        line_chart("漏巡与设备异常", "次数", days,
                   [("漏巡", of("rounds_missed")), ("异常项", of("abnormal_items"))]),
        line_chart("报修工单", "工单（单）", days,
                   [("新报修", of("orders_opened")), ("完工", of("orders_completed"))]),
        line_chart("按时完工率与回访满意率", "比率（%）", days,
                   [("按时完工", of("on_time_rate")), ("回访满意", of("satisfaction_rate"))],
                   percent=True),
        line_chart("投诉", "投诉（件）", days,
                   [("新投诉", of("complaints_received")), ("关闭", of("complaints_closed"))]),
        line_chart("访客与车辆", "人次 / 车次", days,
                   [("访客登记", of("visits")), ("车辆进场", of("vehicles"))]),
    ]


def trend(estate, today, span):
    """Charts of the `span` ended days before `today` (estate-local dates)."""
    days, rows = rollups(estate, today - timedelta(days=span), today - timedelta(days=1))
    return days, rows, charts(days, rows)


def page(estate, user, now, span, with_today=True):
    """What the dashboard shows `user` at `now` (naive UTC): today's figures (live; left out
    when only the trends are redrawn), the charts of the last `span` ended days and their
    day table (newest first)."""
    today = estate.today(now)
    days, rows, drawn = trend(estate, today, span)
    return {"today_groups": figures.today(estate, user, now) if with_today else None,
            "span": span, "charts": drawn, "day": today, "figures": FIGURES,
            "day_rows": list(zip(days, rows, strict=True))[::-1]}


# ── the company view ──
COLUMNS = (("patrol", "巡更完成率"), ("missed", "漏巡"), ("sheets_overdue", "日检超时"),
           ("orders_open", "工单处理中"), ("orders_overdue", "工单超时"),
           ("complaints_open", "投诉处理中"), ("complaints_overdue", "投诉超时"),
           ("week_patrol", "7日巡更完成率"), ("week_missed", "7日漏巡"),
           ("week_on_time", "7日按时完工率"), ("week_complaints", "7日新投诉"),
           ("week_satisfaction", "7日回访满意率"))


def estate_row(estate, now):
    """One estate's headline figures: today (live) and the last 7 ended days (rollup)."""
    today = estate.today(now)
    live = day_figures(estate, today, now)
    _, rows = rollups(estate, today - timedelta(days=7), today - timedelta(days=1))
    rows = [r for r in rows if r is not None]

    def total(name):
        return sum(getattr(r, name) for r in rows)

    orders = WorkOrder.select().where(WorkOrder.estate == estate,
                                      WorkOrder.status.in_(ORDER_OPEN))
    complaints = Complaint.select().where(Complaint.estate == estate,
                                          Complaint.status.in_(COMPLAINT_OPEN))
    return {"estate": estate,
            "patrol": percent(live["points_done"], live["points_total"]),
            "missed": live["rounds_missed"], "sheets_overdue": live["sheets_overdue"],
            "orders_open": orders.count(),
            "orders_overdue": orders.where(WorkOrder.due_at < now).count(),
            "complaints_open": complaints.count(),
            "complaints_overdue": complaints.where(Complaint.due_at < now).count(),
            "week_patrol": percent(total("points_done"), total("points_total")),
            "week_missed": total("rounds_missed"),
            "week_on_time": percent(total("orders_on_time"), total("orders_completed")),
            "week_complaints": total("complaints_received"),
            "week_satisfaction": percent(total("followups_satisfied"), total("followups"))}


def company(estates, now, sort="", descending=False):
    """The company view's rows, one per estate, sorted by a COLUMNS key (None last) or by
    name."""
    rows = [estate_row(e, now) for e in estates]
    if sort in dict(COLUMNS):
        present = [r for r in rows if r[sort] is not None]
        missing = [r for r in rows if r[sort] is None]
        present.sort(key=lambda r: (r[sort], r["estate"].name), reverse=descending)
        return present + missing
    return sorted(rows, key=lambda r: r["estate"].name, reverse=descending)
