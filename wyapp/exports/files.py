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
from peewee import IntegrityError
from werkzeug.datastructures import MultiDict

from ..db import db, utcnow
from ..models import notify
from ..storage import StorageError, storage
from .models import FAILED, QUEUED, READY, ExportFile, claim_of
from .writer import xlsx_file

log = logging.getLogger(__name__)
QUEUE_ROWS = 5000  # default of EXPORTS_QUEUE_ROWS: longer lists are written by the worker
KEEP_DAYS = 7  # default of EXPORTS_KEEP_DAYS: queued files are deleted after this many days
CLAIM_EXPIRES = timedelta(hours=1)  # a queued export not written by then is asked afresh


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
    naive UTC, the instant the list is read as of). Returns the ExportFile.

    One export of a list with the same filters waits per user and estate: while one is
    queued or being written, asking again (a double tap, or two taps at once from two
    tabs) returns it instead of queuing a twin. The row's unique claim settles two at once
    on SQLite and PostgreSQL alike (the second INSERT fails, or on PostgreSQL waits for the
    first and then fails, and reads the first's row). A claim older than CLAIM_EXPIRES (a
    worker died, the job was lost) is released, so the export can be asked again."""
    from .tasks import write_export_task

    query = query_string(args)
    claim = claim_of(estate, user, name, query)
    (ExportFile.update(status=FAILED, error="排队超时，未生成", finished_at=now, claim=None)
     .where(ExportFile.claim == claim, ExportFile.status == QUEUED,
            ExportFile.asked_at < now - CLAIM_EXPIRES).execute())
    try:
        with db.atomic():  # its own transaction (a savepoint inside one): the row is committed
            export = ExportFile.create(estate=estate, user=user, name=name, query=query,
                                       title=table.title[:200], filename=table.filename[:200],
                                       rows=table.count, asked_at=now, claim=claim)
    except IntegrityError:  # the same export is queued: that one is the answer
        return _same_export(claim, estate, user, name, query)
    try:
        write_export_task(export.id)
    except Exception:  # not queued (the queue is down): the claim must not hold the next ask
        (ExportFile.update(status=FAILED, error="未能排队", finished_at=utcnow(), claim=None)
         .where(ExportFile.id == export.id).execute())
        raise
    return export


def _same_export(claim, estate, user, name, query):
    """The export holding `claim`, or, written in the meantime (its claim let go), the
    newest of the same list and filters."""
    held = ExportFile.get_or_none(ExportFile.claim == claim)
    if held is not None:
        return held
    return (ExportFile.select().where(ExportFile.user == user, ExportFile.estate == estate,
                                      ExportFile.name == name, ExportFile.query == query)
            .order_by(ExportFile.id.desc()).first())


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
    (ExportFile.update(status=READY, rows=count, size=size, key=key, finished_at=utcnow(),
                       claim=None)
     .where(ExportFile.id == export.id).execute())
    keep = setting("EXPORTS_KEEP_DAYS", KEEP_DAYS)
    notify([user], estate, "export_ready", f"导出完成：{spec.label}（{count} 行）",
           f"{export.title}。文件保留 {keep} 天，仅您本人可以下载。", file_link(export.id))
    return ExportFile.get_by_id(export.id)


def _failed(export, reason):
    (ExportFile.update(status=FAILED, error=reason[:200], finished_at=utcnow(), claim=None)
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
