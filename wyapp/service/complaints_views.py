"""Complaints (投诉): intake, the lists, one complaint, its steps and its PDF."""
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..auth import current_estate, estate_required, get_or_404, role_required
from ..db import utcnow
from ..documents import pdf_response, render_pdf
from ..errors import DomainError
from ..forms import own_ids
from ..idempotency import once
from ..models import Unit
from ..web import attempt, render
from . import causes
from . import complaints as rules  # the view `complaints` below has the module's name
from .documents import complaint_document
from .flow import DESK
from .forms import (
    AmendForm,
    ClassifyForm,
    ComplaintForm,
    HandleForm,
    HandOverForm,
    VisitForm,
)
from .models import Complaint
from .orders_views import bp, page_of

STEP_FORMS = {"转交": HandOverForm, "处理": HandleForm, "回访": VisitForm, "分类": ClassifyForm,
              "更正": AmendForm}
STEP_SLUGS = {"handover": "转交", "handle": "处理", "followup": "回访", "classify": "分类",
              "amend": "更正"}


def _staff_choices(first=None):
    staff = [SelectChoice(u.id, u.display_name) for u in
             rules.complaint_staff(current_estate())]
    return ([SelectChoice(0, first)] if first else []) + staff


@bp.route("/complaints")
@estate_required
def complaints():
    """Complaints by tab; an owner outside the desk sees the ones they are responsible for."""
    tab = request.args.get("tab") or ("open" if current_user.has_role(*DESK) else "mine")
    if tab not in rules.COMPLAINT_TABS or not current_user.has_role(*DESK):
        tab = "open" if current_user.has_role(*DESK) else "mine"
    now = utcnow()
    rows, page, more = page_of(rules.complaint_list(current_estate(), tab, current_user, now))
    return render("service/complaints.html", "rows" if page > 1 else "results",
                  complaints=rows, tab=tab, page=page, more=more, now=now,
                  tabs=rules.COMPLAINT_TABS if current_user.has_role(*DESK)
                  else {"mine": "我负责的"})


# Who sees the list a tab names (auth.role_required's attribute, read by the dashboard's
# may_open): anyone else gets 我负责的 whatever tab a link asks for, so an estate-wide figure
# (投诉 处理中 / 已超时) is not linked to it for them.
complaints.roles = frozenset(DESK)


@bp.route("/complaints/new", methods=["GET", "POST"])
@role_required(*DESK)
@estate_required
def new_complaint():
    """受理: the receiver handles it or hands it to a responsible person with a reply time."""
    form, estate, made = ComplaintForm(), current_estate(), []
    form.owner.choices = _staff_choices("（请选择责任人）")

    def receive():
        handed = form.handling.data == "转交责任人"
        owner = rules.staff_by_id(estate, form.owner.data) if handed else None
        if handed and owner is None:
            raise DomainError("请选择责任人。", "owner")
        made.append(once(Complaint, form.once_key, lambda: rules.create_complaint(
            estate, channel=form.channel.data, content=form.content.data,
            received_by=current_user, name=form.name.data, phone=form.phone.data,
            unit=Unit.find(estate, form.unit.data),
            neighbour_dispute=form.neighbour_dispute.data, owner=owner,
            due_at=rules.parse_local(estate, form.due_at.data, "约定回复时间", "due_at"),
            received_at=rules.parse_local(estate, form.received_at.data, "受理时间",
                                             "received_at"),
            needs_followup=form.needs_followup.data), Complaint.estate == estate)[0])

    if attempt(form, receive):
        flash(f"已受理投诉 {made[0].code}。", "success")
        return redirect(url_for("service.complaint", complaint_id=made[0].id))
    return render("service/complaint_new.html", form=form), 422 if form.errors else 200


def _fill_choices(step, form):
    estate = current_estate()
    if step == "转交":
        form.owner.choices = _staff_choices()
    if step == "分类":
        form.cause.choices = [SelectChoice(0, "未分类")] + [
            SelectChoice(c.id, c.name) for c in causes.causes_of(estate) if c.active]
        form.event.choices = [SelectChoice(0, "（不属于事件）")] + [
            SelectChoice(e.id, e.title) for e in causes.open_events(estate)]
    return form


