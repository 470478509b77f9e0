"""The deferred database, the base model, per-request connections and the migrations runner.

Migrations come in groups, one per feature. A group none of whose migrations ran yet
(a new database, or a feature added to an old one) gets its current tables created and
all its migrations marked as applied; a group that has run some gets the rest, in order.
Which steps ran is kept in the table `wyapp_migration` (name, applied_at).

Why our own runner and not peewee's `playhouse.migrations.Runner`: that one keeps one linear
history of files for the whole database, whereas wyapp's schema is the sum of its features
(Feature.migrations). A feature switched on in an existing installation must get its
*current* tables in one step (its baseline), without replaying every change it went through
on other installations, and the order of two features' steps never matters. Runner has
neither groups nor baselines. Its history table is also called `schema_migration` (columns
id, name, applied); ours had that name until 2026-12 with other columns, so the runner now
carries an old database's rows from our `schema_migration` into `wyapp_migration` and drops
it, and leaves a `schema_migration` of any other shape alone.
"""
import os
from datetime import UTC, datetime

from flask import request
from peewee import (
    CharField,
    DatabaseError,
    DatabaseProxy,
    DateTimeField,
    Insert,
    Model,
    ModelTupleCursorWrapper,
    Node,
    SqliteDatabase,
)
from playhouse.db_url import connect
from playhouse.migrate import PostgresqlMigrator, SqliteMigrator
from playhouse.pool import PooledDatabase

db = DatabaseProxy()

# busy_timeout: how long a SQLite writer waits for another's write lock (ms). One estate's
# busiest minute (shift change: a dozen scans, a few registrations, the periodic job) queues
# well under a second of writes; 15 s covers a stalled disk and stays under the worker's
# 30 s timeout, so a wait ends in a page, not a killed worker.
SQLITE_PRAGMAS = {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 15000,
                  "synchronous": "normal"}


