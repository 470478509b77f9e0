"""The inspection feature's archived documents: 设备日检记录表 (daily) and 抄表月报 (monthly)."""
from datetime import date, timedelta

from ..documents import local_text
from ..features import DocumentKind
from .meters import month_report
from .plans import active_plans, make_slots
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


def due_slots(estate, day):
    """The sheets due on the estate's local `day` (a date): every slot of an active plan made
    before its deadline whose deadline falls within the day — 夜班 of the day before (ends
    08:00), 白班 (ends 20:00), 每日 (ends at midnight), and a week's or month's sheet on its
    last day — each with its state: 已完成 / 有异常 (逾期提交 when late), or 漏检 (no sheet,
    or one started and never submitted). Ordered by deadline, then equipment code.

    Every slot's deadline has passed once the day is over, so the record of an ended day
    does not change unless a late sheet is submitted (then it is filed again, amended)."""
    start, end = estate.day_bounds(day)
    candidates = {"每班": [(day - timedelta(days=1), "夜班"), (day, "白班")],
                  "每日": [(day, "")], "每周": [(day - timedelta(days=day.weekday()), "")],
                  "每月": [(day.replace(day=1), "")]}
    plans = [p for p in active_plans(estate) if p.frequency in candidates]
    slots = [slot for slot in make_slots(plans, estate, lambda p: candidates[p.frequency])
             if start < slot.deadline <= end and slot.plan.created_at < slot.deadline]
    rows = []
    for slot in sorted(slots, key=lambda s: (s.deadline, s.plan.equipment.code)):
        sheet = slot.sheet
        if sheet is not None and sheet.submitted:
            state = "有异常" if sheet.abnormal_count else "已完成"
            if sheet.submitted_at > slot.deadline:
                state += "（逾期提交）"
        else:
            state = "漏检（已开始未提交）" if sheet is not None else "漏检"
        equipment = slot.plan.equipment
        rows.append({"code": equipment.code, "name": equipment.name,
                     "checklist": slot.plan.checklist.name, "frequency": slot.plan.frequency,
                     "period": slot.period.isoformat(), "shift": slot.shift,
                     "deadline": local_text(estate, slot.deadline), "state": state})
    return rows


def collect_day(estate, period):
    """The day's 设备日检记录表: one section per sheet submitted that day, and every sheet
    that was due that day with its state (see due_slots), 漏检 included — so a day when
    nobody did the rounds is filed too.

    None when the estate had neither a submitted sheet nor a sheet due that day.
    """
    day = date.fromisoformat(period)
    sheets = day_sheets(estate, day)
    due = due_slots(estate, day)
    missing = [row for row in due if row["state"].startswith("漏检")]
    if not sheets and not due:
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
    return {"day": period, "sheets": sections, "due": due, "missing": missing,
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
    sections={"sheets": "日检记录", "due": "应检记录", "missing": "漏检", "abnormal": "异常项数",
              "day": "日期"})

METER_MONTH = DocumentKind(
    code="inspection_meters", title="抄表月报", template="pdf/inspection_meters_month.html",
    collect=collect_meters, cadence="monthly", roles=ENGINEERING,
    signatures=("抄表人", "审核人", "日期"),
    sections={"rows": "抄表读数", "public": "公共用量", "missing": "未抄表",
              "flagged": "异常标记", "month": "月份"})
