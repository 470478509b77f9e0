"""导出 Excel of the patrol reports: the rounds (day or month) and the scans with their flags,
read as the report pages read them (reports.day_report, the month's ended rounds)."""
from datetime import date, datetime, timedelta

from ..exports.specs import ExportSpec, Table, columns, local
from .reports import _scans_between, day_report
from .rounds import rounds_between

LEADS = ("supervisor", "manager")
ROUND_COLUMNS = columns(
    ("日期", 11), ("开始", 17), ("结束", 17), ("路线", 14), ("巡更计划", 14), "状态",
    "已巡点数", "应巡点数", ("完成率", 8, "0%"), ("未巡点位", 30), ("打卡人员", 16))
SCAN_COLUMNS = columns(
    ("打卡时间", 20, "yyyy-mm-dd hh:mm:ss"), ("巡更点", 16), "人员", ("所属任务", 24),
    ("异常标记", 20), ("距离（米）", 10, "0"), ("定位精度（米）", 12, "0"),
    ("手机时间", 20, "yyyy-mm-dd hh:mm:ss"), ("上传时间", 20, "yyyy-mm-dd hh:mm:ss"))


def _period(estate, args, now):
    """(first day, last day, words) of ?month=YYYY-MM, else ?date= (the day report's
    reading: a day it can page around, else today)."""
    try:
        first = datetime.strptime(args.get("month", "")[:7], "%Y-%m").date()
    except ValueError:
        first = None
    if first is not None and 1 < first.year < 9999:
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        return first, last, f"{first:%Y年%m月}"
    try:
        day = date.fromisoformat(args.get("date", "")[:10])
    except ValueError:
        day = None
    day = day if day is not None and 1 < day.year < 9999 else estate.today(now)
    return day, day, f"{day:%Y-%m-%d}"


def _round_rows(estate, first, last, now):
    if first == last:
        return day_report(estate, first, now)["rounds"]
    start, end = estate.day_bounds(first, last)
    views = [v for v in rounds_between(estate, start, min(end, now))
             if start <= v.starts_at and v.ends_at <= now]
    rows = []
    for view in views:
        status = view.status(now)
        rows.append({"view": view, "status": status, "done": view.done, "total": view.total,
                     "scans": view.scans,
                     "missed": view.remaining if status in ("部分完成", "漏巡") else []})
    return rows


def rounds(estate, user, args, now):
    """巡更任务 of a day (?date=) or of a month's ended rounds (?month=), with completion
    and the checkpoints missed."""
    first, last, words = _period(estate, args, now)
    found = _round_rows(estate, first, last, now)

    def rows():
        for r in found:
            view = r["view"]
            names = sorted({s.user.display_name for s in r["scans"]})
            yield [estate.local(view.starts_at).date(), local(estate, view.starts_at),
                   local(estate, view.ends_at), view.route.name, view.schedule.name,
                   r["status"], r["done"], r["total"],
                   r["done"] / r["total"] if r["total"] else None,
                   "、".join(c.name for c in r["missed"]), "、".join(names)]
    return Table(f"{estate.name} 巡更任务 {words}", ROUND_COLUMNS, rows(), len(found),
                 subtitle=_subtitle(estate, user, now, "月报：已结束的任务" if first != last
                                    else "日报：当天全部任务"),
                 filename=f"巡更任务-{words}.xlsx")


def scans(estate, user, args, now):
    """巡更打卡 of a day (?date=) or a month (?month=), each with its flags."""
    first, last, words = _period(estate, args, now)
    start, end = estate.day_bounds(first, last)
    found = _scans_between(estate, start, end)
    names = {}
    for r in _round_rows(estate, first, last, now):
        view = r["view"]
        if view.row is not None:
            names[view.row.id] = (f"{view.route.name} {estate.local(view.starts_at):%H:%M}–"
                                  f"{estate.local(view.ends_at):%H:%M}")

    def rows():
        for s in found:
            task = names.get(s.round_id, "本期以外的任务") if s.round_id else "计划外"
            yield [local(estate, s.scanned_at), s.checkpoint.name, s.user.display_name, task,
                   "、".join(s.flag_list), s.distance_m, s.accuracy_m,
                   local(estate, s.device_at), local(estate, s.server_at)]
    return Table(f"{estate.name} 巡更打卡 {words}", SCAN_COLUMNS, rows(), len(found),
                 subtitle=_subtitle(estate, user, now, "全部打卡（含异常标记）"),
                 filename=f"巡更打卡-{words}.xlsx")


def _subtitle(estate, user, now, what):
    return f"{what}；截至 {estate.local(now):%Y-%m-%d %H:%M}；导出人：{user.display_name}"


EXPORTS = {
    "patrol_rounds": ExportSpec("巡更任务", LEADS, rounds),
    "patrol_scans": ExportSpec("巡更打卡", LEADS, scans),
}
