"""Years of data: every daily page timed on the demo and at scale, in one run (issue 23).

    python bench/scale.py [--size small|full] [--pages N]
    WYAPP_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python bench/scale.py

What it does, on a new database (a SQLite file in a temp dir, or a scratch schema of the
PostgreSQL database named by WYAPP_DATABASE_URL, dropped at the end):
1. the demo (wyapp demo), then every page of bench/plans.py DAILY timed in-process (Flask
   test client, the role logged in, median of 5 after one warm-up), the scan POST, the
   visitor registration POST and the periodic tick;
2. three years of history bulk-inserted (insert_many in chunks of 500, one transaction a
   table): the demo estate gets SIZES[size] rows (full: about 1 000 000 scans in their
   rounds, 200 000 visits and as many vehicle entries, 20 000 work orders and 5 000
   complaints with their steps, 40 000 inspection sheets with their answers, meter
   readings, notifications, archive index rows, a daily rollup row a day), and twenty other
   estates as many again between them; plus a busy today of 500 scans and 500 visits;
3. the same figures at scale, and again with 5 000 scans and visits today;
4. the closing table: each figure, scale/demo and day5000/day500, the targets (every
   ratio ≤ 2, the POSTs ≤ 1.3, ≤ 1.5× from the 500 to the 5 000 day except the lists that
   show the day's rows), and each page's statements with their plans at scale (in the
   file named by --plans-file), flagging full reads of history tables.
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import history  # noqa: E402
from bench.history import SIZES, bulk  # noqa: E402
from bench.plans import DAILY, explain_all, fill, recording  # noqa: E402

# the lists that show the day's rows may grow with the day (the exception)
DAY_LISTS = {"/gate/", "/gate/on-site", "/gate/vehicles", "/gate/report",
             "/patrol/reports/day", "/patrol/"}


def timed(run):
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def measure_pair(first, second, times=5):
    """Each figure of two benches, taken in turn (first, second, first, …) so that a busy
    machine slows both alike: ({name: median ms}, {name: median ms}), after a warm-up."""
    a, b = first.runners(), second.runners()
    out_a, out_b = {}, {}
    for name in a:
        if name not in b:
            continue
        a[name](), b[name]()
        runs_a, runs_b = [], []
        for _ in range(times):
            runs_a.append(timed(a[name]))
            runs_b.append(timed(b[name]))
        out_a[name], out_b[name] = statistics.median(runs_a), statistics.median(runs_b)
    return out_a, out_b


class Bench:
    def __init__(self, url, size):
        from wyapp import create_app
        from wyapp.cli import migration_groups
        from wyapp.db import db, migrate

        self.size, self.url = size, url
        self.app = create_app({"DATABASE_URL": url, "DATA_DIR": tempfile.mkdtemp(),
                               "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                               "TESTING": True})
        self.database = db.obj
        with self.app.app_context(), db.connection_context():
            migrate(migration_groups())
        self.clients, self.serial = {}, 0

    def use(self):
        """Point the process's database proxy at this bench's database (the demo and the
        scale database live side by side in one process, measured in turn)."""
        from wyapp.db import db
        if db.obj is not self.database:
            db.initialize(self.database)

    def ctx(self):
        from wyapp.db import db

        class Both:
            def __enter__(inner):
                self.use()
                inner.a = self.app.app_context()
                inner.a.__enter__()
                inner.c = db.connection_context()
                inner.c.__enter__()

            def __exit__(inner, *exc):
                inner.c.__exit__(*exc)
                inner.a.__exit__(*exc)
        return Both()

    # ── data ──────────────────────────────────────────────────────────────────────────────
    def make_demo(self):
        from wyapp import demo
        from wyapp.db import utcnow
        from wyapp.inspection.models import Plan, Sheet
        from wyapp.labels import Label
        from wyapp.models import Estate

        with self.ctx():
            self.now = utcnow()
            demo.create(self.app.extensions["wyapp.features"], self.now)
            estate = self.estate = Estate.get(Estate.name == "示范花园")
            sheet = Sheet.select().where(Sheet.estate == estate).first()
            if sheet is None:
                from wyapp.inspection.sheets import start_sheet
                from wyapp.models import User
                plan = Plan.select().where(Plan.estate == estate, Plan.active).first()
                sheet = start_sheet(plan, estate.today(self.now), "",
                                    User.get(User.username == "engineer"))
            self.token = Label.get(Label.kind == "checkpoint", Label.estate == estate,
                                   Label.retired_at.is_null()).token
            self.data = {"sheet": sheet.id, "month": f"{estate.today(self.now):%Y-%m}"}

    def history(self):
        """Three years of the demo estate's and twenty other estates' records
        (bench/history.py)."""
        return history.generate(self)


    def busy_today(self, scans, visits):
        """Add scans and visits today until the day holds `scans` and `visits` of the bench."""
        from wyapp.gate.models import Visit
        from wyapp.models import User
        from wyapp.patrol.models import Checkpoint, Scan

        with self.ctx():
            home = self.estate
            start = home.day_bounds(home.today(self.now))[0]
            have_scans = Scan.select().where(Scan.estate == home, Scan.client_id.startswith(
                "busy-")).count()
            have_visits = Visit.select().where(Visit.estate == home,
                                               Visit.name.startswith("今日访客")).count()
            guard = User.get(User.username == "guard").id
            gate = User.get(User.username == "gate").id
            points = [c.id for c in Checkpoint.select().where(Checkpoint.estate == home)]
            span = max((self.now - start).total_seconds() - 60, 60)
            bulk(Scan, [{"estate": home.id, "checkpoint": points[i % len(points)], "user": guard,
                         "client_id": f"busy-{i}", "flags": "" if i % 10 else "计划外",
                         "scanned_at": start + timedelta(seconds=span * i / scans)}
                        for i in range(have_scans, scans)])
            bulk(Visit, [{"estate": home.id, "name": f"今日访客{i}", "purpose": "探亲访友",
                          "party_size": 1, "time_in": start + timedelta(seconds=span * i / visits),
                          "time_out": None if i % 10 == 0 else start + timedelta(
                              seconds=span * i / visits + 600), "registered_by": gate}
                         for i in range(have_visits, visits)])
            self._analyze()

    def megabytes(self):
        """The database's size on disk (tables and indexes), MB."""
        from wyapp.db import db
        with self.ctx():
            if "postgres" in self.url:
                size = db.execute_sql(
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                    "WHERE c.relnamespace = current_schema()::regnamespace "
                    "AND c.relkind = 'r'").fetchone()[0]
            else:
                db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                size = Path(self.url.split("///", 1)[1]).stat().st_size
        return float(size) / 2**20

    def vacuum(self):
        """PostgreSQL: VACUUM ANALYZE (outside a transaction); SQLite: nothing."""
        from wyapp.db import db
        if "postgres" in self.url:
            with self.ctx():
                connection = db.connection()
                autocommit = connection.autocommit
                connection.autocommit = True
                try:
                    connection.cursor().execute("VACUUM ANALYZE")
                finally:
                    connection.autocommit = autocommit

    def _analyze(self):
        from wyapp.db import db
        if "postgres" in self.url:
            db.execute_sql("ANALYZE")
        else:
            db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    # ── measuring ─────────────────────────────────────────────────────────────────────────
    def client(self, role):
        self.use()
        if role not in self.clients:
            client = self.app.test_client()
            response = client.post("/login", data={"username": role, "password": "wyapp-demo"})
            assert response.status_code == 302, (role, response.status_code)
            self.clients[role] = client
        return self.clients[role]

    def runners(self):
        """{figure name: callable doing it once} for DAILY, the two POSTs and the tick."""
        from wyapp.db import utcnow
        from wyapp.tasks import run_periodic

        runs = {}
        for role, url in DAILY:
            page = fill(url, self.data)
            client = self.client(role)
            self.use()
            if client.get(page).status_code == 404 and page.startswith("/dashboard"):
                continue

            def get(client=client, page=page):
                self.use()
                response = client.get(page)
                assert response.status_code == 200, (page, response.status_code)
            runs[f"{role} {page}"] = get
        guard, gate = self.client("guard"), self.client("gate")

        def scan():
            self.serial += 1
            self.use()
            response = guard.post(f"/c/{self.token}",
                                  headers={"Idempotency-Key": f"bench-scan-{self.serial:08d}"})
            assert response.status_code == 200, response.status_code
        runs["POST scan"] = scan

        def visitor():
            self.serial += 1
            self.use()
            response = gate.post("/gate/", data={
                "name": f"测访客{self.serial}", "phone": "13912345678", "unit": "1-101",
                "host": "", "purpose": "探亲访友", "party_size": "1", "plate": "",
                "id_number": "", "note": ""})
            assert response.status_code == 302, response.status_code
        runs["POST visitor"] = visitor

        def tick():
            with self.ctx():
                run_periodic(utcnow())
        runs["tick"] = tick
        return runs

    def tick_jobs(self):
        """{job: ms} of one periodic pass, job by job."""
        from wyapp.db import utcnow

        figures = {}
        with self.ctx():
            for feature in self.app.extensions["wyapp.features"]:
                for job in feature.periodic:
                    started = time.perf_counter()
                    job(utcnow())
                    figures[f"{feature.name}.{job.__name__}"] = (time.perf_counter()
                                                                 - started) * 1000
        return figures

    def plans(self, out):
        """Each page's statements and plans at the current size, into `out`; returns
        {page: [flagged tables]}."""
        from wyapp.db import db, utcnow
        from wyapp.tasks import run_periodic

        flagged = {}
        runs = [(f"{r} {fill(u, self.data)}", r, fill(u, self.data)) for r, u in DAILY]
        for name, role, page in runs:
            self.use()
            with recording(db.obj) as seen:
                if self.client(role).get(page).status_code != 200:
                    continue
            self._write_plans(out, name, seen, flagged)
        runs = self.runners()
        for name in ("POST scan", "POST visitor"):
            self.use()
            with recording(db.obj) as seen:
                runs[name]()
            self._write_plans(out, name, seen, flagged)
        with self.ctx(), recording(db.obj) as seen:
            run_periodic(utcnow())
        self._write_plans(out, "tick", seen, flagged)
        return flagged

    def _write_plans(self, out, name, seen, flagged):
        from wyapp.db import db

        with self.ctx():
            explained = explain_all(db.obj, seen, estate_wide=True)
        out.write(f"\n=== {name}: {len(seen)} statements, {len(explained)} reads\n")
        for sql, _, lines, tables in explained:
            mark = f"  FULL READ of {', '.join(tables)}" if tables else ""
            out.write(f"-- {sql}\n   " + "\n   ".join(lines) + "\n" + (f"{mark}\n" if mark else ""))
            if tables:
                flagged.setdefault(name, []).extend(tables)


