"""周报: the weekly report of an estate (SPEC §8; the 主任 "负责每周工作总结及下周的工作计划的
汇报", the 副主任 "组织物业服务中心每周例会，做好工作总结").

Every Monday (estate time) the periodic job drafts last week's report from the daily rollup
and a few live counts (compile_week), each figure beside the week before's; the manager adds
本周重点工作说明 and 下周工作计划 (items with owner and due date), marks last week's plan
完成/未完成, and signs it off (审核): it is then filed in the archive (DocumentKind 周报).
A correction after sign-off reopens it; signing again files a new archive version.
"""
import json
import operator
from datetime import date, timedelta
from functools import reduce

from flask import current_app, has_request_context, url_for
from peewee import JOIN, IntegrityError, fn

from .. import features
from ..db import db
from ..errors import DomainError
from ..inspection.meters import month_report
from ..models import Estate, User, notify
from ..patrol.models import Incident
from ..service.models import (
    COMPLAINT_OPEN,
    ORDER_OPEN,
    Complaint,
    ComplaintCause,
    WorkOrder,
)
from .figures import week_days
from .models import DRAFT, FIGURES, SIGNED, DailyRollup, PlanItem, WeeklyReport, percent
from .rollup import SETTLE, recompute

MANAGERS = ("manager",)
READERS = ("supervisor", "manager", "admin")
MAX_PLAN_ITEMS = 30


def monday_of(day):
    return day - timedelta(days=day.weekday())


def week_key(monday):
    """The archive's key of a week's report: "W2026-06-08" (its Monday)."""
    return f"W{monday.isoformat()}"


def week_from_key(key):
    """The Monday a key names, or None when it is not a week key."""
    try:
        day = date.fromisoformat(str(key)[1:]) if str(key).startswith("W") else None
    except ValueError:
        return None
    return day if day and day.weekday() == 0 else None


def week_label(monday):
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


def draft(estate, monday, now):
    """Draft the report of the week beginning `monday` once: returns (report, created).
    Two workers at once: the unique (estate, week) keeps one row, the other reads it."""
    report = WeeklyReport.get_or_none(WeeklyReport.estate == estate, WeeklyReport.week == monday)
    if report is not None:
        return report, False
    figures = json.dumps(compile_week(estate, monday, now), ensure_ascii=False)
    try:
        with db.atomic():
            report = WeeklyReport.create(estate=estate, week=monday, figures=figures,
                                         drafted_at=now)
    except IntegrityError:
        return WeeklyReport.get(WeeklyReport.estate == estate, WeeklyReport.week == monday), False
    return report, True


def draft_due(now):
    """The periodic job: from Monday (estate time) on, draft last week's report of every
    active estate that existed then, and tell its managers. A draft made before Sunday
    settled (Monday 12:00 estate time) is compiled once more after it, unless signed: a
    report drafted at 00:00 would otherwise keep Sunday's night rounds as still being walked
    and its night-shift sheets as not yet due. `now`: naive UTC. Returns how many were
    drafted.

    Set-based (issue 23): last week's Monday comes from each estate's clock (once per time
    zone), then one read of those weeks' reports of every estate at once (their state, not
    their figures); only an estate with no report yet, or with a draft to compile again, does
    any more. Safe on two workers at once: the unique (estate, week) row (draft) and the
    conditional update of a draft (_recompile)."""
    mondays, wanted = {}, []
    for estate in Estate.active_ones():
        if estate.timezone not in mondays:
            mondays[estate.timezone] = monday_of(estate.today(now)) - timedelta(days=7)
        monday = mondays[estate.timezone]
        if estate.today(estate.created_at) <= monday + timedelta(days=6):
            wanted.append((estate, monday))
    if not wanted:
        return 0
    weeks = {}
    for estate, monday in wanted:
        weeks.setdefault(monday, []).append(estate.id)
    found = {estate_id: (report_id, status, drafted_at)
             for report_id, estate_id, status, drafted_at in WeeklyReport.select(
                 WeeklyReport.id, WeeklyReport.estate, WeeklyReport.status,
                 WeeklyReport.drafted_at).where(reduce(operator.or_, [
                     WeeklyReport.estate.in_(ids) & (WeeklyReport.week == monday)
                     for monday, ids in weeks.items()])).tuples()}
    count = 0
    for estate, monday in wanted:
        if estate.id in found:
            report_id, status, drafted_at = found[estate.id]
            settled = settled_at(estate, monday + timedelta(days=6))
            if status == DRAFT and drafted_at < settled <= now:
                with db.atomic():
                    _recompile(WeeklyReport.get_by_id(report_id), now)
            continue
        with db.atomic():
            report, created = draft(estate, monday, now)
            if created:
                count += 1
                notify(User.with_role(estate, *MANAGERS), estate, "weekly_report",
                       f"周报草稿已生成：{week_label(monday)}",
                       "请补充本周重点工作说明和下周工作计划后审核。", _link(report))
    return count


