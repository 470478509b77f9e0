"""装修巡查 and 验收 on the phone (opened by scanning the permit's QR, or from the page),
and 整改完成 of a violation."""
from datetime import timedelta

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from .. import photos as photo_store
from ..auth import get_or_404, role_required, scoped
from ..db import utcnow
from ..errors import DomainError, show_error
from ..idempotency import once
from ..inputs import parse_day
from ..web import attempt, render
from . import flow, inspections
from .forms import InspectionForm, NoteForm
from .models import Inspection, Renovation, Violation
from .views import bp


def inspection_page(renovation, kind, form=None, answers=None, status=200):
    """The checklist form of a 巡查 or 验收: each item 合格 / 违规 (不合格) with a note."""
    now = utcnow()
    version, items = inspections.checklist_items(renovation.estate, kind, current_user)
    if form is None:
        deadline = renovation.estate.today(now) + timedelta(days=inspections.RECTIFY_DAYS)
        form = InspectionForm(formdata=None, data={"deadline": deadline.isoformat()})
    return render("renovation/inspect.html", r=renovation, kind=kind, items=items, form=form,
                  answers=answers or {}), status


def _answers(items):
    """{key: (ok, note)} from item_<key> (ok / bad) and note_<key>; items left unanswered
    are missing (the rule names them)."""
    answers = {}
    for item in items:
        value = request.form.get(f"item_{item.key}")
        if value in ("ok", "bad"):
            answers[item.key] = (value == "ok", request.form.get(f"note_{item.key}", "")
                                 .strip()[:500])
    return answers


@bp.route("/<int:renovation_id>/inspect/<kind>", methods=["GET", "POST"])
@role_required(*flow.INSPECTORS)
def inspect(renovation_id, kind):
    """A 巡查 (kind=patrol) or 验收 (kind=acceptance) of the renovation."""
    kind = {"patrol": "巡查", "acceptance": "验收"}.get(kind) or abort(404)
    renovation = get_or_404(Renovation, renovation_id)
    if request.method == "GET":
        return inspection_page(renovation, kind)
    form = InspectionForm()
    _, items = inspections.checklist_items(renovation.estate, kind, current_user)
    answers = _answers(items)

    def record():
        photos = photo_store.save_photos(renovation.estate, form.photos.data or [],
                                         current_user, field="photos")
        return inspections.record(renovation, kind, current_user, utcnow(), answers,
                                  parse_day(form.deadline.data or ""), form.note.data, photos)

    def act():  # once per form key: a re-sent form answers as the first did
        once(Inspection, form.once_key, record, Inspection.renovation == renovation)
    if attempt(form, act):
        flash(f"已记录{'装修巡查' if kind == '巡查' else '验收'}。", "success")
        return redirect(url_for("renovation.show", renovation_id=renovation.id))
    if not form.errors and not form.form_errors:
        show_error(form, DomainError("请检查后重新提交。"))
    return inspection_page(renovation, kind, form, answers, 422)


@bp.post("/violations/<int:violation_id>/rectify")
@role_required(*flow.INSPECTORS)
def rectify(violation_id):
    """整改完成: the inspector confirms a violation was put right."""
    violation = get_or_404(Violation, violation_id, Violation.select().join(Renovation).where(
        Renovation.id.in_(scoped(Renovation, Renovation.id))))
    form = NoteForm()
    attempt(form, lambda: inspections.rectify(violation, current_user, utcnow(),
                                              form.note.data))
    for error in form.form_errors + form.note.errors:
        flash(error, "error")
    if not form.errors and not form.form_errors:
        flash(f"{violation.item}：已确认整改完成。", "success")
    return redirect(url_for("renovation.show", renovation_id=violation.renovation_id))
