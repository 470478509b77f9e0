"""The daily pages of each role, the SQL each one runs, and the plans of that SQL.

Shared by tests/web/test_query_plans.py (the plan check CI runs on small data) and
bench/scale.py (the same pages timed and explained at scale).

`DAILY` lists what the roles open every day (each role's home, the patrol board and
reports, the gate pages, today's inspection board and a sheet, meters, the work-order and
complaint lists, 日盘点 and the monthly statistics, notifications, archive search, the
dashboard), plus the three writes that happen all day: a patrol scan, a visitor's
registration and the periodic tick. `record(app, client, login)` runs them and returns
{page: [(sql, params)]}; `plan(sql, params)` explains one statement; `full_scans(plan)`
names the history tables the plan reads from end to end.

How a full read is recognised:
- SQLite: `EXPLAIN QUERY PLAN`. Without ANALYZE statistics SQLite plans every table as if
  it held about a million rows, so a small database gives the plan a large one would.
  A `SCAN <history table>` with no index (no `USING INDEX`/`USING COVERING INDEX`/`USING
  INTEGER PRIMARY KEY`) is a full read.
- PostgreSQL: `EXPLAIN (FORMAT JSON)` after `SET enable_seqscan = off`: the planner then
  takes any index that can serve, so a `Seq Scan` left on a history table means none can.
"""
import re
from contextlib import contextmanager

# Tables that grow with every day an estate runs: a read of one of them must go through an
# index that starts with what the page filters on (estate, day, status).
HISTORY_TABLES = frozenset({
    "scan", "round", "visit", "vehicle_entry", "work_order", "work_order_step", "complaint",
    "complaint_step", "sheet", "sheet_answer", "meter_reading", "notification", "document",
    "incident", "alert", "delivery", "daily_rollup", "invitation", "release_slip", "patrol_day",
})

# (role, page) opened daily; "{sheet}" and "{month}" are filled in from the data.
DAILY = [
    ("manager", "/"), ("supervisor", "/"), ("guard", "/"), ("gate", "/"),
    ("engineer", "/"), ("desk", "/"),
    ("guard", "/patrol/"), ("supervisor", "/patrol/"),
    ("supervisor", "/patrol/reports/day"), ("manager", "/patrol/reports/month"),
    ("gate", "/gate/"), ("gate", "/gate/on-site"), ("gate", "/gate/vehicles"),
    ("manager", "/gate/report"),
    ("engineer", "/inspection/"), ("engineer", "/inspection/sheets/{sheet}"),
    ("engineer", "/inspection/meters"),
    ("desk", "/service/orders"), ("engineer", "/service/orders"),
    ("desk", "/service/complaints"), ("desk", "/service/complaints/daily"),
    ("manager", "/service/complaints/stats"),
    ("manager", "/notifications"), ("manager", "/archive"),
    ("manager", "/archive?kind=&from={month}-01&to={month}-28"),
    ("manager", "/dashboard/"),
]
WRITES = ["POST scan", "POST visitor", "tick"]


@contextmanager
def recording(database):
    """Collect (sql, params) of every statement `database` (a peewee Database) runs inside
    the block into the yielded list."""
    seen = []
    original = database.execute_sql

    def execute_sql(sql, params=None, *args, **kwargs):
        seen.append((sql, tuple(params or ())))
        return original(sql, params, *args, **kwargs)

    database.execute_sql = execute_sql
    try:
        yield seen
    finally:
        del database.execute_sql


_EXPLAINABLE = re.compile(r"^\s*(SELECT|WITH|UPDATE|DELETE|INSERT\s+INTO\s+\S+\s*(\([^)]*\))?"
                          r"\s*SELECT)", re.I | re.S)


def explainable(sql):
    """True for a statement that reads rows (a select, update, delete or insert-select)."""
    return bool(_EXPLAINABLE.match(sql))


def is_postgres(database):
    return type(database).__name__.startswith(("Postgres", "PooledPostgres"))


