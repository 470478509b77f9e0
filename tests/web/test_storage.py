"""The storage interface: the data directory and an S3-compatible bucket (moto's server)
behave alike — put/read/exists/keys/delete, archive keys written once and never deleted,
`wyapp storage migrate` copying a data directory into the bucket (resumable, hash-checked)."""
import hashlib
import io
import socket
import uuid
from datetime import timedelta

import pytest

from wyapp import storage as st

pytest.importorskip("boto3", reason="boto3 not installed (pip install -e '.[s3,test]')")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """A local S3-compatible endpoint: moto in server mode, in this process."""
    server_mod = pytest.importorskip("moto.server", reason="moto[server] not installed")
    port = _free_port()
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_env(s3_endpoint, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    return s3_endpoint


def make_bucket(endpoint, lock=False):
    import boto3
    name = f"wyapp-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name, ObjectLockEnabledForBucket=lock)
    return name


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path):
    if request.param == "local":
        return st.from_config({"DATA_DIR": str(tmp_path), "STORAGE_URL": ""})
    endpoint = request.getfixturevalue("s3_env")
    bucket = make_bucket(endpoint)
    return st.from_config({"DATA_DIR": str(tmp_path), "STORAGE_URL": f"s3://{bucket}/wy",
                           "STORAGE_ENDPOINT": endpoint})


def test_put_read_exists_keys_delete(store):
    stored = store.put("photos/1/202606/a.jpg", b"jpeg bytes", "image/jpeg")
    assert stored.sha256 == hashlib.sha256(b"jpeg bytes").hexdigest()
    assert stored.size == 10
    assert store.read("photos/1/202606/a.jpg") == b"jpeg bytes"
    assert store.exists("photos/1/202606/a.jpg")
    assert not store.exists("photos/1/202606/b.jpg")
    assert store.size("photos/1/202606/a.jpg") == 10
    assert st.sha256_of(store, "photos/1/202606/a.jpg") == (10, stored.sha256)
    store.put("photos/1/202606/a.jpg", b"replaced", "image/jpeg")  # photos may be replaced
    store.put("exports/1/x.csv", b"a,b\n", "text/csv")
    assert list(store.keys("photos/")) == ["photos/1/202606/a.jpg"]
    assert sorted(store.keys()) == ["exports/1/x.csv", "photos/1/202606/a.jpg"]
    store.delete("exports/1/x.csv")
    assert not store.exists("exports/1/x.csv")
    with pytest.raises(st.NotStored):
        store.read("exports/1/x.csv")


def test_archive_files_are_written_once_and_never_deleted(store):
    store.put("archive/1/patrol_daily/2026-06-14-v1.pdf", b"%PDF first", "application/pdf")
    with pytest.raises(st.AlreadyStored):
        store.put("archive/1/patrol_daily/2026-06-14-v1.pdf", b"%PDF other")
    with pytest.raises(st.StorageError):
        store.delete("archive/1/patrol_daily/2026-06-14-v1.pdf")
    assert store.read("archive/1/patrol_daily/2026-06-14-v1.pdf") == b"%PDF first"


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "a//b", "a/../b", "", "a/", "a\\b"])
def test_keys_cannot_leave_the_store(tmp_path, key):
    store = st.LocalStorage(tmp_path)
    with pytest.raises(st.StorageError):
        store.put(key, b"x")


def test_object_lock_keeps_archive_objects(s3_env, tmp_path):
    bucket = make_bucket(s3_env, lock=True)
    store = st.from_config({"DATA_DIR": str(tmp_path), "STORAGE_URL": f"s3://{bucket}",
                            "STORAGE_ENDPOINT": s3_env, "STORAGE_RETAIN_DAYS": 30})
    store.put("archive/1/k/2026-06.pdf", b"%PDF locked", "application/pdf")
    head = store.client.head_object(Bucket=bucket, Key="archive/1/k/2026-06.pdf")
    assert head["ObjectLockMode"] == "COMPLIANCE"