def _recompile(report, now):
    """Compile a draft's figures again as of `now`; only the figures and when they were
    compiled (drafted_at) are written, so the manager's text saved meanwhile stays, and a
    report signed meanwhile is left as signed."""
    figures = json.dumps(compile_week(report.estate, report.week, now), ensure_ascii=False)
    (WeeklyReport.update(figures=figures, drafted_at=now)
     .where(WeeklyReport.id == report.id, WeeklyReport.status == DRAFT).execute())
    report.figures, report.drafted_at = figures, now


def refresh(report, now):
    """更新数据: compile a draft's figures again (late records, corrected rollups)."""
    _editable(report)
    _recompile(report, now)
    return report


def _editable(report):
    if report.signed:
        raise DomainError("周报已审核；如需更正，请先点“更正”。")


def set_highlights(report, text, user):
    _editable(report)
    text = (text or "").strip()
    if len(text) > 2000:
        raise DomainError("本周重点工作说明不能超过 2000 个字。", "highlights")
    report.highlights, report.edited_by = text, user
    report.save()
    return report


def add_plan_item(report, text, owner, due, user):
    """One line of 下周工作计划: what (≤ 200 字), who (≤ 40 字), by when (a date in the
    week after the report's or later). Raises DomainError beside the field."""
    _editable(report)
    text, owner = (text or "").strip(), (owner or "").strip()
    if not text:
        raise DomainError("请填写工作内容。", "text")
    if not owner:
        raise DomainError("请填写负责人。", "owner")
    if due is None:
        raise DomainError("请填写完成日期，如 2026-06-19。", "due")
    if due < report.week + timedelta(days=7):
        raise DomainError("完成日期应在下周或以后。", "due")
    if report.plan_items.count() >= MAX_PLAN_ITEMS:
        raise DomainError(f"下周工作计划最多 {MAX_PLAN_ITEMS} 项。", "text")
    position = (report.plan_items.select(fn.MAX(PlanItem.position)).scalar() or 0) + 1
    item = PlanItem.create(report=report, text=text[:200], owner=owner[:40], due=due,
                           position=position)
    report.edited_by = user
    report.save()
    return item


def remove_plan_item(report, item):
    _editable(report)
    item.delete_instance()


def previous_report(report):
    return WeeklyReport.get_or_none(WeeklyReport.estate == report.estate_id,
                                    WeeklyReport.week == report.week - timedelta(days=7))


def mark_previous(report, item, done):
    """On this week's report, mark an item of last week's plan 完成 (True) / 未完成 (False)."""
    _editable(report)
    previous = previous_report(report)
    if previous is None or item.report_id != previous.id:
        raise DomainError("这一项不属于上周的工作计划。")
    item.done = done
    item.save()
    return item


def sign(report, user, now):
    """审核: the manager signs the report off; it is then filed in the archive (a new version
    when it was signed before). The draft is taken by a conditional UPDATE, so two taps at
    once sign it once; the second (or a signed report) raises DomainError."""
    taken = (WeeklyReport.update(status=SIGNED, signed_by=user, signed_at=now,
                                 edited_by=fn.COALESCE(WeeklyReport.edited_by, user.id),
                                 revision=WeeklyReport.revision + 1)
             .where(WeeklyReport.id == report.id, WeeklyReport.status == DRAFT).execute())
    if not taken:
        raise DomainError("周报已审核；如需更正，请先点“更正”。")
    report = WeeklyReport.get_by_id(report.id)
    estate = report.estate
    notify(User.with_role(estate, "supervisor", "manager"), estate, "weekly_report",
           f"周报已审核：{week_label(report.week)}", f"审核人：{user.display_name}",
           _link(report))
    return report


def _link(report):
    """The report's page, also from the periodic job (which has no request)."""
    if has_request_context():
        return url_for("dashboard.weekly", report_id=report.id)
    return current_app.url_map.bind("localhost").build("dashboard.weekly",
                                                       {"report_id": report.id})


def reopen(report, user):
    """更正: a signed report becomes a draft again; signing it again files a new version."""
    if not report.signed:
        raise DomainError("周报还未审核，可以直接修改。")
    report.status, report.edited_by = DRAFT, user
    report.save()
    return report


def plan_rows(report):
    return [{"id": i.id, "text": i.text, "owner": i.owner, "due": i.due.isoformat(),
             "done": i.done} for i in report.plan_items.order_by(PlanItem.position)]


def document_data(report):
    """What the archive files for a signed report (JSON-able)."""
    previous = previous_report(report)
    return {"week": report.week.isoformat(), "label": week_label(report.week),
            "figures": json.loads(report.figures), "highlights": report.highlights,
            "plan": [{k: v for k, v in row.items() if k != "id"} for row in plan_rows(report)],
            "previous_plan": [{k: v for k, v in row.items() if k != "id"}
                              for row in (plan_rows(previous) if previous else [])],
            "edited_by": report.edited_by.display_name if report.edited_by_id else "",
            "signed_by": report.signed_by.display_name if report.signed_by_id else "",
            "signed_at": report.estate.local(report.signed_at).strftime("%Y-%m-%d %H:%M")
            if report.signed_at else "", "revision": report.revision}
