"""What every request is checked for before a view sees it, so that no route can forget it.

- Path ids: `<int:…>` matches only ids a database column can hold (1 … 2^63 − 1); a larger
  one is a page that cannot exist, so 404, never an OverflowError from the driver.
- NUL bytes: PostgreSQL cannot store U+0000 in text, and no person types it; a request whose
  path, query or form carries one is refused (400) with a Chinese message.
"""
from flask import abort, request
from werkzeug.routing import IntegerConverter

MAX_ID = 2**63 - 1  # BIGINT / SQLite INTEGER


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


def init_app(app):
    """Call before the blueprints are registered: their rules take the converter then."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_nul)
