"""巡更异常: a guard reports one; a supervisor comments, closes, or makes a work order."""
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from ..auth import current_estate, estate_required, get_or_404, role_required, scoped
from ..db import utcnow
from ..errors import DomainError, show_error
from ..inputs import posted_id
from ..offline import action_meta, keep_offline
from ..photos import save_photos
from ..web import render
from .forms import CommentForm, IncidentForm
from .incidents import (
    close_incident,
    comment_incident,
    incident_by_key,
    incident_to_work_order,
    report_incident,
)
from .models import Checkpoint, Incident
from .views import LEADS, WALKERS, bp


@bp.route("/incidents")
@role_required(*WALKERS)
@estate_required
def incidents():
    """巡更异常 by state (a supervisor starts at 待处理); a guard sees only their own."""
    rows = scoped(Incident).order_by(Incident.created_at.desc())
    if not current_user.has_role(*LEADS):
        rows = rows.where(Incident.reported_by == current_user)
    state = request.args.get("state", "待处理" if current_user.has_role(*LEADS) else "")
    if state in ("待处理", "已关闭", "已转工单"):
        rows = rows.where(Incident.status == state)
    return render("patrol/incidents.html", incidents=rows.limit(200), state=state)


@bp.route("/incidents/new", methods=["GET", "POST"])
@role_required(*WALKERS)
@estate_required
def incident_new():
    """Report an incident found on patrol: category, what was seen, up to 6 photos."""
    form = IncidentForm(checkpoint_id=request.args.get("checkpoint", ""))
    checkpoint = _incident_checkpoint(form.checkpoint_id.data)
    meta = action_meta()
    incident = incident_by_key(current_user, meta.key)
    if incident is None and form.validate_on_submit():
        estate = current_estate()
        try:
            photos = save_photos(estate, request.files.getlist(form.photos.name),
                                 current_user, limit=6)
        except DomainError as error:
            show_error(form, error, default="photos")
        else:
            incident = report_incident(
                estate, current_user, form.category.data, form.text.data, utcnow(),
                photos=photos, checkpoint=checkpoint, client_id=meta.key,
                device_at=meta.device_time, queued=meta.queued)
    if incident is not None:
        target = url_for("patrol.incident", incident_id=incident.id)
        if request.htmx:
            return "", 204, {"HX-Redirect": target}
        flash("已上报巡更异常，主管会尽快处理。", "success")
        return redirect(target)
    page = render("patrol/incident_form.html", "incident_form", form=form, checkpoint=checkpoint)
    return keep_offline(page) if request.method == "GET" else page


def _incident_checkpoint(value):
    """The estate's checkpoint named by the form's checkpoint_id (text; a posted file or
    anything else: none)."""
    checkpoint_id = posted_id(value)
    if checkpoint_id is None:
        return None
    return scoped(Checkpoint).where(Checkpoint.id == checkpoint_id).first()


def _incident_or_404(incident_id):
    incident = get_or_404(Incident, incident_id)
    if not current_user.has_role(*LEADS) and incident.reported_by_id != current_user.id:
        abort(404)
    return incident


@bp.route("/incidents/<int:incident_id>", methods=["GET", "POST"])
@role_required(*WALKERS)
@estate_required
def incident(incident_id):
    """One incident with photos and comments; a supervisor comments here."""
    incident = _incident_or_404(incident_id)
    form = CommentForm()
    if request.method == "POST":
        if not current_user.has_role(*LEADS):
            abort(403)
        if form.validate_on_submit():
            comment_incident(incident, current_user, form.text.data, utcnow())
            flash("已添加处理意见。", "success")
            return redirect(url_for("patrol.incident", incident_id=incident.id))
    return _incident_page(incident, form)


def _incident_page(incident, form=None, error=None, status=200):
    return render("patrol/incident.html", incident=incident, error=error,
                  form=form or CommentForm(formdata=None),
                  comments=incident.comments.order_by(incident.comments.model.created_at)), status



@bp.post("/incidents/<int:incident_id>/close")
@role_required(*LEADS)
@estate_required
def incident_close(incident_id):
    """Close an incident that needs no repair."""
    incident = _incident_or_404(incident_id)
    try:
        close_incident(incident, utcnow())
    except DomainError as error:
        return _incident_page(incident, error=error.message, status=409)
    flash("已关闭这条异常。", "success")
    return redirect(url_for("patrol.incident", incident_id=incident.id))


@bp.post("/incidents/<int:incident_id>/work-order")
@role_required(*LEADS)
@estate_required
def incident_work_order(incident_id):
    """Turn the incident into a repair work order with one tap (the order links back)."""
    incident = _incident_or_404(incident_id)
    try:
        order = incident_to_work_order(incident, current_user, utcnow())
    except DomainError as error:
        return _incident_page(incident, error=error.message, status=409)
    flash(f"已转为维修工单 {order.code}。", "success")
    return redirect(url_for("patrol.incident", incident_id=incident.id))
