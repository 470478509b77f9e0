"""请假 pages: apply on the phone, the list, one request with its approval steps."""
from flask import abort, flash, redirect, url_for
from flask_login import current_user

from ..auth import current_estate, get_or_404, role_required
from ..db import utcnow
from ..errors import DomainError, NotAllowed, show_error
from ..idempotency import once
from ..photos import save_photo
from ..web import render
from .forms import LeaveForm, RefuseForm
from .leave import apply_leave, approve, can_decide, refuse, visible_leave, waiting_for_me, withdraw
from .models import Leave, StaffSettings
from .views import STAFF, bp


def _leave(leave_id):
    """A request of the estate that the user may see (their own, or any for a lead)."""
    leave = get_or_404(Leave, leave_id)
    if leave.user_id != current_user.id and not current_user.has_role("supervisor", "manager"):
        abort(404)
    return leave


@bp.route("/leave")
@role_required(*STAFF)
def leave_list():
    """请假: what waits for me (leads), then my requests (a lead: everyone's)."""
    estate = current_estate()
    return render("staff/leave_list.html", leaves=visible_leave(estate, current_user).limit(100),
                  waiting=waiting_for_me(estate, current_user))


@bp.route("/leave/new", methods=["GET", "POST"])
@role_required(*STAFF)
def leave_new():
    """申请请假: kind, from–to in half days, reason, an optional photo (e.g. a sick note)."""
    estate, form = current_estate(), LeaveForm()
    if form.validate_on_submit():
        now = utcnow()

        def create():
            upload = form.photo.data
            photo = save_photo(estate, upload, current_user) \
                if getattr(upload, "filename", None) else None
            return apply_leave(estate, current_user, form.data, now, photo)
        try:
            leave, _ = once(Leave, form.once_key, create, Leave.estate == estate)
        except DomainError as error:
            show_error(form, error, default="reason")
        else:
            flash("请假申请已提交，等待审批。", "success")
            return redirect(url_for("staff.leave", leave_id=leave.id))
    threshold = StaffSettings.of(estate).manager_after_days
    return render("staff/leave_new.html", form=form, threshold=threshold), \
        422 if form.errors else 200


@bp.route("/leave/<int:leave_id>")
@role_required(*STAFF)
def leave(leave_id):
    """One request: its state, the steps taken, and the buttons the user may use."""
    leave = _leave(leave_id)
    return render("staff/leave.html", "decision", leave=leave,
                  can_decide=can_decide(leave, current_user), refuse_form=RefuseForm())


@bp.post("/leave/<int:leave_id>/<any(approve, refuse, withdraw):action>")
@role_required(*STAFF)
def leave_decide(leave_id, action):
    """同意 / 驳回 (the step's decider) or 撤回 (the applicant)."""
    leave, now = _leave(leave_id), utcnow()
    form = RefuseForm()
    try:
        if action == "approve":
            approve(leave, current_user, now)
            message = "已同意。" if leave.status == "已批准" else "已同意，等待经理审批。"
        elif action == "refuse":
            if not form.validate_on_submit():
                raise DomainError(form.reason.errors[0] if form.reason.errors else
                                  "请填写驳回理由。", "reason")
            refuse(leave, current_user, form.reason.data, now)
            message = "已驳回。"
        else:
            withdraw(leave, current_user)
            message = "已撤回。"
    except NotAllowed as error:
        abort(403, error.message)
    except DomainError as error:
        show_error(form, error, default="reason")
        leave = Leave.get_by_id(leave.id)  # as it is now (the one above was changed in memory)
        return render("staff/leave.html", "decision", leave=leave,
                      can_decide=can_decide(leave, current_user), refuse_form=form), 422
    flash(message, "success")
    return redirect(url_for("staff.leave", leave_id=leave.id))
