"""Service-desk forms: field shapes and messages; the rules live in orders.py and complaints.py."""
from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from ..forms import BaseForm, cleaned, long_text, record_id, required, text
from ..idempotency import CreateOnce
from ..inputs import clean_phone, posted_id
from .models import CATEGORIES, CHANNELS, PRIORITIES, SATISFACTION, SOURCES


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


class WorkOrderForm(CreateOnce, ChoiceMessages):
    source = choice("报修来源", SOURCES, "请选择报修来源。", default="业主来电")
    caller_name = text("报修人", 40)
    caller_phone = text("联系电话", 30, cleaned(clean_phone))
    appointment_at = text("预约上门时间", 20)
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
    engineer = SelectField("维修人员", coerce=record_id,
                           validators=[InputRequired("请选择维修人员。")],
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

    def hours(self):
        """The four numbers, or None after putting a Chinese message beside each bad one."""
        values = {}
        for name in ("urgent_hours", "high_hours", "normal_hours", "complaint_reply_hours"):
            field = self[name]
            number = posted_id(field.data)
            if number is not None and number <= 2000:
                values[name] = number
            elif not field.errors:
                field.errors.append("请填写 1 到 2000 之间的整数。")
        return values if len(values) == 4 else None


class ComplaintForm(CreateOnce, ChoiceMessages):
    channel = choice("投诉渠道", CHANNELS, "请选择投诉渠道。", default="来电")
    neighbour_dispute = BooleanField("邻里纠纷（姓名、房号可不填）")
    name = text("投诉人姓名", 40)
    unit = text("房号", 60)
    phone = text("联系电话", 30, cleaned(clean_phone))
    content = long_text("投诉内容", 2000, required("请填写投诉内容。"))
    received_at = text("受理时间", 20)
    handling = choice("处理方式", ("自行处理", "转交责任人"), "请选择处理方式。",
                      default="自行处理", radio=True)
    owner = SelectField("责任人", coerce=record_id, validate_choice=False)
    due_at = text("约定回复时间", 20)
    needs_followup = BooleanField("需要回访", default=True)


class HandOverForm(ChoiceMessages):
    owner = SelectField("责任人", coerce=record_id, validators=[InputRequired("请选择责任人。")],
                        validate_choice=True)
    due_at = text("约定回复时间", 20, required("请填写约定回复时间。"))
    note = text("转交说明", 500)


class HandleForm(ChoiceMessages):
    investigation = long_text("调查情况", 2000)
    measures = long_text("处理措施", 2000)
    reply = long_text("答复投诉人", 2000, required("请填写答复内容。"))
    agreed = choice("投诉人意见", ("同意", "不同意"), "请选择投诉人是否同意。", radio=True)
    next_due = text("下次回复时间（不同意时）", 20)
    no_followup = BooleanField("无须回访（处理后一周内无再次投诉即自动关闭）")


class ClassifyForm(ChoiceMessages):
    cause = SelectField("投诉分类（按最终原因）", coerce=record_id, validate_choice=True,
                        validators=[InputRequired("请选择投诉分类。")])
    event = SelectField("同一事件", coerce=record_id, validate_choice=True,
                        validators=[InputRequired("请选择事件。")])
    new_event = text("或新建事件", 100)
    major = BooleanField("重大投诉（单独立卷）")


class CauseForm(CreateOnce, BaseForm):
    name = text("新分类", 20, required("请填写分类名称。"))
