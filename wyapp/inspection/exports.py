"""导出 Excel of the engineering lists: the day's submitted sheets with every reading (as
设备日检记录表), the month's meter readings with consumption (as 抄表月报), the duty log
(as 值班记录's recent shifts)."""
from contextlib import suppress
from decimal import Decimal

from ..errors import DomainError
from ..exports.specs import ExportSpec, Table, columns, local, name_of
from ..inputs import parse_day, parse_month
from .duty import recent_shifts
from .meters import month_report
from .models import DutyEvent
from .sheets import day_sheets, parse_number

ENGINEERING = ("engineer", "supervisor", "manager")
SHEET_COLUMNS = columns(
    ("设备编号", 10), ("设备名称", 16), ("检查表", 14), "版本", "班次", ("提交时间", 17),
    "检查人", ("检查项", 20), ("读数/结果", 12), "单位", "是否异常", ("说明", 24),
    ("维修工单", 12))
METER_COLUMNS = columns(
    "类别", ("表名", 18), ("房号", 10), ("位置", 14), ("表号", 12), ("倍率", 6, "0.##"),
    ("月份", 9, "yyyy-mm"), ("读数", 12, "#,##0.00"), ("用量", 12, "#,##0.00"), "计量单位",
    ("异常标记", 16), ("说明", 24), "抄表人", ("抄表时间", 17))
DUTY_COLUMNS = columns(
    "值班人", ("接班时间", 17), ("交班时间", 17), "值班时长（小时）", "事件数",
    ("值班事件", 40), ("未完成事项", 30), ("设备运行情况", 30), "接班确认人", ("确认时间", 17))


def _reading(item, answer):
    """A number item's reading as a number (Excel sums it); anything else as typed."""
    if answer is None:
        return None
    if item.kind == "number" and answer.value:
        with suppress(DomainError):
            return parse_number(answer.value)
    return answer.value or ("有照片" if answer.photo_id else "")


def sheets(estate, user, args, now):
    """设备日检记录表 of ?day= (default today): one row per item of each submitted sheet."""
    day = parse_day(args.get("day", "")) or estate.today(now)
    found = day_sheets(estate, day)
    count = sum(len(s["rows"]) for s in found)

    def rows():
        for s in found:
            for item, answer in s["rows"]:
                yield [s["equipment"].code, s["equipment"].name, s["checklist"], s["version"],
                       s["shift"], local(estate, s["submitted_at"]), s["submitted_by"],
                       item.label, _reading(item, answer), item.unit,
                       "异常" if answer is not None and answer.abnormal else "",
                       answer.note if answer else "",
                       f"BX{answer.work_order_id:06d}" if answer and answer.work_order_id
                       else ""]
    return Table(f"{estate.name} 设备日检记录表 {day}", SHEET_COLUMNS, rows(), count,
                 subtitle=f"{day} 已提交的检查表 {len(found)} 张；导出人：{user.display_name}",
                 filename=f"设备日检-{day}.xlsx")


def meters(estate, user, args, now):
    """抄表 of ?month= (default this month): every active meter, its reading and
    consumption (未抄 ones with empty cells)."""
    month = parse_month(args.get("month", "")) or estate.today(now).replace(day=1)
    report = month_report(estate, month)

    def rows():
        for row in report["rows"]:
            m, r = row["meter"], row["reading"]
            yield [m.kind, m.name, m.unit.label if m.unit_id else "公共表", m.location,
                   m.serial, m.multiplier, report["month"], r.value if r else None,
                   r.consumption if r else None, m.measure,
                   (r.flags if r else "未抄"), r.note if r else "",
                   name_of(r.read_by) if r else "", local(estate, r.read_at) if r else None]
    return Table(f"{estate.name} 抄表 {month:%Y年%m月}", METER_COLUMNS, rows(),
                 len(report["rows"]),
                 subtitle=f"在用表 {len(report['rows'])} 块，未抄 {len(report['missing'])} 块；"
                          f"导出人：{user.display_name}",
                 filename=f"抄表-{month:%Y-%m}.xlsx")


def duty_log(estate, user, args, now):
    """值班记录: the estate's recent shifts as on the page, each with its events."""
    shifts = list(recent_shifts(estate))
    events = {}
    for event in (DutyEvent.select().where(DutyEvent.shift.in_([s.id for s in shifts]))
                  .order_by(DutyEvent.happened_at, DutyEvent.id)):
        events.setdefault(event.shift_id, []).append(event)

    def rows():
        for s in shifts:
            mine = events.get(s.id, [])
            hours = (Decimal((s.ended_at - s.started_at).total_seconds()) / 3600
                     if s.ended_at else None)
            yield [name_of(s.engineer), local(estate, s.started_at), local(estate, s.ended_at),
                   round(hours, 1) if hours is not None else "当班中", len(mine),
                   "\n".join(f"{estate.local(e.happened_at):%m-%d %H:%M} {e.text}" for e in mine),
                   s.pending, s.equipment_status,
                   name_of(s.confirmed_by) if s.confirmed_by_id else "",
                   local(estate, s.confirmed_at)]
    return Table(f"{estate.name} 工程值班记录", DUTY_COLUMNS, rows(), len(shifts),
                 subtitle=f"近期 {len(shifts)} 个班次；截至 {estate.local(now):%Y-%m-%d %H:%M}；"
                          f"导出人：{user.display_name}",
                 filename=f"值班记录-{estate.today(now)}.xlsx")


EXPORTS = {
    "inspection_sheets": ExportSpec("设备日检记录", ENGINEERING, sheets),
    "meter_readings": ExportSpec("抄表", ENGINEERING, meters),
    "duty_log": ExportSpec("值班记录", ENGINEERING, duty_log),
}
