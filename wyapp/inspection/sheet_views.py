"""Filling a sheet on the phone: start, save each item as it is entered, 全部正常, submit,
amendments of submitted sheets, and the day's sheets as a PDF."""
import uuid
from contextlib import suppress

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from ..auth import current_estate, get_or_404, role_required
from ..db import db, utcnow
from ..documents import pdf_response, render_pdf
from ..errors import DomainError, show_error
from ..inputs import day_arg, parse_day
from ..offline import keep_offline
from ..photos import save_photos
from ..web import render
from .forms import AmendForm, options
from .models import ChecklistItem, Plan, Sheet, SheetAnswer
from .plans import startable
from .sheets import (
    amend_answer,
    day_sheets,
    fill_all_normal,
    problems_of,
    raised_orders,
    save_answer,
    sheet_rows,
    start_sheet,
    submit_sheet,
)
from .views import ENGINEERING, MANAGING, ORDER_LINKS, bp, refused

FILLING = ("engineer", "supervisor")


@bp.post("/plans/<int:plan_id>/start")
@role_required(*FILLING)
def start(plan_id):
    """Open the sheet of one slot of a plan (a new draft, or the one already started). The
    slot's shift and period come in the form and in the URL (each shift's button posts to
    its own URL: 白班 and 夜班 of one equipment never share one); the form's win."""
    plan = get_or_404(Plan, plan_id)
    shift = request.form.get("shift", request.args.get("shift", ""))
    period = parse_day(request.form.get("period", request.args.get("period")))
    if period is None or not startable(plan, plan.estate.local(utcnow()), period, shift):
        abort(400, "这不是该计划的检查时段，请从今日检查页面开始。")
    sheet = start_sheet(plan, period, shift, current_user)
    return redirect(url_for("inspection.sheet", sheet_id=sheet.id))


def _sheet_or_404(sheet_id):
    return get_or_404(Sheet, sheet_id)


def _page(sheet, problems=None, **extra):
    amend_form = extra.pop("amend_form", None) or AmendForm(formdata=None)
    amend_form.item.choices = options([(i.id, i.label) for i in sheet.version.ordered_items()])
    return {"sheet": sheet, "rows": sheet_rows(sheet), "problems": problems or {},
            "can_fill": not sheet.submitted and current_user.has_role(*FILLING),
            "amend_form": amend_form, **ORDER_LINKS,
            "idempotency_key": uuid.uuid4().hex, **extra}


@bp.route("/sheets/<int:sheet_id>")
@role_required(*ENGINEERING)
def sheet(sheet_id):
    """A sheet: the phone form while a draft, read-only with amendments once submitted."""
    return keep_offline(render("inspection/sheet.html", **_page(_sheet_or_404(sheet_id))))


@bp.post("/sheets/<int:sheet_id>/items/<int:item_id>")
@role_required(*FILLING)
def save_item(sheet_id, item_id):
    """Save one item of a draft; htmx gets the item's row back, red when abnormal."""
    sheet = _sheet_or_404(sheet_id)
    item = ChecklistItem.get_or_none(ChecklistItem.id == item_id,
                                     ChecklistItem.version == sheet.version_id) or abort(404)
    problems, status = {}, 200
    try:
        _save_posted_item(sheet, item)
    except DomainError as error:
        problems[item.id], status = str(error), refused()
    answer = SheetAnswer.get_or_none(sheet=sheet, item=item)
    if not problems:
        problems = {k: v for k, v in problems_of(sheet).items()
                    if k == item.id and answer and answer.abnormal}
    return render("inspection/sheet.html", "item_row", item=item, answer=answer,
                  **_page(sheet, problems)), status


