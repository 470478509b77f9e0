"""The data layer on SQLite and, when WYAPP_TEST_POSTGRES_URL is set, on PostgreSQL."""
import pytest
from peewee import CharField, IntegrityError
from playhouse.migrate import migrate as run_steps

from wyapp import demo
from wyapp.cli import migration_groups
from wyapp.db import BaseModel, MigrationGroup, SchemaMigration, db, migrate
from wyapp.models import Building, Estate, Notification, Unit, User, notify


def test_sqlite_pragmas(make_app):
    app = make_app(with_demo=False)
    with app.app_context(), db.connection_context():
        assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_init_db_is_idempotent_and_demo_twice_changes_nothing(make_app, any_db_url):
    app = make_app(any_db_url)
    with app.app_context(), db.connection_context():
        counts = (Estate.select().count(), Building.select().count(), Unit.select().count(),
                  User.select().count())
        assert counts == (1, 3, 36, 7)
        assert migrate(migration_groups()) == []
        demo.create(app.extensions["wyapp.features"])
        assert (Estate.select().count(), Building.select().count(), Unit.select().count(),
                User.select().count()) == counts
        assert {u.username for u in User.select()} == set(demo.USERNAMES)


def test_unique_constraints_hold(make_app, any_db_url):
    app = make_app(any_db_url)
    with app.app_context(), db.connection_context():
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


def test_notifications_per_user(make_app, any_db_url):
    app = make_app(any_db_url)
    with app.app_context(), db.connection_context():
        estate = Estate.get()
        guard, supervisor = User.get(username="guard"), User.get(username="supervisor")
        assert notify([guard, supervisor], estate, "missed_round", "02:00 巡更漏巡") == 2
        assert Notification.unread_count(guard, estate) == 1
        assert [n.title for n in Notification.for_user(supervisor, estate)] == ["02:00 巡更漏巡"]


def test_users_with_role_in_estate(make_app, any_db_url):
    app = make_app(any_db_url)
    with app.app_context(), db.connection_context():
        estate = Estate.get()
        assert [u.username for u in User.with_role(estate, "engineer", "supervisor")] == \
            sorted(["engineer", "supervisor"], key=lambda n: User.get(username=n).display_name)