def _complaint_page(complaint, status=200, **forms):
    steps = rules.complaint_steps_for(current_user, complaint)
    for step in steps:
        if step not in forms:
            data = {"分类": {"cause": complaint.cause_id or 0, "event": complaint.event_id or 0,
                             "major": complaint.major},
                    "处理": {"no_followup": not complaint.needs_followup}}.get(step, {})
            forms[step] = STEP_FORMS[step](formdata=None, data=data)
        _fill_choices(step, forms[step])
    slugs = {v: k for k, v in STEP_SLUGS.items()}
    for step, form in forms.items():
        own_ids(form, slugs[step])
    errors = [e for f in forms.values() for e in f.form_errors] + [
        e for step, f in forms.items() if step not in steps for fld in f for e in fld.errors]
    repeats = list(rules.repeat_complaints(complaint))
    return render("service/complaint.html", "complaint", complaint=complaint, steps=steps,
                  forms=forms, errors=errors, now=utcnow(), repeats=repeats,
                  timeline=rules.complaint_timeline(complaint),
                  slugs=slugs), status


def _visible_complaint(complaint_id):
    complaint = get_or_404(Complaint, complaint_id)
    if not rules.may_see_complaint(current_user, complaint):
        abort(403)
    return complaint


@bp.route("/complaints/<int:complaint_id>")
@estate_required
def complaint(complaint_id):
    """One complaint: who, what, owner and promised reply time, its steps and timeline."""
    return _complaint_page(_visible_complaint(complaint_id))


def _act(step, complaint, form, now):
    estate, by = current_estate(), current_user
    if step == "转交":
        return rules.hand_over(
            complaint, rules.staff_by_id(estate, form.owner.data),
            rules.parse_local(estate, form.due_at.data, "约定回复时间", "due_at"),
            by, form.note.data, now)
    if step == "处理":
        return rules.handle(
            complaint, by, reply=form.reply.data, agreed=form.agreed.data == "同意",
            investigation=form.investigation.data, measures=form.measures.data,
            next_due=rules.parse_local(estate, form.next_due.data, "下次回复时间", "next_due"),
            needs_followup=not form.no_followup.data, now=now)
    if step == "回访":
        return rules.follow_up(complaint, by, form.satisfaction.data, form.comment.data, now)
    if step == "分类":
        return rules.classify(
            complaint, by, now=now, major=form.major.data, new_event=form.new_event.data,
            cause=causes.cause_by_id(estate, form.cause.data),
            event=causes.event_by_id(estate, form.event.data))
    return rules.amend_complaint(complaint, by, form.note.data, now)


@bp.post("/complaints/<int:complaint_id>/<slug>")
@estate_required
def complaint_step(complaint_id, slug):
    """Take one step; htmx gets the refreshed complaint block with its timeline."""
    step = STEP_SLUGS.get(slug) or abort(404)
    complaint = get_or_404(Complaint, complaint_id)
    if not rules.may_complaint(current_user, complaint, step):
        abort(403, rules.COMPLAINT_FLOW.refusal(step))
    form = _fill_choices(step, STEP_FORMS[step]())
    if attempt(form, lambda: _act(step, complaint, form, utcnow())):
        if request.htmx:
            return _complaint_page(get_or_404(Complaint, complaint_id))
        flash(f"{complaint.code}：{step}已记录。", "success")
        return redirect(url_for("service.complaint", complaint_id=complaint_id))
    return _complaint_page(get_or_404(Complaint, complaint_id), 200 if request.htmx else 422,
                           **{step: form})


@bp.route("/complaints/<int:complaint_id>.pdf")
@estate_required
def complaint_pdf(complaint_id):
    """The complaint's whole file as a printable A4 record (the archive's document)."""
    complaint = _visible_complaint(complaint_id)
    document = complaint_document(complaint)
    pdf = render_pdf("pdf/service_complaint.html", title=f"{document['file_group']}处理记录",
                     estate=complaint.estate, period=complaint.code,
                     signatures=["处理人", "审核人"], **document)
    return pdf_response(pdf, f"{complaint.code}.pdf")
