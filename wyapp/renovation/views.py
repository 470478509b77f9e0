"""Renovation pages: the list, the application form, one renovation (facts, workers, the
steps this user may take, violations, timeline), the permit (PDF, public page, QR label),
the refund slip, the settings, and the gate's workers' list."""
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from .. import photos as photo_store
from ..auth import current_estate, estate_required, get_or_404, role_required
from ..db import utcnow
from ..documents import pdf_response, render_pdf
from ..forms import own_ids
from ..guards import needs_estate
from ..idempotency import once
from ..labels import Label, current_label, label_url
from ..models import Unit
from ..qr import qr_svg
from ..web import attempt, render
from . import applications, flow, inspections
from .documents import permit_facts, refund_facts, timeline
from .forms import (
    ApplicationForm,
    DecisionForm,
    DeductionForm,
    ExtensionForm,
    NoteForm,
    SettingsForm,
)
from .gate_hook import gate_warnings
from .models import (
    AWAITING,
    FAILED,
    FINISHED,
    PENDING,
    UNDER_WAY,
    WORKING,
    Extension,
    Renovation,
    RenovationPhoto,
    RenovationSettings,
    Violation,
)

bp = needs_estate(Blueprint("renovation", __name__, url_prefix="/renovation"))
GATE = ("gate", "guard", "supervisor", "manager")
TABS = {"open": "办理中", "closed": "已结束", "all": "全部"}


@bp.route("/")
@role_required(*flow.VIEWERS)
@estate_required
def renovations():
    """The estate's renovations by tab (办理中 first), each with its state in Chinese."""
    tab = request.args.get("tab", "open")
    tab = tab if tab in TABS else "open"
    rows = list(applications.renovations(current_estate(), tab).limit(200))
    return render("renovation/list.html", "results", rows=rows, tab=tab, tabs=TABS)


@bp.route("/new", methods=["GET", "POST"])
@role_required(*flow.DESK)
@estate_required
def new():
    """申请: the desk takes a renovation application for a unit."""
    form, estate, made = ApplicationForm(), current_estate(), []

    def take():
        def create():
            return applications.apply(
                estate, Unit.find(estate, form.unit.data), current_user, utcnow(),
                owner_name=form.owner_name.data, owner_phone=form.owner_phone.data,
                company=form.company.data, company_person=form.company_person.data,
                company_phone=form.company_phone.data, licence_no=form.licence_no.data,
                planned_start=form.planned_start.data, planned_end=form.planned_end.data,
                scope=form.scope.data or [], scope_text=form.scope_text.data,
                workers=form.workers.data,
                photos=photo_store.save_photos(estate, form.photos.data or [], current_user,
                                               field="photos"))
        made.append(once(Renovation, form.once_key, create, Renovation.estate == estate)[0])

    if attempt(form, take):
        flash(f"已受理装修申请 {made[0].code}，待审核。", "success")
        return redirect(url_for("renovation.show", renovation_id=made[0].id))
    settings = RenovationSettings.of(estate)
    return render("renovation/new.html", form=form, settings=settings), \
        422 if form.errors else 200