def scratch_postgres(url):
    """A new schema in the database of `url`; returns (url using it, drop())."""
    import psycopg2

    schema = f"wyapp_scale_{uuid.uuid4().hex[:8]}"
    conn = psycopg2.connect(url)
    conn.autocommit = True
    conn.cursor().execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in url else "?"

    def drop():
        conn.cursor().execute(f"DROP SCHEMA {schema} CASCADE")
        conn.close()
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}", drop


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="small")
    parser.add_argument("--times", type=int, default=5, help="runs per figure (median)")
    parser.add_argument("--plans-file", default=None)
    args = parser.parse_args()
    url = os.environ.get("WYAPP_DATABASE_URL", "")
    drops = []
    if url.startswith("postgres"):
        kind = "postgresql"
        urls = []
        for _ in range(2):
            scratch, drop = scratch_postgres(url)
            urls.append(scratch)
            drops.append(drop)
    else:
        kind = "sqlite"
        folder = tempfile.mkdtemp(prefix="wyapp-scale-")
        urls = [f"sqlite:///{folder}/{name}.sqlite3" for name in ("demo", "scale")]
        drops.append(lambda: shutil.rmtree(folder, ignore_errors=True))  # 0.8 GB at full
    plans_path = args.plans_file or f"scale-plans-{kind}-{args.size}.txt"
    benches = []
    try:
        demo_bench, scale_bench = Bench(urls[0], args.size), Bench(urls[1], args.size)
        benches = [demo_bench, scale_bench]
        demo_bench.make_demo()
        scale_bench.make_demo()
        demo_bench.busy_today(500, 500)  # the demo with a busy day: what history adds
        demo_ticks = demo_bench.tick_jobs()
        counts = scale_bench.history()
        print(f"[{kind}] history ({args.size}) inserted in {scale_bench.history_seconds:.0f} s: "
              + ", ".join(f"{k} {v:,}" for k, v in counts.items()), flush=True)
        first_ticks = scale_bench.tick_jobs()
        scale_bench.vacuum()  # the first purge blanked years of visits: as autovacuum would
        print(f"[{kind}] first tick after the import, by job (ms): " + ", ".join(
            f"{k} {v:.0f}" for k, v in first_ticks.items() if v >= 5), flush=True)
        scale_bench.busy_today(500, 500)
        demo_1, day500 = measure_pair(demo_bench, scale_bench, args.times)
        print(f"[{kind}] measured the 500-scan day", flush=True)
        with open(plans_path, "w") as out:
            flagged = scale_bench.plans(out)
        scale_bench.busy_today(5000, 5000)
        demo_2, day5000 = measure_pair(demo_bench, scale_bench, args.times)
        ticks = scale_bench.tick_jobs()
        sizes = [bench.megabytes() for bench in benches]
        print(f"[{kind}] database size: demo {sizes[0]:.0f} MB, at scale {sizes[1]:.0f} MB "
              f"({(sizes[1] - sizes[0]) / 2:.0f} MB for the demo estate's {args.size} history, "
              "as much again for the twenty others)", flush=True)
    finally:
        for bench in benches:
            if hasattr(bench.database, "close_all"):
                bench.database.close_all()
        for drop in drops:
            drop()
    report(kind, args.size, counts, demo_1, day500, demo_2, day5000, flagged, plans_path,
           args.times)
    print("tick by job, demo → scale (ms): " + ", ".join(
        f"{k} {demo_ticks[k]:.0f}→{ticks[k]:.0f}" for k in ticks
        if max(ticks[k], demo_ticks.get(k, 0)) >= 2 and k in demo_ticks))