def test_copy_file_is_resumable_and_checked(s3_env, tmp_path):
    local = st.LocalStorage(tmp_path)
    local.put("photos/1/a.jpg", b"one")
    local.put("archive/1/k/p-v1.pdf", b"%PDF two")
    bucket = make_bucket(s3_env)
    remote = st.from_config({"DATA_DIR": str(tmp_path), "STORAGE_URL": f"s3://{bucket}/p",
                             "STORAGE_ENDPOINT": s3_env})
    assert st.copy_file(local, remote, "photos/1/a.jpg") == "copied"
    assert st.copy_file(local, remote, "photos/1/a.jpg") == "skipped"
    assert st.copy_file(local, remote, "archive/1/k/p-v1.pdf") == "copied"
    assert st.copy_file(local, remote, "archive/1/k/p-v1.pdf") == "skipped"
    assert remote.read("archive/1/k/p-v1.pdf") == b"%PDF two"


def test_storage_migrate_command_copies_then_skips(s3_env, make_app, tmp_path):
    from wyapp.storage_cli import storage_cli

    old = st.LocalStorage(tmp_path / "old")
    old.put("photos/1/202606/a.jpg", b"jpeg a")
    old.put("archive/1/patrol_day/2026-06-14-v1.pdf", b"%PDF archived")
    old.put("exports/1/list.csv", b"a,b\n")
    bucket = make_bucket(s3_env)
    app = make_app(STORAGE_URL=f"s3://{bucket}/wy", STORAGE_ENDPOINT=s3_env)
    runner = app.test_cli_runner()
    first = runner.invoke(storage_cli, ["migrate", "--from", str(tmp_path / "old")])
    assert first.exit_code == 0, first.output
    assert "复制 3 个，已存在跳过 0 个，失败 0 个" in first.output
    again = runner.invoke(storage_cli, ["migrate", "--from", str(tmp_path / "old")])
    assert "复制 0 个，已存在跳过 3 个，失败 0 个" in again.output
    with app.app_context():
        assert st.storage().read("archive/1/patrol_day/2026-06-14-v1.pdf") == b"%PDF archived"
    local = make_app()
    refused = local.test_cli_runner().invoke(storage_cli, ["migrate"])
    assert refused.exit_code == 1 and "无需迁移" in refused.output


def test_healthz_names_an_unreachable_queue(client, monkeypatch):
    from wyapp.tasks import huey

    def down():
        raise ConnectionError("redis down")
    monkeypatch.setattr(huey.storage, "queue_size", down)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "ok", "queue": "unreachable"}


def test_a_racing_second_archive_write_is_refused_by_the_bucket(s3_env, tmp_path, monkeypatch):
    bucket = make_bucket(s3_env)
    store = st.from_config({"DATA_DIR": str(tmp_path), "STORAGE_URL": f"s3://{bucket}",
                            "STORAGE_ENDPOINT": s3_env})
    store.put("archive/1/k/2026-06-14-v1.pdf", b"%PDF first")
    monkeypatch.setattr(store, "exists", lambda key: False)  # both checked before either put
    with pytest.raises(st.AlreadyStored):
        store.put("archive/1/k/2026-06-14-v1.pdf", b"%PDF second")
    assert store.read("archive/1/k/2026-06-14-v1.pdf") == b"%PDF first"


def test_a_store_without_conditional_writes_is_written_without_them(s3_env, tmp_path):
    from botocore.exceptions import ClientError

    bucket = make_bucket(s3_env)
    store = st.from_config({"DATA_DIR": str(tmp_path), "STORAGE_URL": f"s3://{bucket}",
                            "STORAGE_ENDPOINT": s3_env})
    real_put = store.client.put_object

    def old_service(**args):
        if "IfNoneMatch" in args:
            raise ClientError({"Error": {"Code": "NotImplemented"}}, "PutObject")
        return real_put(**args)
    store.client.put_object = old_service
    store.put("archive/1/k/a.pdf", b"%PDF a")
    assert store.conditional_put is False
    store.put("archive/1/k/b.pdf", b"%PDF b")
    assert store.read("archive/1/k/b.pdf") == b"%PDF b"
    with pytest.raises(st.AlreadyStored):
        store.put("archive/1/k/a.pdf", b"%PDF again")


