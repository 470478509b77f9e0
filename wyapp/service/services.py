"""Service-desk rules shared by the views, the periodic jobs, the CLI, the tests and the archive.

Work orders: `create_work_order` (the one call patrol and inspection make) and each step of
登记 → 派单 → 接单 → 处理中 → 完工 → 回访 → 关闭. Every step checks the state it starts from and
who may take it, writes in one transaction and adds a line to the order's timeline.
"""
import re
from datetime import timedelta

from flask import url_for
from peewee import JOIN

from ..db import db, utcnow
from ..models import Building, Unit, User, notify
from ..photos import Photo
from .models import (
    CATEGORIES,
    ORDER_OPEN,
    ORIGIN_KINDS,
    PRIORITIES,
    SATISFACTION,
    SOURCES,
    ServiceSettings,
    WorkOrder,
    WorkOrderPhoto,
    WorkOrderStep,
)

SUPERVISORS = ("supervisor", "manager")
DESK = ("desk", "supervisor", "manager")
MAX_TEXT = 2000


class ServiceError(ValueError):
    """A refused input or step; the Chinese message is shown beside `field` (when given)."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message, self.field = message, field


class WorkOrderError(ServiceError):
    """Bad input for a work order, or a step its state does not allow."""


class NotAllowed(ServiceError):
    """The user may not take this step at all (wrong role, not the assignee): a 403."""


def find_unit(estate, text, field="unit"):
    """A unit typed as 楼栋-房号 (1号楼-101, 1-101, 1号楼 101); None when left empty."""
    text = (text or "").strip().replace("－", "-").replace("—", "-")
    if not text:
        return None
    parts = re.split(r"[-\s/]+", text, maxsplit=1)
    if len(parts) == 2 and len(text) <= 60:
        names = [parts[0], f"{parts[0]}号楼", f"{parts[0]}栋"]
        unit = (Unit.select(Unit, Building).join(Building)
                .where(Unit.estate == estate, Building.name.in_(names), Unit.number == parts[1])
                .first())
        if unit is not None:
            return unit
    raise ServiceError(f"没有找到房号“{text[:30]}”，请按“楼栋-房号”填写，例如 1号楼-101。", field)


def _clean(value, label, limit, required=False, field=None):
    value = (value or "").strip()
    if required and not value:
        raise WorkOrderError(f"请填写{label}。", field)
    if len(value) > limit:
        raise WorkOrderError(f"{label}不能超过 {limit} 个字。", field)
    return value


def due_time(estate, priority, start):
    return start + timedelta(hours=ServiceSettings.of(estate).due_hours(priority))


def create_work_order(estate, *, source, description, reported_by, category="其他",
                      priority="普通", unit=None, place="", photos=(), origin=None, paid=False,
                      now=None):
    """Register a repair (登记) and tell the supervisors; the one call any module makes.

    origin: ("patrol_incident", id) or ("inspection_item", id), kept so the order links back.
    Raises WorkOrderError with a Chinese message on bad input.
    """
    now = now or utcnow()
    if source not in SOURCES:
        raise WorkOrderError("请选择报修来源。", "source")
    if category not in CATEGORIES:
        raise WorkOrderError("请选择报修类别。", "category")
    if priority not in PRIORITIES:
        raise WorkOrderError("请选择紧急程度。", "priority")
    description = _clean(description, "报修内容", MAX_TEXT, required=True, field="description")
    place = _clean(place, "报修位置", 100, field="place")
    if unit is not None and (not isinstance(unit, Unit) or unit.estate_id != estate.id):
        raise WorkOrderError("房号不属于本小区。", "unit")
    if reported_by is None:
        raise WorkOrderError("缺少登记人。")
    photos = list(photos)
    if any(not isinstance(p, Photo) or p.estate_id != estate.id for p in photos):
        raise WorkOrderError("照片不属于本小区。", "photos")
    origin_kind, origin_id = "", None
    if origin is not None:
        try:
            origin_kind, origin_id = origin[0], int(origin[1])
        except (TypeError, ValueError, IndexError):
            origin_kind = None
        if origin_kind not in ORIGIN_KINDS:
            raise WorkOrderError("工单来源记录无效。")
    with db.atomic():
        order = WorkOrder.create(
            estate=estate, source=source, category=category, priority=priority,
            paid=bool(paid), unit=unit, place=place, description=description,
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


def _link(order):
    try:
        return url_for("service.work_order", order_id=order.id)
    except RuntimeError:  # outside a request (CLI, worker): a relative link still works
        return f"/service/orders/{order.id}"


# Which step may follow which status, and who may take it.
ORDER_RULES = {
    "派单": (("登记", "派单", "接单", "处理中"), "supervisor"),
    "接单": (("派单",), "assignee"),
    "处理中": (("接单",), "assignee"),
    "完工": (("处理中",), "assignee"),
    "回访": (("完工",), "desk"),
    "关闭": (("回访",), "desk"),
    "更正": (("登记", "派单", "接单", "处理中", "完工", "回访", "关闭"), "desk"),
}
WHO = {"supervisor": "只有主管或经理可以派单。", "assignee": "只有接单的维修人员可以操作这一步。",
       "desk": "只有客服、主管或经理可以做这一步。"}


def may(user, order, step):
    """Whether `user` holds the right to take `step` on `order` (its state aside)."""
    who = ORDER_RULES[step][1]
    if who == "assignee":
        return order.assignee_id is not None and order.assignee_id == user.id
    return user.has_role(*(SUPERVISORS if who == "supervisor" else DESK))


def steps_for(user, order):
    """The steps this user can take on this order now: the page shows only these forms."""
    return [step for step, (after, _) in ORDER_RULES.items()
            if order.status in after and may(user, order, step)]


def _advance(order, step, by, now, note="", new_status=None, **fields):
    after, who = ORDER_RULES[step]
    if not may(by, order, step):
        raise NotAllowed(WHO[who])
    if order.status not in after:
        raise WorkOrderError(f"工单当前为“{order.status}”，不能{step}。")
    status = new_status or (order.status if step == "更正" else step)
    changed = (WorkOrder.update(status=status, **fields)
               .where(WorkOrder.id == order.id, WorkOrder.status == order.status).execute())
    if not changed:
        raise WorkOrderError("工单状态已被他人更新，请刷新后再试。")
    order.status = status
    for name, value in fields.items():
        setattr(order, name, value)
    WorkOrderStep.create(order=order, step=step, actor=by, at=now, note=note)
    return order


def assignable_engineers(estate):
    return User.with_role(estate, "engineer")


def assign(order, engineer, by, now=None, note=""):
    """派单 (or re-assign) to an engineer of the estate, who is told at once."""
    now = now or utcnow()
    if engineer is None or not assignable_engineers(order.estate).where(
            User.id == engineer.id).exists():
        raise WorkOrderError("请选择本小区的维修人员。", "engineer")
    note = _clean(note, "派单说明", 500, field="note")
    text = f"派给 {engineer.display_name}" + (f"：{note}" if note else "")
    with db.atomic():
        _advance(order, "派单", by, now, text, assignee=engineer)
        notify([engineer], order.estate, "work_order",
               f"新派工单 {order.code}（{order.priority}）：{order.where or order.category}",
               order.description[:200], _link(order))
    return order


def accept(order, by, now=None):
    with db.atomic():
        return _advance(order, "接单", by, now or utcnow())


def start(order, by, now=None):
    with db.atomic():
        return _advance(order, "处理中", by, now or utcnow(), "开始处理")


def complete(order, by, note, materials="", photos=(), now=None):
    """完工 with what was done, the materials used and photos of the result."""
    now = now or utcnow()
    note = _clean(note, "处理结果", MAX_TEXT, required=True, field="note")
    materials = _clean(materials, "使用材料", 500, field="materials")
    with db.atomic():
        _advance(order, "完工", by, now, note + (f"\n材料：{materials}" if materials else ""),
                 completed_at=now, completion_note=note, materials=materials)
        for photo in photos:
            WorkOrderPhoto.create(order=order, photo=photo, stage="完工")
    return order


def visit(order, by, satisfaction, comment="", now=None):
    """回访: 满意/基本满意 keep it finished; 不满意 reopens it to the same engineer."""
    now = now or utcnow()
    if satisfaction not in SATISFACTION:
        raise WorkOrderError("请选择满意度。", "satisfaction")
    comment = _clean(comment, "回访意见", 500, field="comment")
    text = satisfaction + (f"：{comment}" if comment else "")
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
    now = now or utcnow()
    with db.atomic():
        return _advance(order, "关闭", by, now, closed_at=now)


def amend(order, by, note, now=None):
    """A correction: the record itself is not rewritten; the timeline says what is amended."""
    note = _clean(note, "更正内容", MAX_TEXT, required=True, field="note")
    with db.atomic():
        return _advance(order, "更正", by, now or utcnow(), note)


def order_timeline(order):
    """The whole history of an order, oldest first, as plain rows (page, PDF, archive)."""
    steps = (WorkOrderStep.select(WorkOrderStep, User).join(User, on=WorkOrderStep.actor,
                                                            join_type=JOIN.LEFT_OUTER)
             .where(WorkOrderStep.order == order).order_by(WorkOrderStep.at, WorkOrderStep.id))
    return [{"step": s.step, "actor": s.actor.display_name if s.actor_id else "系统",
             "at": s.at, "note": s.note} for s in steps]


def order_photos(order, stage=None):
    query = (Photo.select().join(WorkOrderPhoto).where(WorkOrderPhoto.order == order)
             .order_by(WorkOrderPhoto.id))
    return list(query.where(WorkOrderPhoto.stage == stage) if stage else query)


# ── lists ──
ORDER_TABS = {"mine": "我的工单", "pending": "待派单", "open": "处理中", "overdue": "已超时",
              "done": "待回访", "closed": "已关闭", "all": "全部"}


def order_list(estate, tab, user, now=None):
    now = now or utcnow()
    query = WorkOrder.select().where(WorkOrder.estate == estate)
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
    return query.order_by(WorkOrder.created_at.desc(), WorkOrder.id.desc())


def badge_count(user, estate):
    """The bottom-nav badge: my open orders, plus those waiting for 派单 for a supervisor."""
    count = order_list(estate, "mine", user).count()
    if user.has_role(*SUPERVISORS):
        count += order_list(estate, "pending", user).count()
    return count


# ── periodic ──
def alert_overdue_orders(now=None):
    """Each open order past its due time raises one alert, to its engineer and the supervisors."""
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
