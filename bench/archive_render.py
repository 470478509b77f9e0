"""Archive rendering: a 巡更日报 of 30 checkpoints × 12 rounds and a month of 设备日检 for 20
pieces of equipment, filed through the archive, against WeasyPrint alone on the same HTML.

The data is built in a temporary SQLite data dir with the features' own models and services
(checkpoints, a route, a schedule every two hours, 360 scans a day; 20 daily plans, 600
sheets submitted with `submit_sheet`, a few abnormal values raising work orders). The
archive's time is `file_document` whole: collect from the database, template, PDF/A-3b with
the JSON attached, the immutable file and the chain entry. The floor is
`HTML(string=<the same final HTML>).write_pdf()`: what WeasyPrint needs anyway.
Targets: archive ≤ 1.3 × floor, ≤ 0.5 s per page, ≤ 80 KB per page; peak memory printed.
Run: python bench/archive_render.py
"""
import os
import resource
import sys
import tempfile
import time as clock
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
CHECKPOINTS, ROUNDS, EQUIPMENT, DAYS = 30, 12, 20, 30
FIRST = date(2026, 3, 1)  # the month of inspections; patrol uses its first days
ITEMS = [("进线电压", "number", "V", "220", "240"), ("运行电流", "number", "A", None, "900"),
         ("温度", "number", "℃", None, "85"), ("压力", "number", "MPa", "0.30", "0.60"),
         ("有无异响、异味", "pass_fail", "", None, None),
         ("外观完好", "pass_fail", "", None, None),
         ("指示灯正常", "pass_fail", "", None, None),
         ("周边清洁、无杂物", "pass_fail", "", None, None)]


def utc(estate, day, hours=0.0):
    local = datetime.combine(day, time(), ZoneInfo(estate.timezone)) + timedelta(hours=hours)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def build_patrol(estate, guard, days):
    from wyapp.patrol.models import Checkpoint, Route, RouteStop, Scan, Schedule
    from wyapp.patrol.rounds import ensure_round, rounds_between
    from wyapp.patrol.setup import save_checkpoint

    points = [save_checkpoint(estate, Checkpoint(), {
        "name": f"{n // 6 + 1}号楼 {n % 6 + 1} 号巡更点", "location": f"第 {n + 1} 号点位",
        "latitude": None, "longitude": None, "radius_m": None, "active": True})
        for n in range(CHECKPOINTS)]
    route = Route.create(estate=estate, name="全区巡逻路线", enforce_order=False, min_seconds=10)
    RouteStop.insert_many([{"route": route, "checkpoint": p, "position": i}
                           for i, p in enumerate(points, start=1)]).execute()
    Schedule.create(estate=estate, route=route, name="全天巡逻", span_start="00:00",
                    span_end="00:00", every_minutes=120, window_minutes=120,
                    valid_from=utc(estate, FIRST))
    start, end = utc(estate, FIRST), utc(estate, FIRST + timedelta(days=days))
    rows = []
    for number, view in enumerate(rounds_between(estate, start, end)):
        row = ensure_round(view)
        for position, point in enumerate(points):
            at = view.starts_at + timedelta(minutes=3 + 3 * position, seconds=number % 50)
            rows.append({"estate": estate, "checkpoint": point, "user": guard, "round": row,
                         "client_id": f"bench-{row.id}-{point.id}", "scanned_at": at,
                         "server_at": at, "device_at": at,
                         "flags": "过快" if (number + position) % 41 == 0 else ""})
    for chunk in range(0, len(rows), 500):
        Scan.insert_many(rows[chunk:chunk + 500]).execute()


def build_inspection(estate, engineer, supervisor):
    from wyapp.inspection.checklists import create_checklist
    from wyapp.inspection.models import ChecklistItem, Equipment, Plan, SheetAnswer
    from wyapp.inspection.sheets import evaluate, start_sheet, submit_sheet

    checklist = create_checklist(estate, supervisor, "机电设备日检表", "供配电")
    version = checklist.current_version()
    items = [ChecklistItem.create(version=version, key=f"bench{n:02d}", position=n, kind=kind,
                                  label=label, unit=unit,
                                  min_value=Decimal(low) if low else None,
                                  max_value=Decimal(high) if high else None)
             for n, (label, kind, unit, low, high) in enumerate(ITEMS, start=1)]
    plans = []
    for n in range(EQUIPMENT):
        equipment = Equipment.create(estate=estate, code=f"JD-{n + 1:02d}",
                                     name=f"{n % 4 + 1}号机电设备{n + 1}", category="供配电",
                                     location=f"地下一层设备房 {n + 1}")
        plans.append(Plan.create(estate=estate, equipment=equipment, checklist=checklist,
                                 frequency="每日", created_at=utc(estate, FIRST) - timedelta(1)))
    normal = {"进线电压": "231", "运行电流": "640", "温度": "61", "压力": "0.42"}
    for d in range(DAYS):
        day = FIRST + timedelta(days=d)
        for n, plan in enumerate(plans):
            sheet = start_sheet(plan, day, "", engineer)
            answers = []
            for item in items:
                value = normal.get(item.label, "正常")
                if (d * EQUIPMENT + n) % 37 == 0 and item.label == "温度":
                    value = "91"
                answers.append({"sheet": sheet, "item": item, "value": value,
                                "abnormal": evaluate(item, value),
                                "note": "风机异响，已停机检查" if value == "91" else ""})
            SheetAnswer.insert_many(answers).execute()
            submit_sheet(sheet, engineer, now=utc(estate, day, 9 + n * 0.2))


