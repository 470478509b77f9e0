"""The 周报's forms: 本周重点工作说明, a 下周工作计划 item, marking last week's items."""
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ..forms import BaseForm, at_most, required
from ..forms import text as text_field
from ..idempotency import CreateOnce


class HighlightsForm(BaseForm):
    highlights = TextAreaField("本周重点工作说明", [at_most(2000)],
                               filters=[lambda v: v.strip() if isinstance(v, str) else ""])


class PlanItemForm(CreateOnce, BaseForm):
    text = text_field("工作内容", 200, required("请填写工作内容。"))
    owner = text_field("负责人", 40, required("请填写负责人。"))
    due = text_field("完成日期", 10, required("请填写完成日期，如 2026-06-19。"))


class MarkForm(BaseForm):
    done = RadioField("完成情况", choices=[SelectChoice("1", "完成"), SelectChoice("0", "未完成")],
                      validators=[required("请选择完成或未完成。")])


class ActionForm(BaseForm):
    """A button that posts (审核, 更正, 更新数据, 删除): CSRF only."""
