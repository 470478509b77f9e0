"""The equipment ledger (台账): list, form, CSV import, status, QR labels and their scans."""
from flask import flash, redirect, url_for
from flask_login import current_user
from peewee import IntegrityError

from ..admin.services import ImportRejected
from ..auth import current_estate, get_or_404, role_required, scoped
from ..db import db, utcnow
from ..documents import pdf_response, render_pdf
from ..errors import DomainError, show_error
from ..idempotency import once
from ..labels import confirm_reissue, current_label, issue_label, reissue_unconfirmed
from ..qr import qr_svg
from ..web import render
from .equipment import EQUIPMENT_COLUMNS, import_equipment, set_equipment_status
from .forms import EquipmentForm, ImportForm, StatusForm
from .models import Equipment, Sheet, SheetAnswer
from .plans import today_slots
from .views import ENGINEERING, MANAGING, ORDER_LINKS, bp, engineering_only


@bp.route("/equipment")
@role_required(*ENGINEERING)
def equipment_list():
    """The equipment ledger (设备台账)."""
    rows = scoped(Equipment).order_by(Equipment.category, Equipment.code)
    return render("inspection/equipment_list.html", rows=rows, import_form=ImportForm())


@bp.route("/equipment/new", methods=["GET", "POST"])
@bp.route("/equipment/<int:equipment_id>/edit", methods=["GET", "POST"])
@role_required(*MANAGING)
def equipment_form(equipment_id=None):
    """Add a piece of equipment or edit its ledger entry."""
    equipment = get_or_404(Equipment, equipment_id) if equipment_id else \
        Equipment(estate=current_estate())
    form = EquipmentForm(obj=equipment, installed_on=str(equipment.installed_on or ""))
    if form.validate_on_submit():
        form.populate_obj(equipment)
        equipment.installed_on = form.installed_on.data or None
        def save():
            with db.atomic():
                equipment.save()
            return equipment
        try:
            if equipment_id:
                save()
            else:  # once per form shown: a resent POST gets the equipment the first added
                equipment, _ = once(Equipment, form.once_key, save,
                                    Equipment.estate == equipment.estate_id)
        except IntegrityError:
            show_error(form, DomainError("这个设备编号已被使用。", "code"))
        else:
            flash(f"已保存设备 {equipment.name}。", "success")
            return redirect(url_for("inspection.equipment", equipment_id=equipment.id))
    return render("inspection/equipment_form.html", form=form, equipment=equipment)


@bp.post("/equipment/import")
@role_required(*MANAGING)
def equipment_import():
    """CSV import: every bad line listed by number, nothing imported when any is bad."""
    form, errors = ImportForm(), []
    if form.validate_on_submit():
        try:
            count = import_equipment(current_estate(), form.file.data.read())
        except ImportRejected as rejected:
            errors = rejected.errors
        else:
            flash(f"已导入 {count} 台设备。", "success")
            return redirect(url_for("inspection.equipment_list"))
    rows = scoped(Equipment).order_by(Equipment.category, Equipment.code)
    return render("inspection/equipment_list.html", rows=rows, import_form=form,
                  import_errors=errors, columns=EQUIPMENT_COLUMNS), 422


@bp.route("/equipment/<int:equipment_id>")
@role_required(*ENGINEERING)
def equipment(equipment_id):
    """One piece of equipment: ledger data, today's sheets, history, abnormal items."""
    item = get_or_404(Equipment, equipment_id)
    return render("inspection/equipment.html", **_equipment_context(item))


def _equipment_context(item, **extra):
    now = utcnow()
    slots = [s for s in today_slots(current_estate(), now) if s.plan.equipment_id == item.id]
    sheets = item.sheets.order_by(Sheet.started_at.desc()).limit(30)
    abnormal = (SheetAnswer.select().join(Sheet)
                .where(Sheet.equipment == item, SheetAnswer.abnormal, Sheet.status == "已提交")
                .order_by(Sheet.submitted_at.desc(), SheetAnswer.id).limit(30))
    return {"equipment": item, "slots": slots, "sheets": sheets, "abnormal": abnormal,
            "now": now, "status_form": StatusForm(status=item.status),
            "label": current_label("equipment", item.id), **ORDER_LINKS, **extra}


@bp.post("/equipment/<int:equipment_id>/status")
@role_required(*ENGINEERING)
def equipment_status(equipment_id):
    """Mark equipment 在用 / 停用 / 维修中."""
    item = get_or_404(Equipment, equipment_id)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            set_equipment_status(item, form.status.data)
        except DomainError as error:
            show_error(form, error)
        else:
            flash(f"{item.name} 已标记为 {item.status}。", "success")
            return redirect(url_for("inspection.equipment", equipment_id=item.id))
    if not form.status.errors:
        show_error(form, DomainError("请选择设备状态。", "status"))
    return render("inspection/equipment.html", **_equipment_context(item, status_form=form)), 422


@bp.post("/equipment/<int:equipment_id>/label")
@role_required(*MANAGING)
def equipment_label(equipment_id):
    """Issue (or re-issue) the equipment's QR label; an older label stops working."""
    item = get_or_404(Equipment, equipment_id)
    if reissue_unconfirmed("equipment", item.id):  # one in use: ask first (issue 17)
        return confirm_reissue(f"设备 {item.name}", url_for("inspection.equipment",
                                                          equipment_id=item.id))
    issue_label(current_estate(), "equipment", item.id)
    flash("已生成新标签，请打印后贴在设备上；旧标签已作废。", "success")
    return redirect(url_for("inspection.equipment", equipment_id=item.id))


@bp.route("/equipment/labels.pdf")
@role_required(*MANAGING)
def label_sheet():
    """An A4 sheet of QR labels for every piece of equipment (labels issued as needed)."""
    estate = current_estate()
    labels = []
    with db.atomic():
        for item in scoped(Equipment).order_by(Equipment.code):
            label = current_label("equipment", item.id) or issue_label(estate, "equipment",
                                                                         item.id)
            labels.append({"equipment": item, "qr": qr_svg(label.url())})
    pdf = render_pdf("pdf/inspection_labels.html", title="设备二维码标签", estate=estate,
                     labels=labels, period=f"共 {len(labels)} 台设备")
    return pdf_response(pdf, "equipment-labels.pdf")


def open_equipment_label(label):
    """/c/<token> of an equipment label: its due sheet, or the offer to start one."""
    if not current_user.has_role(*ENGINEERING):
        return engineering_only("设备标签")
    item = Equipment.get_by_id(label.target_id)
    context = _equipment_context(item)
    drafts = [s for s in context["slots"] if s.sheet is not None and not s.sheet.submitted]
    if len(drafts) == 1:  # the sheet being filled opens straight away
        return redirect(url_for("inspection.sheet", sheet_id=drafts[0].sheet.id))
    return render("inspection/equipment.html", scanned=True, **context)
