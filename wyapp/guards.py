"""What every request is checked for before a view sees it, so that no route can forget it.

- Path ids: `<int:…>` matches only ids a database column can hold (1 … 2^63 − 1); a larger
  one is a page that cannot exist, so 404, never an OverflowError from the driver.
- NUL bytes: PostgreSQL cannot store U+0000 in text, and no person types it; a request whose
  path, query or form carries one is refused (400) with a Chinese message.
- An estate: a feature blueprint that works on an estate's records says so once
  (`needs_estate(bp)`); a logged-in user assigned to no estate then gets a page saying so
  (403) on every route of it, instead of a view meeting `None.timezone`.

- What PostgreSQL cannot store: forms keep every text within its column and numbers within
  theirs (wyapp.inputs.fits_column), and tests/unit/test_form_lengths.py checks the forms
  against the columns. Should a value still slip past (a new form, a column made narrower),
  the database's refusal (peewee.DataError: too long, out of range) is a 422 with a Chinese
  message and nothing stored, never a 500. SQLite stores what PostgreSQL refuses; the rules
  are the columns', on both.

Values inside the query and the form (ids, days, months, numbers, phones) are read by
wyapp.inputs.
"""
import peewee
from flask import abort, current_app, request
from flask_login import current_user
from werkzeug.exceptions import UnprocessableEntity
from werkzeug.routing import IntegerConverter

from .inputs import MAX_ID


class IdConverter(IntegerConverter):
    """`<int:…>` for database ids: ASCII digits only, 1 … 2^63 − 1."""

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


NUL_REFUSED = "请求中含有无法保存的字符（空字符），请检查后重新输入。"


def refuse_nul():
    """400 for a NUL byte anywhere in the query or the form fields (not file contents)."""
    if "\x00" in request.full_path or any(
            "\x00" in key or "\x00" in value
            for source in (request.args, request.form) for key, value in source.items(multi=True)):
        abort(400, NUL_REFUSED)


NO_ESTATE = "您的账号还没有分配小区，请联系系统管理员。"


def needs_estate(blueprint):
    """Every route of `blueprint` works in the current estate: a logged-in user with none
    gets 403 with NO_ESTATE before the view runs (anonymous users go on to the login
    check; public routes stay public)."""
    from .auth import current_estate

    def check_estate():
        if current_user.is_authenticated and current_estate() is None:
            abort(403, NO_ESTATE)
    blueprint.before_request(check_estate)
    return blueprint


TOO_BIG = "输入的内容太长或数字太大，无法保存：请缩短文字或核对数字后重试。未保存任何内容。"


def refuse_unstorable(error):
    """peewee.DataError (PostgreSQL: value too long for its column, numeric out of range) →
    the error page with TOO_BIG (422). The statement's transaction has rolled back (peewee
    rolls back a failed statement outside a transaction; `db.atomic()` its own block)."""
    current_app.logger.warning("refused by the database on %s: %s", request.path, error)
    return current_app.handle_http_exception(UnprocessableEntity(TOO_BIG))


def init_app(app):
    """Call before the blueprints are registered: their rules take the converter then."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_nul)
    app.register_error_handler(peewee.DataError, refuse_unstorable)
