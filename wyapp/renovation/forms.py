"""Renovation forms: field shapes and their limits (each text field's max length is its
column's); the rules live in applications.py, flow.py and inspections.py."""
from flask_wtf.file import MultipleFileField
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from ..forms import BaseForm, long_text, required, text
from ..forms import CheckboxesField as Checkboxes
from ..idempotency import CreateOnce
from ..inputs import parse_day
from .models import SCOPE_ITEMS


def a_day(form, field):
    if field.data and parse_day(field.data) is None:
        raise ValidationError("请填写日期，例如 2026-07-01。")


def day_field(label, *validators):
    return text(label, 20, *validators, a_day, render_kw={"type": "date"})


class CheckboxesField(Checkboxes):  # the same name: the field macro renders it by its type
    """The scope items as checkboxes, refused in the renovation's own words."""

    def pre_validate(self, form):
        if any(v not in SCOPE_ITEMS for v in self.data or ()):
            raise ValidationError("请从列表中选择装修内容。")


class ApplicationForm(CreateOnce, BaseForm):
    unit = text("房号", 30, required("请填写房号，例如 1-101。"))
    owner_name = text("业主姓名", 40, required("请填写业主姓名。"))
    owner_phone = text("业主手机号", 20, required("请填写业主手机号。"))
    company = text("装修公司", 100, required("请填写装修公司。"))
    company_person = text("装修负责人", 40, required("请填写装修负责人。"))
    company_phone = text("负责人手机号", 20, required("请填写负责人手机号。"))
    licence_no = text("营业执照/资质证号", 40)
    planned_start = day_field("计划开工日期", required("请填写计划开工日期。"))
    planned_end = day_field("计划完工日期", required("请填写计划完工日期。"))
    scope = CheckboxesField("装修内容", choices=[SelectChoice(s, s) for s in SCOPE_ITEMS])
    scope_text = long_text("装修内容说明", 2000)
    workers = long_text("工人名单", 4000)
    photos = MultipleFileField("图纸或照片")


class DecisionForm(BaseForm):
    decision = RadioField("审核结果", choices=[SelectChoice("通过", "通过"),
                                               SelectChoice("驳回", "驳回")],
                          validators=[required("请选择通过或驳回。")])
    note = long_text("审批条件 / 驳回理由", 2000)


class ExtensionForm(BaseForm):
    new_end = day_field("新的完工日期", required("请填写新的完工日期。"))
    reason = text("延期原因", 200, required("请填写延期原因。"))


class NoteForm(BaseForm):
    note = long_text("说明", 2000)


class DeductionForm(BaseForm):
    amount = text("扣款金额（元）", 20, required("请填写扣款金额。"),
                  render_kw={"inputmode": "decimal"})
    reason = text("扣款说明", 200)


class InspectionForm(CreateOnce, BaseForm):
    """Per-item answers are read from item_<key> / note_<key> (the checklist's items); one
    inspection per form key (a second tap would record each violation twice)."""
    deadline = day_field("整改期限")
    note = long_text("其他说明", 2000)
    photos = MultipleFileField("现场照片")


class SettingsForm(BaseForm):
    deposit = text("装修押金（元）", 20, required("请填写押金。"),
                   render_kw={"inputmode": "decimal"})
    management_fee = text("装修管理费（元）", 20, required("请填写管理费。"),
                          render_kw={"inputmode": "decimal"})
    garbage_fee = text("垃圾清运费（元）", 20, required("请填写垃圾清运费。"),
                       render_kw={"inputmode": "decimal"})
    work_hours = text("允许施工时间", 100, required("请填写允许施工的时间段。"))
    holidays = long_text("公共假日（每行一个日期）", 4000)
    inspect_every_days = text("巡查间隔（天）", 3, required("请填写巡查间隔。"),
                              render_kw={"inputmode": "numeric"})
    office_phone = text("物业服务中心电话", 20)
