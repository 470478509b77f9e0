"""Gate forms: labels exactly as the booth says them, Chinese messages, values kept."""
from flask import has_request_context
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional, ValidationError

from ..auth import current_estate
from ..errors import show_error
from ..forms import BaseForm, cleaned, required, text
from ..idempotency import CreateOnce
from ..inputs import clean_mobile
from .models import PURPOSES, VEHICLE_KINDS
from .plates import PROVINCES, province_order, usual_province, with_province
from .validators import clean_id_number, clean_plate


def whole_number(label, low, high, default=None):
    return IntegerField(label, [Optional(), NumberRange(low, high, f"{label}应在 {low} 到 "
                                                                  f"{high} 之间。")],
                        default=default, render_kw={"inputmode": "numeric"})


class GateForm(BaseForm):
    """Also refuses the replacement character left by bytes that were not UTF-8."""

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and "\ufffd" in field.data and not field.errors:
                field.errors = [*field.errors, "包含无法识别的字符，请重新输入。"]
                ok = False
        for field in self:  # an integer field given words keeps them and says so in Chinese
            if field.type == "IntegerField" and field.raw_data and field.raw_data[0].strip() \
                    and field.data is None:
                field.errors = ["请填写整数。"]
                ok = False
            if field.type == "DateField" and field.raw_data and field.raw_data[0].strip() \
                    and field.data is None:
                field.errors = ["请填写有效日期，例如 2026-03-10。"]
                ok = False
            if field.type == "RadioField" and field.data is not None \
                    and field.data not in [c.value for c in field.choices]:
                field.errors = [f"请选择{field.label.text}。"]
                ok = False
        return ok

    def show(self, error):
        """Put a domain error beside its field; a rule of the whole form goes beside the
        first visible field, where the booth's phone shows it. Returns the form."""
        first = next(f.name for f in self if f.type not in ("CSRFTokenField", "HiddenField"))
        return show_error(self, error, default=first)


class ProvincePlate:
    """A plate's province picked from a list (the estate's usual one first and preselected)
    and the rest typed: `plate_province` + `plate` are read as one plate before the plate's
    own check (a plate typed whole, 粤B12345, is taken as typed)."""
    plate_province = SelectField("车牌省份", choices=[SelectChoice(p, p) for p in PROVINCES],
                                 validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        estate = current_estate() if has_request_context() else None
        usual = usual_province(estate)
        self.plate_province.choices = [SelectChoice("", "—"), *(
            SelectChoice(p, p) for p in province_order(usual))]
        if not self.plate_province.raw_data:
            self.plate_province.data = usual

    def validate(self, extra_validators=None):
        picked = self.plate_province.raw_data  # not sent (an older page's queued form): none
        self.plate.data = with_province(picked[0] if picked else "", self.plate.data)
        return super().validate(extra_validators)


def purpose_field(default=None):
    return RadioField("来访事由", choices=[SelectChoice(p, p) for p in PURPOSES], default=default,
                      validate_choice=False, validators=[InputRequired("请选择来访事由。")])


class VisitForm(ProvincePlate, CreateOnce, GateForm):
    name = text("访客姓名", 40, required("请填写访客姓名。"))
    phone = text("手机号", 30, required("请填写手机号。"), cleaned(clean_mobile))
    unit = text("被访房号", 30)
    host = text("被访人", 40)
    purpose = purpose_field()
    party_size = whole_number("人数", 1, 50, default=1)
    plate = text("车牌号", 12, cleaned(clean_plate))
    id_number = text("身份证号", 24, cleaned(clean_id_number))
    note = text("备注", 200)
    photo = FileField("照片")
    invitation = HiddenField()

    def validate_unit(self, field):
        if not field.data and not self.host.data:
            raise ValidationError("请填写被访房号或被访人。")


class InvitationForm(CreateOnce, GateForm):
    name = text("访客姓名", 40, required("请填写访客姓名。"))
    phone = text("手机号", 30, required("请填写手机号。"), cleaned(clean_mobile))
    unit = text("被访房号", 30, required("请填写被访房号，例如 1-101。"))
    purpose = purpose_field(default="探亲访友")
    party_size = whole_number("人数", 1, 50, default=1)
    plate = text("车牌号", 12, cleaned(clean_plate))
    valid_from = DateField("开始日期", [InputRequired("请选择开始日期。")])
    valid_to = DateField("结束日期", [InputRequired("请选择结束日期。")])
    note = text("备注", 200)


class CodeForm(GateForm):
    code = text("预约码", 12, required("请输入预约码。"))


class VehicleForm(ProvincePlate, CreateOnce, GateForm):
    plate = text("车牌号", 12, required("请填写车牌号。"), cleaned(clean_plate))
    kind = RadioField("类型", choices=[SelectChoice(k, k) for k in VEHICLE_KINDS], default="访客",
                      validate_choice=False, validators=[InputRequired("请选择车辆类型。")])


class SlipForm(CreateOnce, GateForm):
    unit = text("房号", 30, required("请填写房号，例如 1-101。"))
    applicant = text("申请人", 40, required("请填写申请人。"))
    items = text("物品清单", 2000, required("请填写放行物品，每行一件。"))
    valid_on = DateField("有效日期", [InputRequired("请选择有效日期。")])
    approved_by = text("批准人", 40, required("请填写批准人。"))
    note = text("备注", 200)


class ReleaseForm(GateForm):
    exit_note = text("出门备注", 200)


class WatchForm(CreateOnce, GateForm):
    name = text("姓名", 40)
    phone = text("手机号", 30, cleaned(clean_mobile))
    id_number = text("身份证号", 24, cleaned(clean_id_number))
    plate = text("车牌号", 12, cleaned(clean_plate))
    reason = text("原因", 200, required("请填写关注原因。"))


class SettingsForm(GateForm):
    long_stay_hours = IntegerField("长时间停留提醒（小时）", [
        InputRequired("请填写小时数。"), NumberRange(1, 240, "应在 1 到 240 小时之间。")])
    retention_days = IntegerField("访客个人信息保留天数", [
        InputRequired("请填写天数。"), NumberRange(1, 3650, "应在 1 到 3650 天之间。")])
    store_full_id = BooleanField("保存完整身份证号（默认只保存打码后的号码）")

