"""The desk's side of the gate: invitations (预约) and release slips (放行条)."""
from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth import current_estate, get_or_404, role_required, scoped
from ..db import utcnow
from ..errors import DomainError
from ..idempotency import once
from ..qr import qr_svg
from ..web import render
from . import goods
from . import invitations as bookings  # `invitations` is the view below
from .forms import InvitationForm, SlipForm
from .models import Invitation, ReleaseSlip
from .views import DESK, bp


def invitation_url(invitation):
    """What the QR encodes: the gate's form with the code filled in."""
    base = current_app.config.get("BASE_URL") or request.url_root
    return f"{base.rstrip('/')}{url_for('gate.home', code=invitation.code)}"


@bp.route("/invitations", methods=["GET", "POST"])
@role_required(*DESK)
def invitations():
    """预约: register an expected visitor for a date or dates; the latest below."""
    estate = current_estate()
    today = estate.today(utcnow())
    form = InvitationForm(data={"valid_from": today, "valid_to": today})
    if form.validate_on_submit():
        try:
            invitation, _ = once(Invitation, form.once_key, lambda: bookings.create_invitation(
                estate, current_user, form.data), Invitation.estate == estate)
        except DomainError as error:
            form.show(error)
        else:
            flash(f"已预约，预约码 {invitation.code}。", "success")
            return redirect(url_for("gate.invitation", invitation_id=invitation.id))
    latest = scoped(Invitation).where(Invitation.valid_to >= today - timedelta(days=7)) \
        .order_by(Invitation.valid_from.desc(), Invitation.id.desc()).limit(30)
    return render("gate/invitations.html", form=form, invitations=latest), \
        422 if form.errors else 200


@bp.route("/invitations/<int:invitation_id>")
@role_required(*DESK)
def invitation(invitation_id):
    """The code and QR to send to the visitor, and the visitor's own link."""
    invitation = get_or_404(Invitation, invitation_id)
    return render("gate/invitation.html", invitation=invitation,
                  qr=qr_svg(invitation_url(invitation)))


@bp.route("/i/<token>")
def invitation_pass(token):
    """The visitor's pass on their own phone (no login): code, QR, dates; no personal data."""
    invitation = Invitation.get_or_none(Invitation.token == token[:32]) or abort(404)
    return render_template("gate/pass.html", invitation=invitation,
                           qr=qr_svg(invitation_url(invitation)))


@bp.route("/slips/new", methods=["GET", "POST"])
@role_required(*DESK)
def slip_new():
    """Issue a release slip: unit, applicant, items with quantities, valid date, approver."""
    estate = current_estate()
    form = SlipForm(data={"valid_on": estate.today(utcnow())})
    if form.validate_on_submit():
        try:
            slip, _ = once(ReleaseSlip, form.once_key, lambda: goods.issue_slip(
                estate, current_user, form.data), ReleaseSlip.estate == estate)
        except DomainError as error:
            form.show(error)
        else:
            flash(f"已开具放行条 {slip.code}。", "success")
            return redirect(url_for("gate.slip", slip_id=slip.id))
    return render("gate/slip_form.html", form=form), 422 if form.errors else 200