def floor_seconds(code, estate, period):
    """WeasyPrint alone on the final HTML of the document just filed."""
    from weasyprint import HTML

    from wyapp.archive import services
    from wyapp.documents import render_html

    kind = services.kinds()[code]
    html = render_html(kind.template, title=kind.title, estate=estate,
                       data=kind.collect(estate, period),
                       period=services.period_label(kind, period), archive_no="X",
                       signatures=kind.signatures)
    began = clock.perf_counter()
    HTML(string=html, base_url=str(ROOT / "static")).write_pdf()
    return clock.perf_counter() - began


def file_seconds(code, estate, period):
    from pypdf import PdfReader

    from wyapp.archive import services

    began = clock.perf_counter()
    doc = services.file_document(code, estate, period)
    seconds = clock.perf_counter() - began
    pages = len(PdfReader(services.archive_root() / doc.path).pages)
    return seconds, pages, doc.size


def report(title, archive_s, floor_s, pages, size):
    ratio = archive_s / floor_s
    per_page, kb = archive_s / pages, size / pages / 1024
    print(f"{title}: {pages} 页, {size / 1024:.0f} KB")
    print(f"  archive {archive_s:.2f} s   floor (WeasyPrint alone) {floor_s:.2f} s   "
          f"ratio {ratio:.2f}× (target ≤ 1.3) {'OK' if ratio <= 1.3 else 'MISSED'}")
    print(f"  {per_page:.3f} s/page (target ≤ 0.5) {'OK' if per_page <= 0.5 else 'MISSED'}   "
          f"{kb:.1f} KB/page (target ≤ 80) {'OK' if kb <= 80 else 'MISSED'}")


def main():
    data_dir = tempfile.mkdtemp(prefix="wyapp-bench-archive-")
    os.environ["WYAPP_DATA_DIR"] = data_dir
    sys.path.insert(0, str(ROOT))
    from wyapp import create_app, demo
    from wyapp.cli import migration_groups
    from wyapp.db import db, migrate
    from wyapp.models import Estate, User

    app = create_app({"DATA_DIR": data_dir, "SECRET_KEY": "bench"})
    with app.app_context(), db.connection_context():
        migrate(migration_groups())
        demo.create(app.extensions["wyapp.features"])  # the staff accounts
        users = {u.username: u for u in User.select()}
        estate = Estate.create(name="基准花园")
        began = clock.perf_counter()
        with db.atomic():
            build_patrol(estate, users["guard"], days=4)
            build_inspection(estate, users["engineer"], users["supervisor"])
        print(f"数据准备 {clock.perf_counter() - began:.1f} s（{data_dir}）")

        # 巡更日报: day 0 warms fonts and caches up; days 1–3 measured, best of three
        file_seconds("patrol_day", estate, FIRST.isoformat())
        runs = []
        for d in range(1, 4):
            period = (FIRST + timedelta(days=d)).isoformat()
            seconds, pages, size = file_seconds("patrol_day", estate, period)
            runs.append((seconds, floor_seconds("patrol_day", estate, period), pages, size))
        best = min(runs)
        report(f"巡更日报 {CHECKPOINTS} 点 × {ROUNDS} 班次 ({CHECKPOINTS * ROUNDS} 行)", *best)

        # a month of 设备日检记录表: 30 daily documents of 20 sections each
        total = floor = pages = size = 0
        for d in range(DAYS):
            period = (FIRST + timedelta(days=d)).isoformat()
            seconds, p, s = file_seconds("inspection_day", estate, period)
            total, pages, size = total + seconds, pages + p, size + s
            floor += floor_seconds("inspection_day", estate, period)
        report(f"设备日检记录表 {DAYS} 天 × {EQUIPMENT} 台 ({DAYS} 份)", total, floor, pages, size)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"峰值内存 {peak:.0f} MB (ru_maxrss)")


if __name__ == "__main__":
    main()
