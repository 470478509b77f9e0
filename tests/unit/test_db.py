"""The data layer on SQLite and, when WYAPP_TEST_POSTGRES_URL is set, on PostgreSQL: the
migrations runner (a new database, a later step, a database made by older code) and the
demo, which only this module builds."""
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from peewee import CharField, IntegrityError
from playhouse.migrate import migrate as run_steps

from tests.factories import PASSWORD
from wyapp import demo
from wyapp.cli import migration_groups
from wyapp.db import BaseModel, MigrationGroup, SchemaMigration, db, migrate
from wyapp.models import ROLES, Building, Estate, Notification, Unit, User, notify

# Made with the code of 2026-12 (commit b625e07, before wyapp_migration): `init-db` and the
# full demo, then VACUUM. Its history table is still called schema_migration.
DECEMBER_DATABASE = Path(__file__).parent.parent / "data" / "wyapp-2026-12-main.sqlite3"


def test_sqlite_pragmas(make_app):
    app = make_app(with_demo=False)
    with app.app_context(), db.connection_context():
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 15000


@pytest.mark.clock
def test_init_db_is_idempotent_and_demo_twice_changes_nothing(make_app, any_db_url):
    app = make_app(any_db_url, with_demo=True)
    with app.app_context(), db.connection_context():
        counts = (Estate.select().count(), Building.select().count(), Unit.select().count(),
                  User.select().count())
        assert counts == (1, 3, 36, 7)
        assert migrate(migration_groups()) == []
        demo.create(app.extensions["wyapp.features"])
        assert (Estate.select().count(), Building.select().count(), Unit.select().count(),
                User.select().count()) == counts
        assert {u.username for u in User.select()} == set(demo.USERNAMES)


def test_unique_constraints_hold(in_db):
    with in_db():
        estate = Estate.get(Estate.name == "示范花园")
        with pytest.raises(IntegrityError), db.atomic():
            Building.create(estate=estate, name="1号楼")


def test_later_migration_takes_an_old_database_forward(make_app, any_db_url):
    """A group that already ran gets only its new steps; a new group gets its tables."""
    app = make_app(any_db_url, with_demo=False)

    class Gadget(BaseModel):
        name = CharField()

    with app.app_context(), db.connection_context():
        first = MigrationGroup("gadget", [Gadget])
        assert migrate([first]) == ["gadget:baseline"]

        class Gadget2(BaseModel):  # the model as a later release defines it
            name = CharField()
            colour = CharField(default="")

            class Meta:
                table_name = "gadget"

        def add_colour(migrator):
            run_steps(migrator.add_column("gadget", "colour", CharField(default="")))

        second = MigrationGroup("gadget", [Gadget2], [("0002_colour", add_colour)])
        assert migrate([second]) == ["gadget:0002_colour"]
        assert migrate([second]) == []
        Gadget2.create(name="泵", colour="红")
        assert Gadget2.get().colour == "红"
        applied = SchemaMigration.select().where(SchemaMigration.name.startswith("gadget"))
        assert applied.count() == 2


def _has_table(name):
    """Whether `name` is a table in the connection's own schema (PostgreSQL: the test's
    search_path schema, which peewee's get_tables() would not look at)."""
    try:
        with db.atomic():
            db.execute_sql(f"SELECT 1 FROM {name} WHERE 1 = 0")  # noqa: S608 — a fixed name
    except Exception:  # noqa: BLE001 — any "no such table"
        return False
    return True


def test_history_under_the_old_name_is_carried_into_wyapp_migration(make_app, any_db_url):
    """A database whose runner history is still `schema_migration` (name, applied_at) has it
    moved into `wyapp_migration`, so nothing runs twice; the old table is dropped."""
    app = make_app(any_db_url, with_demo=False)
    with app.app_context(), db.connection_context():
        history = {m.name for m in SchemaMigration.select()}
        db.execute_sql("ALTER TABLE wyapp_migration RENAME TO schema_migration")
        assert migrate(migration_groups()) == []
        assert {m.name for m in SchemaMigration.select()} == history
        assert not _has_table("schema_migration")


def test_peewee_runner_history_is_left_alone(make_app, any_db_url):
    """A `schema_migration` of peewee's own Runner (id, name, applied) is not ours."""
    app = make_app(any_db_url, with_demo=False)
    with app.app_context(), db.connection_context():
        db.execute_sql("CREATE TABLE schema_migration (id INTEGER PRIMARY KEY, "
                       "name VARCHAR(255) UNIQUE, applied TIMESTAMP)")
        db.execute_sql("INSERT INTO schema_migration (id, name) VALUES (1, '001_users')")
        assert migrate(migration_groups()) == []
        rows = db.execute_sql("SELECT id, name FROM schema_migration").fetchall()
        assert [tuple(r) for r in rows] == [(1, "001_users")]
        assert SchemaMigration.select().where(SchemaMigration.name == "core:baseline").exists()


def _row_counts(connection):
    tables = [r[0] for r in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {t: connection.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]  # noqa: S608
            for t in tables}


def test_a_database_made_by_the_december_code_migrates_without_loss(make_app, tmp_path):
    """The December file (init-db and the demo of that day's code) taken forward by today's
    runner: every table keeps its rows, the history moves to wyapp_migration and nothing
    runs twice, the demo password still logs in, and every role's pages open."""
    path = tmp_path / "december.sqlite3"
    shutil.copyfile(DECEMBER_DATABASE, path)
    with sqlite3.connect(path) as old:
        before = _row_counts(old)
        old_history = {r[0] for r in old.execute("SELECT name FROM schema_migration")}
    assert before["visit"] and before["work_order"] and before["round"]  # a real demo

    app = make_app(f"sqlite:///{path}")  # runs migrate(), as `wyapp init-db` does
    with sqlite3.connect(path) as new:
        after = _row_counts(new)
    moved = before.pop("schema_migration")
    assert "schema_migration" not in after and after.pop("wyapp_migration") >= moved
    assert {t: after[t] for t in before} == before  # no table lost a row (or gained one)
    with app.app_context(), db.connection_context():
        assert old_history <= {m.name for m in SchemaMigration.select()}
        assert migrate(migration_groups()) == []

    client, opened = app.test_client(), set()
    for username in ROLES:
        client.post("/logout")
        response = client.post("/login", data={"username": username, "password": PASSWORD})
        assert response.status_code == 302, username
        home = client.get("/")
        assert home.status_code == 200, username
        nav = re.search(r'<nav class="bottomnav".*?</nav>', home.text, re.S)
        for href in re.findall(r'href="(/[^"]*)"', nav.group(0) if nav else ""):
            assert client.get(href).status_code == 200, (username, href)
            opened.add(href)
    assert len(opened) >= 8  # the gate, patrol, inspection, service, archive … pages


def test_notifications_per_user(in_db):
    with in_db():
        estate = Estate.get()
        guard, supervisor = User.get(username="guard"), User.get(username="supervisor")
        assert notify([guard, supervisor], estate, "missed_round", "02:00 巡更漏巡") == 2
        assert Notification.unread_count(guard, estate) == 1
        assert [n.title for n in Notification.for_user(supervisor, estate)] == ["02:00 巡更漏巡"]


def test_users_with_role_in_estate(in_db):
    with in_db():
        estate = Estate.get()
        assert [u.username for u in User.with_role(estate, "engineer", "supervisor")] == \
            sorted(["engineer", "supervisor"], key=lambda n: User.get(username=n).display_name)
