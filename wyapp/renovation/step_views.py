"""The renovation's steps, each a POST from its page: 审核, 延期 (request and decision),
申请验收, 押金扣款, 押金退还. htmx gets the refreshed page block; without JS a redirect."""
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from ..auth import get_or_404, role_required, scoped
from ..db import utcnow
from ..inputs import parse_day, parse_number
from ..web import attempt
from . import flow
from .forms import DecisionForm, DeductionForm, ExtensionForm, NoteForm
from .models import Extension, Renovation, Violation
from .views import bp, page


def done(renovation, message):
    """After a step: htmx gets the page block as it is now; a plain POST a redirect."""
    if request.htmx:
        return page(get_or_404(Renovation, renovation.id))
    flash(message, "success")
    return redirect(url_for("renovation.show", renovation_id=renovation.id))


def again(renovation, name, form):
    """A refused step: the page with `form` (its errors) under `name`; 422 without htmx."""
    return page(get_or_404(Renovation, renovation.id), 200 if request.htmx else 422,
                **{name: form})


@bp.post("/<int:renovation_id>/decide")
@role_required(*flow.APPROVERS)
def decide(renovation_id):
    """审核: 通过 with conditions (the permit is issued) or 驳回 with a reason."""
    renovation = get_or_404(Renovation, renovation_id)
    form = DecisionForm()

    def act():
        if form.decision.data == "通过":
            flow.approve(renovation, current_user, utcnow(), form.note.data)
        else:
            flow.refuse(renovation, current_user, utcnow(), form.note.data)
    if attempt(form, act):
        return done(renovation, f"{renovation.code}：{renovation.state}。")
    return again(renovation, "decide", form)


@bp.post("/<int:renovation_id>/extend")
@role_required(*flow.DESK)
def extend(renovation_id):
    """延期申请: a new end date and the reason, for the manager to decide."""
    renovation = get_or_404(Renovation, renovation_id)
    form = ExtensionForm()
    if attempt(form, lambda: flow.request_extension(
            renovation, current_user, utcnow(), parse_day(form.new_end.data or ""),
            form.reason.data)):
        return done(renovation, "已提交延期申请，待经理审批。")
    return again(renovation, "extend", form)


@bp.post("/extensions/<int:extension_id>/<verdict>")
@role_required("manager")
def decide_extension(extension_id, verdict):
    """The manager approves (批准) or refuses (驳回) an extension request."""
    if verdict not in ("approve", "refuse"):
        abort(404)
    extension = get_or_404(Extension, extension_id, Extension.select().join(Renovation).where(
        Renovation.id.in_(scoped(Renovation, Renovation.id))))
    form = NoteForm()
    if attempt(form, lambda: flow.decide_extension(extension, current_user, utcnow(),
                                                   verdict == "approve")):
        return done(extension.renovation, "已处理延期申请。")
    return again(extension.renovation, "note", form)


@bp.post("/<int:renovation_id>/request-acceptance")
@role_required(*flow.DESK, *flow.INSPECTORS)
def request_acceptance(renovation_id):
    """申请验收: the owner reports the work done."""
    renovation = get_or_404(Renovation, renovation_id)
    form = NoteForm()
    if attempt(form, lambda: flow.request_acceptance(renovation, current_user, utcnow(),
                                                     form.note.data)):
        return done(renovation, "已申请验收。")
    return again(renovation, "note", form)


@bp.post("/violations/<int:violation_id>/deduct")
@role_required("manager")
def deduct(violation_id):
    """押金扣款 for one violation (manager): an amount in yuan and why."""
    violation = get_or_404(Violation, violation_id, Violation.select().join(Renovation).where(
        Renovation.id.in_(scoped(Renovation, Renovation.id))))
    form = DeductionForm()

    def act():
        flow.deduct(violation, current_user, utcnow(), parse_number(form.amount.data, "amount"),
                    form.reason.data)
    if attempt(form, act):
        return done(violation.renovation, f"已从押金扣款 {form.amount.data} 元。")
    return again(violation.renovation, "deduct", form)


@bp.post("/<int:renovation_id>/refund")
@role_required(*flow.DESK)
def refund(renovation_id):
    """押金退还: the deposit minus deductions paid back; the renovation closes."""
    renovation = get_or_404(Renovation, renovation_id)
    form = NoteForm()
    if attempt(form, lambda: flow.refund(renovation, current_user, utcnow())):
        return done(renovation, f"已退还押金 {renovation.refund_amount:.2f} 元，装修已关闭。")
    return again(renovation, "note", form)
