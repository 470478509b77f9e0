"""Repair work orders: register, list (我的工单 first for engineers), one order and its steps,
its PDF, the home panel. The service blueprint and the helpers its views share live here."""
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from .. import photos as photo_store
from ..auth import current_estate, estate_required, get_or_404
from ..db import utcnow
from ..documents import pdf_response, render_pdf
from ..forms import own_ids
from ..guards import needs_estate
from ..idempotency import once
from ..inputs import parse_day
from ..models import Unit
from ..web import attempt, render
from . import orders
from .complaints import parse_local
from .documents import order_document
from .forms import (
    AmendForm,
    AssignForm,
    CompleteForm,
    StepForm,
    VisitForm,
    WorkOrderForm,
)
from .models import ORIGIN_KINDS, WorkOrder
from .reports import panel_counts
from .units import unit_matches

bp = needs_estate(Blueprint("service", __name__, url_prefix="/service"))
PAGE_SIZE = 20
STEP_FORMS = {"派单": AssignForm, "接单": StepForm, "处理中": StepForm, "完工": CompleteForm,
              "回访": VisitForm, "关闭": StepForm, "更正": AmendForm}


def page_of(query):
    """One page of a list (?page=N) and whether another follows."""
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10000))
    rows = list(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1))
    return rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE


@bp.route("/orders")
@estate_required
def work_orders():
    """Work orders by tab; 我的工单 (sorted by due time) is where an engineer lands.
    ?completed=YYYY-MM-DD narrows the tab to the orders finished (完工) on that estate day:
    the dashboard's 今日完工 opens tab=all with today's."""
    mine_first = current_user.has_role("engineer")
    tab = request.args.get("tab") or ("mine" if mine_first else "open")
    if tab not in orders.ORDER_TABS:
        tab = "open"
    now, completed = utcnow(), parse_day(request.args.get("completed", ""))
    rows, page, more = page_of(orders.order_list(current_estate(), tab, current_user, now,
                                                 completed_on=completed))
    block = "rows" if page > 1 else "results"
    return render("service/orders.html", block, orders=rows, tab=tab, page=page, more=more,
                  tabs=orders.ORDER_TABS, now=now, completed=completed,
                  list_args={"completed": completed.isoformat()} if completed else {})


@bp.route("/orders/new", methods=["GET", "POST"])
@estate_required
def new_work_order():
    """登记 a repair: any staff member may register one."""
    form, estate, made = WorkOrderForm(), current_estate(), []

    def register():  # once per form shown: a resent POST gets the order the first made
        made.append(once(WorkOrder, form.once_key, lambda: orders.create_work_order(
            estate, source=form.source.data, description=form.description.data,
            reported_by=current_user, category=form.category.data,
            priority=form.priority.data, unit=Unit.find(estate, form.unit.data),
            place=form.place.data, paid=form.paid.data == "有偿",
            caller_name=form.caller_name.data, caller_phone=form.caller_phone.data,
            appointment_at=parse_local(estate, form.appointment_at.data, "预约上门时间",
                                       "appointment_at"),
            photos=photo_store.save_photos(estate, form.photos.data or [], current_user)),
            WorkOrder.estate == estate)[0])

    if attempt(form, register):
        flash(f"已登记报修 {made[0].code}。", "success")
        return redirect(url_for("service.work_order", order_id=made[0].id))
    return render("service/order_new.html", form=form), 422 if form.errors else 200


def _unit_picker(block, searched):
    """The new-order page (or, for htmx, its `block`) with 房号 holding ?unit=…; the
    matches listed when `searched`."""
    form = WorkOrderForm(formdata=None)
    form.unit.data = request.args.get("unit", "")[:60]
    matches = unit_matches(current_estate(), form.unit.data) if (
        searched and form.unit.data.strip()) else None
    return render("service/order_new.html", block, form=form, matches=matches)


@bp.route("/units")
@estate_required
def unit_search():
    """The unit picker under 房号: the estate's units matching what is typed (?unit=…),
    each a button that fills the field."""
    return _unit_picker("unit_matches", searched=True)


@bp.route("/units/pick")
@estate_required
def unit_pick():
    """The 房号 field again with the unit tapped in the picker (?unit=1号楼-101) filled in."""
    return _unit_picker("unit_field", searched=False)