def utcnow():
    """Naive UTC, as every DateTimeField stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


class BaseModel(Model):
    class Meta:
        database = db
        legacy_table_names = False


def make_database(url):
    """A peewee database for a URL: sqlite:///path or postgresql://user@host/db.

    Connections are pooled: a request still takes one connection and gives it back at its
    end, but reuses an open one (pragmas set once, when it was opened) instead of opening
    and closing a file or a server connection each time. A connection given back inside a
    transaction is rolled back first; PostgreSQL ones are renewed after ten minutes.

    SQLite transactions (`db.atomic()`) begin IMMEDIATE: they take the write lock up front,
    waiting up to busy_timeout for it. A deferred one reads first and asks for the lock at
    its first write; when another writer committed in between, SQLite cannot let it wait
    (its snapshot is stale) and answers "database is locked" at once.
    """
    scheme, rest = url.split(":", 1)
    if "+" not in scheme:
        url = f"{scheme}+pool:{rest}"
    if scheme.startswith("sqlite"):
        # a pooled connection serves one thread at a time, but not always the same one
        return connect(url, pragmas=SQLITE_PRAGMAS, max_connections=0,
                       check_same_thread=False, lock_type="IMMEDIATE")
    return connect(url, max_connections=32, timeout=30, stale_timeout=600)


def _forget_inherited_connections():
    """A forked process (gunicorn --preload, a job runner) must not use its parent's pooled
    connections: it drops them, unclosed (closing would end the parent's), and opens its own."""
    database = db.obj
    if isinstance(database, PooledDatabase):
        database._connections, database._in_use = [], {}
        database._state.reset()


os.register_at_fork(after_in_child=_forget_inherited_connections)


class _Slot(Node):
    """Where argument `index` (item `item` of a list argument) goes in a prepared query; it
    keeps the converter peewee would have applied at that place (the field's db_value)."""

    def __init__(self, index, item=None):
        self.index, self.item, self.converter = index, item, None

    def __sql__(self, ctx):
        self.converter = ctx.state.converter
        ctx._values.append(self)
        return ctx.literal(ctx.state.param or "?")

    def value(self, args):
        value = args[self.index] if self.item is None else args[self.index][self.item]
        return self.converter(value) if self.converter else value


class Prepared:
    """A select (or insert) whose SQL is built once per database and shape, then run with new
    values.

    Turning a peewee query into SQL costs more than SQLite takes to run a small one, so the
    hot paths (a patrol scan) keep the SQL. `build(*args)` returns the query; each argument
    may only be used as a value (compared with a field, or a list given to in_()); a list
    argument makes one SQL per length. Calling returns the rows as the query would give them
    (an INSERT: the new row's id, as peewee gets it). How the result columns map to fields is
    kept too. An INSERT names every column: a default would be computed once, with the SQL.
    """

    def __init__(self, build):
        self.build = build

    def __call__(self, *args):
        shape = tuple(len(a) if isinstance(a, list | tuple) else None for a in args)
        cache = db.obj.__dict__.setdefault("prepared_sql", {})
        found = cache.get((self, shape))
        if found is None:
            query = self.build(*[_Slot(i) if n is None else [_Slot(i, j) for j in range(n)]
                                 for i, n in enumerate(shape)])
            if isinstance(query, Insert) and query._returning is None and db.returning_clause:
                query = query.returning(query.table._meta.primary_key)  # as peewee would
            found = cache[(self, shape)] = (query, *query.sql())
        query, sql, params = found
        values = [p.value(args) if isinstance(p, _Slot) else p for p in params]
        cursor = db.execute_sql(sql, values)
        if isinstance(query, Insert):  # the new row's id: returned, or SQLite's last row id
            return cursor.fetchone()[0] if query._returning else cursor.lastrowid
        kept = cache.get((self, shape, "columns"))
        if type(kept) is list:  # tuples: convert the columns as peewee would, without it
            rows = cursor.fetchall()
            cursor.close()
            return [tuple([value if convert is None else convert(value)
                           for convert, value in zip(kept, row, strict=True)]) for row in rows]
        rows = query._get_cursor_wrapper(cursor)
        if kept is not None:  # the same SQL gives the same columns: reuse how they map
            rows.initialize = lambda: rows.__dict__.update(kept)
            return list(rows)
        before = set(rows.__dict__)
        result = list(rows)
        if type(rows) is ModelTupleCursorWrapper and rows.initialized:
            cache[(self, shape, "columns")] = rows.converters
        elif rows.initialized:
            cache[(self, shape, "columns")] = {k: v for k, v in rows.__dict__.items()
                                               if k not in before}
        return result

    def first(self, *args):
        rows = self(*args)
        return rows[0] if rows else None


def from_row(model, values):
    """A `model` instance from a row that selected its fields in `model._meta.sorted_fields`
    order (the hot paths select .tuples() and build only the instances they need), built as
    peewee builds a row it read: no defaults computed, nothing marked as changed. The values
    go straight into the row's data, as setting each field (ids for foreign keys) would."""
    instance = model(__no_default__=1)
    instance.__data__.update(zip(model._meta.sorted_field_names, values, strict=True))
    return instance


# Endpoints that need no connection, or (healthz) open and check their own.
NO_DATABASE = {"static", "shell.healthz", "shell.service_worker", "shell.manifest",
               "shell.offline"}


def init_app(app):
    db.initialize(make_database(app.config["DATABASE_URL"]))

    @app.before_request
    def _open():
        if request.endpoint not in NO_DATABASE:
            db.connect(reuse_if_open=True)

    @app.teardown_request
    def _close(exc):
        if not db.is_closed():
            db.close()


class MigrationGroup:
    """One feature's tables and the migrations that take an older database to them.

    `migrations` is a list of (name, function(migrator)) in order; names never change.
    """

    def __init__(self, name, models, migrations=()):
        self.name, self.models, self.migrations = name, list(models), list(migrations)


class SchemaMigration(BaseModel):
    """One migration step that ran: "<group>:<name>" (or "<group>:baseline")."""
    name = CharField(primary_key=True)
    applied_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "wyapp_migration"


def _carry_legacy_history(database):
    """Move the rows of the history table as it was named before (`schema_migration`, with
    columns name and applied_at) into `wyapp_migration`, then drop it; only when
    `wyapp_migration` is still empty. A `schema_migration` without those columns (peewee's
    own Runner: id, name, applied) is not ours and stays as it is."""
    if SchemaMigration.select().exists():
        return
    try:
        with database.atomic():  # a savepoint: PostgreSQL's transaction survives a miss
            database.execute_sql("SELECT name, applied_at FROM schema_migration WHERE 1 = 0")
    except DatabaseError:
        return
    database.execute_sql("INSERT INTO wyapp_migration (name, applied_at) "
                         "SELECT name, applied_at FROM schema_migration")
    database.execute_sql("DROP TABLE schema_migration")


def migrate(groups):
    """Bring the database to the current schema; safe to run any number of times.

    `groups` is a list of MigrationGroup (the core's first). Returns the names of the
    migrations applied by this call ("gate:baseline", "patrol:0004_lean_scan_indexes" …).
    Runs in one transaction: a step that fails leaves the database as it was.
    """
    database = db.obj
    migrator = (SqliteMigrator if isinstance(database, SqliteDatabase) else PostgresqlMigrator)(
        database)
    applied_now = []
    with database.atomic():
        database.create_tables([SchemaMigration], safe=True)
        _carry_legacy_history(database)
        done = {m.name for m in SchemaMigration.select()}
        for group in groups:
            names = [f"{group.name}:{name}" for name, _ in group.migrations]
            if not any(n.startswith(f"{group.name}:") for n in done):
                database.create_tables(group.models, safe=True)
                SchemaMigration.insert_many([{"name": n} for n in
                                             [f"{group.name}:baseline", *names]]).execute()
                applied_now.append(f"{group.name}:baseline")
                continue
            for full_name, (_, step) in zip(names, group.migrations, strict=True):
                if full_name not in done:
                    step(migrator)
                    SchemaMigration.create(name=full_name)
                    applied_now.append(full_name)
    return applied_now
