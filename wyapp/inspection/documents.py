"""The inspection feature's archived documents: 设备日检记录表 (daily) and 抄表月报 (monthly)."""
from datetime import date

from ..documents import local_text
from ..features import DocumentKind
from .meters import month_report
from .models import Equipment, Plan
from .sheets import day_sheets, raised_orders

ENGINEERING = frozenset({"engineer", "supervisor", "manager"})


def _value(item, answer):
    if item.kind == "photo":
        return "已拍照" if answer and answer.photo_id else ""
    if not answer or not answer.value:
        return ""
    return f"{answer.value} {item.unit}".strip() if item.kind == "number" else answer.value


def _expected(item):
    if item.kind == "number":
        return item.range_text
    return "异常：" + "/".join(item.abnormal_list) if item.abnormal_list else ""


def _orders(answer):
    return [{"id": o.id, "code": o.code, "state": o.state, "description": o.description}
            for o in raised_orders(answer)]


def collect_day(estate, period):
    """One section per sheet submitted that day; the daily plans left without a sheet.

    None when the estate had neither a sheet nor a daily plan that day.
    """
    day = date.fromisoformat(period)
    sheets = day_sheets(estate, day)
    checked = {s["equipment"].id for s in sheets}
    due = (Plan.select(Plan, Equipment).join(Equipment)
           .where(Plan.estate == estate, Plan.active, Plan.frequency.in_(["每日", "每班"]),
                  Plan.created_at < estate.day_bounds(day)[1])
           .order_by(Equipment.code))
    missing = [{"code": p.equipment.code, "name": p.equipment.name,
                "checklist": p.checklist.name, "frequency": p.frequency}
               for p in due if p.equipment_id not in checked]
    if not sheets and not missing:
        return None
    sections = []
    for s in sheets:
        equipment = s["equipment"]
        items = [{"label": item.label, "kind": item.kind, "value": _value(item, answer),
                  "expected": _expected(item), "abnormal": bool(answer and answer.abnormal),
                  "note": answer.note if answer else "", "orders": _orders(answer)}
                 for item, answer in s["rows"]]
        sections.append({
            "equipment": {"code": equipment.code, "name": equipment.name,
                          "category": equipment.category, "location": equipment.location},
            "checklist": s["checklist"], "version": s["version"], "shift": s["shift"],
            "submitted_by": s["submitted_by"], "submitted_at": local_text(estate,
                                                                          s["submitted_at"]),
            "abnormal": sum(i["abnormal"] for i in items), "checks": items,
            "amendments": [{"item": a.item.label, "old": a.old_value, "new": a.new_value,
                            "reason": a.reason, "by": a.made_by.display_name,
                            "at": local_text(estate, a.made_at)} for a in s["amendments"]]})
    return {"day": period, "sheets": sections, "missing": missing,
            "abnormal": sum(s["abnormal"] for s in sections)}


def _number(value):
    return None if value is None else f"{value.normalize():f}"


def collect_meters(estate, period):
    """The month's reading of every active meter with consumption, flags and public totals."""
    report = month_report(estate, date.fromisoformat(period + "-01"))
    if not report["rows"]:
        return None
    rows = []
    for row in report["rows"]:
        meter, reading = row["meter"], row["reading"]
        rows.append({"name": meter.name, "kind": meter.kind, "serial": meter.serial,
                     "owner": "公共" if meter.unit_id is None else meter.unit.label,
                     "multiplier": _number(meter.multiplier),
                     "value": _number(reading.value) if reading else None,
                     "consumption": _number(reading.consumption) if reading else None,
                     "flags": reading.flags if reading else "",
                     "note": reading.note if reading else "",
                     "read_by": reading.read_by.display_name if reading else ""})
    public = {column: {kind: _number(total) for kind, total in totals.items()}
              for column, totals in report["public"].items()}
    return {"month": period, "rows": rows, "public": public,
            "missing": len(report["missing"]), "flagged": len(report["flagged"])}


INSPECTION_DAY = DocumentKind(
    code="inspection_day", title="设备日检记录表", template="pdf/inspection_day_record.html",
    collect=collect_day, roles=ENGINEERING, signatures=("检查人", "审核人", "日期"),
    sections={"sheets": "日检记录", "missing": "未检设备", "abnormal": "异常项数", "day": "日期"})

METER_MONTH = DocumentKind(
    code="inspection_meters", title="抄表月报", template="pdf/inspection_meters_month.html",
    collect=collect_meters, cadence="monthly", roles=ENGINEERING,
    signatures=("抄表人", "审核人", "日期"),
    sections={"rows": "抄表读数", "public": "公共用量", "missing": "未抄表",
              "flagged": "异常标记", "month": "月份"})