def _engineer_choices(form, estate):
    form.engineer.choices = [SelectChoice(u.id, u.display_name)
                             for u in orders.assignable_engineers(estate)]
    return form


def _order_page(order, status=200, **forms):
    steps = orders.steps_for(current_user, order)
    for step in steps:
        forms.setdefault(step, STEP_FORMS[step](formdata=None))
    if "派单" in forms:
        _engineer_choices(forms["派单"], order.estate)
    for step, form in forms.items():
        own_ids(form, STEP_SLUGS_BY_STEP[step])
    # errors of a step not on offer now (its form is not shown) go to the top of the page
    errors = [e for step, f in forms.items() for e in f.form_errors] + [
        e for step, f in forms.items() if step not in steps for fld in f for e in fld.errors]
    return render("service/order.html", "order", order=order, steps=steps, forms=forms,
                  errors=errors, origin_label=ORIGIN_KINDS.get(order.origin_kind, ""),
                  timeline=orders.order_timeline(order), now=utcnow(),
                  photos=orders.order_photos(order)), status


@bp.route("/orders/<int:order_id>")
@estate_required
def work_order(order_id):
    """One order: its details, photos, the steps this user may take, and its timeline."""
    return _order_page(get_or_404(WorkOrder, order_id))


STEP_ACTIONS = {
    "派单": lambda o, f, now: orders.assign(
        o, orders.engineer_by_id(o.estate, f.engineer.data), current_user, now, f.note.data),
    "接单": lambda o, f, now: orders.accept(o, current_user, now),
    "处理中": lambda o, f, now: orders.start(o, current_user, now),
    "完工": lambda o, f, now: orders.complete(
        o, current_user, f.note.data, f.materials.data,
        photo_store.save_photos(o.estate, f.photos.data or [], current_user), now),
    "回访": lambda o, f, now: orders.visit(o, current_user, f.satisfaction.data,
                                         f.comment.data, now),
    "关闭": lambda o, f, now: orders.close(o, current_user, now),
    "更正": lambda o, f, now: orders.amend(o, current_user, f.note.data, now),
}
STEP_SLUGS = {"assign": "派单", "accept": "接单", "start": "处理中", "complete": "完工",
              "visit": "回访", "close": "关闭", "amend": "更正"}
STEP_SLUGS_BY_STEP = {step: slug for slug, step in STEP_SLUGS.items()}


@bp.post("/orders/<int:order_id>/<slug>")
@estate_required
def order_step(order_id, slug):
    """Take one step of the flow; htmx gets the refreshed order block (timeline included)."""
    step = STEP_SLUGS.get(slug) or abort(404)
    order = get_or_404(WorkOrder, order_id)
    if not orders.may(current_user, order, step):
        abort(403, orders.ORDER_FLOW.refusal(step))
    form = STEP_FORMS[step]()
    if step == "派单":
        _engineer_choices(form, order.estate)
    if attempt(form, lambda: STEP_ACTIONS[step](order, form, utcnow())):
        if request.htmx:
            return _order_page(get_or_404(WorkOrder, order_id))
        flash(f"{order.code}：{step}已记录。", "success")
        return redirect(url_for("service.work_order", order_id=order.id))
    order = get_or_404(WorkOrder, order_id)  # as it is now, whatever the failed step did
    return _order_page(order, 200 if request.htmx else 422, **{step: form})


def home_panel(user, estate):
    """The home page's service-desk panel: my orders first, then the desk's open work."""
    now = utcnow()
    return {"counts": panel_counts(user, estate, now),
            "next": list(orders.order_list(estate, "mine", user, now).limit(3)), "now": now}


@bp.route("/orders/<int:order_id>.pdf")
@estate_required
def order_pdf(order_id):
    """The order as a printable A4 record with its whole timeline (the archive's document)."""
    order = get_or_404(WorkOrder, order_id)
    pdf = render_pdf("pdf/service_order.html", title="报修工单", estate=order.estate,
                     period=order.code, signatures=["维修人", "审核人"], **order_document(order))
    return pdf_response(pdf, f"{order.code}.pdf")
