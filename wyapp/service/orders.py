"""Repair work orders (报修工单): `create_work_order` (the one call patrol and inspection make)
and each step of 登记 → 派单 → 接单 → 处理中 → 完工 → 回访 → 关闭; the lists, the nav badge,
the overdue alerts and the estate's due hours.

Every step checks the state it starts from and who may take it (flow.Flow), writes in one
transaction and adds a line to the order's timeline. Times are naive UTC.
"""
from datetime import timedelta

from peewee import JOIN, fn

from ..db import db, utcnow
from ..errors import DomainError
from ..inputs import clean_phone
from ..models import Building, Unit, User, notify
from ..photos import Photo
from .flow import (
    DESK,
    MAX_TEXT,
    SUPERVISORS,
    Flow,
    among,
    clean,
    link,
    row_id,
    timeline,
    visit_note,
)
from .models import (
    CATEGORIES,
    ORDER_OPEN,
    ORDER_STEPS,
    ORIGIN_KINDS,
    PRIORITIES,
    SOURCES,
    ServiceSettings,
    WorkOrder,
    WorkOrderPhoto,
    WorkOrderStep,
)

APPOINTMENT_SLACK = timedelta(minutes=10)  # the minutes the desk spent typing it in
HOUR_FIELDS = ("urgent_hours", "high_hours", "normal_hours", "complaint_reply_hours")


def save_settings(estate, hours):
    """Store the estate's due hours ({field in HOUR_FIELDS: whole hours}); new orders and
    complaints use them from now on. Returns the ServiceSettings row."""
    with db.atomic():
        settings = ServiceSettings.of(estate)
        for name in HOUR_FIELDS:
            setattr(settings, name, int(hours[name]))
        settings.save()
    return settings


def due_time(estate, priority, start):
    """When an order of `priority` registered (or reopened) at `start` (naive UTC) is due,
    by the estate's settings (defaults 紧急 2 h, 高 24 h, 普通 72 h)."""
    return start + timedelta(hours=ServiceSettings.of(estate).due_hours(priority))


def _link(order):
    return link("service.work_order", f"/service/orders/{order.id}", order_id=order.id)


def create_work_order(estate, *, source, description, reported_by, category="其他",
                      priority="普通", unit=None, place="", photos=(), origin=None, paid=False,
                      caller_name="", caller_phone="", appointment_at=None, now=None):
    """Register a repair (登记) and tell the supervisors; the one call any feature makes.

    unit: a Unit of `estate` or None; photos: Photos of `estate`; origin:
    ("patrol_incident", id) or ("inspection_item", id), kept so the order links back;
    caller_name / caller_phone: who called it in (报修人, 联系电话: a mobile or a landline
    with its area code, stored as digits by inputs.clean_phone); appointment_at: when the
    owner asked the engineer to come (预约上门时间), naive UTC, not before `now`;
    now: naive UTC (default: the clock). Returns the WorkOrder. Raises DomainError with a
    Chinese message (and the form field it concerns) on bad input.
    """
    now = now or utcnow()
    if source not in SOURCES:
        raise DomainError("请选择报修来源。", "source")
    if category not in CATEGORIES:
        raise DomainError("请选择报修类别。", "category")
    if priority not in PRIORITIES:
        raise DomainError("请选择紧急程度。", "priority")
    description = clean(description, "报修内容", MAX_TEXT, required=True, field="description")
    place = clean(place, "报修位置", 100, field="place")
    caller_name = clean(caller_name, "报修人", 40, field="caller_name")
    caller_phone = clean_phone(caller_phone, field="caller_phone")
    if appointment_at is not None and appointment_at < now - APPOINTMENT_SLACK:
        raise DomainError("预约上门时间不能早于现在。", "appointment_at")
    if unit is not None and (not isinstance(unit, Unit) or unit.estate_id != estate.id):
        raise DomainError("房号不属于本小区。", "unit")
    if reported_by is None:
        raise DomainError("缺少登记人。")
    photos = list(photos)
    if any(not isinstance(p, Photo) or p.estate_id != estate.id for p in photos):
        raise DomainError("照片不属于本小区。", "photos")
    origin_kind, origin_id = "", None
    if origin is not None:
        try:
            origin_kind, origin_id = origin[0], int(origin[1])
        except (TypeError, ValueError, IndexError):
            origin_kind = None
        if origin_kind not in ORIGIN_KINDS:
            raise DomainError("工单来源记录无效。")
    with db.atomic():
        order = WorkOrder.create(
            estate=estate, source=source, category=category, priority=priority,
            paid=bool(paid), unit=unit, place=place, description=description,
            caller_name=caller_name, caller_phone=caller_phone, appointment_at=appointment_at,
            reported_by=reported_by, created_at=now, due_at=due_time(estate, priority, now),
            origin_kind=origin_kind, origin_id=origin_id)
        for photo in photos:
            WorkOrderPhoto.create(order=order, photo=photo, stage="登记")
        WorkOrderStep.create(order=order, step="登记", actor=reported_by, at=now,
                             note=f"{source} · {category} · {priority}")
        notify(User.with_role(estate, *SUPERVISORS), estate, "work_order",
               f"新报修 {order.code}（{priority}）：{order.where or category}",
               description[:200], _link(order))
    return order


