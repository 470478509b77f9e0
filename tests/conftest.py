"""Fixtures: an app over a temp-file SQLite database (or PostgreSQL), clients, logins."""
import os
import re
import tempfile
import uuid
from urllib.parse import quote

import pytest

# Tests never read the developer's own WYAPP_* settings, and never write into ./instance.
for _name in [n for n in os.environ if n.startswith("WYAPP_") and not n.startswith("WYAPP_TEST_")]:
    del os.environ[_name]
os.environ["WYAPP_DATA_DIR"] = tempfile.mkdtemp(prefix="wyapp-test-")

from wyapp import create_app, demo  # noqa: E402
from wyapp.cli import migration_groups  # noqa: E402
from wyapp.db import db, migrate  # noqa: E402
from wyapp.tasks import huey  # noqa: E402

huey.immediate = True

POSTGRES_URL = os.environ.get("WYAPP_TEST_POSTGRES_URL")


@pytest.fixture
def make_app(tmp_path):
    """Build an app over a database URL (default: SQLite in tmp), migrated, with demo data."""
    def make(database_url=None, with_demo=True, **config):
        settings = {"TESTING": True, "DATA_DIR": str(tmp_path / "data"),
                    "WTF_CSRF_ENABLED": False, "SECRET_KEY": "test-secret", **config}
        if database_url:
            settings["DATABASE_URL"] = database_url
        app = create_app(settings)
        with app.app_context(), db.connection_context():
            migrate(migration_groups())
            if with_demo:
                demo.create(app.extensions["wyapp.features"])
        return app
    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(client):
    """login("guard") logs the test client in as that demo account."""
    def do(username, password=demo.PASSWORD):
        client.post("/logout")
        response = client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, response.text
        return client
    return do


@pytest.fixture
def pg_schema():
    """A fresh PostgreSQL schema for one test, dropped afterwards; its database URL."""
    if not POSTGRES_URL:
        pytest.skip("WYAPP_TEST_POSTGRES_URL is not set (CI sets it; see .ci/run)")
    import psycopg2

    schema = f"wyapp_t_{uuid.uuid4().hex[:12]}"
    conn = psycopg2.connect(POSTGRES_URL)
    conn.autocommit = True
    conn.cursor().execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options={quote(f'-csearch_path={schema}')}"
    conn.cursor().execute(f"DROP SCHEMA {schema} CASCADE")
    conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def any_db_url(request, tmp_path):
    """Run a data-layer test on SQLite and, when configured, on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'param.sqlite3'}"
    return request.getfixturevalue("pg_schema")


def csrf_token_from(html):
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def in_db(app):
    """`with in_db():` runs a block inside the app with a database connection."""
    from contextlib import contextmanager

    @contextmanager
    def block():
        with app.app_context(), db.connection_context():
            yield
    return block


def without_service_records(app):
    """The demo estate without the service desk's demo orders, complaints and alerts, for
    tests that count what they made themselves."""
    from wyapp.models import Notification
    from wyapp.service.models import Complaint, ComplaintEvent, WorkOrder

    with app.app_context(), db.connection_context():
        for model in (WorkOrder, Complaint, ComplaintEvent, Notification):
            model.delete().execute()
    return app
