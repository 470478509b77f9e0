"""Where files live: one interface over the data directory or an S3-compatible bucket.

Keys are relative, slash-separated paths whose first part names the area: `photos/…`,
`archive/…`, `exports/…`, `labels/…`. With the default local store a key is a file under
DATA_DIR (so `photos/3/202606/ab.jpg` is DATA_DIR/photos/3/202606/ab.jpg, the layout a
single machine always had). With `WYAPP_STORAGE_URL=s3://bucket/prefix` every host reads
and writes the same bucket through boto3 (MinIO, Ceph RGW, AWS, 阿里云 OSS, 腾讯云 COS…):
endpoint from WYAPP_STORAGE_ENDPOINT (or AWS_ENDPOINT_URL), region and credentials from the
standard AWS_* variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION) or an
instance role.

Archive files are immutable: a put under `archive/` refuses to replace an existing object
(AlreadyStored) — O_EXCL-style link on disk, `If-None-Match: *` on S3 — and delete refuses
them; with WYAPP_STORAGE_RETAIN_DAYS an object-locked bucket also keeps them in COMPLIANCE
retention. Files are served through the app only (`send`), never as bucket URLs.
"""
import hashlib
import io
import os
import shutil
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from flask import current_app, send_file

AREAS = ("photos", "archive", "exports", "labels")  # a key's first part
IMMUTABLE_AREAS = ("archive",)  # never overwritten, never deleted
CHUNK = 1024 * 1024


class StorageError(Exception):
    """A store refused or failed an operation; the message says which key, `code` the
    service's error code when it gave one."""
    code = ""


class AlreadyStored(StorageError):
    """A write-once key exists already (an archive file is never replaced)."""


class NotStored(StorageError, FileNotFoundError):
    """No file under this key."""


@dataclass(frozen=True)
class Stored:
    """What a put stored: the key, its size in bytes and its SHA-256 (hex)."""
    key: str
    size: int
    sha256: str


def check_key(key):
    """`key` if it is a safe relative key (no '..', no absolute path, no empty part), else
    raises StorageError: keys come from our own code, but a bad one must never escape the
    data directory."""
    parts = PurePosixPath(key).parts if isinstance(key, str) else ()
    if (not parts or key.startswith("/") or "\\" in key or "\x00" in key
            or any(p in ("", ".", "..") for p in parts) or key.endswith("/")
            or "//" in key):
        raise StorageError(f"无效的文件键：{key!r}")
    return key


def is_immutable(key):
    return key.split("/", 1)[0] in IMMUTABLE_AREAS


def as_bytes(data):
    """bytes, or the whole content of a binary file object."""
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    return data.read()


def _digest(fileobj):
    h, size = hashlib.sha256(), 0
    while chunk := fileobj.read(CHUNK):
        h.update(chunk)
        size += len(chunk)
    return size, h.hexdigest()


