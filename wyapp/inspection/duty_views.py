"""The duty log page: who is on duty, events, 交班 and 接班确认."""
from flask import flash, redirect, url_for
from flask_login import current_user

from ..auth import current_estate, get_or_404, role_required
from ..errors import DomainError, show_error
from ..idempotency import once
from ..web import render
from .duty import (
    add_event,
    awaiting_confirmation,
    hand_over,
    handover_text,
    on_duty,
    recent_shifts,
    take_over,
)
from .forms import DutyEventForm, HandoverForm
from .models import DutyEvent, DutyShift
from .views import ENGINEERING, bp, refused


def _duty_page(event_form=None, handover_form=None, status=200):
    estate = current_estate()
    current = on_duty(estate)
    events = list(current.events.order_by(DutyEvent.happened_at)) if current else []
    return render("inspection/duty.html", "duty", current=current, events=events,
                  handed=awaiting_confirmation(estate), shifts=recent_shifts(estate),
                  handover_text=handover_text,
                  event_form=event_form or DutyEventForm(formdata=None),
                  handover_form=handover_form or HandoverForm(formdata=None)), status


@bp.route("/duty")
@role_required(*ENGINEERING)
def duty():
    """值班记录: the shift on duty, the handover waiting for 接班确认, recent shifts."""
    return _duty_page()


@bp.post("/duty/take-over")
@role_required("engineer")
def duty_take_over():
    """接班 (and 接班确认 of the handover waiting, if any)."""
    try:
        take_over(current_estate(), current_user)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("已接班。", "success")
    return redirect(url_for("inspection.duty"))


@bp.post("/duty/<int:shift_id>/events")
@role_required("engineer")
def duty_event(shift_id):
    """Record an event during the shift."""
    shift = get_or_404(DutyShift, shift_id)
    form = DutyEventForm()
    if form.validate_on_submit():
        try:
            once(DutyEvent, form.once_key, lambda: add_event(shift, current_user,
                                                              form.text.data),
                 DutyEvent.shift == shift)
        except DomainError as error:
            show_error(form, error, default="text")
        else:
            return _duty_page()
    return _duty_page(event_form=form, status=refused())


@bp.post("/duty/<int:shift_id>/hand-over")
@role_required("engineer")
def duty_hand_over(shift_id):
    """交班: pending matters and equipment status for the next engineer."""
    shift = get_or_404(DutyShift, shift_id)
    form = HandoverForm()
    if form.validate_on_submit():
        try:
            hand_over(shift, current_user, form.pending.data, form.equipment_status.data)
        except DomainError as error:
            show_error(form, error, default="pending")
        else:
            flash("已交班，等待下一班接班确认。", "success")
            return redirect(url_for("inspection.duty"))
    return _duty_page(handover_form=form, status=422)

