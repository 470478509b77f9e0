"""Service-desk rules shared by the views, the periodic jobs, the CLI, the tests and the archive.

Work orders: `create_work_order` (the one call patrol and inspection make) and each step of
登记 → 派单 → 接单 → 处理中 → 完工 → 回访 → 关闭. Every step checks the state it starts from and
who may take it, writes in one transaction and adds a line to the order's timeline.
"""
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import url_for
from peewee import JOIN

from ..db import db, utcnow
from ..models import Building, Unit, User, notify
from ..photos import Photo
from .models import (
    AUTO_CLOSE_DAYS,
    CATEGORIES,
    CHANNELS,
    COMPLAINT_OPEN,
    COMPLAINT_STATES,
    DEFAULT_CAUSES,
    ORDER_OPEN,
    ORIGIN_KINDS,
    PRIORITIES,
    SATISFACTION,
    SOURCES,
    Complaint,
    ComplaintCause,
    ComplaintEvent,
    ComplaintStep,
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


def _clean(value, label, limit, required=False, field=None, error=WorkOrderError):
    value = (value or "").strip()
    if required and not value:
        raise error(f"请填写{label}。", field)
    if len(value) > limit:
        raise error(f"{label}不能超过 {limit} 个字。", field)
    return value


HOUR_FIELDS = ("urgent_hours", "high_hours", "normal_hours", "complaint_reply_hours")


def save_settings(estate, hours):
    """Store the estate's due hours; new orders and complaints use them from now on."""
    with db.atomic():
        settings = ServiceSettings.of(estate)
        for name in HOUR_FIELDS:
            setattr(settings, name, int(hours[name]))
        settings.save()
    return settings


def add_cause(estate, name):
    name = _clean(name, "分类名称", 20, required=True, field="name")
    if ComplaintCause.select().where(ComplaintCause.estate == estate,
                                     ComplaintCause.name == name).exists():
        raise ServiceError("已有这个分类。", "name")
    position = causes_of(estate).count()
    return ComplaintCause.create(estate=estate, name=name, position=position)


def toggle_cause(cause):
    """Categories are never deleted (old complaints keep theirs); an unused one is hidden."""
    cause.active = not cause.active
    cause.save()
    return cause


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


class Flow:
    """The steps of one kind of record: which step may follow which status, who may take it,
    and how each step is written (status moved only from the status seen, timeline line)."""

    def __init__(self, noun, rules, who, may, error, log, next_status):
        self.noun, self.rules, self.who, self.may = noun, rules, who, may
        self.error, self.log, self.next_status = error, log, next_status

    def steps_for(self, user, record):
        """The steps this user can take on this record now: the page shows only these."""
        return [step for step, (after, _) in self.rules.items()
                if record.status in after and self.may(user, record, step)]

    def advance(self, record, step, by, now, note="", new_status=None, **fields):
        after, who = self.rules[step]
        if not self.may(by, record, step):
            raise NotAllowed(self.who[who])
        if record.status not in after:
            raise self.error(f"{self.noun}当前为“{record.state}”，不能{step}。")
        status = new_status or self.next_status(record, step)
        model = type(record)
        changed = (model.update(status=status, **fields)
                   .where(model.id == record.id, model.status == record.status).execute())
        if not changed:
            raise self.error(f"{self.noun}状态已被他人更新，请刷新后再试。")
        record.status = status
        for name, value in fields.items():
            setattr(record, name, value)
        self.log(record, step, by, now, note)
        return record


ORDER_FLOW = Flow("工单", ORDER_RULES, WHO, may, WorkOrderError,
                  lambda order, step, actor, at, note: WorkOrderStep.create(
                      order=order, step=step, actor=actor, at=at, note=note),
                  lambda order, step: order.status if step == "更正" else step)
steps_for, _advance = ORDER_FLOW.steps_for, ORDER_FLOW.advance


def _among(staff, user):
    """Whether `user` is in a User.with_role() query (its ORDER BY cleared: PostgreSQL
    refuses DISTINCT with an ORDER BY column not selected, as exists() selects only 1)."""
    return staff.where(User.id == user.id).order_by().exists()


def assignable_engineers(estate):
    return User.with_role(estate, "engineer")


def assign(order, engineer, by, now=None, note=""):
    """派单 (or re-assign) to an engineer of the estate, who is told at once."""
    now = now or utcnow()
    if engineer is None or not _among(assignable_engineers(order.estate), engineer):
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


def _visit_note(satisfaction, comment, error):
    """A 回访's timeline line (满意/基本满意/不满意 and the comment), and the cleaned comment."""
    if satisfaction not in SATISFACTION:
        raise error("请选择满意度。", "satisfaction")
    comment = _clean(comment, "回访意见", 500, field="comment", error=error)
    return satisfaction + (f"：{comment}" if comment else ""), comment


def visit(order, by, satisfaction, comment="", now=None):
    """回访: 满意/基本满意 keep it finished; 不满意 reopens it to the same engineer."""
    now = now or utcnow()
    text, comment = _visit_note(satisfaction, comment, WorkOrderError)
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


def _timeline(step_model, owner_field, record):
    steps = (step_model.select(step_model, User)
             .join(User, on=step_model.actor, join_type=JOIN.LEFT_OUTER)
             .where(owner_field == record).order_by(step_model.at, step_model.id))
    return [{"step": s.step, "actor": s.actor.display_name if s.actor_id else "系统",
             "at": s.at, "note": s.note} for s in steps]


def order_timeline(order):
    """The whole history of an order, oldest first, as plain rows (page, PDF, archive)."""
    return _timeline(WorkOrderStep, WorkOrderStep.order, order)


def order_photos(order, stage=None):
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


def order_list(estate, tab, user, now=None):
    now = now or utcnow()
    query = orders_of(estate)
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


# ── complaints (投诉), by the office's own procedure ──
class ComplaintError(ServiceError):
    """Bad complaint input, or a step its state does not allow."""


def _ctext(value, label, limit, required=False, field=None):
    return _clean(value, label, limit, required, field, error=ComplaintError)


def parse_local(estate, value, label, field):
    """A date-time typed in the estate's zone (2026-11-20T14:30) as naive UTC; None if empty."""
    value = (value or "").strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"):
        try:
            local = datetime.strptime(value[:16], fmt)
        except ValueError:
            continue
        if len(value) <= 19 and 2000 <= local.year <= 2100:
            return to_utc(estate, local)
    raise ComplaintError(f"{label}格式不对，请选择日期和时间。", field)


def to_utc(estate, local):
    return local.replace(tzinfo=ZoneInfo(estate.timezone)).astimezone(UTC).replace(tzinfo=None)


def to_local(estate, value):
    return value.replace(tzinfo=UTC).astimezone(ZoneInfo(estate.timezone)).replace(tzinfo=None)


def complaint_staff(estate):
    """Who may own (负责) a complaint: the desk, supervisors, managers and engineers."""
    return User.with_role(estate, "desk", "supervisor", "manager", "engineer")


def _staff_member(estate, user, field="owner"):
    if user is None or not _among(complaint_staff(estate), user):
        raise ComplaintError("请选择本小区的责任人。", field)
    return user


def _complaint_link(complaint):
    try:
        return url_for("service.complaint", complaint_id=complaint.id)
    except RuntimeError:
        return f"/service/complaints/{complaint.id}"


def _reply_hours(estate):
    return ServiceSettings.of(estate).complaint_reply_hours


def create_complaint(estate, *, channel, content, received_by, name="", unit=None, phone="",
                     neighbour_dispute=False, owner=None, due_at=None, needs_followup=True,
                     received_at=None, now=None):
    """受理: record a complaint; the receiver handles it (owner = receiver) or hands it to a
    responsible person with a promised reply time (约定回复时间). Either way it has an owner
    and a due time. For a neighbour dispute name and unit are never forced."""
    now = now or utcnow()
    if channel not in CHANNELS:
        raise ComplaintError("请选择投诉渠道。", "channel")
    content = _ctext(content, "投诉内容", MAX_TEXT, required=True, field="content")
    name = _ctext(name, "投诉人姓名", 40, field="name")
    phone = _ctext(phone, "联系电话", 20, field="phone")
    if phone and not re.fullmatch(r"[0-9+\- ]{5,20}", phone):
        raise ComplaintError("联系电话只能填数字，例如 13800138000。", "phone")
    if not neighbour_dispute and not name:
        raise ComplaintError("请填写投诉人姓名（邻里纠纷可不填）。", "name")
    if not neighbour_dispute and unit is None and not phone:
        raise ComplaintError("请填写房号或联系电话，以便回复（邻里纠纷可不填）。", "unit")
    received_at = received_at or now
    if received_at > now + timedelta(minutes=5):
        raise ComplaintError("受理时间不能晚于现在。", "received_at")
    handed_over = owner is not None
    owner = _staff_member(estate, owner) if handed_over else received_by
    if handed_over and due_at is None:
        raise ComplaintError("转交责任人时请填写约定回复时间。", "due_at")
    if due_at is not None and due_at <= received_at:
        raise ComplaintError("约定回复时间应晚于受理时间。", "due_at")
    due_at = due_at or received_at + timedelta(hours=_reply_hours(estate))
    with db.atomic():
        complaint = Complaint.create(
            estate=estate, channel=channel, neighbour_dispute=bool(neighbour_dispute), name=name,
            unit=unit, phone=phone, content=content, received_by=received_by,
            received_at=received_at, owner=owner, due_at=due_at,
            needs_followup=bool(needs_followup))
        _complaint_step(complaint, "受理", received_by, now,
                        f"{channel}" + (" · 邻里纠纷" if neighbour_dispute else ""))
        if handed_over and owner.id != received_by.id:
            _complaint_step(complaint, "转交", received_by, now, _handover_note(
                estate, owner, due_at))
            notify([owner], estate, "complaint", f"转交投诉 {complaint.code}，请按约定时间回复",
                   content[:200], _complaint_link(complaint))
    return complaint


def _handover_note(estate, owner, due_at, note=""):
    return (f"转交 {owner.display_name}，约定 {to_local(estate, due_at):%m-%d %H:%M} 前回复"
            + (f"：{note}" if note else ""))


def _complaint_step(complaint, step, actor, at, note=""):
    ComplaintStep.create(complaint=complaint, step=step, actor=actor, at=at, note=note)


# Which step may follow which state, and who may take it.
COMPLAINT_RULES = {
    "转交": (COMPLAINT_OPEN, "owner_or_desk"),
    "处理": (COMPLAINT_OPEN, "owner"),
    "回访": (("已处理",), "desk"),
    "分类": (("已受理", "协商中", "已处理"), "owner_or_desk"),
    "更正": (COMPLAINT_STATES, "desk"),
}
COMPLAINT_WHO = {"owner": "只有责任人、主管或经理可以处理这件投诉。",
                 "owner_or_desk": "只有责任人或客服、主管、经理可以做这一步。",
                 "desk": "只有客服、主管或经理可以做这一步。"}


def may_complaint(user, complaint, step):
    who = COMPLAINT_RULES[step][1]
    is_owner = complaint.owner_id == user.id
    if who == "owner":
        return is_owner or user.has_role(*SUPERVISORS)
    if who == "owner_or_desk":
        return is_owner or user.has_role(*DESK)
    return user.has_role(*DESK)


def may_see_complaint(user, complaint):
    return user.has_role(*DESK) or complaint.owner_id == user.id


COMPLAINT_FLOW = Flow("投诉", COMPLAINT_RULES, COMPLAINT_WHO, may_complaint, ComplaintError,
                      lambda complaint, *step: _complaint_step(complaint, *step),
                      lambda complaint, step: complaint.status)
complaint_steps_for, _advance_complaint = COMPLAINT_FLOW.steps_for, COMPLAINT_FLOW.advance


def hand_over(complaint, owner, due_at, by, note="", now=None):
    """转交: a new responsible person and promised reply time; they are told at once."""
    now = now or utcnow()
    owner = _staff_member(complaint.estate, owner)
    if due_at is None:
        raise ComplaintError("请填写约定回复时间。", "due_at")
    if due_at <= now:
        raise ComplaintError("约定回复时间应晚于现在。", "due_at")
    note = _ctext(note, "转交说明", 500, field="note")
    with db.atomic():
        _advance_complaint(complaint, "转交", by, now,
                           _handover_note(complaint.estate, owner, due_at, note),
                           owner=owner, due_at=due_at, overdue_alerted_at=None)
        notify([owner], complaint.estate, "complaint",
               f"转交投诉 {complaint.code}，请按约定时间回复", complaint.content[:200],
               _complaint_link(complaint))
    return complaint


def handle(complaint, by, *, reply, agreed, investigation="", measures="", next_due=None,
           needs_followup=True, now=None):
    """One handling round: investigation, measures, the reply given. If the complainant
    agrees it is 已处理 (waiting for 回访, or the 7-day close when none is needed);
    if not it stays open (协商中) with the next promised reply time."""
    now = now or utcnow()
    investigation = _ctext(investigation, "调查情况", MAX_TEXT, field="investigation")
    measures = _ctext(measures, "处理措施", MAX_TEXT, field="measures")
    reply = _ctext(reply, "答复内容", MAX_TEXT, required=True, field="reply")
    if agreed not in (True, False):
        raise ComplaintError("请选择投诉人是否同意。", "agreed")
    if not agreed:
        next_due = next_due or now + timedelta(hours=_reply_hours(complaint.estate))
        if next_due <= now:
            raise ComplaintError("下次回复时间应晚于现在。", "next_due")
    lines = [f"调查：{investigation}" if investigation else "",
             f"措施：{measures}" if measures else "", f"答复：{reply}",
             "投诉人同意处理意见" + ("" if needs_followup else "，无须回访") if agreed else
             "投诉人不同意，继续协商，约定 "
             f"{to_local(complaint.estate, next_due):%m-%d %H:%M} 前再回复"]
    fields = {"first_reply_at": complaint.first_reply_at or now,
              "was_overdue": complaint.was_overdue or now > complaint.due_at}
    if agreed:
        fields.update(handled_at=now, needs_followup=bool(needs_followup))
    else:
        fields.update(due_at=next_due, overdue_alerted_at=None)
    with db.atomic():
        return _advance_complaint(complaint, "处理", by, now, "\n".join(x for x in lines if x),
                                  new_status="已处理" if agreed else "协商中", **fields)


def follow_up(complaint, by, satisfaction, comment="", now=None):
    """回访: 满意 or 基本满意 closes it (archived for good); 不满意 reopens the negotiation."""
    now = now or utcnow()
    text, comment = _visit_note(satisfaction, comment, ComplaintError)
    with db.atomic():
        if satisfaction != "不满意":
            _advance_complaint(complaint, "回访", by, now, text, new_status="已关闭",
                               satisfaction=satisfaction, closed_at=now, close_reason="回访满意")
            _complaint_step(complaint, "关闭", by, now, "回访满意，投诉关闭")
            return complaint
        _advance_complaint(complaint, "回访", by, now, text + "。继续协商。", new_status="协商中",
                           satisfaction=satisfaction, handled_at=None, overdue_alerted_at=None,
                           due_at=now + timedelta(hours=_reply_hours(complaint.estate)))
        notify([u for u in [complaint.owner] if u], complaint.estate, "complaint",
               f"投诉 {complaint.code} 回访不满意，需继续处理", comment,
               _complaint_link(complaint))
    return complaint


def classify(complaint, by, *, cause=None, event=None, new_event="", major=False, now=None):
    """Root cause (by the final cause), the event it belongs to, and the 重大投诉 flag."""
    now = now or utcnow()
    if cause is not None and (not isinstance(cause, ComplaintCause)
                              or cause.estate_id != complaint.estate_id):
        raise ComplaintError("请选择投诉分类。", "cause")
    new_event = _ctext(new_event, "新事件名称", 100, field="new_event")
    if event is not None and event.estate_id != complaint.estate_id:
        raise ComplaintError("请选择本小区的事件。", "event")
    with db.atomic():
        if new_event:
            event = ComplaintEvent.create(estate=complaint.estate, title=new_event, created_at=now)
        note = "；".join(x for x in [f"分类：{cause.name}" if cause else "分类：未分类",
                                      f"事件：{event.title}" if event else "",
                                      "重大投诉" if major else ""] if x)
        return _advance_complaint(complaint, "分类", by, now, note, cause=cause, event=event,
                                  major=bool(major))


def amend_complaint(complaint, by, note, now=None):
    note = _ctext(note, "更正内容", MAX_TEXT, required=True, field="note")
    with db.atomic():
        return _advance_complaint(complaint, "更正", by, now or utcnow(), note)


def complaint_timeline(complaint):
    """The whole file of a complaint, oldest first (page, 日盘点, archive PDF)."""
    return _timeline(ComplaintStep, ComplaintStep.complaint, complaint)


def repeat_complaints(complaint):
    """Complaints about the same event received in the week after this one was handled."""
    if complaint.event_id is None or complaint.handled_at is None:
        return Complaint.select().where(False)
    return Complaint.select().where(
        Complaint.event == complaint.event_id, Complaint.id != complaint.id,
        Complaint.received_at > complaint.handled_at,
        Complaint.received_at <= complaint.handled_at + timedelta(days=AUTO_CLOSE_DAYS))


def auto_close_complaints(now=None):
    """Close each complaint needing no follow-up 7 days after handling, unless a repeat
    complaint about the same event came in that week (then it waits for a 回访)."""
    now = now or utcnow()
    due = Complaint.select().where(
        Complaint.status == "已处理", ~Complaint.needs_followup,
        Complaint.handled_at <= now - timedelta(days=AUTO_CLOSE_DAYS))
    closed = 0
    for complaint in due:
        if repeat_complaints(complaint).exists():
            continue
        with db.atomic():
            changed = (Complaint.update(status="已关闭", closed_at=now,
                                        close_reason="处理后一周内无再次投诉")
                       .where(Complaint.id == complaint.id, Complaint.status == "已处理")
                       .execute())
            if changed:
                _complaint_step(complaint, "关闭", None, now,
                                "无须回访，处理后一周内无再次投诉，自动关闭")
                closed += 1
    return closed


def alert_overdue_complaints(now=None):
    """Each open complaint past its promised reply time alerts its owner and the supervisors."""
    now = now or utcnow()
    late = Complaint.select().where(Complaint.status.in_(COMPLAINT_OPEN), Complaint.due_at < now,
                                    Complaint.overdue_alerted_at.is_null())
    count = 0
    for complaint in late:
        with db.atomic():
            users = {u.id: u for u in User.with_role(complaint.estate, *SUPERVISORS)}
            if complaint.owner_id:
                users[complaint.owner_id] = complaint.owner
            notify(users.values(), complaint.estate, "complaint_overdue",
                   f"投诉超时未回复 {complaint.code}", complaint.content[:200],
                   _complaint_link(complaint))
            (Complaint.update(overdue_alerted_at=now, was_overdue=True)
             .where(Complaint.id == complaint.id).execute())
        count += 1
    return count


COMPLAINT_TABS = {"mine": "我负责的", "open": "处理中", "overdue": "已超时", "handled": "待回访",
                  "closed": "已关闭", "major": "重大投诉", "all": "全部"}


def complaints_of(estate):
    """An estate's complaints with unit, building and owner in the same query."""
    return (Complaint.select(Complaint, Unit, Building, User)
            .join(Unit, JOIN.LEFT_OUTER).join(Building, JOIN.LEFT_OUTER).switch(Complaint)
            .join(User, JOIN.LEFT_OUTER, on=Complaint.owner).where(Complaint.estate == estate))


def complaint_list(estate, tab, user, now=None):
    now = now or utcnow()
    query = complaints_of(estate)
    filters = {"mine": (Complaint.owner == user) & Complaint.status.in_(COMPLAINT_OPEN),
               "open": Complaint.status.in_(COMPLAINT_OPEN),
               "overdue": Complaint.status.in_(COMPLAINT_OPEN) & (Complaint.due_at < now),
               "handled": Complaint.status == "已处理",
               "closed": Complaint.status == "已关闭",
               "major": Complaint.major}
    if tab in filters:
        query = query.where(filters[tab])
    if tab in ("mine", "open", "overdue"):
        return query.order_by(Complaint.due_at, Complaint.id)
    return query.order_by(Complaint.received_at.desc(), Complaint.id.desc())


def complaint_badge(user, estate):
    """The bottom-nav badge: open complaints this user is responsible for."""
    return complaint_list(estate, "mine", user).count()


def causes_of(estate):
    """The estate's root-cause categories, seeded with the office's own on first use."""
    query = (ComplaintCause.select().where(ComplaintCause.estate == estate)
             .order_by(ComplaintCause.position, ComplaintCause.id))
    if not query.exists():
        with db.atomic():
            for position, name in enumerate(DEFAULT_CAUSES):
                ComplaintCause.get_or_create(estate=estate, name=name,
                                             defaults={"position": position})
    return query


def open_events(estate, limit=50):
    return (ComplaintEvent.select().where(ComplaintEvent.estate == estate)
            .order_by(ComplaintEvent.created_at.desc()).limit(limit))


# ── 日盘点 and monthly statistics ──
def local_range(estate, first_day, last_day):
    """[start, end) in naive UTC covering local days first_day..last_day of the estate."""
    start = datetime.combine(first_day, datetime.min.time())
    end = datetime.combine(last_day + timedelta(days=1), datetime.min.time())
    return to_utc(estate, start), to_utc(estate, end)


def daily_list(estate, day):
    """日盘点: everything received on a local day, with its state now, so nothing slips."""
    start, end = local_range(estate, day, day)
    complaints = (complaints_of(estate)
                  .where(Complaint.received_at >= start, Complaint.received_at < end)
                  .order_by(Complaint.received_at, Complaint.id))
    orders = (orders_of(estate).where(WorkOrder.created_at >= start, WorkOrder.created_at < end)
              .order_by(WorkOrder.created_at, WorkOrder.id))
    return list(complaints), list(orders)


def _person(complaint):
    """Who complained, for counting people: by phone, else name and unit, else anonymous."""
    if complaint.phone:
        return ("phone", complaint.phone)
    if complaint.name or complaint.unit_id:
        return ("name", complaint.name, complaint.unit_id)
    return ("anonymous", complaint.id)


def _hours(deltas):
    deltas = [d.total_seconds() / 3600 for d in deltas]
    return round(sum(deltas) / len(deltas), 1) if deltas else None


def monthly_stats(estate, year, month, now=None):
    """A month's complaints, where many complaints about one event count as one (件) with
    how many people and how many times; causes are the final root causes."""
    now = now or utcnow()
    first = datetime(year, month, 1).date()
    last = (datetime(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).date()
    start, end = local_range(estate, first, last)
    rows = list(Complaint.select(Complaint, ComplaintCause, ComplaintEvent)
                .join(ComplaintCause, JOIN.LEFT_OUTER).switch(Complaint)
                .join(ComplaintEvent, JOIN.LEFT_OUTER)
                .where(Complaint.estate == estate, Complaint.received_at >= start,
                       Complaint.received_at < end)
                .order_by(Complaint.received_at, Complaint.id))
    cases = {}
    for c in rows:
        cases.setdefault(("event", c.event_id) if c.event_id else ("one", c.id), []).append(c)
    by_cause = {}
    events = []
    for members in cases.values():
        cause = next((c.cause.name for c in members if c.cause_id), "未分类")
        people = len({_person(c) for c in members})
        row = by_cause.setdefault(cause, {"cause": cause, "cases": 0, "people": 0, "times": 0})
        row["cases"] += 1
        row["people"] += people
        row["times"] += len(members)
        if members[0].event_id:
            events.append({"title": members[0].event.title, "cause": cause, "people": people,
                           "times": len(members)})
    order = [c.name for c in causes_of(estate)]
    by_channel = {ch: sum(1 for c in rows if c.channel == ch) for ch in CHANNELS}
    visited = [c for c in rows if c.satisfaction]
    return {
        "complaints": len(rows), "cases": len(cases), "events": events,
        "by_cause": sorted(by_cause.values(), key=lambda r: (
            order.index(r["cause"]) if r["cause"] in order else len(order))),
        "by_channel": {k: v for k, v in by_channel.items() if v},
        "avg_reply_hours": _hours([c.first_reply_at - c.received_at for c in rows
                                   if c.first_reply_at]),
        "avg_close_hours": _hours([c.closed_at - c.received_at for c in rows if c.closed_at]),
        "overdue": sum(1 for c in rows if c.was_overdue or c.is_overdue(now)),
        "visited": len(visited),
        "satisfied": sum(1 for c in visited if c.satisfaction != "不满意"),
        "satisfaction_rate": round(100 * sum(1 for c in visited if c.satisfaction != "不满意")
                                   / len(visited)) if visited else None,
        "major": [c for c in rows if c.major],
        "closed": sum(1 for c in rows if c.status == "已关闭"),
    }


# ── what the archive renders (closed work orders and complaints as PDF) ──
def order_document(order):
    """Everything a closed order's PDF shows: the record, its photos and its whole timeline."""
    return {"order": order, "timeline": order_timeline(order),
            "photos": order_photos(order)}


def complaint_document(complaint):
    """Everything a closed complaint's PDF shows; `major` complaints go to their own file."""
    return {"complaint": complaint, "timeline": complaint_timeline(complaint),
            "file_group": "重大投诉" if complaint.major else "投诉"}


def panel_counts(user, estate, now=None):
    """The figures on a service-desk user's home panel."""
    now = now or utcnow()
    counts = {"mine": order_list(estate, "mine", user, now).count(),
              "my_complaints": complaint_badge(user, estate)}
    if user.has_role(*DESK):
        counts.update(
            pending=order_list(estate, "pending", user, now).count(),
            overdue=order_list(estate, "overdue", user, now).count(),
            to_visit=WorkOrder.select().where(WorkOrder.estate == estate,
                                              WorkOrder.status == "完工").count(),
            open_complaints=complaint_list(estate, "open", user, now).count(),
            overdue_complaints=complaint_list(estate, "overdue", user, now).count(),
            complaints_to_visit=complaint_list(estate, "handled", user, now).count())
    return counts