class LocalStorage:
    """Files under one directory (DATA_DIR); the default."""

    kind = "local"

    def __init__(self, root):
        self.root = Path(root).resolve()

    def __repr__(self):
        return f"LocalStorage({str(self.root)!r})"

    def path(self, key):
        """The file a key names (it may not exist)."""
        return self.root / check_key(key)

    def put(self, key, data, content_type="application/octet-stream", once=False):
        """Store bytes or a binary file object under `key`, atomically (a reader never sees
        half a file). Raises AlreadyStored when `once` (always for archive keys) and the key
        exists. Returns Stored."""
        target = self.path(key)
        once = once or is_immutable(key)
        body = as_bytes(data)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".put-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(body)
                f.flush()
                os.fsync(f.fileno())
            if once:
                os.chmod(tmp, 0o444)
                try:
                    os.link(tmp, target)  # fails if the target exists: never replaced
                except FileExistsError as error:
                    raise AlreadyStored(f"文件已存在，不能覆盖：{key}") from error
            else:
                os.chmod(tmp, 0o644)
                os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return Stored(key, len(body), hashlib.sha256(body).hexdigest())

    def open(self, key):
        """A binary file object to read; raises NotStored."""
        try:
            return open(self.path(key), "rb")  # noqa: SIM115 - the caller closes it
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as error:
            raise NotStored(f"文件缺失：{key}") from error

    def read(self, key):
        with self.open(key) as f:
            return f.read()

    def exists(self, key):
        return self.path(key).is_file()

    def size(self, key):
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError as error:
            raise NotStored(f"文件缺失：{key}") from error

    def recorded_sha256(self, key):
        """The SHA-256 the store recorded at put time: None on disk (nothing recorded)."""
        return None

    def delete(self, key):
        """Remove a file (gone already is fine); archive files are refused."""
        if is_immutable(key):
            raise StorageError(f"档案文件不能删除：{key}")
        self.path(key).unlink(missing_ok=True)

    def keys(self, prefix=""):
        """Every key under `prefix` (e.g. "photos/"), sorted by area; temporary files skipped. Only
        the store's areas are listed: the database, queue and secret beside them are not."""
        if not prefix or "/" not in prefix and not prefix.endswith(AREAS):
            for area in AREAS:
                if area.startswith(prefix):
                    yield from self.keys(f"{area}/")
            return
        base = self.root / prefix.rstrip("/")
        start = base if base.is_dir() else base.parent
        if not start.is_dir():
            return
        found = []
        for dirpath, _dirs, files in os.walk(start):
            for name in files:
                if name.startswith(".put-"):
                    continue
                key = (Path(dirpath) / name).relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    found.append(key)
        yield from sorted(found)

    def send(self, key, mimetype, download_name=None, max_age=0):
        """A Flask response with the file (conditional, ranges); raises NotStored."""
        path = self.path(key)
        if not path.is_file():
            raise NotStored(f"文件缺失：{key}")
        return send_file(path, mimetype=mimetype, download_name=download_name,
                         as_attachment=False, max_age=max_age, conditional=True)


def sha256_of(store, key):
    """(size, SHA-256 hex) of the stored bytes, read back in full (what `verify` trusts)."""
    f = store.open(key)
    try:
        return _digest(f)
    finally:
        f.close()


def from_config(config):
    """The store a configuration names: STORAGE_URL s3://bucket/prefix, else DATA_DIR."""
    url = (config.get("STORAGE_URL") or "").strip()
    if not url or url.startswith("file:"):
        root = url[len("file://"):] if url.startswith("file://") else config["DATA_DIR"]
        return LocalStorage(root)
    if not url.startswith("s3://"):
        raise StorageError(f"WYAPP_STORAGE_URL 只支持 s3://bucket/prefix：{url}")
    bucket, _, prefix = url[len("s3://"):].partition("/")
    if not bucket:
        raise StorageError("WYAPP_STORAGE_URL 缺少存储桶名称：s3://bucket/prefix")
    from .storage_s3 import S3Storage

    return S3Storage(bucket, prefix,
                     # none: boto3's own AWS_ENDPOINT_URL(_S3), else AWS
                     endpoint=config.get("STORAGE_ENDPOINT") or None,
                     region=config.get("STORAGE_REGION"),
                     addressing=config.get("STORAGE_ADDRESSING") or "auto",
                     retain_days=config.get("STORAGE_RETAIN_DAYS") or 0)


def storage(app=None):
    """The app's store, made once per app from its configuration."""
    app = app or current_app
    store = app.extensions.get("wyapp.storage")
    if store is None:
        store = app.extensions["wyapp.storage"] = from_config(app.config)
    return store


def copy_file(source, target, key):
    """Copy one key between stores unless the target already holds the same bytes.

    Returns "skipped" (same size and SHA-256 already there), "copied" (written, then read
    back and its SHA-256 checked) — raises StorageError when the read-back differs or the
    target holds different bytes under a write-once key."""
    size, digest = sha256_of(source, key)
    if target.exists(key):
        recorded = target.recorded_sha256(key)
        if recorded == digest and target.size(key) == size:
            return "skipped"
        if recorded is None and sha256_of(target, key) == (size, digest):
            return "skipped"
        if is_immutable(key):
            raise StorageError(f"目标中已有内容不同的档案文件：{key}")
    with closing(source.open(key)) as f:
        buffer = io.BytesIO()
        shutil.copyfileobj(f, buffer)
    target.put(key, buffer.getvalue(), _content_type(key))
    if sha256_of(target, key) != (size, digest):
        raise StorageError(f"复制后校验失败：{key}")
    return "copied"


def _content_type(key):
    suffix = key.rsplit(".", 1)[-1].lower()
    return {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png",
            "pdf": "application/pdf", "json": "application/json", "csv": "text/csv",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }.get(suffix, "application/octet-stream")
