"""`wyapp archive verify` names the files in the archive store that no index row names (left
by a filing whose claim was taken over, a crash before indexing, a hand): as warnings, on
disk and in the bucket. They are no archived document, so they alone do not fail the
check; an altered or missing indexed file still does, with the warnings beside it."""
import os
from datetime import timedelta

from tests.web.test_archive import _file, _verify
from tests.web.test_archive import app as app  # noqa: F401 — the test kind's app
from tests.web.test_storage import make_bucket
from tests.web.test_storage import s3_endpoint as s3_endpoint  # noqa: F401
from tests.web.test_storage import s3_env as s3_env  # noqa: F401
from wyapp.archive import services
from wyapp.archive.cli import archive_cli
from wyapp.db import db
from wyapp.storage import storage


def test_a_stray_file_on_disk_is_a_warning_and_the_archive_still_intact(app):  # noqa: F811
    docs = [_file(app, f"2026-11-{d}") for d in (20, 21)]
    clean = _verify(app)
    assert clean.exit_code == 0 and "警告" not in clean.output
    stray = f"archive/{docs[0].estate_id}/test_units/2026-11-20-v1-0badc0de.pdf"
    with app.app_context():
        storage().put(stray, b"%PDF a file no row names")
    result = _verify(app)
    assert result.exit_code == 0
    assert f"警告：{stray} 不在档案索引中" in result.output
    assert "档案完好：2 份" in result.output and "另有 1 个文件不在索引中" in result.output
    for doc in docs:  # the indexed files are not named
        assert doc.path not in result.output


def test_a_missing_file_still_fails_with_the_stray_one_warned_beside_it(app):  # noqa: F811
    docs = [_file(app, f"2026-11-{d}") for d in (20, 21)]
    root = app.config["DATA_DIR"] + "/archive/"
    os.remove(root + docs[1].path)
    with app.app_context():
        storage().put("archive/9/stray.pdf", b"%PDF stray")
    result = _verify(app)
    assert result.exit_code == 1
    assert f"#{docs[1].id} {docs[1].archive_no}: 文件缺失" in result.output
    assert "警告：archive/9/stray.pdf 不在档案索引中" in result.output
    assert "档案校验失败：1 处问题" in result.output


def test_a_stray_object_in_the_bucket_is_warned(s3_env, make_app, database_url,  # noqa: F811
                                                 now):

    from tests import factories
    from wyapp.models import Estate

    bucket = make_bucket(s3_env)
    app = make_app(database_url, STORAGE_URL=f"s3://{bucket}/wy", STORAGE_ENDPOINT=s3_env)
    from tests.factories.archive import with_note_kind
    with_note_kind(app)
    with app.app_context(), db.connection_context():
        factories.office()
        day = (Estate.get().today(now) - timedelta(days=1)).isoformat()
        doc = services.file_document("test_note", Estate.get(), day, now)
        assert doc is not None and services.unindexed_files() == []
        store = storage()
        stray = "archive/1/test_note/forged.pdf"
        store.client.put_object(Bucket=bucket, Key=f"wy/{stray}", Body=b"%PDF forged")
        store.client.put_object(Bucket=bucket, Key="elsewhere/archive/x.pdf", Body=b"%PDF")
        assert services.unindexed_files() == [stray]  # only under the app's prefix
        assert services.verify() == []
    result = app.test_cli_runner().invoke(archive_cli, ["verify"])
    assert result.exit_code == 0
    assert f"警告：{stray} 不在档案索引中" in result.output and "档案完好：1 份" in result.output


def test_a_temporary_file_of_a_put_under_way_is_not_named(app):  # noqa: F811
    _file(app, "2026-11-20")
    directory = app.config["DATA_DIR"] + "/archive/1"
    os.makedirs(directory, exist_ok=True)
    with open(directory + "/.put-abc.tmp", "wb") as f:
        f.write(b"half")
    result = _verify(app)
    assert result.exit_code == 0 and "警告" not in result.output


def test_a_store_that_cannot_be_listed_still_gives_the_check_its_answer(app, monkeypatch):  # noqa: F811
    """Credentials that may read and write objects but not list the bucket (s3:ListBucket
    withheld), or a listing that fails: the indexed files are checked as before (exit 0
    when intact), and a warning says the unindexed files were not looked for."""
    from wyapp.storage import LocalStorage, StorageError

    _file(app, "2026-11-20")

    def refused(self, prefix=""):
        raise StorageError("列出对象存储失败：archive/（AccessDenied）")
        yield  # a generator, as keys() is
    monkeypatch.setattr(LocalStorage, "keys", refused)
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "档案完好：1 份" in result.output
    assert "警告：无法列出档案存储中的文件" in result.output and "AccessDenied" in result.output


def test_the_bucket_refusing_to_list_is_a_storage_error(s3_env, make_app, database_url):  # noqa: F811
    """S3Storage.keys turns the service's refusal (a ClientError) into StorageError, as its
    reads and writes do, so its callers need to know of one error only."""
    import pytest
    from botocore.exceptions import ClientError

    from wyapp.storage import StorageError

    bucket = make_bucket(s3_env)
    app = make_app(database_url, STORAGE_URL=f"s3://{bucket}/wy", STORAGE_ENDPOINT=s3_env)
    with app.app_context():
        store = storage()

        class Denied:
            def paginate(self, **_):
                raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}},
                                  "ListObjectsV2")
        store.client.get_paginator = lambda _name: Denied()
        with pytest.raises(StorageError, match="AccessDenied"):
            list(store.keys("archive/"))


def test_a_stray_file_name_with_control_characters_is_printed_escaped(app):  # noqa: F811
    """A name put there by hand cannot write terminal escapes or a forged line into the
    check's output: control characters are shown escaped."""
    _file(app, "2026-11-20")
    directory = app.config["DATA_DIR"] + "/archive/9"
    os.makedirs(directory, exist_ok=True)
    with open(directory + "/x\x1b[2J\n档案完好：99 份.pdf", "wb") as f:
        f.write(b"%PDF")
    result = _verify(app)
    assert result.exit_code == 0
    assert "\x1b" not in result.output and "\n档案完好：99 份" not in result.output
    assert "警告：archive/9/x\\x1b[2J\\n档案完好：99 份.pdf 不在档案索引中" in result.output