@bp.post("/sheets/<int:sheet_id>/all-normal")
@role_required(*FILLING)
def all_normal(sheet_id):
    """全部正常: every unanswered pass/fail item becomes 正常."""
    sheet = _sheet_or_404(sheet_id)
    try:
        fill_all_normal(sheet)
    except DomainError as error:
        flash(error.message, "error")
    if not request.htmx:
        return redirect(url_for("inspection.sheet", sheet_id=sheet.id))
    return render("inspection/sheet.html", "items", **_page(sheet))


@bp.post("/sheets/<int:sheet_id>/submit")
@role_required(*FILLING)
def submit(sheet_id):
    """Submit once (Idempotency-Key); abnormal items become work orders."""
    sheet = _sheet_or_404(sheet_id)
    key = request.headers.get("Idempotency-Key") or request.form.get("idempotency_key")
    try:
        with db.atomic():
            _save_posted_values(sheet)
        done = submit_sheet(sheet, current_user, key,
                            mark_repairing=bool(request.form.get("mark_repairing")))
    except DomainError as error:
        flash(str(error), "error")
        return render("inspection/sheet.html", **_page(sheet, problems_of(sheet))), 422
    if done.id != sheet.id:
        abort(409)
    flash(f"已提交。{done.abnormal_count} 项异常已生成维修工单。" if done.abnormal_count
          else "已提交，全部正常。", "success")
    return redirect(url_for("inspection.sheet", sheet_id=done.id))


def _save_posted_values(sheet):
    """The no-JavaScript path: the submit form carries every item's value and note."""
    if sheet.submitted:
        return
    for item in sheet.version.ordered_items():
        with suppress(DomainError):  # kept as typed; problems_of() names it
            _save_posted_item(sheet, item)


def _save_posted_item(sheet, item):
    """One item's value, note and photo from the posted form (absent fields untouched)."""
    value, note = request.form.get(f"value-{item.id}"), request.form.get(f"note-{item.id}")
    photos = save_photos(sheet.estate, request.files.getlist(f"photo-{item.id}"),
                         current_user, limit=1)
    if value is not None or note is not None or photos:
        save_answer(sheet, item, value, note, photos[0] if photos else None)


@bp.route("/answers/<int:answer_id>")
@role_required(*ENGINEERING)
def answer(answer_id):
    """An inspection item (a work order's origin): its sheet, scrolled to the item."""
    found = SheetAnswer.select().join(Sheet).where(
        SheetAnswer.id == answer_id, Sheet.estate == current_estate()).first() or abort(404)
    return redirect(url_for("inspection.sheet", sheet_id=found.sheet_id,
                            _anchor=f"item-{found.item_id}"))


@bp.post("/sheets/<int:sheet_id>/amend")
@role_required(*MANAGING, "engineer")
def amend(sheet_id):
    """A correction of a submitted sheet, with who, when and why."""
    sheet = _sheet_or_404(sheet_id)
    form = AmendForm()
    form.item.choices = options([(i.id, i.label) for i in sheet.version.ordered_items()])
    if form.validate_on_submit():
        item = ChecklistItem.get_by_id(form.item.data)
        try:
            amend_answer(sheet, item, form.new_value.data, form.reason.data, current_user)
        except DomainError as error:
            show_error(form, error, default="new_value")
        else:
            flash("已记录更正。", "success")
            return redirect(url_for("inspection.sheet", sheet_id=sheet.id))
    return render("inspection/sheet.html", **_page(sheet, amend_form=form)), 422



@bp.route("/day.pdf")
@role_required(*ENGINEERING)
def day_pdf():
    """设备日检记录表: every sheet submitted on a day (?day=2026-03-10, default today)."""
    estate = current_estate()
    day = day_arg("day", estate.today(utcnow()))
    pdf = render_pdf("pdf/inspection_day.html", title="设备日检记录表", estate=estate,
                     period=f"{day:%Y年%m月%d日}", sheets=day_sheets(estate, day),
                     signatures=["检查人", "审核人"], raised_orders=raised_orders)
    return pdf_response(pdf, f"inspection-{day}.pdf")
