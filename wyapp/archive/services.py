"""Filing documents: render, store immutably, chain; verify; the periodic sweep."""
import hashlib
import json
from datetime import date, datetime, timedelta

from flask import current_app
from peewee import IntegrityError, PostgresqlDatabase

from ..db import db, utcnow
from ..documents import render_pdf
from ..errors import DomainError
from ..features import document_kinds
from ..models import Estate
from ..storage import AlreadyStored, NotStored, sha256_of, storage
from .claims import claim_filing, holds_filing, release_filing
from .models import GENESIS, Document, SweepMark

SWEEP_EVERY = timedelta(hours=1)
DAILY_LOOKBACK = 7  # days re-checked for amendments after filing


def kinds():
    return document_kinds(current_app.extensions["wyapp.features"])


def canonical(data):
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str)


def sha256(data):
    return hashlib.sha256(data if isinstance(data, bytes) else data.encode()).hexdigest()


def archive_key(relative):
    """The store's key (storage.py) of a Document.path."""
    return f"archive/{relative}"


def period_label(kind, period):
    """The period as the PDF words it: 2026年6月14日, 2026年6月, or a record's number."""
    if kind.cadence == "daily":
        d = date.fromisoformat(period)
        return f"{d.year}年{d.month}月{d.day}日"
    if kind.cadence == "monthly":
        year, month = period.split("-")
        return f"{year}年{int(month)}月"
    return listed_period(kind, period)


def listed_period(kind, period):
    """The period as the archive's list shows it: a record kind's key as the record's number
    (its kind's `label`, e.g. "WO-12" → BX000012), dates and months as stored."""
    if kind is not None and kind.cadence == "record" and kind.label is not None:
        return kind.label(period)
    return period


def latest(kind_code, estate, period):
    return (Document.select().where(Document.kind == kind_code, Document.estate == estate,
                                    Document.period == period)
            .order_by(Document.version.desc()).first())


def file_document(kind_code, estate, period, now=None):
    """Render and file one document; None when there is nothing to file, nothing changed,
    or another worker is filing (or has filed) this version.

    Once however many workers run: the version is claimed (claims.py) before anything is
    rendered or written, the PDF is stored write-once under `archive/…` in the app's store
    (storage.py: the data directory or the shared bucket), then its row joins the chain.
    A second run over amended source data files a new version naming the one it replaces.
    `now` (naive UTC) dates the claim. Raises DomainError for a kind no feature declares,
    storage.AlreadyStored if the store already holds a file under the claimed name.
    """
    kind = kinds().get(kind_code)
    if kind is None:
        raise DomainError(f"没有这种档案：{kind_code}")
    data = kind.collect(estate, period)
    if data is None:
        return None
    payload = canonical(data)
    previous = latest(kind.code, estate, period)
    if previous is not None and previous.data_sha256 == sha256(payload):
        return None
    version = previous.version + 1 if previous else 1
    token = claim_filing(kind.code, estate, period, version, now or utcnow())
    if token is None:  # another worker files (or filed) this version
        return None
    sections = {key: sha256(canonical(value)) for key, value in data.items()}
    reason = _amendment_reason(kind, previous, sections) if previous else ""
    archive_no = f"{estate.id:03d}-{kind.code}-{period}-V{version}"
    # a claim taken over from a dead worker files under a name of its own: the dead
    # worker may have stored a file already, and an archive file is never replaced
    suffix = f"-{token[-8:]}" if token.startswith("taken-over:") else ""
    relative = f"{estate.id}/{kind.code}/{period}-v{version}{suffix}.pdf"
    try:
        pdf = _render(kind, estate, period, data, payload, archive_no, previous, reason)
        if not holds_filing(token):  # rendering outlasted the claim: another worker files
            return None
        storage().put(archive_key(relative), pdf, "application/pdf", once=True)
    except AlreadyStored:  # a file is there: the claim expires and is taken over (new name)
        raise
    except Exception:  # nothing stored: the queue's retry may claim this version again
        release_filing(token)
        raise
    try:
        return _index(kind, estate, period, version, archive_no, previous, reason, relative,
                      pdf, payload, sections)
    except IntegrityError:  # the claim was taken over while storing: the other worker's
        return None         # row stands (this file stays unindexed, never replaced)


def _index(kind, estate, period, version, archive_no, previous, reason, relative, pdf,
           payload, sections):
    """Append the filed PDF's row to the hash chain; IntegrityError if this version has a
    row already."""
    with _chain_lock():
        tip = Document.select().order_by(Document.id.desc()).first()
        doc = Document(kind=kind.code, estate=estate, period=period, version=version,
                       archive_no=archive_no, replaces=previous, reason=reason,
                       path=relative, size=len(pdf), sha256=sha256(pdf),
                       data_sha256=sha256(payload), sections=canonical(sections),
                       created_at=utcnow(), prev_hash=tip.entry_hash if tip else GENESIS)
        doc.entry_hash = sha256(doc.chain_fields())
        doc.save()
    return doc


