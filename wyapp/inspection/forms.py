
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from ..errors import DomainError
from ..forms import BaseForm, at_most, record_id, required, text
from ..forms import CheckboxesField as Checkboxes
from ..idempotency import CreateOnce
from ..inputs import parse_day, parse_month
from .models import CATEGORIES, FREQUENCIES, ITEM_KINDS, METER_KINDS, STATUSES
from .sheets import parse_number


class ChineseChoiceMessages:
    """WTForms' own choice messages are English: say it in Chinese beside the field."""
    message = "请从列表中选择。"

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.message) from None

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(self.message) from None


class Choice(ChineseChoiceMessages, SelectField):
    pass


class CheckboxesField(ChineseChoiceMessages, Checkboxes):
    pass  # the same name: the field macro renders it as a fieldset of checkboxes


def options(pairs):
    """Select choices from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def number(label, *validators):
    """A text field holding a decimal (Chinese message when it is not one)."""
    def valid(form, field):
        if field.data:
            try:
                parse_number(field.data)
            except DomainError as error:
                raise ValidationError(error.message) from None
    return text(label, 20, *validators, valid, render_kw={"inputmode": "decimal"})


def iso_date(form, field):
    """A day of the sane years (wyapp.inputs.parse_day), kept as typed when valid."""
    if field.data and parse_day(field.data) is None:
        raise ValidationError("请填写日期，例如 2024-05-01。")


def month_field(form, field):
    """A month of the sane years (wyapp.inputs.parse_month): ASCII or full-width digits,
    normalised to 2024-05."""
    if field.data:
        first = parse_month(field.data)
        if first is None:
            raise ValidationError("月份格式应为 2024-05。")
        field.data = f"{first:%Y-%m}"


def textarea(label, n, *validators):
    return TextAreaField(label, [*validators, at_most(n)],
                         filters=[lambda v: v.strip() if isinstance(v, str) else ""])


class EquipmentForm(CreateOnce, BaseForm):
    code = text("设备编号", 30, required("请填写设备编号。"))
    name = text("设备名称", 100, required("请填写设备名称。"))
    category = Choice("类别", choices=list(CATEGORIES))
    location = text("位置", 100)
    model = text("型号", 60)
    maker = text("厂家", 60)
    installed_on = text("安装日期", 10, iso_date, render_kw={"type": "date"})
    contractor = text("维保单位", 100)
    contractor_phone = text("维保电话", 30)
    status = Choice("状态", choices=list(STATUSES))


class ImportForm(BaseForm):
    file = FileField("CSV 文件", [FileRequired("请选择要导入的 CSV 文件。")])


class StatusForm(BaseForm):
    status = Choice("设备状态", choices=list(STATUSES))


class ChecklistForm(CreateOnce, BaseForm):
    name = text("检查表名称", 100, required("请填写检查表名称。"))
    category = Choice("适用类别",
                           choices=options([("", "不限")] + [(c, c) for c in CATEGORIES]))
    equipment = Choice("适用设备", coerce=record_id)


class ItemForm(CreateOnce, BaseForm):
    label = text("检查项", 100, required("请填写检查项名称。"))
    kind = Choice("类型", choices=options(ITEM_KINDS.items()))
    unit = text("单位", 10)
    min_value = number("正常下限")
    max_value = number("正常上限")
    choices = textarea("选项（每行一个）", 1000)
    abnormal_choices = textarea("其中异常的选项（每行一个）", 1000)
    required = BooleanField("必填", default=True)

    def values(self):
        as_number = lambda f: parse_number(f.data) if f.data else None  # noqa: E731
        return {"label": self.label.data, "kind": self.kind.data, "unit": self.unit.data,
                "min_value": as_number(self.min_value), "max_value": as_number(self.max_value),
                "choices": self.choices.data, "abnormal_choices": self.abnormal_choices.data,
                "required": self.required.data}


class PlanForm(CreateOnce, BaseForm):
    equipment = Choice("设备", coerce=record_id)
    checklist = Choice("检查表", coerce=record_id)
    frequency = Choice("频次", choices=list(FREQUENCIES))
    crew = Choice("执行人员", choices=options([("named", "指定人员"),
                                              ("roster", "当班人员（按排班）")]),
                  default="named", validate_choice=False)  # anything else: named
    engineers = CheckboxesField("负责工程师（不选则所有工程师可做）", coerce=record_id)
    active = BooleanField("启用", default=True)


class AmendForm(BaseForm):
    item = Choice("更正的检查项", coerce=record_id)
    new_value = text("更正后的值", 500, required("请填写更正后的值。"))
    reason = text("更正原因", 500, required("请填写更正原因。"))


class MeterForm(CreateOnce, BaseForm):
    kind = Choice("类型", choices=options((k, f"{k}表") for k in METER_KINDS))
    name = text("表名称", 100, required("请填写表名称，例如 1号楼公共照明电表。"))
    unit = Choice("所属房号（公共表不选）", coerce=record_id)
    location = text("位置", 100)
    multiplier = number("倍率", required("请填写倍率（一般为 1）。"))
    serial = text("表号", 40)


class ReadingForm(CreateOnce, BaseForm):
    month = text("抄表月份", 7, required("请选择月份。"),
                 month_field,
                 render_kw={"type": "month"})
    value = number("本月读数", required("请填写读数。"))
    note = text("核对说明", 500)


class ReplacementForm(CreateOnce, BaseForm):
    replaced_on = text("换表日期", 10, required("请填写换表日期。"), iso_date,
                       render_kw={"type": "date"})
    old_final = number("旧表止码", required("请填写旧表止码。"))
    new_serial = text("新表表号", 40, required("请填写新表表号。"))
    new_start = number("新表起码", required("请填写新表起码。"))


class DutyEventForm(CreateOnce, BaseForm):
    text = text("事件", 500, required("请填写事件内容。"))


class HandoverForm(BaseForm):
    pending = textarea("未完成事项", 2000)
    equipment_status = textarea("设备运行情况", 2000, required("请填写设备运行情况。"))

