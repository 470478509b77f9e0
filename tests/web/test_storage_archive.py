"""The archive on the store, once however many workers: a version is claimed before it is
rendered; a second worker finds the claim and stops; a dead worker's claim is taken over;
archive files are never replaced; the hourly sweep runs once; the claims table migrates
onto an existing database."""
from datetime import timedelta

import pytest

from wyapp.archive import services
from wyapp.archive.models import Document, FilingClaim, SweepMark
from wyapp.cli import migration_groups
from wyapp.db import SchemaMigration, db, migrate
from wyapp.features import DocumentKind, Feature
from wyapp.models import Estate
from wyapp.storage import AlreadyStored, storage

NOTE_KIND = DocumentKind(code="test_note", title="测试日报", template="pdf/test_note.html",
                         collect=lambda estate, period: {"note": f"{estate.name} {period}"},
                         roles=frozenset({"desk"}))


@pytest.fixture
def app(app, tmp_path):
    app.extensions["wyapp.features"].append(Feature(name="test", documents=[NOTE_KIND]))
    (tmp_path / "tpl" / "pdf").mkdir(parents=True)
    (tmp_path / "tpl" / "pdf" / "test_note.html").write_text(
        '{% extends "pdf/_base.html" %}{% block body %}<p>{{ data.note }}</p>{% endblock %}',
        encoding="utf-8")
    from jinja2 import ChoiceLoader, FileSystemLoader
    app.jinja_loader = ChoiceLoader([app.jinja_loader, FileSystemLoader(str(tmp_path / "tpl"))])
    return app


def test_a_second_worker_finds_the_claim_and_stops(in_db, now):
    with in_db():
        estate = Estate.get()
        FilingClaim.create(kind="test_note", estate=estate, period="2026-06-14", version=1,
                           token="other-worker", claimed_at=now - timedelta(minutes=1))
        assert services.file_document("test_note", estate, "2026-06-14", now) is None
        assert Document.select().count() == 0
        assert list(storage().keys("archive/")) == []


def test_a_dead_workers_claim_is_taken_over_under_a_name_of_its_own(in_db, now):
    with in_db():
        estate = Estate.get()
        FilingClaim.create(kind="test_note", estate=estate, period="2026-06-14", version=1,
                           token="dead-worker", claimed_at=now - timedelta(minutes=20))
        store = storage()
        store.put(f"archive/{estate.id}/test_note/2026-06-14-v1.pdf", b"%PDF half")
        doc = services.file_document("test_note", estate, "2026-06-14", now)
        assert doc.version == 1 and doc.path != f"{estate.id}/test_note/2026-06-14-v1.pdf"
        assert FilingClaim.get().token != "dead-worker"
        assert services.verify() == []
        assert services.file_document("test_note", estate, "2026-06-14", now) is None


def test_a_failed_rendering_gives_the_claim_back(in_db, now, monkeypatch):
    def broken(*args):
        raise OSError("font missing")
    with in_db():
        estate = Estate.get()
        monkeypatch.setattr(services, "_render", broken)
        with pytest.raises(OSError):
            services.file_document("test_note", estate, "2026-06-14", now)
        assert FilingClaim.select().count() == 0
        monkeypatch.undo()
        assert services.file_document("test_note", estate, "2026-06-14", now).version == 1


def test_filing_once_then_the_file_is_never_replaced(in_db, now):
    with in_db():
        estate = Estate.get()
        doc = services.file_document("test_note", estate, "2026-06-14", now)
        key = services.archive_key(doc.path)
        with pytest.raises(AlreadyStored):
            storage().put(key, b"%PDF forged")
        assert services.verify() == []
        assert FilingClaim.select().count() == 1


def test_the_hourly_sweep_runs_once(in_db, now, monkeypatch):
    swept = []
    monkeypatch.setattr(services, "sweep", lambda at: swept.append(at) or 1)
    with in_db():
        assert services.sweep_if_due(now) == 1
        assert services.sweep_if_due(now) == 0
        assert services.sweep_if_due(now + timedelta(minutes=59)) == 0
        assert services.sweep_if_due(now + timedelta(hours=1)) == 1
        assert swept == [now, now + timedelta(hours=1)]
        assert SweepMark.get().at == now + timedelta(hours=1)


def test_claims_table_migrates_onto_an_existing_database(in_db):
    with in_db():
        db.drop_tables([FilingClaim])
        SchemaMigration.delete().where(
            SchemaMigration.name == "archive:0002_filing_claims").execute()
        assert migrate(migration_groups()) == ["archive:0002_filing_claims"]
        assert FilingClaim.select().count() == 0


def test_a_worker_outlived_by_its_claim_stores_nothing(in_db, now, monkeypatch):
    """A worker whose rendering outlasted CLAIM_EXPIRES (a stalled WeasyPrint, a paused VM)
    finds on waking that another worker took the claim over and filed the version: it
    stores no second file and ends quietly (no error for the queue to retry)."""
    real_render = services._render
    later = now + timedelta(minutes=20)

    def stalled(*args):
        monkeypatch.setattr(services, "_render", real_render)
        # meanwhile, 20 minutes on, a second worker takes the expired claim over and files
        assert services.file_document("test_note", Estate.get(), "2026-06-14", later)
        return real_render(*args)
    with in_db():
        estate = Estate.get()
        monkeypatch.setattr(services, "_render", stalled)
        assert services.file_document("test_note", estate, "2026-06-14", now) is None
        assert Document.select().count() == 1
        assert len(list(storage().keys("archive/"))) == 1
        assert services.verify() == []
