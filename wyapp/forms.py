"""Form basics shared by every feature: Chinese messages, no control characters."""
import re

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length, ValidationError

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class BaseForm(FlaskForm):
    """A Flask-WTF form (CSRF included) that refuses control characters in any text field."""

    class Meta:
        locales = ["zh"]

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and CONTROL_CHARS.search(field.data):
                field.errors = [*field.errors, "包含无法识别的字符，请重新输入。"]
                ok = False
        return ok


def required(message="请填写此项。"):
    return DataRequired(message=message)


def at_most(n):
    return Length(max=n, message=f"不能超过 {n} 个字。")


def text(label, n, *validators, **kwargs):
    """A stripped text field of at most n characters."""
    return StringField(label, [*validators, at_most(n)],
                       filters=[lambda v: v.strip() if isinstance(v, str) else ""], **kwargs)


class FieldError(ValidationError):
    """A domain rule broken by one field's value: views show it beside that field."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field