def report(kind, size, counts, demo_1, day500, demo_2, day5000, flagged, plans_path,
           times=5):
    """The closing table. scale/demo: the 500-scan day at scale against the demo measured
    in turn with it; 5000/500: the 5 000-scan day against the 500-scan day, each first
    divided by the demo measured alongside it (so that the machine's load cancels out)."""
    print(f"\n## {kind}, size {size} ({counts.get('scans', 0):,} scans, "
          f"{counts.get('visits', 0):,} visits over 3 years in 21 estates): ms, median of "
          f"{times}")
    print(f"{'page':44} {'demo':>7} {'scale':>7} {'ratio':>6} {'5000/d':>7} {'x500':>5}  verdict")
    failed = 0
    for name, base in demo_1.items():
        at, busy, base_2 = day500.get(name), day5000.get(name), demo_2.get(name)
        if at is None or busy is None or not base_2:
            continue
        ratio, day_ratio = at / base, (busy / base_2) / (at / base)
        limit = 1.3 if name.startswith("POST") else 2.0
        page = name.split(" ", 1)[-1]
        day_limit = None if page in DAY_LISTS else 1.5
        bad = ratio > limit or (day_limit and day_ratio > day_limit) or name in flagged
        failed += bool(bad)
        verdict = "OVER" if bad else "ok"
        if name in flagged:
            verdict += f" (full read: {', '.join(sorted(set(flagged[name])))})"
        elif day_limit is None:
            verdict += " (a list of the day's rows)"
        print(f"{name[:44]:44} {base:7.1f} {at:7.1f} {ratio:6.2f} {busy:7.1f} {day_ratio:5.2f}"
              f"  {verdict}")
    print(f"targets: scale/demo ≤ 2 (POSTs ≤ 1.3); x500 (5 000-scan day / 500-scan day) ≤ 1.5 "
          f"except the lists of the day's rows; no full read. {failed} over.")
    print(f"statements and plans at scale: {plans_path}")


if __name__ == "__main__":
    main()