def page(renovation, status=200, **forms):
    """One renovation's page with the forms of the steps this user may take now."""
    user, now = current_user, utcnow()
    can = {
        "decide": renovation.status == PENDING and flow.may_approve(user, renovation),
        "decide_needs_manager": renovation.status == PENDING and renovation.structural
        and not user.has_role("manager"),
        "extend": renovation.status in UNDER_WAY and user.has_role(*flow.DESK),
        "request_acceptance": renovation.status in (WORKING, FAILED)
        and user.has_role(*flow.DESK, *flow.INSPECTORS),
        "inspect": renovation.status in UNDER_WAY and user.has_role(*flow.INSPECTORS),
        "accept": renovation.status == AWAITING and user.has_role(*flow.INSPECTORS),
        "rectify": user.has_role(*flow.INSPECTORS),
        "deduct": user.has_role("manager") and renovation.is_open()
        and not renovation.refunded_at,
        "decide_extension": user.has_role("manager"),
        "refund": renovation.status == FINISHED and user.has_role(*flow.DESK),
        "personal": user.has_role("desk", "supervisor", "engineer", "manager"),
    }
    for name, form in (("decide", DecisionForm), ("extend", ExtensionForm),
                       ("note", NoteForm), ("deduct", DeductionForm)):
        own_ids(forms.setdefault(name, form(formdata=None)), name)  # 延期 and 扣款: two reasons
    label = current_label(flow.PERMIT, renovation.id)
    errors = [e for f in forms.values() for e in f.form_errors]
    return render(
        "renovation/show.html", "page", r=renovation, can=can, forms=forms, errors=errors,
        workers=list(renovation.workers), timeline=timeline(renovation),
        violations=list(renovation.violations.order_by(Violation.id)),
        deductions={d.violation_id: d for d in renovation.deductions},
        extensions=list(renovation.extensions.order_by(Extension.id)),
        photos=list(renovation.photo_rows.order_by(RenovationPhoto.id)),
        fix_list=inspections.fix_list(renovation), refund=refund_facts(renovation),
        permit_url=label_url(label.token) if label else None, now=now,
        today=renovation.estate.today(now)), status


@bp.route("/<int:renovation_id>")
@role_required(*flow.VIEWERS)
@estate_required
def show(renovation_id):
    """One renovation: facts, workers, permit, violations, the steps on offer, timeline."""
    return page(get_or_404(Renovation, renovation_id))


@bp.route("/<int:renovation_id>/permit.pdf")
@role_required(*flow.VIEWERS)
@estate_required
def permit_pdf(renovation_id):
    """The 装修许可证 (A4, to post at the door) with the QR code of its public page."""
    renovation = get_or_404(Renovation, renovation_id)
    label = current_label(flow.PERMIT, renovation.id)
    if label is None or renovation.status == PENDING:
        abort(404, "装修尚未审批，没有许可证。")
    url = label_url(label.token)
    pdf = render_pdf("renovation/pdf_permit.html", title="装修许可证", estate=renovation.estate,
                     period=renovation.code, signatures=None, permit=permit_facts(renovation),
                     qr=qr_svg(url), url=url)
    return pdf_response(pdf, f"permit-{renovation.code}.pdf")


@bp.route("/<int:renovation_id>/refund.pdf")
@role_required(*flow.DESK)
@estate_required
def refund_pdf(renovation_id):
    """The 押金退还单: deposit, itemised deductions and the refund, for the owner to sign."""
    renovation = get_or_404(Renovation, renovation_id)
    if renovation.status not in (FINISHED, "已关闭") or renovation.accepted_at is None:
        abort(404, "验收通过后才有押金退还单。")
    pdf = render_pdf("renovation/pdf_refund.html", title="装修押金退还单",
                     estate=renovation.estate, period=renovation.code, r=renovation,
                     refund=refund_facts(renovation),
                     signatures=("业主签字", "经办人", "日期"))
    return pdf_response(pdf, f"refund-{renovation.code}.pdf")


def _public(renovation):
    return render("renovation/public.html", permit=permit_facts(renovation, utcnow()),
                  estate=renovation.estate)


@bp.route("/permit/<token>")
def public_permit(token):
    """The permit's public page (no login): unit, allowed work and hours, dates, company,
    the office's phone; no personal data. A retired or unknown token is 404."""
    label = Label.get_or_none(Label.token == token[:64], Label.kind == flow.PERMIT,
                              Label.retired_at.is_null())
    renovation = label and Renovation.get_or_none(Renovation.id == label.target_id,
                                                  Renovation.estate == label.estate_id)
    if renovation is None:
        abort(404)
    return _public(renovation)


