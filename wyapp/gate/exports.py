"""导出 Excel of the gate's lists: the day's visitor log (personal data masked exactly as
on the report page and its CSV: reports.daily_visitor_log), vehicles (on site now, or those
that came in on ?day=), release slips (the slips page's search, or a month's)."""
from ..exports.specs import ExportSpec, Table, columns, local, name_of
from ..inputs import parse_day, parse_month
from . import goods
from .models import ReleaseSlip, SlipItem, VehicleEntry, Visit
from .reports import daily_visitor_log
from .vehicles import vehicles_on_site

GATE = ("gate", "supervisor", "manager")
DESK = ("desk", "supervisor", "manager")
BOSS = ("supervisor", "manager")
PURGED = "（已清除）"
VISIT_COLUMNS = columns(
    ("进入时间", 17), ("离开时间", 17), ("停留（小时）", 10, "0.0"), "姓名", ("手机号", 13),
    ("身份证号", 20), ("被访", 12), "事由", "人数", "车牌", "关注名单")
VEHICLE_COLUMNS = columns(
    "车牌", "类别", ("入场时间", 17), ("出场时间", 17), ("停留（小时）", 10, "0.0"),
    "关注名单", "登记人")
SLIP_COLUMNS = columns(
    ("放行条号", 10), ("房号", 10), "申请人", ("有效日期", 11), "批准人", ("物品", 30),
    ("备注", 20), "开具人", ("开具时间", 17), "状态", ("放行时间", 17), "放行人",
    ("出门备注", 20))


def _hours(start, end):
    return round((end - start).total_seconds() / 3600, 1) if start and end else None


def visitors(estate, user, args, now):
    """来访登记日志 of ?day= (default today): the report's rows, masked as shown there."""
    day = parse_day(args.get("day", "")) or estate.today(now)
    log = daily_visitor_log(estate, day)
    times = {v.id: (v.time_in, v.time_out) for v in Visit.select(
        Visit.id, Visit.time_in, Visit.time_out).where(
        Visit.id.in_([row["id"] for row in log["visits"]]))}

    def rows():
        for row in log["visits"]:
            time_in, time_out = times[row["id"]]
            yield [local(estate, time_in), local(estate, time_out), _hours(time_in, time_out),
                   row["name"], row["phone"], row["id_number"], row["visited"],
                   row["purpose"], row["party_size"], row["plate"],
                   "命中" if row["watch_hit"] else ""]
    return Table(f"{estate.name} 来访登记日志 {day}", VISIT_COLUMNS, rows(), log["total"],
                 subtitle=f"共 {log['total']} 批 {log['people']} 人；手机号、身份证号已脱敏；"
                          f"导出人：{user.display_name}",
                 filename=f"来访登记-{day}.xlsx")


def vehicles(estate, user, args, now):
    """车辆进出: on site now (the vehicles page), or those that came in on ?day=."""
    day = parse_day(args.get("day", ""))
    if day is None:
        query, words = vehicles_on_site(estate), f"在场车辆 {estate.local(now):%Y-%m-%d %H:%M}"
    else:
        start, end = estate.day_bounds(day)
        query = (VehicleEntry.select().where(VehicleEntry.estate == estate,
                                             VehicleEntry.time_in >= start,
                                             VehicleEntry.time_in < end)
                 .order_by(VehicleEntry.time_in, VehicleEntry.id))
        words = f"{day} 入场车辆"

    def rows():
        for e in query.iterator():
            yield [e.plate or PURGED, e.kind, local(estate, e.time_in), local(estate, e.time_out),
                   _hours(e.time_in, e.time_out or now), "命中" if e.watch_hit else "",
                   name_of(e.registered_by) if e.registered_by_id else ""]
    return Table(f"{estate.name} {words}", VEHICLE_COLUMNS, rows(), query.count(),
                 subtitle=f"停留时长算到出场，未出场的算到导出时；导出人：{user.display_name}",
                 filename=f"车辆-{day or estate.today(now)}.xlsx")


def slips(estate, user, args, now):
    """放行条: the slips page's search (?q= code or unit; else its latest 10), or the slips
    valid in ?month=."""
    month = parse_month(args.get("month", ""))
    q = args.get("q", "").strip()[:40]
    if month is not None:
        last = month.replace(year=month.year + month.month // 12, month=month.month % 12 + 1)
        found = list(ReleaseSlip.select().where(ReleaseSlip.estate == estate,
                                                ReleaseSlip.valid_on >= month,
                                                ReleaseSlip.valid_on < last)
                     .order_by(ReleaseSlip.valid_on, ReleaseSlip.id))
        words = f"{month:%Y年%m月}"
    elif q:
        found, words = goods.find_slips(estate, q), f"查找“{q}”"
    else:
        found = list(ReleaseSlip.select().where(ReleaseSlip.estate == estate)
                     .order_by(ReleaseSlip.issued_at.desc()).limit(10))
        words = "最近 10 张"
    items = {}
    for item in SlipItem.select().where(SlipItem.slip.in_([s.id for s in found])) \
            .order_by(SlipItem.id):
        items.setdefault(item.slip_id, []).append(f"{item.name}×{item.quantity}")

    def rows():
        for s in found:
            yield [s.code, s.unit.label, s.applicant, s.valid_on, s.approved_by,
                   "、".join(items.get(s.id, [])), s.note,
                   name_of(s.issued_by) if s.issued_by_id else "", local(estate, s.issued_at),
                   "已放行" if s.used_at else (goods.slip_problem(s, now) or "可放行"),
                   local(estate, s.used_at), name_of(s.used_by) if s.used_by_id else "",
                   s.exit_note]
    return Table(f"{estate.name} 放行条 {words}", SLIP_COLUMNS, rows(), len(found),
                 subtitle=f"导出人：{user.display_name}",
                 filename=f"放行条-{estate.today(now)}.xlsx")


EXPORTS = {
    "visitors": ExportSpec("来访登记", BOSS, visitors),
    "vehicles": ExportSpec("车辆进出", GATE, vehicles),
    "release_slips": ExportSpec("放行条", tuple(sorted(set(GATE + DESK))), slips),
}
