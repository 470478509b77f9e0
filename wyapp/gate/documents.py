"""来访登记日志 for the archive: the day's visitors (masked), vehicles and release slips."""
from datetime import date

from ..documents import local_text
from ..features import DocumentKind
from .models import ReleaseSlip, VehicleEntry, Visit
from .reports import daily_visitor_log


def collect_day(estate, period):
    """The day's visitor rows (ID numbers and phones masked, as on the report page), the
    vehicles that came in and the release slips valid or used that day; None when the gate
    recorded nothing at all."""
    day = date.fromisoformat(period)
    start, end = estate.day_bounds(day)
    log = daily_visitor_log(estate, day)
    vehicles = list(VehicleEntry.select().where(VehicleEntry.estate == estate,
                                                VehicleEntry.time_in >= start,
                                                VehicleEntry.time_in < end)
                    .order_by(VehicleEntry.time_in, VehicleEntry.id))
    # valid that day, or used that day: two indexed reads (one OR read every slip of the
    # estate), each slip once
    valid = ReleaseSlip.select().where(ReleaseSlip.estate == estate, ReleaseSlip.valid_on == day)
    used = ReleaseSlip.select().where(ReleaseSlip.estate == estate, ReleaseSlip.used_at >= start,
                                      ReleaseSlip.used_at < end)
    slips = sorted({s.id: s for s in (*valid, *used)}.values(), key=lambda s: s.code)
    if not (log["visits"] or log["on_site_at_midnight"] or vehicles or slips):
        return None
    notes = {v.id: v.note for v in Visit.select(Visit.id, Visit.note)
             .where(Visit.id.in_([r["id"] for r in log["visits"]] or [0]))}
    visits = [{**row, "note": notes.get(row["id"], "")} for row in log["visits"]]
    return {
        "day": period, "visits": visits,
        "summary": {"total": log["total"], "people": log["people"],
                    "by_purpose": [list(p) for p in log["by_purpose"]],
                    "peak_hours": [list(h) for h in log["peak_hours"]],
                    "watch_hits": sum(bool(r["watch_hit"]) for r in visits)},
        "on_site_at_midnight": log["on_site_at_midnight"],
        "vehicles": {**log["vehicles"], "entries": [
            {"plate": e.plate, "kind": e.kind, "time_in": local_text(estate, e.time_in, "%H:%M"),
             "time_out": local_text(estate, e.time_out, "%m-%d %H:%M"),
             "watch_hit": e.watch_hit} for e in vehicles]},
        "slips": [{"code": s.code, "unit": s.unit.label, "applicant": s.applicant,
                   "valid_on": s.valid_on.isoformat(), "approved_by": s.approved_by,
                   "goods": "、".join(f"{i.name}×{i.quantity}" for i in s.goods),
                   "note": s.note,
                   "issued_by": s.issued_by.display_name if s.issued_by_id else "",
                   "used_at": local_text(estate, s.used_at),
                   "used_by": s.used_by.display_name if s.used_by_id else "",
                   "exit_note": s.exit_note} for s in slips],
    }


GATE_DAY = DocumentKind(
    code="gate_day", title="来访登记日志", template="pdf/gate_day_log.html",
    collect=collect_day, roles=frozenset({"gate", "supervisor", "manager"}),
    signatures=("门岗值班员", "审核人", "日期"),
    sections={"visits": "来访登记", "summary": "汇总", "on_site_at_midnight": "午夜在场",
              "vehicles": "车辆出入", "slips": "放行条", "day": "日期"})
