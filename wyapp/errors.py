"""The one domain error every feature raises, and the one helper that shows it beside a field.

A service refuses bad input by raising `DomainError(message, field)`: the message is the
Chinese sentence the user reads, the field the form field it belongs to (None: the whole
form). Views catch it and call `show_error(form, error)`. `NotAllowed` is the same error for a
step the user may not take at all (wrong role, not the assignee): views answer it with 403.
(flaskbb's core/exceptions.py ValidationError(attribute, reason) is the model.)
"""


class DomainError(ValueError):
    """A rule broken by the input: `message` (Chinese, for the user) and `field` (or None)."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message, self.field = message, field


class NotAllowed(DomainError):
    """The user may not take this step at all: a 403, not a message beside a field."""


def show_error(form, error, default=None):
    """Put `error`'s message beside its field of `form` (or `default` when it names none or a
    field the form lacks); with neither, among the form's own errors (shown above its fields).
    Returns the form, so a view can `return render(..., form=show_error(form, error))`."""
    field = getattr(form, error.field, None) if error.field else None
    if field is None and default:
        field = getattr(form, default, None)
    if field is not None and hasattr(field, "errors"):
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        field.errors.append(error.message)
    else:
        form.form_errors.append(error.message)
    return form
