"""Years of data for bench/scale.py: three years of records bulk-inserted through the schema
(insert_many in chunks of 500, one transaction a table) into the demo estate and twenty
other estates; see bench/scale.py for what is measured on them."""
import random
import time
import uuid
from datetime import timedelta

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


def bulk(model, rows):
    from wyapp.db import db

    with db.atomic():
        for i in range(0, len(rows), CHUNK):
            model.insert_many(rows[i:i + CHUNK]).execute()
    return len(rows)


def generate(bench):
    """Bulk-insert three years of the demo estate's and twenty other estates' records into
    `bench`'s database (SIZES[bench.size]); returns {what: rows inserted}. Sets
    bench.history_seconds."""
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
    sizes = SIZES[bench.size]
    counts = {}
    started = time.perf_counter()
    with bench.ctx():
        home = bench.estate
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
        today_start = home.day_bounds(home.today(bench.now))[0]
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
                months = [m for m in months if m < home.today(bench.now).replace(day=1)]
                have = set(MeterReading.select(MeterReading.meter, MeterReading.month)
                           .tuples())
                counts["meter readings"] = bulk(MeterReading, [
                    {"meter": m, "month": month, "value": 1000 + j * 10,
                     "read_by": users["engineer"], "read_at": bench.now}
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
                 "computed_at": bench.now} for d in range(YEARS_DAYS)
                if (first_day + timedelta(days=d)).date() not in have])
        bench._analyze()
    bench.history_seconds = time.perf_counter() - started
    return counts

