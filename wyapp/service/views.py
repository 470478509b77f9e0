"""Repair work orders: register, list (我的工单 first for engineers), one order and its steps."""
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from .. import photos as photo_store
from ..auth import current_estate, estate_required, get_or_404
from ..db import db, utcnow
from ..web import render
from . import services
from .forms import AmendForm, AssignForm, CompleteForm, StepForm, VisitForm, WorkOrderForm
from .models import ORIGIN_KINDS, WorkOrder

bp = Blueprint("service", __name__, url_prefix="/service")
PAGE_SIZE = 20
STEP_FORMS = {"派单": AssignForm, "接单": StepForm, "处理中": StepForm, "完工": CompleteForm,
              "回访": VisitForm, "关闭": StepForm, "更正": AmendForm}


def field_error(form, error):
    """Put a domain error beside its field, or at the form's top when it has none."""
    field = getattr(form, error.field or "", None)
    (field.errors if field is not None else form.form_errors).append(error.message)


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
    form = WorkOrderForm()
    if form.validate_on_submit():
        estate = current_estate()
        try:
            with db.atomic():
                unit = services.find_unit(estate, form.unit.data)
                pictures = photo_store.save_photos(estate, form.photos.data or [], current_user)
                order = services.create_work_order(
                    estate, source=form.source.data, description=form.description.data,
                    reported_by=current_user, category=form.category.data,
                    priority=form.priority.data, unit=unit, place=form.place.data,
                    photos=pictures, paid=form.paid.data == "有偿")
        except photo_store.PhotoRejected as rejected:
            form.photos.errors.append(str(rejected))
        except services.ServiceError as error:
            field_error(form, error)
        else:
            flash(f"已登记报修 {order.code}。", "success")
            return redirect(url_for("service.work_order", order_id=order.id))
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
    if form.validate_on_submit():
        try:
            with db.atomic():
                STEP_ACTIONS[step](order, form, utcnow())
        except services.NotAllowed as refused:
            abort(403, refused.message)
        except photo_store.PhotoRejected as rejected:
            form.photos.errors.append(str(rejected))
        except services.ServiceError as error:
            field_error(form, error)
        else:
            if request.htmx:
                return _order_page(get_or_404(WorkOrder, order_id))
            flash(f"{order.code}：{step}已记录。", "success")
            return redirect(url_for("service.work_order", order_id=order.id))
    order = get_or_404(WorkOrder, order_id)  # as it is now, whatever the failed step did
    return _order_page(order, 200 if request.htmx else 422, **{step: form})
