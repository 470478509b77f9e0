"""培训 pages: the month's plan (draft, submit, approve), a session with its sign-in QR on
the trainer's phone and the 考核 results, and the QR's own page (/c/<token>)."""
from datetime import timedelta

from flask import abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from ..auth import current_estate, get_or_404, reject_reason, role_required
from ..db import utcnow
from ..errors import DomainError, NotAllowed, show_error
from ..idempotency import once
from ..inputs import month_arg
from ..models import User
from ..qr import qr_svg
from ..web import render
from .forms import ResultForm, SessionForm
from .models import TrainingAttendee, TrainingPlan, TrainingSession
from .rosters import first_of
from .training import (
    add_session,
    approve_plan,
    my_sessions,
    open_for_sign_in,
    record_result,
    sign_in,
    sign_in_label,
    submit_plan,
)
from .views import LEADS, STAFF, bp


def _staff_choices(estate):
    return [(u.id, u.display_name) for u in User.with_role(estate, *STAFF)]


def _session_form(estate, **kwargs):
    form = SessionForm(**kwargs)
    form.trainer.choices = form.attendees.choices = _staff_choices(estate)
    return form


@bp.route("/training", methods=["GET", "POST"])
@role_required(*STAFF)
def training():
    """培训计划 of a month (default: this one): its sessions; a lead adds sessions to the
    draft; the manager approves. Everyone sees the sessions they attend or train."""
    estate, now = current_estate(), utcnow()
    first = month_arg("month", first_of(estate.today(now)))
    form = _session_form(estate)
    if request.method == "POST":
        if not current_user.has_role(*LEADS):
            abort(403)
        if form.validate_on_submit():
            values = {**form.data, "trainer": User.get_by_id(form.trainer.data),
                      "attendees": list(User.select().where(User.id.in_(form.attendees.data)))}
            try:
                once(TrainingSession, form.once_key, lambda: add_session(
                    estate, first, values, current_user), TrainingSession.estate == estate)
            except DomainError as error:
                show_error(form, error, default="topic")
            else:
                flash("培训场次已加入计划。", "success")
                return redirect(url_for("staff.training", month=f"{first:%Y-%m}"))
    plan = TrainingPlan.get_or_none(TrainingPlan.estate == estate,
                                    TrainingPlan.month == f"{first:%Y-%m}")
    sessions = list(TrainingSession.select().where(TrainingSession.plan == plan)
                    .order_by(TrainingSession.starts_at)) if plan else []
    return render("staff/training.html", first=first, plan=plan, sessions=sessions, form=form,
                  mine=my_sessions(estate, current_user, now - timedelta(hours=12)),
                  previous=(first - timedelta(days=1)).replace(day=1),
                  following=(first + timedelta(days=32)).replace(day=1)), \
        422 if form.errors else 200


@bp.post("/training/<int:plan_id>/<any(submit, approve):action>")
@role_required(*LEADS)
def training_plan(plan_id, action):
    """提交审批 (a lead) / 审批通过 (the manager)."""
    plan = get_or_404(TrainingPlan, plan_id)
    try:
        if action == "submit":
            submit_plan(plan, current_user)
            flash("培训计划已提交经理审批。", "success")
        else:
            approve_plan(plan, current_user, utcnow())
            flash("培训计划已审批。", "success")
    except NotAllowed as error:
        abort(403, error.message)
    except DomainError as error:
        flash(error.message, "error")
    return redirect(url_for("staff.training", month=plan.month))


def _session(session_id):
    return get_or_404(TrainingSession, session_id)


def _may_run(session):
    return session.trainer_id == current_user.id or current_user.has_role(*LEADS)


@bp.route("/training/sessions/<int:session_id>")
@role_required(*STAFF)
def training_session(session_id):
    """One session: attendees and sign-ins; for its trainer or a lead, the sign-in QR while
    it may be signed in, and the 考核 forms."""
    session, now = _session(session_id), utcnow()
    runs = _may_run(session)
    attendees = list(TrainingAttendee.select(TrainingAttendee, User).join(User)
                     .where(TrainingAttendee.session == session).order_by(User.display_name))
    if not runs and all(a.user_id != current_user.id for a in attendees):
        abort(404)
    closed = open_for_sign_in(session, now)
    qr = qr_svg(sign_in_label(session).url()) if runs and closed is None else None
    forms = {a.id: ResultForm(formdata=None, prefix=f"a{a.id}", obj=a) for a in attendees} \
        if runs else {}
    return render("staff/training_session.html", "attendees", session=session,
                  attendees=attendees, qr=qr, closed=closed, forms=forms, runs=runs)


@bp.post("/training/sessions/<int:session_id>/results/<int:attendee_id>")
@role_required(*STAFF)
def training_result(session_id, attendee_id):
    """考核: 合格/不合格 and a score for one attendee."""
    session = _session(session_id)
    attendee = TrainingAttendee.get_or_none(TrainingAttendee.id == attendee_id,
                                            TrainingAttendee.session == session) or abort(404)
    form = ResultForm(prefix=f"a{attendee.id}")
    if not form.validate_on_submit():
        flash("；".join(e for errors in form.errors.values() for e in errors), "error")
    else:
        try:
            record_result(session, attendee, form.result.data, form.score.data, current_user)
        except NotAllowed as error:
            abort(403, error.message)
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(f"已记录 {attendee.user.display_name} 的考核结果。", "success")
    return redirect(url_for("staff.training_session", session_id=session.id))


def training_label(label):
    """A scanned sign-in QR: GET shows the session and one 签到 button (a GET never
    writes), POST signs in — only while the session runs."""
    session = TrainingSession.get_or_none(TrainingSession.id == label.target_id,
                                          TrainingSession.estate == label.estate_id)
    if session is None:
        abort(404)
    now = utcnow()
    closed = open_for_sign_in(session, now)
    attendee, status = None, 200
    if request.method == "POST":
        try:
            attendee, _ = sign_in(session, current_user, now)
        except DomainError as error:
            closed, status = error.message, 409 if open_for_sign_in(session, now) is None else 410
    elif closed:
        status = 410
    else:
        attendee = TrainingAttendee.get_or_none(TrainingAttendee.session == session,
                                                TrainingAttendee.user == current_user.id)
    response = current_app.make_response((render(
        "staff/training_sign_in.html", "sign_in", session=session, closed=closed,
        attendee=attendee, label=label, signed=request.method == "POST" and not closed),
        status))
    return reject_reason(response, closed) if closed else response
