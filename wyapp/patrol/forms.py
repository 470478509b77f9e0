"""Patrol forms: checkpoints, routes, schedules, scans, incidents."""
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from ..forms import BaseForm, CheckboxesField, at_most, record_id, required, text
from ..idempotency import CreateOnce
from .models import EARLY_MINUTES_MAX, INCIDENT_CATEGORIES, LONGEST_WINDOW_MINUTES, WEEKDAYS


def number(label, low, high, message, *validators, **kwargs):
    return IntegerField(label, [*validators, NumberRange(low, high, message)], **kwargs)


class PatrolForm(BaseForm):
    """Number fields say in Chinese when what was typed is not a number."""

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for f in self:
            if not isinstance(f, IntegerField | FloatField) or not f.raw_data \
                    or f.data is not None:
                continue
            typed = f.raw_data[0]
            if not isinstance(typed, str) or typed.strip():  # typed (or a file), not a number
                f.errors = ["请填写数字。"]
                ok = False
        return ok


class CheckpointForm(CreateOnce, PatrolForm):
    name = text("巡更点名称", 100, required("请填写巡更点名称，例如 3号楼地下车库B区。"))
    location = text("位置说明", 200)
    latitude = FloatField("纬度", [Optional(), NumberRange(-90, 90, "纬度应在 -90 到 90 之间。")])
    longitude = FloatField("经度", [Optional(),
                                  NumberRange(-180, 180, "经度应在 -180 到 180 之间。")])
    radius_m = number("范围半径（米）", 5, 5000, "范围半径应在 5 到 5000 米之间。", Optional())
    active = BooleanField("启用", default=True)


class RouteForm(CreateOnce, PatrolForm):
    name = text("路线名称", 100, required("请填写路线名称，例如 夜间巡逻路线。"))
    enforce_order = BooleanField("按顺序巡查", default=True)
    min_seconds = number("相邻两点最少间隔（秒）", 0, 3600, "间隔应在 0 到 3600 秒之间。",
                         required("请填写最少间隔秒数。"), default=30)
    active = BooleanField("启用", default=True)


class StopForm(CreateOnce, BaseForm):
    checkpoint = SelectField("添加巡更点", coerce=record_id,
                             validators=[required("请选择巡更点。")])


class ScheduleForm(CreateOnce, PatrolForm):
    name = text("计划名称", 100, required("请填写计划名称，例如 夜间巡逻。"))
    route = SelectField("巡更路线", coerce=record_id, validators=[required("请选择路线。")])
    weekdays = CheckboxesField("星期", choices=[SelectChoice(str(i + 1), f"周{d}")
                                              for i, d in enumerate(WEEKDAYS)])
    mode = RadioField("时间方式", choices=[SelectChoice("fixed", "固定开始时间"),
                                       SelectChoice("interval", "时段内每隔")],
                      default="fixed", validators=[required("请选择时间方式。")])
    start_times = text("开始时间", 300, description="例如 08:00, 14:00, 20:00")
    span_start = text("时段开始", 5)
    span_end = text("时段结束", 5)
    every_minutes = number("每隔（分钟）", 10, 1440, "间隔应在 10 到 1440 分钟之间。", Optional())
    window_minutes = number("每轮时限（分钟）", 10, LONGEST_WINDOW_MINUTES,
                            f"时限应在 10 到 {LONGEST_WINDOW_MINUTES} 分钟之间。",
                            required("请填写每轮时限。"), default=60)
    crew = RadioField("执行人员", choices=[SelectChoice("named", "指定人员"),
                                         SelectChoice("roster", "当班人员（按排班）")],
                      default="named", validate_choice=False)  # anything else: named
    any_guard = BooleanField("本小区任何秩序维护员", default=True)
    guards = CheckboxesField("指定秩序维护员", coerce=record_id)
    active = BooleanField("启用", default=True)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.mode.data == "interval" and not self.every_minutes.errors and \
                not self.every_minutes.data:
            self.every_minutes.errors = ["请填写间隔分钟数。"]
            ok = False
        return ok


class PatrolSettingsForm(PatrolForm):
    early_minutes = number("提前打卡（分钟）", 0, EARLY_MINUTES_MAX,
                           f"应在 0 到 {EARLY_MINUTES_MAX} 分钟之间。",
                           InputRequired("请填写分钟数。"), render_kw={"inputmode": "numeric"})


class ScanForm(BaseForm):
    """The 打卡 button: the client id and what the phone knows, all optional but the id."""
    client_id = HiddenField()
    device_time = HiddenField()
    latitude = HiddenField()
    longitude = HiddenField()
    accuracy = HiddenField()


class IncidentForm(CreateOnce, BaseForm):
    category = SelectField("异常类别", choices=[SelectChoice(c, c) for c in INCIDENT_CATEGORIES],
                           validators=[required("请选择异常类别。")])
    text = TextAreaField("情况说明", [required("请写明发现的情况。"), at_most(2000)],
                         filters=[lambda v: v.strip() if isinstance(v, str) else ""])
    photos = MultipleFileField("照片（最多 6 张）")
    checkpoint_id = HiddenField()


class CommentForm(BaseForm):
    text = TextAreaField("处理意见", [required("请填写处理意见。"), at_most(1000)],
                         filters=[lambda v: v.strip() if isinstance(v, str) else ""])
