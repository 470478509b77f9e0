"""Service-desk forms: field shapes and messages; the rules live in services.py."""
from flask_wtf.file import MultipleFileField
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from ..forms import BaseForm, at_most, required, text
from .models import CATEGORIES, PRIORITIES, SATISFACTION, SOURCES


def long_text(label, n, *validators, **kwargs):
    """A stripped multi-line text of at most n characters."""
    return TextAreaField(label, [*validators, at_most(n)],
                         filters=[lambda v: v.strip() if isinstance(v, str) else ""], **kwargs)


def choice(label, options, message, default=None, radio=False):
    field = RadioField if radio else SelectField
    return field(label, choices=[SelectChoice(o, o) for o in options], default=default,
                 validators=[InputRequired(message)], validate_choice=True)


class ChoiceMessages(BaseForm):
    """Turns WTForms' own invalid-choice message into the field's Chinese one."""

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for field in self:
            if isinstance(field, SelectField | RadioField) and field.errors:
                message = next((v.message for v in field.validators
                                if isinstance(v, InputRequired)), "请选择一项。")
                field.errors = [message]
        return ok


class WorkOrderForm(ChoiceMessages):
    source = choice("报修来源", SOURCES, "请选择报修来源。", default="业主来电")
    unit = text("房号", 60)
    place = text("公共部位", 100)
    category = choice("报修类别", CATEGORIES, "请选择报修类别。", default="其他")
    priority = choice("紧急程度", PRIORITIES, "请选择紧急程度。", default="普通", radio=True)
    paid = choice("收费", ("无偿", "有偿"), "请选择有偿或无偿。", default="无偿", radio=True)
    description = long_text("报修内容", 2000, required("请填写报修内容。"))
    photos = MultipleFileField("照片")

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not self.unit.data and not self.place.data and not self.unit.errors:
            self.unit.errors = [*self.unit.errors, "请填写房号或公共部位。"]
            ok = False
        return ok


class AssignForm(ChoiceMessages):
    engineer = SelectField("维修人员", coerce=int, validators=[InputRequired("请选择维修人员。")],
                           validate_choice=True)
    note = text("派单说明", 500)


class StepForm(BaseForm):
    """A step with nothing to type (接单, 开始处理, 关闭): only the CSRF token."""


class CompleteForm(BaseForm):
    note = long_text("处理结果", 2000, required("请填写处理结果。"))
    materials = text("使用材料", 500)
    photos = MultipleFileField("完工照片")


class VisitForm(ChoiceMessages):
    satisfaction = choice("满意度", SATISFACTION, "请选择满意度。", radio=True)
    comment = long_text("回访意见", 500)


class AmendForm(BaseForm):
    note = long_text("更正内容", 2000, required("请填写更正内容。"))


class DueHoursForm(BaseForm):
    urgent_hours = text("紧急（小时）", 4, required("请填写小时数。"))
    high_hours = text("高（小时）", 4, required("请填写小时数。"))
    normal_hours = text("普通（小时）", 4, required("请填写小时数。"))
    complaint_reply_hours = text("投诉默认回复时限（小时）", 4, required("请填写小时数。"))
