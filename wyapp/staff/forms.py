"""Staff forms: field shapes and Chinese messages; the rules live in rosters.py, leave.py …"""
from datetime import date

from flask_wtf.file import FileField
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, NumberRange, Optional

from ..forms import BaseForm, at_most, cleaned, long_text, record_id, required, text
from ..idempotency import CreateOnce
from ..inputs import require_day
from ..service.forms import ChoiceMessages, choice
from .models import HALVES, LEAVE_KINDS, RESULTS, TEAMS


def day_field(label, message="请填写日期，如 2026-03-10。", **kwargs):
    """A local date typed or picked (YYYY-MM-DD; 2026/3/10 and full-width digits too)."""
    return StringField(label, [required(message), at_most(10),
                               cleaned(lambda v: require_day(v, None, message))],
                       filters=[_day_text], **kwargs)


def _day_text(value):
    """What a day field holds before validation: the text posted, or a default day as text
    (a form given `data={"day": date}` keeps it when the POST lacks the field)."""
    if isinstance(value, date):
        return value.isoformat()
    return value.strip() if isinstance(value, str) else value


def person(label, message="请选择人员。"):
    return SelectField(label, coerce=record_id, validators=[InputRequired(message)],
                       validate_choice=True)


class ShiftForm(CreateOnce, BaseForm):
    name = text("班次名称", 20, required("请填写班次名称，例如 白班。"))
    starts = text("开始时间", 5, required("请填写开始时间，例如 08:00。"))
    ends = text("结束时间", 5, required("请填写结束时间，例如 20:00；早于开始时间即次日。"))


class EntryForm(ChoiceMessages):
    """One person on one shift of a day, or of every day up to `until` (the roster page)."""
    day = day_field("日期")
    until = StringField("至（可选，连续排班）", [Optional(), at_most(10), cleaned(
        lambda v: require_day(v, None, "请填写日期，如 2026-03-10。"))], filters=[_day_text])
    shift = SelectField("班次", coerce=record_id, validators=[InputRequired("请选择班次。")],
                        validate_choice=True)
    user = person("人员")


class ReplacementForm(ChoiceMessages):
    user = person("替班人", "请选择替班人。")


class LeaveForm(CreateOnce, ChoiceMessages):
    kind = choice("请假类型", LEAVE_KINDS, "请选择请假类型。", default="事假")
    start_day = day_field("开始日期")
    start_half = choice("开始", HALVES, "请选择上午或下午。", default="上午", radio=True)
    end_day = day_field("结束日期")
    end_half = choice("结束", HALVES, "请选择上午或下午。", default="下午", radio=True)
    reason = long_text("事由", 500, required("请填写请假事由。"))
    photo = FileField("照片（可选，如病假条）")


class RefuseForm(BaseForm):
    reason = text("驳回理由", 200, required("请填写驳回理由。"))


def score(label):
    return IntegerField(label, [InputRequired(f"请给{label}打分（0–100）。"),
                                NumberRange(0, 100, f"{label}应在 0 到 100 之间。")])


class ScoreForm(BaseForm):
    attitude = score("服务态度")
    appearance = score("仪容仪表")
    discipline = score("纪律")
    comment = long_text("评语", 500)


class RewardForm(CreateOnce, ChoiceMessages):
    kind = choice("奖惩", ("奖励", "处罚"), "请选择奖励或处罚。", default="奖励", radio=True)
    points = IntegerField("分值", [InputRequired("请填写分值（0–20）。"),
                                   NumberRange(0, 20, "分值应在 0 到 20 之间。")], default=2)
    reason = text("理由", 200, required("请填写理由。"))


class WeightsForm(BaseForm):
    manager_after_days = IntegerField("超过几天需经理审批", [
        InputRequired("请填写天数。"), NumberRange(1, 60, "天数应在 1 到 60 之间。")])
    weight_facts = IntegerField("工作实绩", [InputRequired(), NumberRange(0, 100)])
    weight_attendance = IntegerField("出勤", [InputRequired(), NumberRange(0, 100)])
    weight_training = IntegerField("培训", [InputRequired(), NumberRange(0, 100)])
    weight_attitude = IntegerField("服务态度", [InputRequired(), NumberRange(0, 100)])
    weight_appearance = IntegerField("仪容仪表", [InputRequired(), NumberRange(0, 100)])
    weight_discipline = IntegerField("纪律", [InputRequired(), NumberRange(0, 100)])


class SessionForm(CreateOnce, ChoiceMessages):
    topic = text("培训内容", 100, required("请填写培训内容。"))
    trainer = person("培训人", "请选择培训人。")
    day = day_field("日期")
    starts = text("开始时间", 5, required("请填写开始时间，例如 14:00。"))
    ends = text("结束时间", 5, required("请填写结束时间，例如 15:30。"))
    place = text("地点", 100, required("请填写地点。"))
    attendees = SelectMultipleField("参加人员", coerce=record_id,
                                    validators=[InputRequired("请至少选择一名参加人员。")])


class ResultForm(ChoiceMessages):
    result = choice("考核", RESULTS, "请选择合格或不合格。", radio=True)
    score = IntegerField("成绩", [Optional(), NumberRange(0, 100, "成绩应在 0 到 100 之间。")])


class MeetingForm(CreateOnce, BaseForm):
    held_on = day_field("日期")
    title = text("会议", 100, required("请填写会议名称。"), default="每周例会")
    attendees = SelectMultipleField("参会人员", coerce=record_id,
                                    validators=[InputRequired("请至少选择一名参会人员。")])
    topics = long_text("议题", 4000, required("请填写议题。"))
    decisions = long_text("决定事项", 4000)


class ActionForm(CreateOnce, ChoiceMessages):
    text = text("待办事项", 200, required("请填写待办事项。"))
    owner = person("负责人", "请选择负责人。")
    due_on = day_field("完成期限")


TEAM_CHOICES = list(TEAMS)