@bp.before_app_request
def public_permit_label():
    """A permit's QR is a /c/<token> label (the permanent scheme): someone not logged in
    (a neighbour at the door) gets its public page instead of the login form."""
    if request.endpoint != "labels.open_label" or current_user.is_authenticated:
        return None
    token = (request.view_args or {}).get("token", "")
    label = Label.get_or_none(Label.token == token[:64], Label.kind == flow.PERMIT,
                              Label.retired_at.is_null())
    renovation = label and Renovation.get_or_none(Renovation.id == label.target_id,
                                                  Renovation.estate == label.estate_id)
    return _public(renovation) if renovation else None


def open_permit_label(label):
    """A scanned permit QR (staff): an inspector gets the 装修巡查 form (验收 when it is
    waiting for acceptance), anyone else the renovation's page. A GET never writes."""
    renovation = label.target
    if renovation is None:
        abort(404)
    if current_user.has_role(*flow.INSPECTORS) and renovation.status in UNDER_WAY:
        from .inspect_views import inspection_page
        return inspection_page(renovation, "验收" if renovation.status == AWAITING else "巡查")
    if not current_user.has_role(*flow.VIEWERS):
        return _public(renovation)
    return page(renovation)


@bp.route("/settings", methods=["GET", "POST"])
@role_required("manager", "supervisor")
@estate_required
def settings():
    """The estate's deposit, fees, allowed hours, holidays, inspection interval, phone."""
    estate = current_estate()
    current = RenovationSettings.of(estate)
    form = SettingsForm(data={
        "deposit": f"{current.deposit:.2f}", "management_fee": f"{current.management_fee:.2f}",
        "garbage_fee": f"{current.garbage_fee:.2f}", "work_hours": current.work_hours,
        "holidays": current.holidays, "inspect_every_days": str(current.inspect_every_days),
        "office_phone": current.office_phone})

    def save():
        every = form.inspect_every_days.data
        applications.save_settings(
            estate, deposit=form.deposit.data, management_fee=form.management_fee.data,
            garbage_fee=form.garbage_fee.data, work_hours=form.work_hours.data,
            holidays=form.holidays.data, office_phone=form.office_phone.data,
            inspect_every_days=int(every) if every.isascii() and every.isdigit() and len(every) < 4
            else -1)

    if attempt(form, save):
        flash("已保存装修设置。", "success")
        return redirect(url_for("renovation.settings"))
    return render("renovation/settings.html", form=form), 422 if form.errors else 200


@bp.route("/gate-workers")
@role_required(*GATE)
@estate_required
def gate_workers():
    """The gate form's hook (htmx): the workers' list of the unit typed when it is under
    renovation, and warnings for a worker not on it or outside the allowed hours."""
    args = request.args
    renovation, warnings = gate_warnings(
        current_estate(), utcnow(), args.get("unit", "")[:30], args.get("name", "")[:40],
        args.get("phone", "")[:20], args.get("purpose", "")[:10])
    return render("renovation/gate_workers.html", "hook", renovation=renovation,
                  workers=list(renovation.workers) if renovation else [], warnings=warnings)


@bp.app_context_processor
def gate_hook_url():
    """Tells the gate form (its one-line include) where the workers' list is."""
    return {"renovation_gate_hook": "renovation.gate_workers"}


def panel(user, estate):
    """The home panel: renovations waiting for this user (审核, 巡查 due, 验收, 退押金)."""
    today = estate.today(utcnow())
    query = Renovation.select().where(Renovation.estate == estate)
    return {
        "pending": query.where(Renovation.status == PENDING).count(),
        "due": query.where(Renovation.status.in_(UNDER_WAY),
                           Renovation.next_inspection <= today).count(),
        "awaiting": query.where(Renovation.status == AWAITING).count(),
        "refunds": query.where(Renovation.status == FINISHED).count(),
        "working": query.where(Renovation.status.in_(UNDER_WAY)).count(),
        "open_violations": Violation.select().join(Renovation).where(
            Renovation.estate == estate, Violation.status == "待整改").count(),
    }