def plan(database, sql, params):
    """The plan of one statement as text lines (SQLite detail lines; PostgreSQL's plan
    nodes, one per line, indented). Runs nothing but EXPLAIN."""
    if is_postgres(database):
        with database.atomic() as tx:
            database.execute_sql("SET LOCAL enable_seqscan = off")
            row = database.execute_sql(f"EXPLAIN (FORMAT JSON) {sql}", params).fetchone()
            tx.rollback()
        document = row[0]
        if isinstance(document, str):
            import json
            document = json.loads(document)
        lines = []

        def walk(node, depth):
            words = [node["Node Type"]]
            for key in ("Relation Name", "Index Name"):
                if key in node:
                    words.append(f"{key.split()[0].lower()}={node[key]}")
            for key in ("Index Cond", "Filter", "Recheck Cond"):
                if key in node:
                    words.append(f"{key}: {node[key]}")
            lines.append("  " * depth + " ".join(words))
            for child in node.get("Plans", ()):
                walk(child, depth + 1)
        walk(document[0]["Plan"], 0)
        return lines
    rows = database.execute_sql(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
    return [row[3] for row in rows]


_SQLITE_SCAN = re.compile(r"^SCAN (\w+)(?: AS \w+)?$")
_PG_SEQ = re.compile(r"^\s*Seq Scan relation=(\w+)")
# An index used for the estate alone reads all of the estate's history: a full read too.
_SQLITE_ESTATE = re.compile(r"^SEARCH (\w+) USING (?:COVERING )?INDEX (\w+) \(estate_id=\?\)$")
_PG_ESTATE = re.compile(r"^\s*(?:Index Scan|Index Only Scan)[^:]* relation=(\w+) "
                        r"index=(\w+) Index Cond: \((?:\w+\.)?estate_id = [^)]+\)\)?"
                        r"(?: Filter: .*)?$")
_PG_BITMAP = re.compile(r"^\s*Bitmap Index Scan index=(\w+) Index Cond: "
                        r"\((?:\w+\.)?estate_id = [^)]+\)$")
_PG_BITMAP_HEAP = re.compile(r"^\s*Bitmap Heap Scan relation=(\w+)")
# the last rows of a table or estate in the order of an index: a LIMIT stops the read early
_NEWEST = re.compile(r"ORDER BY [^()]*? LIMIT", re.S)


def full_scans(lines, aliases=None, sql="", partial=frozenset(), estate_wide=True):
    """The history tables a plan (from `plan`) reads end to end: without an index, or by an
    index that narrows to the estate only (all of its years) unless that index is partial
    (`partial`: names of indexes with a WHERE, e.g. visits still on site) or the statement
    reads the newest rows of an index order with a LIMIT (no sort step in the plan).
    estate_wide=False checks only reads without an index (see explain_all)."""
    found = []
    sorted_in_plan = any("TEMP B-TREE FOR ORDER BY" in line or line.lstrip().startswith("Sort")
                         for line in lines)
    newest = (bool(_NEWEST.search(sql)) and not sorted_in_plan
              and not sql.startswith("SELECT COUNT(1) FROM (SELECT"))
    bitmap_tables = [m.group(1) for m in map(_PG_BITMAP_HEAP.match, lines) if m]
    for line in lines:
        match = _SQLITE_SCAN.match(line) or _PG_SEQ.match(line)
        whole_estate = _SQLITE_ESTATE.match(line) or _PG_ESTATE.match(line)
        if match and newest and "WHERE" not in sql.upper():
            match = None  # e.g. the archive's hash-chain tip: the last row by id
        bitmap = _PG_BITMAP.match(line) if estate_wide else None
        if bitmap and bitmap.group(1) not in partial and not newest:
            table = next((t for t in bitmap_tables if bitmap.group(1).startswith(t)), "")
            if table in HISTORY_TABLES:
                found.append(table)
        if whole_estate and estate_wide and not newest and whole_estate.group(2) not in partial:
            match = whole_estate
        if match:
            table = (aliases or {}).get(match.group(1), match.group(1))
            if table in HISTORY_TABLES:
                found.append(table)
    return found


def table_aliases(sql):
    """{alias: table} of a peewee statement (`"visit" AS "t1"`), since SQLite's plan names
    the alias."""
    return {alias: table for table, alias in re.findall(r'"(\w+)" AS "(\w+)"', sql)}


def fill(url, data):
    """A DAILY url with its placeholders ({sheet}, {month}) from `data`."""
    return url.format(**data)


def partial_indexes(database):
    """The names of the database's partial indexes (CREATE INDEX … WHERE …)."""
    if is_postgres(database):
        rows = database.execute_sql(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indpred IS NOT NULL AND c.relnamespace = current_schema()::regnamespace")
    else:
        rows = database.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index' "
                                    "AND sql LIKE '% WHERE %'")
    return frozenset(row[0] for row in rows.fetchall())


def explain_all(database, statements, done=None, estate_wide=None):
    """[(sql, params, plan lines, [full-scan tables])] of the explainable statements, each
    distinct SQL once (`done`: a set of SQL already explained, shared across calls to skip
    them again). A select that asks for nothing (`WHERE ?` given false) is left out.

    estate_wide: also fail reads through an index that narrows to the estate only. Default:
    on SQLite (whose plans without statistics are those of a large database) and off on
    PostgreSQL, whose planner picks among equal indexes at random on empty tables; give True
    on an analysed PostgreSQL database of realistic size (bench/scale.py does)."""
    if estate_wide is None:
        estate_wide = not is_postgres(database)
    done = set() if done is None else done
    out = []
    partial = partial_indexes(database)
    for sql, params in statements:
        if sql in done or not explainable(sql):
            continue
        if (sql.endswith(" WHERE ?") and len(params) == 1 and not params[0]) \
                or "WHERE (0 = 1)" in sql:  # peewee's empty IN: nothing is read
            continue
        done.add(sql)
        lines = plan(database, sql, params)
        tables = full_scans(lines, table_aliases(sql), sql, partial, estate_wide)
        known = next((why for part, why in KNOWN if part in sql), None)
        out.append((sql, params, lines, [] if known else tables))
    return out


# Statements that read more than they should but are bounded and belong to other issues'
# code: reported by bench/scale.py, not failed. (substring of the SQL, why it is bounded)
KNOWN = [
    ('"complaint" AS "t1" WHERE (((("t1"."estate_id" = ?) AND ("t1"."status" = ?)) AND '
     '("t1"."major" = ?)) AND (("t1"."id" IN (SELECT',
     "the archive's due major complaints (tick, once a minute): one estate's closed major "
     "complaints, a few a month"),
]
