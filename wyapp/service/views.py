"""Repair work orders: register, list (我的工单 first for engineers), one order and its steps."""
from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from .. import photos as photo_store
from ..auth import current_estate, estate_required, get_or_404, role_required
from ..db import db, utcnow
from ..documents import render_pdf
from ..features import record_url
from ..web import render
from . import services
from .forms import (
    AmendForm,
    AssignForm,
    CauseForm,
    CompleteForm,
    DueHoursForm,
    StepForm,
    VisitForm,
    WorkOrderForm,
)
from .models import ORIGIN_KINDS, WorkOrder

bp = Blueprint("service", __name__, url_prefix="/service")
PAGE_SIZE = 20
STEP_FORMS = {"派单": AssignForm, "接单": StepForm, "处理中": StepForm, "完工": CompleteForm,
              "回访": VisitForm, "关闭": StepForm, "更正": AmendForm}


def field_error(form, error):
    """Put a domain error beside its field, or at the form's top when it has none."""
    field = getattr(form, error.field or "", None)
    (field.errors if field is not None else form.form_errors).append(error.message)


def attempt(form, action):
    """Run a domain step for a valid form, inside one transaction; True when it was done.

    A refusal goes beside its field; a step this user may never take is a 403.
    """
    if not form.validate_on_submit():
        return False
    try:
        with db.atomic():
            action()
    except services.NotAllowed as refused:
        abort(403, refused.message)
    except photo_store.PhotoRejected as rejected:
        form.photos.errors.append(str(rejected))
    except services.ServiceError as error:
        field_error(form, error)
    else:
        return True
    return False


def pdf_response(pdf, filename):
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f"inline; filename={filename}"})