def _render(kind, estate, period, data, payload, archive_no, previous, reason):
    from weasyprint import Attachment

    attachment = Attachment(string=payload, name="source-data.json", relationship="Source",
                            description=f"{kind.title} {period} 源数据 (JSON)")
    return render_pdf(kind.template, title=kind.title, estate=estate, data=data,
                      period=period_label(kind, period), archive_no=archive_no,
                      signatures=kind.signatures, amends=previous, reason=reason,
                      pdf_variant="pdf/a-3b", attachments=[attachment])


def _amendment_reason(kind, previous, sections):
    before = json.loads(previous.sections or "{}")
    changed = [key for key in sorted(set(before) | set(sections))
               if before.get(key) != sections.get(key)]
    names = "、".join(kind.sections.get(key, key) for key in changed) or "数据"
    return (f"替代第 {previous.version} 版（{previous.archive_no}）："
            f"归档后源记录有更正，涉及{names}。")


class _chain_lock:
    """Appends to the chain one at a time: an advisory lock on PostgreSQL, IMMEDIATE on SQLite."""

    def __enter__(self):
        database = db.obj
        if isinstance(database, PostgresqlDatabase):
            self.tx = database.atomic()
            self.tx.__enter__()
            database.execute_sql("SELECT pg_advisory_xact_lock(7001)")
        else:
            self.tx = database.atomic("IMMEDIATE")
            self.tx.__enter__()
        return self

    def __exit__(self, *exc):
        return self.tx.__exit__(*exc)


def verify():
    """Check every file (read back in full from the app's store, wherever it is) and the
    chain; returns a list of Chinese problem lines (empty = intact)."""
    problems, expected_prev, store = [], GENESIS, storage()
    for doc in Document.select().order_by(Document.id):
        name = f"#{doc.id} {doc.archive_no}"
        if doc.prev_hash != expected_prev:
            problems.append(f"{name}: 链断裂——前一条记录被删除、插入或调换了顺序")
        if sha256(doc.chain_fields()) != doc.entry_hash:
            problems.append(f"{name}: 索引记录被修改")
        try:
            size, digest = sha256_of(store, archive_key(doc.path))
        except NotStored:
            problems.append(f"{name}: 文件缺失 ({doc.path})")
        else:
            if digest != doc.sha256 or size != doc.size:
                problems.append(f"{name}: 文件内容被修改 ({doc.path})")
        expected_prev = doc.entry_hash
    return problems


def unindexed_files():
    """The keys under `archive/` in the app's store (the data directory or the bucket) that
    no index row names, sorted: a file stored by a filing whose claim was taken over
    (claims.py: it stays, never replaced), one stored before a crash kept its row from the
    index, or one put there by hand. None of them is an archived document — the index and
    its chain say what is — so they are reported beside verify()'s problems as warnings.
    Raises storage.StorageError when the store cannot be listed."""
    indexed = {archive_key(path) for (path,) in Document.select(Document.path).tuples()}
    return [key for key in storage().keys("archive/")
            if key not in indexed and not key.endswith("/")]


def chain_tip():
    tip = Document.select().order_by(Document.id.desc()).first()
    return tip.entry_hash if tip else GENESIS


def due_periods(kind, estate, now):
    """The periods a sweep (re)checks at `now` (naive UTC): the estate's ended days of the
    last week, its last two months, and what a record kind's `due` lists."""
    today = estate.today(now)
    if kind.cadence == "daily":
        return [(today - timedelta(days=n)).isoformat() for n in range(1, DAILY_LOOKBACK + 1)]
    if kind.cadence == "monthly":
        first = today.replace(day=1)
        last_month = (first - timedelta(days=1)).replace(day=1)
        before = (last_month - timedelta(days=1)).replace(day=1)
        return [f"{m:%Y-%m}" for m in (last_month, before)]
    return list(kind.due(estate, now)) if kind.due else []


def sweep(now=None, enqueue=None):
    """Queue every due document of every active estate; returns how many were queued."""
    from .tasks import file_document_task

    enqueue = enqueue or file_document_task
    count = 0
    for estate in Estate.active_ones():
        for kind in kinds().values():
            for period in due_periods(kind, estate, now or utcnow()):
                enqueue(kind.code, estate.id, period)
                count += 1
    return count


def sweep_if_due(now):
    """The periodic hook: at most one sweep an hour, however often tick runs and however
    many workers run it: the hour is claimed by one write that only one worker wins (the
    first mark's INSERT, then an UPDATE conditional on the mark being an hour old)."""
    try:
        with db.atomic():  # a savepoint: PostgreSQL's transaction survives the conflict
            SweepMark.create(name="archive", at=now)
        won = True
    except IntegrityError:
        won = SweepMark.update(at=now).where(SweepMark.name == "archive",
                                             SweepMark.at <= now - SWEEP_EVERY).execute() == 1
    return sweep(now) if won else 0


def parse_month(text):
    try:
        return datetime.strptime(text, "%Y-%m").strftime("%Y-%m")
    except ValueError as error:
        raise DomainError("月份格式应为 YYYY-MM。") from error


def parse_day(text):
    try:
        return datetime.strptime(text, "%Y-%m-%d").date().isoformat()
    except ValueError as error:
        raise DomainError("日期格式应为 YYYY-MM-DD。") from error
