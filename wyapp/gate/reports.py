"""来访登记日志: one day's visitors and vehicles as the supervisor reads, prints or exports them.

Days are the estate's local days (Estate.day_bounds); personal data is masked.
"""
import csv
import io
from collections import Counter
from datetime import timedelta

from peewee import JOIN

from ..models import Building, Unit
from .models import PURPOSES, VehicleEntry, Visit
from .validators import mask_phone
from .visits import duration_text


def daily_visitor_log(estate, day, now=None):
    """The log of the estate's local `day` (a date) as of `now` (naive UTC; None: the day
    is over): rows with personal data masked, figures.

    Returns {"day", "visits": [dict], "total", "people", "by_purpose": [(purpose, n)],
    "by_hour": [(hour, n)] for 24 local hours, "peak_hours": [(hour, n)] (top 3),
    "on_site_at_midnight": [dict], "on_site_label", "vehicles": {...}}. Before the day's
    midnight has come (today, issue 17) there is nobody "午夜仍在场" yet: the list is of
    those on site at `now` and its label says 现在仍在场.
    """
    start, end = estate.day_bounds(day)
    over = now is None or now >= end
    cut = end if over else now
    visits = list(Visit.select(Visit, Unit, Building)
                  .join(Unit, on=(Visit.unit == Unit.id), join_type=JOIN.LEFT_OUTER)
                  .join(Building, join_type=JOIN.LEFT_OUTER)
                  .where(Visit.estate == estate, Visit.time_in >= start, Visit.time_in < end)
                  .order_by(Visit.time_in, Visit.id))
    rows = [_log_row(estate, v) for v in visits]
    hours = Counter(estate.local(v.time_in).hour for v in visits)
    purposes = Counter(v.purpose for v in visits)
    staying = sorted(_on_site_at(estate, cut), key=lambda v: (v.time_in, v.id))
    return {
        "day": day, "visits": rows, "total": len(visits),
        "people": sum(v.party_size for v in visits),
        "by_purpose": [(p, purposes[p]) for p in PURPOSES],
        "by_hour": [(h, hours[h]) for h in range(24)],
        "peak_hours": sorted(((h, n) for h, n in hours.items()), key=lambda x: (-x[1], x[0]))[:3],
        "on_site_at_midnight": [_log_row(estate, v) for v in staying],
        "on_site_label": "午夜仍在场" if over else "现在仍在场",
        "vehicles": vehicles_of_day(estate, day),
    }


def _on_site_at(estate, moment):
    """The estate's visits on site at `moment` (naive UTC): still in, or left after it.
    Two reads, each served by its own index (the partial visit_on_site; the estate and
    time_out): one read with the OR walked every earlier visit of the estate on SQLite, ×2.4
    at three years of 400 000 visits (bench/scale.py --size full)."""
    still_in = Visit.select().where(Visit.estate == estate, Visit.time_out.is_null(),
                                    Visit.time_in < moment)
    left_after = Visit.select().where(Visit.estate == estate, Visit.time_out >= moment,
                                      Visit.time_in < moment)
    return [*still_in, *left_after]


def _log_row(estate, visit):
    def show(moment):
        return estate.local(moment).strftime("%m-%d %H:%M") if moment else ""
    return {"id": visit.id, "time_in": show(visit.time_in), "time_out": show(visit.time_out),
            "name": visit.name if not visit.purged_at else "（已清除）",
            "phone": mask_phone(visit.phone), "id_number": visit.id_masked,
            "visited": visit.visited, "purpose": visit.purpose,
            "party_size": visit.party_size, "plate": visit.plate,
            "watch_hit": visit.watch_hit}


def vehicles_of_day(estate, day):
    """Figures of the vehicles that came in on the estate's local `day`: total, visitor,
    resident, still_in, average_stay (text)."""
    start, end = estate.day_bounds(day)
    entries = list(VehicleEntry.select().where(VehicleEntry.estate == estate,
                                               VehicleEntry.time_in >= start,
                                               VehicleEntry.time_in < end))
    done = [e for e in entries if e.time_out]
    average = (sum((e.time_out - e.time_in for e in done), timedelta()) / len(done)) \
        if done else None
    kinds = Counter(e.kind for e in entries)
    return {"total": len(entries), "visitor": kinds["访客"], "resident": kinds["业主"],
            "still_in": len(entries) - len(done),
            "average_stay": duration_text(average) if average is not None else "—"}


def vehicles_per_day(estate, last_day, days=7):
    """[(day, vehicles of that day)] for the `days` days ending with `last_day`."""
    return [(d, vehicles_of_day(estate, d)) for d in
            (last_day - timedelta(days=i) for i in range(days - 1, -1, -1))]


LOG_COLUMNS = (("time_in", "进"), ("time_out", "出"), ("name", "姓名"), ("phone", "手机号"),
               ("id_number", "身份证号"), ("visited", "被访"), ("purpose", "事由"),
               ("party_size", "人数"), ("plate", "车牌"))


def visitor_log_csv(log):
    """The day's rows as CSV text (masked like the page; formulas defused for Excel)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in LOG_COLUMNS])
    for row in log["visits"]:
        writer.writerow([_cell(row[key]) for key, _ in LOG_COLUMNS])
    return out.getvalue()


def _cell(value):
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
