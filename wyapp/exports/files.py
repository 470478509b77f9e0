"""Long exports: queued, written by the worker into the store (exports/…), announced to
the requester with a link, downloadable by that user only, pruned after EXPORTS_KEEP_DAYS.

Files go through the shared store (wyapp/storage.py): under DATA_DIR/exports/<estate id>/,
or in the bucket with WYAPP_STORAGE_URL.
"""
import logging
import secrets
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

from flask import current_app, url_for
from werkzeug.datastructures import MultiDict

from ..db import utcnow
from ..models import notify
from ..storage import StorageError, storage
from .models import FAILED, QUEUED, READY, ExportFile
from .writer import xlsx_file

log = logging.getLogger(__name__)
QUEUE_ROWS = 5000  # default of EXPORTS_QUEUE_ROWS: longer lists are written by the worker
KEEP_DAYS = 7  # default of EXPORTS_KEEP_DAYS: queued files are deleted after this many days


def setting(name, default):
    """An exports setting (EXPORTS_QUEUE_ROWS, EXPORTS_KEEP_DAYS) of the app, as an int."""
    try:
        return int(current_app.config.get(name, default))
    except (TypeError, ValueError):
        return default


def specs(features=None):
    """{name: ExportSpec} of every enabled feature."""
    features = features or current_app.extensions["wyapp.features"]
    return {name: spec for f in features for name, spec in f.exports.items()}


def query_string(args):
    """The list's filters as kept with a queued export (page numbers dropped)."""
    return urlencode([(k, v) for k, v in args.items(multi=True) if k != "page"])


def queue_export(estate, user, name, args, table, now):
    """Queue the export `name` of `user` in `estate` (args: the request's MultiDict; now:
    naive UTC, the instant the list is read as of). The same export already waiting is
    returned instead of a second one (a double tap). Returns the ExportFile."""
    from .tasks import write_export_task

    query = query_string(args)
    waiting = (ExportFile.select().where(ExportFile.user == user, ExportFile.estate == estate,
                                         ExportFile.name == name, ExportFile.query == query,
                                         ExportFile.status == QUEUED).first())
    if waiting is not None:
        return waiting
    export = ExportFile.create(estate=estate, user=user, name=name, query=query,
                               title=table.title[:200], filename=table.filename[:200],
                               rows=table.count, asked_at=now)
    write_export_task(export.id)  # the row is committed: no transaction around a view
    return export


def write_export(export, features=None):
    """Build and store one queued export as of its `asked_at`; tell the requester.

    Re-checks that the user still holds the list's roles in the estate. Returns the
    ExportFile, READY (rows, size, key set) or FAILED (error set, the user told).
    """
    spec = specs(features).get(export.name)
    user, estate = export.user, export.estate
    if spec is None or not user.has_role(*spec.roles) or user.estate(estate.id) is None:
        return _failed(export, "无权导出这个列表")
    try:
        table = spec.build(estate, user, MultiDict(parse_qsl(export.query)), export.asked_at)
        out, count = xlsx_file(table.title, table.columns, table.rows, table.subtitle)
        key = f"exports/{estate.id}/{export.id}-{secrets.token_hex(8)}.xlsx"
        with out:
            size = _store().put(key, out, "application/vnd.openxmlformats-officedocument"
                                          ".spreadsheetml.sheet").size
    except Exception as error:
        log.exception("export %s (%s) failed", export.id, export.name)
        return _failed(export, f"生成失败：{type(error).__name__}")
    (ExportFile.update(status=READY, rows=count, size=size, key=key, finished_at=utcnow())
     .where(ExportFile.id == export.id).execute())
    keep = setting("EXPORTS_KEEP_DAYS", KEEP_DAYS)
    notify([user], estate, "export_ready", f"导出完成：{spec.label}（{count} 行）",
           f"{export.title}。文件保留 {keep} 天，仅您本人可以下载。", file_link(export.id))
    return ExportFile.get_by_id(export.id)


def _failed(export, reason):
    (ExportFile.update(status=FAILED, error=reason[:200], finished_at=utcnow())
     .where(ExportFile.id == export.id).execute())
    notify([export.user], export.estate, "export_ready", "导出失败", f"{export.title}：{reason}",
           _link("exports.index", "/exports/"))
    return ExportFile.get_by_id(export.id)


def _link(endpoint, fallback, **args):
    """The page for a notification; outside a request (the worker) the relative path."""
    try:
        return url_for(endpoint, **args)
    except RuntimeError:
        return fallback


def file_link(file_id):
    """Where the requester downloads a queued export."""
    return _link("exports.download_file", f"/exports/files/{file_id}", file_id=file_id)


def open_file(export):
    """The stored bytes of a READY export, as a binary file object (close it)."""
    return _store().open(export.key)


def prune_exports(now):
    """Periodic job: delete queued exports (files and rows) asked before EXPORTS_KEEP_DAYS
    days ago (now: naive UTC). Returns how many were deleted."""
    cutoff = now - timedelta(days=setting("EXPORTS_KEEP_DAYS", KEEP_DAYS))
    old = list(ExportFile.select().where(ExportFile.asked_at < cutoff))
    store, deleted = _store(), 0
    for export in old:
        try:
            if export.key:
                store.delete(export.key)
        except StorageError:  # the store is down: the row stays, the next pass retries
            log.exception("export %s: file %s not deleted", export.id, export.key)
            continue
        export.delete_instance()
        deleted += 1
    return deleted


def _store():
    """The app's file store (wyapp/storage.py: DATA_DIR, or S3 with WYAPP_STORAGE_URL)."""
    return storage()
