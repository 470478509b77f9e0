"""Checklists (检查表) with versioned items: supervisors build them, engineers read them."""
from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from ..auth import current_estate, get_or_404, role_required, scoped
from ..errors import DomainError, show_error
from ..idempotency import once
from ..web import render
from .checklists import add_item, create_checklist, move_item, remove_item, update_item
from .forms import ChecklistForm, ItemForm, options
from .models import Checklist, ChecklistItem, Equipment
from .views import ENGINEERING, MANAGING, bp


@bp.route("/checklists")
@role_required(*ENGINEERING)
def checklists():
    """Every checklist with its current version."""
    rows = [(c, c.current_version()) for c in scoped(Checklist).order_by(Checklist.name)]
    return render("inspection/checklists.html",
                  rows=[(c, v, v.items.count()) for c, v in rows])


def _checklist_form(**kwargs):
    form = ChecklistForm(**kwargs)
    form.equipment.choices = options([(0, "不限（按类别）")] + [
        (e.id, f"{e.code} {e.name}") for e in scoped(Equipment).order_by(Equipment.code)])
    return form


@bp.route("/checklists/new", methods=["GET", "POST"])
@role_required(*MANAGING)
def checklist_new():
    """Start a checklist; its items are added on its page."""
    form = _checklist_form()
    if form.validate_on_submit():
        equipment = get_or_404(Equipment, form.equipment.data) if form.equipment.data else None
        estate = current_estate()
        checklist, _ = once(Checklist, form.once_key, lambda: create_checklist(
            estate, current_user, form.name.data, form.category.data, equipment),
            Checklist.estate == estate)
        return redirect(url_for("inspection.checklist", checklist_id=checklist.id))
    return render("inspection/checklist_new.html", form=form)


def _checklist_page(checklist, form=None, editing=None, status=200):
    version = checklist.current_version()
    return render("inspection/checklist.html", "items", checklist=checklist, version=version,
                  items=list(version.ordered_items()), form=form or ItemForm(formdata=None),
                  editing=editing, used=version.is_used()), status


@bp.route("/checklists/<int:checklist_id>", methods=["GET", "POST"])
@role_required(*ENGINEERING)
def checklist(checklist_id):
    """The current version's items in order; supervisors add items here."""
    checklist = get_or_404(Checklist, checklist_id)
    if request.method == "GET":
        return _checklist_page(checklist)
    if not current_user.has_role(*MANAGING):
        abort(403)
    form = ItemForm()
    if form.validate_on_submit():
        try:
            once(ChecklistItem, form.once_key,
                 lambda: add_item(checklist, current_user, **form.values()))
        except DomainError as error:
            show_error(form, error, default="label")
        else:
            flash(f"已添加检查项 {form.label.data}。", "success")
            return redirect(url_for("inspection.checklist", checklist_id=checklist.id))
    return _checklist_page(checklist, form, status=422)


@bp.route("/checklists/<int:checklist_id>/items/<key>", methods=["GET", "POST"])
@role_required(*MANAGING)
def checklist_item(checklist_id, key):
    """Edit one item (a used version is copied to a new version first)."""
    checklist = get_or_404(Checklist, checklist_id)
    item = checklist.current_version().items.where(ChecklistItem.key == key[:32]).first() \
        or abort(404)
    form = ItemForm(obj=item, min_value=_plain(item.min_value),
                    max_value=_plain(item.max_value))
    if form.validate_on_submit():
        try:
            update_item(checklist, current_user, item.key, **form.values())
        except DomainError as error:
            show_error(form, error, default="label")
        else:
            flash("已保存检查项。", "success")
            return redirect(url_for("inspection.checklist", checklist_id=checklist.id))
    return render("inspection/checklist_item.html", checklist=checklist, item=item, form=form)


def _plain(value):
    return "" if value is None else f"{value.normalize():f}"


@bp.post("/checklists/<int:checklist_id>/items/<key>/<any(up, down, delete):action>")
@role_required(*MANAGING)
def checklist_item_action(checklist_id, key, action):
    """Move an item up or down, or remove it; htmx swaps the item list."""
    checklist = get_or_404(Checklist, checklist_id)
    try:
        if action == "delete":
            remove_item(checklist, current_user, key[:32])
        else:
            move_item(checklist, current_user, key[:32], -1 if action == "up" else 1)
    except DomainError:  # the only refusal here: no such item
        abort(404)
    return _checklist_page(checklist)
