"""周报 pages: the list of weeks, one report (read on the phone, completed, signed off)."""
import json
from datetime import timedelta

from flask import abort, flash, redirect, url_for
from flask_login import current_user

from ..auth import current_estate, get_or_404, role_required, scoped
from ..db import db, utcnow
from ..errors import DomainError, show_error
from ..idempotency import once
from ..inputs import parse_day
from ..web import render
from . import weekly as rules
from .forms import ActionForm, HighlightsForm, MarkForm, PlanItemForm
from .models import PlanItem, WeeklyReport
from .views import bp

READERS = ("supervisor", "manager", "admin")


@bp.route("/weekly")
@role_required(*READERS)
def weekly_list():
    """Every week's report of the current estate, newest first."""
    reports = scoped(WeeklyReport).order_by(WeeklyReport.week.desc())
    return render("dashboard/weekly_list.html", reports=reports, form=ActionForm(),
                  label=rules.week_label)


@bp.post("/weekly/draft")
@role_required("manager")
def weekly_draft():
    """Draft last week's report now (the Monday job does it too); opens it."""
    estate, now = current_estate(), utcnow()
    if not ActionForm().validate_on_submit():
        abort(400)
    monday = rules.monday_of(estate.today(now)) - timedelta(days=7)
    with db.atomic():
        report, _ = rules.draft(estate, monday, now)
    return redirect(url_for("dashboard.weekly", report_id=report.id))


def _page(report, status=200, **forms):
    previous = rules.previous_report(report)
    data = json.loads(report.figures)
    context = {"highlights_form": HighlightsForm(formdata=None,
                                                 data={"highlights": report.highlights}),
               "plan_form": PlanItemForm(formdata=None), "action": ActionForm(),
               "mark_form": MarkForm(formdata=None), **forms}
    return render("dashboard/weekly.html", report=report, data=data,
                  plan=rules.plan_rows(report),
                  previous_plan=rules.plan_rows(previous) if previous else [],
                  label=rules.week_label(report.week),
                  editable=current_user.has_role("manager") and not report.signed,
                  **context), status


@bp.route("/weekly/<int:report_id>")
@role_required(*READERS)
def weekly(report_id):
    """One week's report: 本周工作总结 against the week before, the charts, 重点说明, 计划."""
    return _page(get_or_404(WeeklyReport, report_id))


def _act(report_id, form, action, form_name):
    """Run one manager's edit of a report; the page again with the error beside its field."""
    report = get_or_404(WeeklyReport, report_id)
    if form.validate_on_submit():
        try:
            with db.atomic():
                action(report)
        except DomainError as error:
            show_error(form, error)
        else:
            return redirect(url_for("dashboard.weekly", report_id=report.id))
    return _page(report, 422, **{form_name: form})


@bp.post("/weekly/<int:report_id>/highlights")
@role_required("manager")
def weekly_highlights(report_id):
    """Save 本周重点工作说明."""
    form = HighlightsForm()
    return _act(report_id, form, lambda r: rules.set_highlights(
        r, form.highlights.data, current_user), "highlights_form")


@bp.post("/weekly/<int:report_id>/plan")
@role_required("manager")
def weekly_plan_add(report_id):
    """Add one item to 下周工作计划 (once per form key)."""
    form = PlanItemForm()

    def add(report):
        due = parse_day(form.due.data)
        if due is None:
            raise DomainError("请填写完成日期，如 2026-06-19。", "due")
        once(PlanItem, form.once_key, lambda: rules.add_plan_item(
            report, form.text.data, form.owner.data, due, current_user),
            PlanItem.report == report)
    return _act(report_id, form, add, "plan_form")


@bp.post("/weekly/<int:report_id>/plan/<int:item_id>/delete")
@role_required("manager")
def weekly_plan_delete(report_id, item_id):
    """Remove an item of 下周工作计划 (drafts only)."""
    def remove(report):
        item = PlanItem.get_or_none(PlanItem.id == item_id, PlanItem.report == report)
        if item is None:
            abort(404)
        rules.remove_plan_item(report, item)
    return _act(report_id, ActionForm(), remove, "action")


@bp.post("/weekly/<int:report_id>/previous/<int:item_id>")
@role_required("manager")
def weekly_mark(report_id, item_id):
    """Mark an item of last week's plan 完成 / 未完成 on this week's report."""
    form = MarkForm()

    def mark(report):
        item = PlanItem.get_or_none(PlanItem.id == item_id)
        if item is None:
            abort(404)
        rules.mark_previous(report, item, form.done.data == "1")
    return _act(report_id, form, mark, "mark_form")


@bp.post("/weekly/<int:report_id>/refresh")
@role_required("manager")
def weekly_refresh(report_id):
    """更新数据: compile a draft's figures again."""
    return _act(report_id, ActionForm(), lambda r: rules.refresh(r, utcnow()), "action")


@bp.post("/weekly/<int:report_id>/reopen")
@role_required("manager")
def weekly_reopen(report_id):
    """更正: reopen a signed report; signing it again files a new archive version."""
    return _act(report_id, ActionForm(), lambda r: rules.reopen(r, current_user), "action")


@bp.post("/weekly/<int:report_id>/sign")
@role_required("manager")
def weekly_sign(report_id):
    """审核: sign the report off and file it in the archive (off the request, by the queue)."""
    from ..archive.tasks import file_document_task

    report = get_or_404(WeeklyReport, report_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return _page(report, 422, action=form)
    try:
        with db.atomic():
            rules.sign(report, current_user, utcnow())
    except DomainError as error:
        return _page(report, 422, action=show_error(form, error))
    file_document_task("weekly_report", report.estate_id, rules.week_key(report.week))
    flash("周报已审核，正在归档。", "success")
    return redirect(url_for("dashboard.weekly", report_id=report.id))