def page_of(query):
    """One page of a list (?page=N) and whether another follows."""
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10000))
    rows = list(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    return rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE


@bp.route("/orders")
@estate_required
def work_orders():
    """Work orders by tab; 我的工单 (sorted by due time) is where an engineer lands."""
    mine_first = current_user.has_role("engineer")
    tab = request.args.get("tab") or ("mine" if mine_first else "open")
    if tab not in services.ORDER_TABS:
        tab = "open"
    orders, page, more = page_of(services.order_list(current_estate(), tab, current_user))
    block = "rows" if page > 1 else "results"
    return render("service/orders.html", block, orders=orders, tab=tab, page=page, more=more,
                  tabs=services.ORDER_TABS, now=utcnow())


@bp.route("/orders/new", methods=["GET", "POST"])
@estate_required
def new_work_order():
    """登记 a repair: any staff member may register one."""
    form, estate, made = WorkOrderForm(), current_estate(), []

    def register():
        made.append(services.create_work_order(
            estate, source=form.source.data, description=form.description.data,
            reported_by=current_user, category=form.category.data,
            priority=form.priority.data, unit=services.find_unit(estate, form.unit.data),
            place=form.place.data, paid=form.paid.data == "有偿",
            photos=photo_store.save_photos(estate, form.photos.data or [], current_user)))

    if attempt(form, register):
        flash(f"已登记报修 {made[0].code}。", "success")
        return redirect(url_for("service.work_order", order_id=made[0].id))
    return render("service/order_new.html", form=form), 422 if form.errors else 200


def _order_page(order, status=200, **forms):
    steps = services.steps_for(current_user, order)
    for step in steps:
        forms.setdefault(step, STEP_FORMS[step](formdata=None))
    if "派单" in forms:
        forms["派单"].engineer.choices = [
            SelectChoice(u.id, u.display_name)
            for u in services.assignable_engineers(order.estate)]
    # errors of a step not on offer now (its form is not shown) go to the top of the page
    errors = [e for step, f in forms.items() for e in f.form_errors] + [
        e for step, f in forms.items() if step not in steps for fld in f for e in fld.errors]
    return render("service/order.html", "order", order=order, steps=steps, forms=forms,
                  errors=errors, origin_label=ORIGIN_KINDS.get(order.origin_kind, ""),
                  origin_url=record_url(current_app.extensions["wyapp.features"],
                                        order.origin_kind, order.origin_id),
                  timeline=services.order_timeline(order), now=utcnow(),
                  photos=services.order_photos(order)), status


@bp.route("/orders/<int:order_id>")
@estate_required
def work_order(order_id):
    """One order: its details, photos, the steps this user may take, and its timeline."""
    return _order_page(get_or_404(WorkOrder, order_id))


STEP_ACTIONS = {
    "派单": lambda o, f, now: services.assign(
        o, services.assignable_engineers(o.estate).where(
            services.User.id == f.engineer.data).first(), current_user, now, f.note.data),
    "接单": lambda o, f, now: services.accept(o, current_user, now),
    "处理中": lambda o, f, now: services.start(o, current_user, now),
    "完工": lambda o, f, now: services.complete(
        o, current_user, f.note.data, f.materials.data,
        photo_store.save_photos(o.estate, f.photos.data or [], current_user), now),
    "回访": lambda o, f, now: services.visit(o, current_user, f.satisfaction.data,
                                           f.comment.data, now),
    "关闭": lambda o, f, now: services.close(o, current_user, now),
    "更正": lambda o, f, now: services.amend(o, current_user, f.note.data, now),
}
STEP_SLUGS = {"assign": "派单", "accept": "接单", "start": "处理中", "complete": "完工",
              "visit": "回访", "close": "关闭", "amend": "更正"}


@bp.post("/orders/<int:order_id>/<slug>")
@estate_required
def order_step(order_id, slug):
    """Take one step of the flow; htmx gets the refreshed order block (timeline included)."""
    step = STEP_SLUGS.get(slug) or abort(404)
    order = get_or_404(WorkOrder, order_id)
    if not services.may(current_user, order, step):
        abort(403, services.WHO[services.ORDER_RULES[step][1]])
    form = STEP_FORMS[step]()
    if step == "派单":
        form.engineer.choices = [SelectChoice(u.id, u.display_name)
                                 for u in services.assignable_engineers(order.estate)]
    if attempt(form, lambda: STEP_ACTIONS[step](order, form, utcnow())):
        if request.htmx:
            return _order_page(get_or_404(WorkOrder, order_id))
        flash(f"{order.code}：{step}已记录。", "success")
        return redirect(url_for("service.work_order", order_id=order.id))
    order = get_or_404(WorkOrder, order_id)  # as it is now, whatever the failed step did
    return _order_page(order, 200 if request.htmx else 422, **{step: form})


@bp.route("/settings", methods=["GET", "POST"])
@role_required(*services.SUPERVISORS)
@estate_required
def settings():
    """The estate's due hours per priority and its complaint root-cause categories."""
    estate = current_estate()
    current = services.ServiceSettings.of(estate)
    form = DueHoursForm(data={k: str(getattr(current, k)) for k in services.HOUR_FIELDS})
    cause_form = CauseForm(formdata=None)
    valid = form.validate_on_submit()
    hours = form.hours() if form.is_submitted() else None
    if valid and hours:
        services.save_settings(estate, hours)
        flash("已保存时限设置。", "success")
        return redirect(url_for("service.settings"))
    return render("service/settings.html", form=form, cause_form=cause_form,
                  causes=services.causes_of(estate)), 422 if form.errors else 200


@bp.post("/settings/causes")
@role_required(*services.SUPERVISORS)
@estate_required
def add_cause():
    """Add a root-cause category, or switch one on or off (?toggle=id)."""
    estate = current_estate()
    toggle = request.args.get("toggle", type=int)
    if toggle:
        services.toggle_cause(get_or_404(services.ComplaintCause, toggle))
        return redirect(url_for("service.settings"))
    cause_form = CauseForm()
    if attempt(cause_form, lambda: services.add_cause(estate, cause_form.name.data)):
        flash(f"已添加分类 {cause_form.name.data}。", "success")
        return redirect(url_for("service.settings"))
    current = services.ServiceSettings.of(estate)
    form = DueHoursForm(formdata=None,
                        data={k: str(getattr(current, k)) for k in services.HOUR_FIELDS})
    return render("service/settings.html", form=form, cause_form=cause_form,
                  causes=services.causes_of(estate)), 422


def home_panel(user, estate):
    """The home page's service-desk panel: my orders first, then the desk's open work."""
    return {"counts": services.panel_counts(user, estate),
            "next": list(services.order_list(estate, "mine", user).limit(3)), "now": utcnow()}


@bp.route("/orders/<int:order_id>.pdf")
@estate_required
def order_pdf(order_id):
    """The order as a printable A4 record with its whole timeline (the archive's document)."""
    order = get_or_404(WorkOrder, order_id)
    pdf = render_pdf("pdf/service_order.html", title="报修工单", estate=order.estate,
                     period=order.code, signatures=["维修人", "审核人"],
                     **services.order_document(order))
    return pdf_response(pdf, f"{order.code}.pdf")
