from zoneinfo import available_timezones

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional, Regexp, ValidationError

from ..accounts.forms import PASSWORD_RULE
from ..forms import BaseForm, CheckboxesField, at_most, cleaned, record_id, required, text
from ..idempotency import CreateOnce
from ..inputs import clean_mobile
from ..models import ROLES


def valid_timezone(form, field):
    if field.data not in available_timezones():
        raise ValidationError("请填写有效的时区，例如 Asia/Shanghai。")


# China's zones first (北京时间 for the mainland), then every other IANA zone by name.
CHINA_ZONES = {"Asia/Shanghai": "北京时间", "Asia/Urumqi": "新疆时间", "Asia/Hong_Kong": "香港",
               "Asia/Macau": "澳门", "Asia/Taipei": "台北"}


def timezone_choices():
    """The 时区 list: China's zones first, labelled; then the rest of
    zoneinfo.available_timezones() sorted (the server's tz database)."""
    zones = available_timezones()
    first = [SelectChoice(z, f"{z}（{name}）") for z, name in CHINA_ZONES.items() if z in zones]
    rest = [SelectChoice(z, z) for z in sorted(zones - CHINA_ZONES.keys())
            if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/"))]
    return [*first, *rest, SelectChoice("UTC", "UTC")]


class ZoneField(SelectField):
    """The 时区 list; a value sent that is not on it (refused by valid_timezone) is shown
    as the selected first option beside its message, as it was sent."""

    def iter_choices(self):
        choices = super().iter_choices()
        if self.data and not any(c.selected for c in choices):
            sent = SelectChoice(self.data, self.data[:64])
            return [type(choices[0])(value=sent.value, label=sent.label, selected=True,
                                     render_kw={}), *choices]
        return choices


class EstateForm(CreateOnce, BaseForm):
    name = text("小区名称", 100, required("请填写小区名称。"))
    address = text("地址", 200)
    timezone = ZoneField("时区", [valid_timezone], default="Asia/Shanghai",
                         choices=lambda: timezone_choices(), validate_choice=False)
    active = BooleanField("启用", default=True)


class BuildingForm(CreateOnce, BaseForm):
    name = text("楼栋名称", 50, required("请填写楼栋名称，例如 3号楼。"))


class UnitForm(CreateOnce, BaseForm):
    number = text("房号", 30, required("请填写房号，例如 2-301。"))
    floor = IntegerField("楼层", [Optional(), NumberRange(-10, 200, "楼层应在 -10 到 200 之间。")])
    note = text("备注", 200)

    def validate_floor(self, field):
        if field.raw_data and field.raw_data[0].strip() and field.data is None:
            raise ValidationError("楼层请填写整数。")


class UnitImportForm(BaseForm):
    file = FileField("CSV 文件", [FileRequired("请选择要导入的 CSV 文件。")])


USERNAME_RULE = Regexp(r"^[A-Za-z0-9_.-]{2,40}$",
                       message="用户名只能用 2–40 位字母、数字、下划线、点或短横线。")


class UserForm(BaseForm):
    display_name = text("姓名", 40, required("请填写姓名。"))
    phone = text("手机号", 30, cleaned(clean_mobile))
    roles = CheckboxesField("岗位", choices=[SelectChoice(k, v) for k, v in ROLES.items()],
                            validators=[required("请至少选择一个岗位。")])
    estates = CheckboxesField("所属小区", coerce=record_id)
    active = BooleanField("账号启用", default=True)


class NewUserForm(CreateOnce, UserForm):
    username = text("用户名", 40, required("请填写用户名。"), USERNAME_RULE)
    password = PasswordField("初始密码", [required("请填写初始密码。"), PASSWORD_RULE])


class ResetPasswordForm(BaseForm):
    password = PasswordField("新密码", [required("请填写新密码。"), PASSWORD_RULE, at_most(128)])
