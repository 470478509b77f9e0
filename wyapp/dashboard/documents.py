"""The 周报 as an archive document (cadence "record", key "W<Monday>"): filed when the
manager signs it off, again (a new version) when a correction is signed."""
from datetime import timedelta

from ..features import DocumentKind
from .models import SIGNED, WeeklyReport
from .weekly import document_data, week_from_key, week_key, week_label

RECHECK = timedelta(days=30)


def collect_week(estate, key):
    """The signed report of the week `key` names (its JSON data), or None (not signed)."""
    monday = week_from_key(key)
    report = monday and WeeklyReport.get_or_none(
        WeeklyReport.estate == estate, WeeklyReport.week == monday)
    if not report or report.status != SIGNED:
        return None
    return document_data(report)


def due_weeks(estate, now):
    """Keys of the reports signed in the last 30 days (the archive's hourly sweep)."""
    return [week_key(r.week) for r in WeeklyReport.select(WeeklyReport.week).where(
        WeeklyReport.estate == estate, WeeklyReport.status == SIGNED,
        WeeklyReport.signed_at >= now - RECHECK).order_by(WeeklyReport.week)]


def label_week(key):
    monday = week_from_key(key)
    return week_label(monday) if monday else key


WEEKLY_REPORT = DocumentKind(
    code="weekly_report", title="周报", template="dashboard/weekly_pdf.html",
    collect=collect_week, cadence="record", due=due_weeks, label=label_week,
    roles=frozenset({"supervisor", "manager"}), signatures=("编制人", "审核人"), group="周报",
    sections={"figures": "本周工作总结", "highlights": "本周重点工作说明",
              "plan": "下周工作计划", "previous_plan": "上周计划完成情况",
              "edited_by": "编制人", "signed_by": "审核人", "signed_at": "审核时间",
              "revision": "审核次数", "week": "周次", "label": "周次"})