def test_archive_verify_finds_an_object_altered_in_the_bucket(s3_env, make_app, now):
    """Someone with the bucket's keys rewrites a filed PDF, metadata and all: `archive
    verify` reads the bytes back and names it; the app's own write is still refused."""

    from tests import factories
    from wyapp.archive import services
    from wyapp.db import db
    from wyapp.models import Estate

    bucket = make_bucket(s3_env)
    app = make_app(STORAGE_URL=f"s3://{bucket}/wy", STORAGE_ENDPOINT=s3_env)
    from tests.factories.archive import with_note_kind
    with_note_kind(app)
    with app.app_context(), db.connection_context():
        factories.office()
        day = (Estate.get().today(now) - timedelta(days=1)).isoformat()
        doc = services.file_document("test_note", Estate.get(), day, now)
        assert doc is not None and services.verify() == []
        store, key = st.storage(), services.archive_key(doc.path)
        with pytest.raises(st.AlreadyStored):
            store.put(key, b"%PDF forged")
        forged = b"%PDF forged"
        store.client.put_object(Bucket=bucket, Key=f"wy/{key}", Body=forged,
                                Metadata={"sha256": doc.sha256})
        assert services.verify() == [f"#{doc.id} {doc.archive_no}: 文件内容被修改 ({doc.path})"]
        store.client.delete_object(Bucket=bucket, Key=f"wy/{key}")
        assert services.verify() == [f"#{doc.id} {doc.archive_no}: 文件缺失 ({doc.path})"]


def test_storage_migrate_interrupted_then_resumed_and_checked(s3_env, make_app, tmp_path,
                                                              monkeypatch):
    """Killed after two files, run again: the rest copied, the two skipped; a file that
    reads back different is named and the run exits 1; an archive file the bucket holds
    with other bytes is never replaced."""
    from wyapp.storage_cli import storage_cli

    old = st.LocalStorage(tmp_path / "old")
    for n in range(5):
        old.put(f"photos/1/202606/{n}.jpg", f"jpeg {n}".encode())
    old.put("archive/1/patrol_day/2026-06-14-v1.pdf", b"%PDF ours")
    bucket = make_bucket(s3_env)
    app = make_app(STORAGE_URL=f"s3://{bucket}/wy", STORAGE_ENDPOINT=s3_env)
    runner = app.test_cli_runner()
    with app.app_context():
        target = st.storage()
    real_put, puts = target.put, []

    def killed_after_two(key, *args, **kwargs):
        if len(puts) == 2:
            raise KeyboardInterrupt  # the operator's Ctrl-C, the machine's reboot
        puts.append(key)
        return real_put(key, *args, **kwargs)
    monkeypatch.setattr(target, "put", killed_after_two)
    cut = runner.invoke(storage_cli, ["migrate", "--from", str(tmp_path / "old")])
    assert cut.exit_code != 0 and len(puts) == 2
    monkeypatch.setattr(target, "put", real_put)
    target.client.put_object(Bucket=bucket, Key="wy/archive/1/patrol_day/2026-06-14-v1.pdf",
                             Body=b"%PDF theirs")
    real_open = target.open

    def flipped(key):  # the bucket hands back other bytes for one photo
        return io.BytesIO(b"bit rot") if key.endswith("/4.jpg") else real_open(key)
    monkeypatch.setattr(target, "open", flipped)
    again = runner.invoke(storage_cli, ["migrate", "--from", str(tmp_path / "old")])
    assert again.exit_code == 1
    assert "复制 2 个，已存在跳过 2 个，失败 2 个" in again.output, again.output
    assert "复制后校验失败：photos/1/202606/4.jpg" in again.output
    assert "目标中已有内容不同的档案文件：archive/1/patrol_day/2026-06-14-v1.pdf" in again.output
    assert target.read("archive/1/patrol_day/2026-06-14-v1.pdf") == b"%PDF theirs"
    monkeypatch.setattr(target, "open", real_open)
    last = runner.invoke(storage_cli, ["migrate", "--from", str(tmp_path / "old"),
                                       "--area", "photos"])
    assert last.exit_code == 0 and "复制 0 个，已存在跳过 5 个，失败 0 个" in last.output
