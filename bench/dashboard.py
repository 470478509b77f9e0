"""The manager's dashboard at a realistic size, against a guard's plain home page.

Data: the demo plus two years of daily rollup rows for the demo estate and seven more
estates (8 × 730 rows), and a busy day in the demo estate (2 000 patrol scans, 300 visitors,
200 vehicles, 120 work orders, 40 complaints registered today). Both pages are served by the
same gunicorn (1 sync worker) and asked one at a time by the same client, so the ratio
dashboard/home says what the dashboard's own work costs (a 30-day trend reads 30 rollup
rows; today's figures are live queries), whatever the machine. Run: python bench/dashboard.py
"""
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_client import demo_env, gunicorn, in_app, login, request  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", 30))

BUSY = """
import random
from datetime import timedelta
from wyapp.db import utcnow
from wyapp.models import Estate, User
from wyapp.dashboard.models import FIGURES, DailyRollup
from wyapp.gate.models import VehicleEntry, Visit
from wyapp.patrol.models import Checkpoint, Scan
from wyapp.service.models import Complaint, WorkOrder

now = utcnow()
home = Estate.get(Estate.name == "示范花园")
estates = [home] + [Estate.create(name=f"压测小区{n}") for n in range(1, 8)]
random.seed(7)
with db.atomic():
    for estate in estates:
        today = estate.today(now)
        have = {r.day for r in DailyRollup.select(DailyRollup.day).where(
            DailyRollup.estate == estate)}
        rows = []
        for n in range(1, 731):
            day = today - timedelta(days=n)
            if day in have:
                continue
            figures = {name: random.randint(0, 60) for name, _ in FIGURES}
            figures["points_total"] = figures["points_done"] + random.randint(0, 5)
            rows.append({"estate": estate, "day": day, "computed_at": now, **figures})
        for i in range(0, len(rows), 500):
            DailyRollup.insert_many(rows[i:i + 500]).execute()
guard = User.get(User.username == "guard")
gate = User.get(User.username == "gate")
desk = User.get(User.username == "desk")
points = list(Checkpoint.select().where(Checkpoint.estate == home))
start = home.day_bounds(home.today(now))[0]
span = max(int((now - start).total_seconds()), 60)
def at(i, n):
    return start + timedelta(seconds=span * i / n)
with db.atomic():
    Scan.insert_many([{"estate": home, "checkpoint": points[i % len(points)], "user": guard,
                       "client_id": f"bench-{i}", "scanned_at": at(i, 2000),
                       "server_at": at(i, 2000)} for i in range(2000)]).execute()
    Visit.insert_many([{"estate": home, "name": f"访客{i}", "purpose": "探亲访友",
                        "time_in": at(i, 300), "time_out": at(i, 300) if i % 3 else None,
                        "registered_by": gate} for i in range(300)]).execute()
    VehicleEntry.insert_many([{"estate": home, "plate": f"粤B{i:05d}", "time_in": at(i, 200),
                               "time_out": at(i, 200) if i % 2 else None,
                               "registered_by": gate} for i in range(200)]).execute()
    WorkOrder.insert_many([{"estate": home, "source": "业主来电", "description": "压测报修",
                            "created_at": at(i, 120), "due_at": at(i, 120) + timedelta(hours=4),
                            "reported_by": desk} for i in range(120)]).execute()
    Complaint.insert_many([{"estate": home, "channel": "来电", "content": "压测投诉",
                            "received_at": at(i, 40), "due_at": at(i, 40) + timedelta(hours=24),
                            "received_by": desk, "owner": desk} for i in range(40)]).execute()
print(DailyRollup.select().count(), Scan.select().count())
"""


def timed(port, path, cookie, headers=None):
    """Median and 90th percentile (ms) of ROUNDS requests, one at a time, after a warm-up."""
    for _ in range(3):
        response, _ = request(port, path, cookie, headers=headers)
        assert response.status == 200, (path, response.status)
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        response, _ = request(port, path, cookie, headers=headers)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status == 200, (path, response.status)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.9) - 1]


def main():
    env = demo_env("wyapp-bench-dashboard-")
    rollups, scans = in_app(env, BUSY).split()
    port = 5097
    with gunicorn("wyapp:create_app()", port, env, "-w", "1"):
        guard, _ = login(port)
        manager, _ = login(port, "manager")
        home = timed(port, "/", guard)
        week = timed(port, "/dashboard/?range=7", manager)
        month = timed(port, "/dashboard/?range=30", manager)
        block = timed(port, "/dashboard/?range=30", manager, {"HX-Request": "true"})
    print(f"data: {rollups} rollup rows (8 estates × 2 years), {scans} scans today")
    print(f"guard's home page /        : median {home[0]:7.1f} ms  p90 {home[1]:7.1f} ms")
    print(f"dashboard, 7-day trends    : median {week[0]:7.1f} ms  p90 {week[1]:7.1f} ms")
    print(f"dashboard, 30-day trends   : median {month[0]:7.1f} ms  p90 {month[1]:7.1f} ms")
    print(f"30-day trends block (htmx) : median {block[0]:7.1f} ms  p90 {block[1]:7.1f} ms")
    print(f"ratio dashboard(30)/home   : {month[0] / home[0]:7.2f}")


if __name__ == "__main__":
    main()
