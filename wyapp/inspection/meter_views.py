"""Meters (抄表): the list, a meter's readings and replacement, the month report."""

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from ..auth import current_estate, get_or_404, role_required
from ..db import db, utcnow
from ..documents import pdf_response, render_pdf
from ..errors import DomainError, show_error
from ..idempotency import once
from ..inputs import fits_column, month_arg, require_day, require_month
from ..labels import confirm_reissue, current_label, issue_label, reissue_unconfirmed
from ..models import Building, Unit
from ..web import render
from .forms import MeterForm, ReadingForm, ReplacementForm, options
from .meters import month_report, previous_month, record_reading, replace_meter
from .models import Meter, MeterReading, MeterReplacement
from .sheets import parse_number
from .views import ENGINEERING, MANAGING, bp, engineering_only, refused


def _this_month():
    """The first day of the estate's current month (its wall time, not the server's)."""
    return current_estate().today(utcnow()).replace(day=1)


def _month_arg():
    """?month=2026-03, or this month when absent or not a month."""
    return month_arg("month", None) or _this_month()


@bp.route("/meters")
@role_required(*ENGINEERING)
def meters():
    """The month view: every meter's reading, consumption, flags, missing readings."""
    month = _month_arg()
    return render("inspection/meters.html", report=month_report(current_estate(), month),
                  previous=previous_month(month), following=previous_month(month, -1))


@bp.route("/meters/report.pdf")
@role_required(*ENGINEERING)
def meters_pdf():
    """抄表月报 as A4 PDF."""
    month = _month_arg()
    report = month_report(current_estate(), month)
    pdf = render_pdf("pdf/inspection_meters.html", title="抄表月报", estate=current_estate(),
                     period=f"{month:%Y年%m月}", report=report, signatures=["抄表人", "审核人"])
    return pdf_response(pdf, f"meters-{month:%Y-%m}.pdf")


def _meter_form(meter):
    form = MeterForm(obj=meter, unit=meter.unit_id or 0,
                     multiplier=f"{meter.multiplier.normalize():f}" if meter.id else "1")
    units = (Unit.select(Unit, Building).join(Building).where(Unit.estate == current_estate())
             .order_by(Building.name, Unit.number))
    form.unit.choices = options([(0, "公共表")] + [(u.id, u.label) for u in units])
    return form


@bp.route("/meters/new", methods=["GET", "POST"])
@role_required(*MANAGING)
def meter_new():
    """Add a water or electricity meter (public, or of one unit)."""
    meter = Meter(estate=current_estate())
    form = _meter_form(meter)
    if form.validate_on_submit():
        form.populate_obj(meter)
        meter.unit = get_or_404(Unit, form.unit.data) if form.unit.data else None
        try:
            meter.multiplier = fits_column(Meter.multiplier, parse_number(form.multiplier.data),
                                           "multiplier")
            if meter.multiplier <= 0:
                raise DomainError("倍率应大于 0。", "multiplier")
        except DomainError as error:
            show_error(form, error, default="multiplier")
        else:
            def save():
                with db.atomic():
                    meter.save()
                return meter
            made, _ = once(Meter, form.once_key, save, Meter.estate == meter.estate_id)
            return redirect(url_for("inspection.meter", meter_id=made.id))
    return render("inspection/meter_new.html", form=form)


def _meter_page(meter, form=None, replace_form=None, status=200, saved=None):
    """The meter's page (htmx: its readings block, the form and the history, so a reading
    just saved shows in the history at once). saved: the MeterReading just recorded."""
    form = form or ReadingForm(formdata=None, month=f"{_this_month():%Y-%m}")
    return render("inspection/meter.html", "readings", meter=meter, form=form, saved=saved,
                  replace_form=replace_form or ReplacementForm(formdata=None),
                  readings=meter.readings.order_by(MeterReading.month.desc()).limit(24),
                  replacements=list(meter.replacements),
                  label=current_label("meter", meter.id)), status


@bp.route("/meters/<int:meter_id>", methods=["GET", "POST"])
@role_required(*ENGINEERING)
def meter(meter_id):
    """A meter's readings; the form records this month's (flagged ones need a note)."""
    meter = get_or_404(Meter, meter_id)
    if request.method == "GET":
        return _meter_page(meter)
    form = ReadingForm()
    if form.validate_on_submit():
        try:
            saved, _ = once(MeterReading, form.once_key, lambda: record_reading(
                meter, require_month(form.month.data, "month"),
                parse_number(form.value.data), current_user, form.note.data),
                MeterReading.meter == meter)
        except DomainError as error:
            show_error(form, error, default="value")
        else:
            if request.htmx:  # the form afresh and the history with the new reading
                return _meter_page(meter, saved=saved)
            flash(f"已记录 {meter.name} {form.month.data} 读数。", "success")
            return redirect(url_for("inspection.meter", meter_id=meter.id))
    return _meter_page(meter, form, status=refused())


@bp.post("/meters/<int:meter_id>/replace")
@role_required(*ENGINEERING)
def meter_replace(meter_id):
    """Record a meter replacement (old final, new serial and start)."""
    meter = get_or_404(Meter, meter_id)
    form = ReplacementForm()
    if form.validate_on_submit():
        try:
            once(MeterReplacement, form.once_key, lambda: replace_meter(
                meter, current_user, require_day(form.replaced_on.data, "replaced_on"),
                parse_number(form.old_final.data), form.new_serial.data,
                parse_number(form.new_start.data)), MeterReplacement.meter == meter)
        except DomainError as error:
            show_error(form, error, default="old_final")
        else:
            flash("已记录换表。", "success")
            return redirect(url_for("inspection.meter", meter_id=meter.id))
    return _meter_page(meter, replace_form=form, status=422)


@bp.post("/meters/<int:meter_id>/label")
@role_required(*MANAGING)
def meter_label(meter_id):
    """Issue the meter's QR label (scanning it opens the reading form); re-issuing one in
    use asks first (the old label stops working)."""
    meter = get_or_404(Meter, meter_id)
    if reissue_unconfirmed("meter", meter.id):
        return confirm_reissue(f"抄表 {meter.name}", url_for("inspection.meter",
                                                             meter_id=meter.id))
    issue_label(current_estate(), "meter", meter.id)
    flash("已生成抄表标签。", "success")
    return redirect(url_for("inspection.meter", meter_id=meter.id))


def open_meter_label(label):
    """/c/<token> of a meter: its reading page."""
    if not current_user.has_role(*ENGINEERING):
        return engineering_only("抄表标签")
    meter = Meter.get_or_none(Meter.id == label.target_id) or abort(404)
    return _meter_page(meter)
