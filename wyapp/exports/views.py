"""导出 Excel: /exports/<name>.xlsx?<the list's query string>, 我的导出, a queued file.

A list of up to EXPORTS_QUEUE_ROWS rows comes back at once; a longer one is queued and the
user is told (alert export_ready) when its file is ready. Roles come from the list's
ExportSpec (403); the estate is the current one, as on the list.
"""
from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from ..auth import current_estate, estate_required
from ..db import utcnow
from ..guards import needs_estate
from ..storage import StorageError
from ..web import render
from . import files
from .models import READY, ExportFile
from .writer import xlsx_download, xlsx_response

bp = needs_estate(Blueprint("exports", __name__, url_prefix="/exports"))


@bp.after_request
def no_store(response):
    """Exports hold residents' and visitors' data: no copy in a shared or phone cache."""
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _allowed(name):
    spec = files.specs().get(name)
    if spec is None:
        abort(404)
    if not current_user.has_role(*spec.roles):
        abort(403)
    return spec


@bp.route("/<name>.xlsx")
@estate_required
def download(name):
    """The list `name` with its filters as an .xlsx download, or queued when it is long."""
    spec, estate, now = _allowed(name), current_estate(), utcnow()
    table = spec.build(estate, current_user, request.args, now)
    if table.count > files.setting("EXPORTS_QUEUE_ROWS", files.QUEUE_ROWS):
        export = files.queue_export(estate, current_user, name, request.args, table, now)
        if export.status == READY:
            flash(f"“{spec.label}”共 {table.count} 行，已生成，可以下载。", "success")
        else:
            flash(f"“{spec.label}”共 {table.count} 行，正在后台生成，完成后会通知您。", "info")
        return redirect(url_for("exports.index"))
    return xlsx_response(table.filename, table.title, table.columns, table.rows,
                         table.subtitle)


@bp.route("/")
@login_required
@estate_required
def index():
    """我的导出: this user's queued exports in the current estate and their files."""
    return render("exports/index.html", exports=list(
        ExportFile.of_user(current_user, current_estate()).limit(50)),
        keep_days=files.setting("EXPORTS_KEEP_DAYS", files.KEEP_DAYS))


@bp.route("/files/<int:file_id>")
@estate_required
def download_file(file_id):
    """A queued export's file: for the user who asked for it, in that estate only (404)."""
    export = ExportFile.get_or_none(ExportFile.id == file_id, ExportFile.user == current_user.id,
                                    ExportFile.estate == current_estate()) or abort(404)
    if export.status != READY:
        flash("这个导出还没有生成好。", "info")
        return redirect(url_for("exports.index"))
    try:
        stored = files.open_file(export)
    except FileNotFoundError:  # storage.NotStored: pruned, or lost from the store
        abort(404)
    except StorageError:  # the store cannot be read now (a bucket unreachable)
        abort(503, "导出文件暂时无法读取，请稍后再试。")
    return xlsx_download(stored, export.filename or "export.xlsx")


@bp.app_template_global()
def export_url(name, **filters):
    """The 导出 Excel link of list `name` with the current page's filters (its query
    string without the page number; `filters` override or add some, e.g. the report's
    day), or "" when this user may not export it."""
    spec = files.specs().get(name)
    if spec is None or not current_user.is_authenticated \
            or not current_user.has_role(*spec.roles):
        return ""
    args = MultiDict([(k, v) for k, v in request.args.items(multi=True) if k not in filters])
    for key, value in filters.items():
        args.add(key, value)
    query = files.query_string(args)
    return url_for("exports.download", name=name) + (f"?{query}" if query else "")