# Which step may follow which status, and who may take it.
ORDER_RULES = {
    "派单": (ORDER_OPEN, "supervisor"),
    "接单": (("派单",), "assignee"),
    "处理中": (("接单",), "assignee"),
    "完工": (("处理中",), "assignee"),
    "回访": (("完工",), "desk"),
    "关闭": (("回访",), "desk"),
    "更正": (ORDER_STEPS, "desk"),
}
WHO = {"supervisor": "只有主管或经理可以派单。", "assignee": "只有接单的维修人员可以操作这一步。",
       "desk": "只有客服、主管或经理可以做这一步。"}


def may(user, order, step):
    """Whether `user` holds the right to take `step` on `order` (its state aside)."""
    who = ORDER_RULES[step][1]
    if who == "assignee":
        return order.assignee_id is not None and order.assignee_id == user.id
    return user.has_role(*(SUPERVISORS if who == "supervisor" else DESK))


ORDER_FLOW = Flow("工单", ORDER_RULES, WHO, may,
                  lambda order, step, actor, at, note: WorkOrderStep.create(
                      order=order, step=step, actor=actor, at=at, note=note),
                  lambda order, step: order.status if step == "更正" else step)
steps_for, _advance = ORDER_FLOW.steps_for, ORDER_FLOW.advance


def assignable_engineers(estate):
    """The engineers of `estate` an order may be given to (a User query)."""
    return User.with_role(estate, "engineer")


def engineer_by_id(estate, user_id):
    """The engineer of `estate` with this id (as a form sends it), or None."""
    return assignable_engineers(estate).where(User.id == row_id(user_id)).first()


def assign(order, engineer, by, now=None, note=""):
    """派单 (or re-assign) to an engineer of the estate, who is told at once.
    Raises DomainError (engineer not of this estate, bad note, wrong state) or NotAllowed."""
    now = now or utcnow()
    if engineer is None or not among(assignable_engineers(order.estate), engineer):
        raise DomainError("请选择本小区的维修人员。", "engineer")
    note = clean(note, "派单说明", 500, field="note")
    text = f"派给 {engineer.display_name}" + (f"：{note}" if note else "")
    with db.atomic():
        _advance(order, "派单", by, now, text, assignee=engineer)
        notify([engineer], order.estate, "work_order",
               f"新派工单 {order.code}（{order.priority}）：{order.where or order.category}",
               order.description[:200], _link(order))
    return order


def accept(order, by, now=None):
    """接单 by the assignee."""
    with db.atomic():
        return _advance(order, "接单", by, now or utcnow())


def start(order, by, now=None):
    """开始处理 by the assignee."""
    with db.atomic():
        return _advance(order, "处理中", by, now or utcnow(), "开始处理")


def complete(order, by, note, materials="", photos=(), now=None):
    """完工 with what was done, the materials used and photos of the result.

    Each round keeps its own materials on its timeline line: after a 返工 (回访 不满意) the
    first round's materials stay, and `order.materials` lists every round's
    (materials_text)."""
    now = now or utcnow()
    note = clean(note, "处理结果", MAX_TEXT, required=True, field="note")
    materials = clean(materials, "使用材料", 500, field="materials")
    with db.atomic():
        rounds = [*round_materials(order), materials]
        _advance(order, "完工", by, now, note, completed_at=now, completion_note=note,
                 materials=materials_text(rounds))
        (WorkOrderStep.update(materials=materials)
         .where(WorkOrderStep.id == WorkOrderStep.select(fn.MAX(WorkOrderStep.id))
                .where(WorkOrderStep.order == order, WorkOrderStep.step == "完工"))
         .execute())
        for photo in photos:
            WorkOrderPhoto.create(order=order, photo=photo, stage="完工")
    return order


def round_materials(order):
    """The materials written at each 完工 of `order` so far, oldest first ('' for a round
    with none)."""
    return [s.materials for s in WorkOrderStep.select(WorkOrderStep.materials).where(
        WorkOrderStep.order == order, WorkOrderStep.step == "完工").order_by(WorkOrderStep.id)]


def materials_text(rounds):
    """What the order's 使用材料 reads for the materials of each 完工 round (oldest first):
    one round's as written; after a 返工 each round by its number, "第 1 次完工：阀芯 1 个；
    第 2 次完工：生料带 1 卷" (rounds without materials left out)."""
    if len(rounds) <= 1:
        return "".join(rounds)
    return "；".join(f"第 {i} 次完工：{m}" for i, m in enumerate(rounds, 1) if m)


