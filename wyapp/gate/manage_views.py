"""Supervisors and managers: the watchlist, the estate's gate rules, the daily reports."""

from flask import Response, flash, redirect, url_for
from flask_login import current_user

from ..auth import current_estate, get_or_404, role_required, scoped
from ..db import db, utcnow
from ..documents import pdf_response, render_pdf
from ..errors import DomainError
from ..idempotency import once
from ..inputs import day_arg
from ..web import render
from .forms import SettingsForm, WatchForm
from .models import GateSettings, PurgeRun, WatchEntry
from .reports import daily_visitor_log, vehicles_per_day, visitor_log_csv
from .views import BOSS, bp
from .watchlist import add_watch


@bp.route("/watchlist", methods=["GET", "POST"])
@role_required(*BOSS)
def watchlist():
    """关注名单: names, phones, ID numbers (kept only as a hash) and plates, with a reason."""
    estate, form = current_estate(), WatchForm()
    if form.validate_on_submit():
        try:
            once(WatchEntry, form.once_key, lambda: add_watch(
                estate, current_user, **{k: form.data[k] for k in
                                         ("name", "phone", "id_number", "plate", "reason")}),
                WatchEntry.estate == estate)
        except DomainError as error:
            form.show(error)
        else:
            flash("已加入关注名单。", "success")
            return redirect(url_for("gate.watchlist"))
    entries = scoped(WatchEntry).where(WatchEntry.active).order_by(WatchEntry.created_at.desc())
    return render("gate/watchlist.html", form=form, entries=entries), 422 if form.errors else 200


@bp.post("/watchlist/<int:entry_id>/remove")
@role_required(*BOSS)
def watch_remove(entry_id):
    """Take an entry off the list (kept, inactive, for the record)."""
    entry = get_or_404(WatchEntry, entry_id)
    with db.atomic():
        entry.active = False
        entry.save()
    flash("已移出关注名单。", "success")
    return redirect(url_for("gate.watchlist"))


@bp.route("/settings", methods=["GET", "POST"])
@role_required(*BOSS)
def settings():
    """Long-stay hours, retention days, whether the full ID number is stored."""
    estate = current_estate()
    current = GateSettings.of(estate)
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        form.populate_obj(current)
        with db.atomic():
            current.save()
        flash("门岗设置已保存。", "success")
        return redirect(url_for("gate.settings"))
    runs = scoped(PurgeRun).order_by(PurgeRun.ran_at.desc()).limit(10)
    return render("gate/settings.html", form=form, runs=runs), 422 if form.errors else 200


def _report_day(estate):
    return day_arg("day", estate.today(utcnow()))


@bp.route("/report")
@role_required(*BOSS)
def report():
    """来访登记日志 of one day: by purpose, peak hours, on site at midnight, vehicles."""
    estate = current_estate()
    day = _report_day(estate)
    return render("gate/report.html", log=daily_visitor_log(estate, day, utcnow()),
                  week=vehicles_per_day(estate, day))


@bp.route("/report.pdf")
@role_required(*BOSS)
def report_pdf():
    """The same day's log as an A4 PDF (ID numbers and phones masked)."""
    estate = current_estate()
    log = daily_visitor_log(estate, _report_day(estate), utcnow())
    pdf = render_pdf("pdf/gate_visitor_log.html", title="来访登记日志", estate=estate,
                     period=str(log["day"]), log=log, signatures=["门岗值班员", "审核人"])
    return pdf_response(pdf, f"visitor-log-{log['day']}.pdf")


@bp.route("/report.csv")
@role_required(*BOSS)
def report_csv():
    """The same day's rows for Excel (UTF-8 with BOM; ID numbers and phones masked)."""
    estate = current_estate()
    log = daily_visitor_log(estate, _report_day(estate), utcnow())
    return Response("\ufeff" + visitor_log_csv(log), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename=visitor-log-{log['day']}.csv"})
