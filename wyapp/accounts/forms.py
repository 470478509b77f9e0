from wtforms import PasswordField
from wtforms.validators import EqualTo, Length

from ..forms import BaseForm, at_most, required, text

PASSWORD_RULE = Length(min=8, max=128, message="密码长度为 8 到 128 位。")


class LoginForm(BaseForm):
    username = text("用户名", 40, required("请输入用户名。"))
    password = PasswordField("密码", [required("请输入密码。"), at_most(128)])


class ChangePasswordForm(BaseForm):
    current = PasswordField("当前密码", [required("请输入当前密码。"), at_most(128)])
    new = PasswordField("新密码", [required("请输入新密码。"), PASSWORD_RULE])
    confirm = PasswordField("再次输入新密码", [required("请再次输入新密码。"),
                                        EqualTo("new", message="两次输入的新密码不一致。")])
