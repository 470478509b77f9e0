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
import random
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

from bench.plans import DAILY, explain_all, fill, recording  # noqa: E402

# rows of the demo estate over three years; the twenty other estates get as many between them
SIZES = {
    "full": {"scans": 1_000_000, "visits": 200_000, "vehicles": 200_000, "orders": 20_000,
             "complaints": 5_000, "sheets": 40_000, "notifications": 100_000,
             "documents": 6_000},
    "tiny": {"scans": 6_000, "visits": 1_200, "vehicles": 1_200, "orders": 120,
             "complaints": 30, "sheets": 240, "notifications": 600, "documents": 60},
    "small": {"scans": 60_000, "visits": 12_000, "vehicles": 12_000, "orders": 1_200,
              "complaints": 300, "sheets": 2_400, "notifications": 6_000, "documents": 600},
}
YEARS_DAYS = 3 * 365
OTHER_ESTATES = 20
CHUNK = 500
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


def bulk(model, rows):
    from wyapp.db import db

    with db.atomic():
        for i in range(0, len(rows), CHUNK):
            model.insert_many(rows[i:i + CHUNK]).execute()
    return len(rows)


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
        """Three years of the demo estate's and twenty other estates' records."""
        from wyapp.archive.models import Document
        from wyapp.dashboard.models import DailyRollup
        from wyapp.gate.models import VehicleEntry, Visit
        from wyapp.inspection.models import (
            ChecklistItem,
            Meter,
            MeterReading,
            Plan,
            Sheet,
            SheetAnswer,
        )
        from wyapp.models import Estate, Notification, Unit, User
        from wyapp.patrol.models import Checkpoint, Round, Scan, Schedule
        from wyapp.service.models import Complaint, ComplaintStep, WorkOrder, WorkOrderStep

        rng = random.Random(23)
        sizes = SIZES[self.size]
        counts = {}
        started = time.perf_counter()
        with self.ctx():
            home = self.estate
            others = [Estate.create(name=f"规模小区{n:02d}") for n in range(1, OTHER_ESTATES + 1)]
            users = {u.username: u.id for u in User.select()}
            units = [u.id for u in Unit.select().where(Unit.estate == home)]
            points = [c.id for c in Checkpoint.select().where(Checkpoint.estate == home)]
            schedules = [s.id for s in Schedule.select().where(Schedule.estate == home)]
            plan = Plan.select().where(Plan.estate == home).first()
            version_id = (Sheet.select(Sheet.version).where(Sheet.estate == home).first()
                          or None)
            version_id = version_id.version_id if version_id else None
            items = ([i.id for i in ChecklistItem.select().where(
                ChecklistItem.version == version_id)] if version_id else [])
            meters = [m.id for m in Meter.select().where(Meter.estate == home)]
            today_start = home.day_bounds(home.today(self.now))[0]
            first_day = today_start - timedelta(days=YEARS_DAYS)

            def share(estate_index):  # the demo estate: all; the others: 1/20 each
                return 1.0 if estate_index == 0 else 1.0 / OTHER_ESTATES

            def at(i, n):  # spread n records over the three years before today
                return first_day + timedelta(seconds=(YEARS_DAYS * 86400) * i / n
                                             + rng.random() * 60)

            estates = [home, *others]
            for e_index, estate in enumerate(estates):
                k = share(e_index)
                # patrol: rounds of 10 scans, one per checkpoint
                n_scans = int(sizes["scans"] * k)
                n_rounds = max(1, n_scans // 10)
                rounds = []
                for r in range(n_rounds):
                    start = at(r, n_rounds).replace(second=e_index, microsecond=0)
                    rounds.append({"estate": estate.id, "schedule": schedules[r % len(schedules)],
                                   "starts_at": start, "ends_at": start + timedelta(hours=1),
                                   "closed_at": start + timedelta(hours=1), "status": "完成",
                                   "done": 10, "total": 10})
                # (schedule, starts_at) is unique: space the starts so that no two collide,
                # nor one with a round the demo already holds (at full size rounds are ~15
                # minutes apart and meet the demo's on the hour)
                seen = set(Round.select(Round.schedule, Round.starts_at).where(
                    Round.estate == estate).tuples())
                for row in rounds:
                    while (row["schedule"], row["starts_at"]) in seen:
                        row["starts_at"] += timedelta(minutes=1)
                    seen.add((row["schedule"], row["starts_at"]))
                counts["rounds"] = counts.get("rounds", 0) + bulk(Round, rounds)
                round_ids = [r.id for r in Round.select(Round.id, Round.starts_at).where(
                    Round.estate == estate).order_by(Round.id)]
                round_starts = {r.id: r.starts_at for r in Round.select(
                    Round.id, Round.starts_at).where(Round.estate == estate)}
                scans = []
                for s in range(n_scans):
                    rid = round_ids[(s // 10) % len(round_ids)]
                    scans.append({"estate": estate.id, "checkpoint": points[s % len(points)],
                                  "user": users["guard"], "round": rid,
                                  "client_id": f"hist-{estate.id}-{s}",
                                  "scanned_at": round_starts[rid] + timedelta(minutes=s % 10),
                                  "server_at": round_starts[rid]})
                    if len(scans) >= 50_000:
                        counts["scans"] = counts.get("scans", 0) + bulk(Scan, scans)
                        scans = []
                counts["scans"] = counts.get("scans", 0) + bulk(Scan, scans)
                # gate
                n = int(sizes["visits"] * k)
                counts["visits"] = counts.get("visits", 0) + bulk(Visit, [
                    {"estate": estate.id, "name": f"访客{i}", "phone": f"139{i % 10**8:08d}",
                     "unit": units[i % len(units)] if e_index == 0 else None,
                     "plate": f"粤A{i % 100000:05d}" if i % 3 == 0 else "",
                     "purpose": "探亲访友", "party_size": 1, "time_in": at(i, n),
                     "time_out": at(i, n) + timedelta(hours=1),
                     "registered_by": users["gate"]} for i in range(n)])
                n = int(sizes["vehicles"] * k)
                counts["vehicles"] = counts.get("vehicles", 0) + bulk(VehicleEntry, [
                    {"estate": estate.id, "plate": f"粤B{i % 100000:05d}", "kind": "访客",
                     "time_in": at(i, n), "time_out": at(i, n) + timedelta(hours=2),
                     "registered_by": users["gate"]} for i in range(n)])
                # service: closed orders and complaints, each with its steps
                n = int(sizes["orders"] * k)
                bulk(WorkOrder, [
                    {"estate": estate.id, "source": "电话", "description": f"历史报修{i}",
                     "status": "关闭", "created_at": at(i, n), "due_at": at(i, n)
                     + timedelta(days=1), "completed_at": at(i, n) + timedelta(hours=20),
                     "closed_at": at(i, n) + timedelta(days=2)} for i in range(n)])
                orders = list(WorkOrder.select(WorkOrder.id, WorkOrder.created_at).where(
                    WorkOrder.estate == estate, WorkOrder.status == "关闭").tuples())
                counts["orders"] = counts.get("orders", 0) + len(orders)
                counts["order steps"] = counts.get("order steps", 0) + bulk(WorkOrderStep, [
                    {"order": oid, "step": step, "at": created + timedelta(hours=h)}
                    for oid, created in orders
                    for h, step in enumerate(("登记", "派单", "接单", "完工", "关闭"))])
                n = int(sizes["complaints"] * k)
                bulk(Complaint, [
                    {"estate": estate.id, "channel": "电话", "content": f"历史投诉{i}",
                     "status": "已关闭", "received_at": at(i, n), "due_at": at(i, n)
                     + timedelta(days=1), "handled_at": at(i, n) + timedelta(hours=5),
                     "first_reply_at": at(i, n) + timedelta(hours=1),
                     "closed_at": at(i, n) + timedelta(days=1)} for i in range(n)])
                done = list(Complaint.select(Complaint.id, Complaint.received_at).where(
                    Complaint.estate == estate, Complaint.status == "已关闭").tuples())
                counts["complaints"] = counts.get("complaints", 0) + len(done)
                counts["complaint steps"] = counts.get("complaint steps", 0) + bulk(
                    ComplaintStep, [{"complaint": cid, "step": step, "at": received
                                     + timedelta(hours=h)} for cid, received in done
                                    for h, step in enumerate(("受理", "回复", "关闭"))])
                # inspection: submitted sheets with their answers, monthly meter readings
                if plan is not None and version_id is not None:
                    n = int(sizes["sheets"] * k)
                    bulk(Sheet, [
                        {"estate": estate.id, "plan": None, "equipment": plan.equipment_id,
                         "version": version_id, "period": (at(i, n)).date(), "shift": "",
                         "status": "已提交", "started_by": users["engineer"],
                         "started_at": at(i, n), "submitted_by": users["engineer"],
                         "submitted_at": at(i, n) + timedelta(minutes=20)} for i in range(n)])
                    sheet_ids = [s for (s,) in Sheet.select(Sheet.id).where(
                        Sheet.estate == estate, Sheet.plan.is_null()).tuples()]
                    counts["sheets"] = counts.get("sheets", 0) + len(sheet_ids)
                    counts["sheet answers"] = counts.get("sheet answers", 0) + bulk(
                        SheetAnswer, [{"sheet": s, "item": item, "value": "正常"}
                                      for s in sheet_ids for item in items])
                if e_index == 0 and meters:
                    months = sorted({(first_day + timedelta(days=d)).replace(day=1).date()
                                     for d in range(0, YEARS_DAYS, 28)})
                    months = [m for m in months if m < home.today(self.now).replace(day=1)]
                    have = set(MeterReading.select(MeterReading.meter, MeterReading.month)
                               .tuples())
                    counts["meter readings"] = bulk(MeterReading, [
                        {"meter": m, "month": month, "value": 1000 + j * 10,
                         "read_by": users["engineer"], "read_at": self.now}
                        for m in meters for j, month in enumerate(months)
                        if (m, month) not in have])
                # notifications, archive index rows, a rollup row a day
                n = int(sizes["notifications"] * k)
                recipients = [users[u] for u in ("manager", "supervisor", "desk", "engineer")]
                counts["notifications"] = counts.get("notifications", 0) + bulk(Notification, [
                    {"user": recipients[i % 4], "estate": estate.id, "kind": "work_order_overdue",
                     "title": f"历史通知{i}", "created_at": at(i, n),
                     "read_at": at(i, n) + timedelta(hours=1)} for i in range(n)])
                n = int(sizes["documents"] * k)
                counts["documents"] = counts.get("documents", 0) + bulk(Document, [
                    {"kind": "bench_history", "estate": estate.id,
                     "period": f"{at(i, n):%Y-%m-%d}-{i}",
                     "archive_no": f"BENCH-{estate.id}-{i}", "path": f"bench/{estate.id}/{i}.pdf",
                     "size": 1000, "sha256": "0" * 64, "data_sha256": "0" * 64,
                     "created_at": at(i, n), "prev_hash": "0" * 64,
                     "entry_hash": uuid.uuid4().hex * 2} for i in range(n)])
                have = {d for (d,) in DailyRollup.select(DailyRollup.day).where(
                    DailyRollup.estate == estate).tuples()}
                counts["rollups"] = counts.get("rollups", 0) + bulk(DailyRollup, [
                    {"estate": estate.id, "day": (first_day + timedelta(days=d)).date(),
                     "computed_at": self.now} for d in range(YEARS_DAYS)
                    if (first_day + timedelta(days=d)).date() not in have])
            self._analyze()
        self.history_seconds = time.perf_counter() - started
        return counts

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
