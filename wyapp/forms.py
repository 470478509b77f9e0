"""Form basics shared by every feature: Chinese messages, no control characters.

Domain rules raise the one domain error (wyapp.errors.DomainError). WTForms only catches its
own ValidationError inside a field's validator chain, so a domain check used *as a field
validator* goes through `cleaned()`, the one adapter; a domain error raised by a service
after validation is shown with `errors.show_error`. There is no form-specific error type.
"""
import re

from flask import request
from flask_wtf import FlaskForm
from flask_wtf.form import _Auto, _is_submitted
from werkzeug.datastructures import CombinedMultiDict, MultiDict
from wtforms import (
    FileField,
    MultipleFileField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, ValidationError

from .errors import DomainError
from .inputs import MAX_ID, posted_id

CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class BaseForm(FlaskForm):
    """A Flask-WTF form (CSRF included) that refuses control characters in any text field."""

    class Meta:
        locales = ["zh"]

        def wrap_formdata(self, form, formdata):
            """What the browser posted, as the form's fields may read it: the form fields,
            and a file part only where the form has a file field. A file sent in a text
            field (any client can) is dropped, so the field reads as empty and says so,
            instead of a file object reaching `.strip()`. A JSON body is not a form: none of
            wyapp's forms takes one, so it reads as nothing sent."""
            if formdata is not _Auto:
                return formdata
            if not _is_submitted() or not (request.form or request.files):
                return None
            file_fields = {name for name, field in form._fields.items()
                           if isinstance(field, FileField | MultipleFileField)}
            files = MultiDict([(key, value) for key, value in request.files.items(multi=True)
                               if key in file_fields])
            return CombinedMultiDict((files, request.form)) if files else request.form

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


def record_id(value):
    """`coerce` of a field choosing a record by id (instead of `int`): an int that a column
    can hold (1 … 2^63 − 1), else ValueError, which WTForms reports as a bad choice — so
    2^63 or '²' posted in a select never reaches the database."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_ID:
        return value  # a choice's own value (0 stands for "none" in some selects)
    if isinstance(value, str) and value.strip() == "0":
        return 0
    number = posted_id(value)
    if number is None:
        raise ValueError("请重新选择。")
    return number


def cleaned(cleaner):
    """A field validator from a domain cleaner: `cleaner(value)` returns the normalised value
    (kept as the field's data) or raises DomainError, whose message is shown beside the field
    (WTForms shows only its own ValidationError there, hence this adapter)."""
    def check(form, field):
        try:
            field.data = cleaner(field.data)
        except DomainError as error:
            raise ValidationError(error.message) from None
    return check


def long_text(label, n, *validators, **kwargs):
    """A stripped multi-line text of at most n characters."""
    return TextAreaField(label, [*validators, at_most(n)],
                         filters=[lambda v: v.strip() if isinstance(v, str) else ""], **kwargs)


class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (components/_field.html renders it as a fieldset); a
    value that is not among the choices is refused in Chinese."""
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def pre_validate(self, form):
        allowed = {str(choice.value) for choice in self.choices}
        if any(str(value) not in allowed for value in self.data or []):
            raise ValidationError("不是有效的选择，请从列出的选项中勾选。")


def own_ids(form, prefix):
    """Give each field of one of several forms on a page its own id (complete-note,
    amend-note, complete-csrf_token …); the names posted stay as they are. Returns form."""
    for fld in form:
        fld.id = f"{prefix}-{fld.name}"
        fld.label.field_id = fld.id
    return form
