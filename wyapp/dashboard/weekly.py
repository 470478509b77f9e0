"""周报: the weekly report of an estate (SPEC §8; the 主任 "负责每周工作总结及下周的工作计划的
汇报", the 副主任 "组织物业服务中心每周例会，做好工作总结").

Every Monday (estate time) the periodic job drafts last week's report from the daily rollup
and a few live counts (compile_week), each figure beside the week before's; the manager adds
本周重点工作说明 and 下周工作计划 (items with owner and due date), marks last week's plan
完成/未完成, and signs it off (审核): it is then filed in the archive (DocumentKind 周报).
A correction after sign-off reopens it; signing again files a new archive version.
The figures themselves are compiled in weekly_figures.py.
"""
import json
import operator
from datetime import date, timedelta
from functools import reduce

from flask import current_app, has_request_context, url_for
from peewee import IntegrityError, fn

from ..db import db
from ..errors import DomainError
from ..models import Estate, User, notify
from .models import DRAFT, SIGNED, PlanItem, WeeklyReport
from .weekly_figures import compile_week, settled_at, week_label

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
