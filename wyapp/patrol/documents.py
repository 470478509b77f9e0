"""巡更日报 for the archive: every round of a local day with its scans, misses and incidents."""
from datetime import date

from ..db import utcnow
from ..documents import local_text
from ..features import DocumentKind
from .models import Checkpoint, Incident
from .reports import day_report


def collect_day(estate, period):
    """The day's rounds, scans, missed checkpoints and incidents as JSON-able data.

    None only when the day had no round scheduled, no scan and no incident.
    """
    day = date.fromisoformat(period)
    report = day_report(estate, day, utcnow())
    start, end = estate.day_bounds(day)
    incidents = list(Incident.select().where(Incident.estate == estate,
                                             Incident.created_at >= start,
                                             Incident.created_at < end)
                     .order_by(Incident.created_at, Incident.id))
    if not (report["rounds"] or report["scans"] or incidents):
        return None
    names = {c.id: c.name for c in Checkpoint.select(Checkpoint.id, Checkpoint.name)
             .where(Checkpoint.estate == estate)}

    def scan_row(scan):
        return {"time": local_text(estate, scan.scanned_at, "%H:%M:%S"),
                "checkpoint": names.get(scan.checkpoint_id, ""),
                "guard": scan.user.display_name, "flags": scan.flags,
                "distance_m": round(scan.distance_m) if scan.distance_m is not None else None}

    rounds = [{"schedule": r["view"].schedule.name, "route": r["view"].route.name,
               "starts": local_text(estate, r["view"].starts_at, "%H:%M"),
               "ends": local_text(estate, r["view"].ends_at, "%H:%M"),
               "status": r["status"], "done": r["done"], "total": r["total"],
               "scans": [scan_row(s) for s in r["scans"]],
               "missed": [c.name for c in r["missed"]]}
              for r in report["rounds"]]
    return {
        "day": period,
        "summary": {"rounds": len(rounds), "completion": report["completion"],
                    "missed_rounds": report["missed_rounds"],
                    "partial_rounds": report["partial_rounds"],
                    "scans": len(report["scans"]), "flagged": report["flagged"],
                    "off_round": len(report["off_round"])},
        "rounds": rounds,
        "off_round_scans": [scan_row(s) for s in report["off_round"]],
        "guards": [{"name": g["user"].display_name, "scans": g["scans"],
                    "flagged": g["flagged"], "rounds": g["rounds"]}
                   for g in report["guards"]],
        "incidents": [{"time": local_text(estate, i.created_at, "%H:%M"),
                       "category": i.category, "checkpoint": names.get(i.checkpoint_id, ""),
                       "text": i.text, "reporter": i.reported_by.display_name,
                       "status": i.status, "closed": local_text(estate, i.closed_at),
                       "work_order": i.work_order_id}
                      for i in incidents],
    }


PATROL_DAY = DocumentKind(
    code="patrol_day", title="巡更日报", template="pdf/patrol_day.html", collect=collect_day,
    roles=frozenset({"guard", "supervisor", "manager"}), signatures=("巡查人", "审核人", "日期"),
    sections={"rounds": "巡更班次与扫码", "incidents": "巡更异常", "summary": "汇总",
              "guards": "巡更人员", "off_round_scans": "计划外打卡", "day": "日期"})
