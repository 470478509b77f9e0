"""The group robot form: Chinese labels, hours of the estate's day, credentials write-only."""
from wtforms import BooleanField, IntegerField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from ..forms import BaseForm, CheckboxesField, required, text
from .models import ALERT_KINDS, FORMATS, ROBOT_KINDS


def hour(label, default=None, *validators):
    """A whole hour of the estate's day, 0–23."""
    return IntegerField(label, [*validators, NumberRange(0, 23, f"{label}应在 0 到 23 之间。")],
                        default=default)


class RobotForm(BaseForm):
    """New or changed robot. The webhook and secret fields are never filled from the saved
    robot (the page must not show them): left empty on a change, they keep what is saved."""
    name = text("名称", 40, required("请填写名称，例如 值班群。"))
    kind = RadioField("机器人类型", choices=[SelectChoice(k, v) for k, v in ROBOT_KINDS.items()],
                      default="wecom", validators=[InputRequired("请选择机器人类型。")])
    webhook = text("Webhook 地址", 500)
    secret = text("加签密钥（钉钉）", 200)
    clear_secret = BooleanField("清除已保存的加签密钥")
    keyword = text("自定义关键词（钉钉）", 40)
    message_format = RadioField("消息格式", choices=[SelectChoice(k, v)
                                                   for k, v in FORMATS.items()],
                                default="markdown",
                                validators=[InputRequired("请选择消息格式。")])
    kinds = CheckboxesField("转发的提醒", choices=[SelectChoice(k, v)
                                                  for k, v in ALERT_KINDS.items()],
                            default=[k for k in ALERT_KINDS if k != "digest"])
    quiet_from = hour("静默开始（时）", None, Optional())
    quiet_to = hour("静默结束（时）", None, Optional())
    digest_hour = hour("每日摘要发送时间（时）", 8, InputRequired("请填写 0 到 23 的整点。"))
    active = BooleanField("启用", default=True)

    @classmethod
    def of(cls, robot, **kwargs):
        """The form for a saved robot, its webhook and secret left empty (not `obj=`, which
        would put the saved credentials into the page)."""
        data = {name: getattr(robot, name) for name in (
            "name", "kind", "keyword", "message_format", "quiet_from", "quiet_to",
            "digest_hour", "active")}
        return cls(data={**data, "kinds": robot.kind_list}, **kwargs)

    def values(self):
        """The cleaned values save_robot() takes."""
        return {name: self.data[name] for name in (
            "name", "kind", "webhook", "secret", "clear_secret", "keyword", "message_format",
            "kinds", "quiet_from", "quiet_to", "digest_hour", "active")}
