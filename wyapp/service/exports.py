"""导出 Excel of the service desk's lists: work orders and complaints by tab, with the
list's own query (orders.order_list, complaints.complaint_list) as the user sees it."""
from peewee import JOIN

from ..exports.specs import ExportSpec, Table, columns, local, name_of
from ..inputs import parse_day
from ..models import User
from . import complaints as complaint_rules
from . import orders
from .flow import DESK
from .models import Complaint, ComplaintCause, ComplaintEvent, ComplaintStep

ORDER_COLUMNS = columns(
    ("工单号", 11), "状态", "紧急程度", "类别", "来源", ("位置", 14), ("报修内容", 40),
    "报修人", ("联系电话", 13), ("预约上门时间", 17), "有偿", ("登记时间", 17),
    ("完成时限", 17), "是否超时", "维修人员", ("完工时间", 17),
    ("完工说明", 30), ("材料", 20), "回访满意度", ("关闭时间", 17), "返工次数")


def _order_tab(user, args):
    """The tab as the list reads it: its default is 我的工单 for an engineer."""
    tab = args.get("tab") or ("mine" if user.has_role("engineer") else "open")
    return tab if tab in orders.ORDER_TABS else "open"


def work_orders(estate, user, args, now):
    """报修工单 of one tab (?tab=; ?completed=YYYY-MM-DD: finished that estate day), all
    pages, as the list shows them at `now` (naive UTC)."""
    tab = _order_tab(user, args)
    completed = parse_day(args.get("completed", ""))
    query = orders.order_list(estate, tab, user, now, completed_on=completed)

    def rows():
        for o in query.iterator():
            yield [o.code, o.state, o.priority, o.category, o.source, o.where, o.description,
                   o.caller_name, o.caller_phone, local(estate, o.appointment_at),
                   "有偿" if o.paid else "无偿", local(estate, o.created_at),
                   local(estate, o.due_at), "已超时" if o.is_overdue(now) or o.finished_late()
                   else "", name_of(o.assignee) if o.assignee_id else "",
                   local(estate, o.completed_at), o.completion_note, o.materials,
                   o.satisfaction, local(estate, o.closed_at), o.reopen_count]
    label = orders.ORDER_TABS[tab] + (f"，{completed} 完工" if completed else "")
    day = estate.today(now)
    return Table(f"{estate.name} 报修工单（{label}）", ORDER_COLUMNS, rows(), query.count(),
                 subtitle=f"筛选：{label}；截至 {estate.local(now):%Y-%m-%d %H:%M}；"
                          f"导出人：{user.display_name}",
                 filename=f"报修工单-{orders.ORDER_TABS[tab]}"
                          f"{f'-{completed}完工' if completed else ''}-{day}.xlsx")


COMPLAINT_COLUMNS = columns(
    ("投诉号", 11), "状态", "渠道", ("投诉人", 14), ("联系电话", 13), ("投诉内容", 40),
    ("受理时间", 17), "受理人", "责任人", ("约定回复时间", 17), "是否超时", ("首次回复", 17),
    ("处理完成", 17), ("根本原因", 12), ("事件", 16), "重大投诉", "邻里纠纷", "需回访",
    ("回访时间", 17), "回访人", "回访满意度", ("回访意见", 30), ("关闭时间", 17),
    ("关闭原因", 16))


def _complaint_tab(user, args):
    desk = user.has_role(*DESK)
    tab = args.get("tab") or ("open" if desk else "mine")
    if tab not in complaint_rules.COMPLAINT_TABS or not desk:
        tab = "open" if desk else "mine"
    return tab


def _followups(estate):
    """{complaint id: its last 回访 step} of the estate's complaints."""
    steps = (ComplaintStep.select(ComplaintStep, User).join(Complaint).switch(ComplaintStep)
             .join(User, on=ComplaintStep.actor, join_type=JOIN.LEFT_OUTER)
             .where(Complaint.estate == estate, ComplaintStep.step == "回访")
             .order_by(ComplaintStep.at, ComplaintStep.id))
    return {s.complaint_id: s for s in steps}


def complaint_list(estate, user, args, now):
    """投诉 of one tab (?tab=) with root cause and 回访, as the list shows them."""
    tab = _complaint_tab(user, args)
    query = complaint_rules.complaint_list(estate, tab, user, now)
    followups = _followups(estate)
    received_by = {u.id: u.display_name for u in User.select(User.id, User.display_name)}
    causes = {c.id: c.name for c in ComplaintCause.select().where(
        ComplaintCause.estate == estate)}
    events = {e.id: e.title for e in ComplaintEvent.select().where(
        ComplaintEvent.estate == estate)}

    def rows():
        for c in query.iterator():
            visit = followups.get(c.id)
            yield [c.code, c.status, c.channel, c.who, c.phone, c.content,
                   local(estate, c.received_at), received_by.get(c.received_by_id, ""),
                   name_of(c.owner) if c.owner_id else "", local(estate, c.due_at),
                   "已超时" if c.is_overdue(now) or c.was_overdue else "",
                   local(estate, c.first_reply_at), local(estate, c.handled_at),
                   causes.get(c.cause_id, ""), events.get(c.event_id, ""),
                   c.major, c.neighbour_dispute, c.needs_followup,
                   local(estate, visit.at) if visit else None,
                   name_of(visit.actor) if visit and visit.actor_id else "",
                   c.satisfaction, visit.note if visit else "", local(estate, c.closed_at),
                   c.close_reason]
    label = complaint_rules.COMPLAINT_TABS[tab]
    return Table(f"{estate.name} 投诉（{label}）", COMPLAINT_COLUMNS, rows(), query.count(),
                 subtitle=f"筛选：{label}；截至 {estate.local(now):%Y-%m-%d %H:%M}；"
                          f"导出人：{user.display_name}",
                 filename=f"投诉-{label}-{estate.today(now)}.xlsx")


EXPORTS = {
    "work_orders": ExportSpec("报修工单", ("desk", "supervisor", "manager"), work_orders),
    "complaints": ExportSpec("投诉", ("desk", "supervisor", "manager"), complaint_list),
}
