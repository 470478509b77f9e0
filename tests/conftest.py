"""Fixtures: an app over SQLite and PostgreSQL, a fixed clock, clients, logins, factories.

Every test that asks for `app` (or `client`, `login`, `in_db`) runs twice: on a SQLite file
and on PostgreSQL (skipped with a reason when WYAPP_TEST_POSTGRES_URL is unset; .ci/run sets
it). Each starts from a migrated, empty database (a copied template file on SQLite, emptied
tables in a per-process schema on PostgreSQL) holding only what `factories.office()` makes:
the estate 示范花园 and one account per role. Tests build the rest with tests/factories/.

The clock: every test that is not a browser test runs at WYAPP_TEST_NOW (default below), a
naive-UTC instant, through time-machine; the clock ticks from there. `now` is that instant.
.ci/run runs the tests marked `clock` again at the instants where the machine's UTC date and
the estate's date differ, at the estate's last evening of a month and of a year, under a
machine TZ other than UTC.
"""
import os
import re
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine

# Tests never read the developer's own WYAPP_* settings, and never write into ./instance.
for _name in [n for n in os.environ if n.startswith("WYAPP_") and not n.startswith("WYAPP_TEST_")]:
    del os.environ[_name]
os.environ["WYAPP_DATA_DIR"] = tempfile.mkdtemp(prefix="wyapp-test-")

from tests import factories  # noqa: E402
from wyapp import create_app, demo  # noqa: E402
from wyapp.cli import migration_groups  # noqa: E402
from wyapp.db import db, migrate  # noqa: E402
from wyapp.tasks import huey  # noqa: E402

huey.immediate = True

POSTGRES_URL = os.environ.get("WYAPP_TEST_POSTGRES_URL")
NO_POSTGRES = "WYAPP_TEST_POSTGRES_URL is not set (CI sets it; see .ci/run)"
# A Monday, 10:00 in the estate (Asia/Shanghai): an ordinary working morning. .ci/run moves it.


def _utc_naive(value):
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


TEST_NOW = _utc_naive(datetime.fromisoformat(os.environ.get("WYAPP_TEST_NOW",
                                                             "2026-06-15T02:00:00+00:00")))


def _settings(tmp_path, database_url=None, **config):
    settings = {"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "WTF_CSRF_ENABLED": False,
                "SECRET_KEY": "test-secret", **config}
    if database_url:
        settings["DATABASE_URL"] = database_url
    return settings


def _close_pool():
    obj = db.obj
    if obj is not None:
        if not obj.is_closed():
            obj.close()
        if hasattr(obj, "close_all"):
            obj.close_all()


# ── the clock ─────────────────────────────────────────────────────────────────────────────

@pytest.fixture(autouse=True)
def now(request):
    """The instant this test runs at (naive UTC); the process clock travels there and ticks.
    Browser tests keep the real clock: Chromium's own clock cannot be moved with the server's."""
    if "browser" in request.node.path.parts:
        yield None
        return
    with time_machine.travel(TEST_NOW.replace(tzinfo=UTC), tick=True):
        yield TEST_NOW


MORNING = datetime(2026, 6, 15, 2, 0)  # 10:00 on Monday 15 June 2026 in Asia/Shanghai


@pytest.fixture
def morning():
    """The clock at MORNING (naive UTC), whatever WYAPP_TEST_NOW says: for a test that types
    fixed hours (an appointment at 09:30 tomorrow, work hours 08:00–12:00) and so is true
    only on an ordinary working morning. Yields MORNING."""
    with time_machine.travel(MORNING.replace(tzinfo=UTC), tick=True):
        yield MORNING


# ── databases ─────────────────────────────────────────────────────────────────────────────

@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated, empty SQLite file made once per test process; each test copies it."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    app = create_app(_settings(path.parent, f"sqlite:///{path}"))
    with app.app_context(), db.connection_context():
        migrate(migration_groups())
        db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    _close_pool()
    return path


@pytest.fixture(scope="session")
def postgres_template():
    """A migrated schema of this test process on PostgreSQL, and how to empty it again."""
    if not POSTGRES_URL:
        yield None
        return
    import psycopg2

    schema = f"wyapp_w_{uuid.uuid4().hex[:12]}"
    conn = psycopg2.connect(POSTGRES_URL)
    conn.autocommit = True
    conn.cursor().execute(f"CREATE SCHEMA {schema}")
    url = _schema_url(schema)
    app = create_app(_settings(Path(tempfile.mkdtemp()), url))
    with app.app_context(), db.connection_context():
        migrate(migration_groups())
        tables = [m._meta.table_name for g in migration_groups() for m in g.models]
    _close_pool()
    yield url, conn, _emptier(conn, schema, tables)
    conn.cursor().execute(f"DROP SCHEMA {schema} CASCADE")
    conn.close()