def visit(order, by, satisfaction, comment="", now=None):
    """回访: 满意/基本满意 keep it finished; 不满意 reopens it to the same engineer with a
    new due time, and tells the engineer."""
    now = now or utcnow()
    text, comment = visit_note(satisfaction, comment)
    with db.atomic():
        if satisfaction != "不满意":
            return _advance(order, "回访", by, now, text, satisfaction=satisfaction)
        _advance(order, "回访", by, now, text + "。工单重新打开。", new_status="派单",
                 satisfaction=satisfaction, completed_at=None,
                 due_at=due_time(order.estate, order.priority, now), overdue_alerted_at=None,
                 reopen_count=order.reopen_count + 1)
        notify([u for u in [order.assignee] if u], order.estate, "work_order",
               f"工单 {order.code} 回访不满意，已重新打开", comment, _link(order))
    return order


def close(order, by, now=None):
    """关闭 after the 回访; the order is read-only from then on (corrections are amendments)."""
    now = now or utcnow()
    with db.atomic():
        return _advance(order, "关闭", by, now, closed_at=now)


def amend(order, by, note, now=None):
    """A correction: the record itself is not rewritten; the timeline says what is amended."""
    note = clean(note, "更正内容", MAX_TEXT, required=True, field="note")
    with db.atomic():
        return _advance(order, "更正", by, now or utcnow(), note)


def order_timeline(order):
    """The whole history of an order, oldest first, as plain rows (page, PDF, archive)."""
    return timeline(WorkOrderStep, WorkOrderStep.order, order)


def order_photos(order, stage=None):
    """The order's photos (登记 and 完工, or one `stage`), in the order they were added."""
    query = (Photo.select().join(WorkOrderPhoto).where(WorkOrderPhoto.order == order)
             .order_by(WorkOrderPhoto.id))
    return list(query.where(WorkOrderPhoto.stage == stage) if stage else query)


def orders_for_origin(kind, origin_id):
    """The work orders made from one patrol incident or inspection item (to link back)."""
    return (WorkOrder.select().where(WorkOrder.origin_kind == kind,
                                     WorkOrder.origin_id == origin_id).order_by(WorkOrder.id))


# ── lists ──
ORDER_TABS = {"mine": "我的工单", "pending": "待派单", "open": "处理中", "overdue": "已超时",
              "done": "待回访", "closed": "已关闭", "all": "全部"}


def orders_of(estate):
    """An estate's orders with their unit, building and engineer in the same query."""
    return (WorkOrder.select(WorkOrder, Unit, Building, User)
            .join(Unit, JOIN.LEFT_OUTER).join(Building, JOIN.LEFT_OUTER).switch(WorkOrder)
            .join(User, JOIN.LEFT_OUTER, on=WorkOrder.assignee).where(WorkOrder.estate == estate))


def order_list(estate, tab, user, now=None, completed_on=None):
    """The orders of one tab (ORDER_TABS) as `user` sees it at `now` (naive UTC): open ones
    by due time, finished ones newest first. completed_on (a date, the estate's calendar):
    only the orders whose 完工 fell on that local day, whatever their state now, latest
    完工 first (the dashboard's 今日完工)."""
    now = now or utcnow()
    query = orders_of(estate)
    if completed_on is not None:
        start, end = estate.day_bounds(completed_on)
        query = query.where(WorkOrder.completed_at >= start, WorkOrder.completed_at < end)
    if tab == "mine":
        return (query.where(WorkOrder.assignee == user, WorkOrder.status.in_(ORDER_OPEN))
                .order_by(WorkOrder.due_at, WorkOrder.id))
    filters = {"pending": WorkOrder.status == "登记",
               "open": WorkOrder.status.in_(ORDER_OPEN),
               "overdue": WorkOrder.status.in_(ORDER_OPEN) & (WorkOrder.due_at < now),
               "done": WorkOrder.status.in_(("完工", "回访")),
               "closed": WorkOrder.status == "关闭"}
    if tab in filters:
        query = query.where(filters[tab])
    if tab in ("pending", "open", "overdue"):
        return query.order_by(WorkOrder.due_at, WorkOrder.id)
    if completed_on is not None:
        return query.order_by(WorkOrder.completed_at.desc(), WorkOrder.id.desc())
    return query.order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())


def badge_count(user, estate):
    """The bottom-nav badge: my open orders, plus those waiting for 派单 for a supervisor."""
    count = order_list(estate, "mine", user).count()
    if user.has_role(*SUPERVISORS):
        count += order_list(estate, "pending", user).count()
    return count


def alert_overdue_orders(now=None):
    """The periodic job: each open order past its due time raises one alert, to its engineer
    and the supervisors. Returns how many orders alerted."""
    now = now or utcnow()
    late = (WorkOrder.select().where(WorkOrder.status.in_(ORDER_OPEN), WorkOrder.due_at < now,
                                     WorkOrder.overdue_alerted_at.is_null()))
    count = 0
    for order in late:
        with db.atomic():
            users = {u.id: u for u in User.with_role(order.estate, *SUPERVISORS)}
            if order.assignee_id:
                users[order.assignee_id] = order.assignee
            notify(users.values(), order.estate, "work_order_overdue",
                   f"工单超时 {order.code}（{order.priority}）：{order.where or order.category}",
                   order.description[:200], _link(order))
            (WorkOrder.update(overdue_alerted_at=now).where(WorkOrder.id == order.id)
             .execute())
        count += 1
    return count