def _emptier(conn, schema, tables):
    """The SQL that empties the schema's tables and restarts their ids at 1: DELETE with the
    foreign-key triggers off (session_replication_role, a superuser's setting), then setval
    on the sequences their columns own. TRUNCATE … RESTART IDENTITY CASCADE did the same in
    1–1.5 s a test on the PostgreSQL server (a new file for each of ~90 tables, every time);
    DELETE of the few rows a test made takes ~20 ms. Without the privilege: TRUNCATE."""
    import psycopg2

    try:
        conn.cursor().execute("SET session_replication_role = replica; "
                              "SET session_replication_role = DEFAULT")
    except psycopg2.errors.InsufficientPrivilege:
        return (f"TRUNCATE {', '.join(f'{schema}.{t}' for t in tables)} "
                "RESTART IDENTITY CASCADE")
    deletes = " ".join(f"DELETE FROM {schema}.{t};" for t in tables)
    return (f"SET session_replication_role = replica; {deletes} "
            "SET session_replication_role = DEFAULT; "
            # the sequences the tables' columns own (what RESTART IDENTITY restarts)
            "SELECT setval(q.oid, s.start_value, false) FROM pg_depend d "
            "JOIN pg_class q ON q.oid = d.objid AND q.relkind = 'S' "
            "JOIN pg_class t ON t.oid = d.refobjid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "JOIN pg_sequences s ON s.schemaname = n.nspname AND s.sequencename = q.relname "
            "WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass "
            f"AND d.deptype IN ('a', 'i') AND n.nspname = '{schema}' "
            f"AND t.relname IN ({', '.join(repr(t) for t in tables)})")


def _schema_url(schema):
    sep = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{sep}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path):
    """An empty migrated database for one test: SQLite, then PostgreSQL when configured."""
    if request.param == "sqlite":
        path = tmp_path / "wyapp.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    template = request.getfixturevalue("postgres_template")
    if template is None:
        pytest.skip(NO_POSTGRES)
    url, conn, empty = template
    conn.cursor().execute(empty)
    return url


@pytest.fixture
def make_app(tmp_path):
    """Build an app over a new database (default: a SQLite file in tmp), migrated; with the
    full demo only when asked (`with_demo=True`, for tests of the demo and the browser walk)."""
    made = []

    def make(database_url=None, with_demo=False, **config):
        app = create_app(_settings(tmp_path, database_url, **config))
        made.append(app)
        with app.app_context(), db.connection_context():
            migrate(migration_groups())
            if with_demo:
                demo.create(app.extensions["wyapp.features"])
        return app
    yield make
    if made:
        _close_pool()


@pytest.fixture
def bare_app(database_url, tmp_path):
    """An app over an empty migrated database (SQLite, then PostgreSQL)."""
    app = create_app(_settings(tmp_path, database_url))
    yield app
    _close_pool()


@pytest.fixture
def app(bare_app):
    """An app whose database holds the office: 示范花园 and one account per role."""
    with bare_app.app_context(), db.connection_context():
        factories.office()
    return bare_app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(client):
    """login("guard") logs the test client in as that account."""
    def do(username, password=factories.PASSWORD):
        client.post("/logout")
        response = client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, response.text
        return client
    return do


@pytest.fixture
def in_db(app):
    """`with in_db():` runs a block inside the app with a database connection."""
    @contextmanager
    def block():
        with app.app_context(), db.connection_context():
            yield
    return block


@pytest.fixture
def pg_schema():
    """A fresh PostgreSQL schema for one test (migrations run by the test), dropped after."""
    if not POSTGRES_URL:
        pytest.skip(NO_POSTGRES)
    import psycopg2

    schema = f"wyapp_t_{uuid.uuid4().hex[:12]}"
    conn = psycopg2.connect(POSTGRES_URL)
    conn.autocommit = True
    conn.cursor().execute(f"CREATE SCHEMA {schema}")
    yield _schema_url(schema)
    _close_pool()
    conn.cursor().execute(f"DROP SCHEMA {schema} CASCADE")
    conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def any_db_url(request, tmp_path):
    """A new, unmigrated database: SQLite and, when configured, PostgreSQL (migration tests)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'param.sqlite3'}"
    return request.getfixturevalue("pg_schema")


def csrf_token_from(html):
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)

