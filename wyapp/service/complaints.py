"""Complaints (投诉), by the office's own procedure: 受理 (the receiver handles it, or hands it
to a responsible person with a promised reply time), 转交, handling rounds until the
complainant agrees (协商中 while not), 回访, closing (or the 7-day auto-close), root-cause
categories and events (one event, many complaints), corrections as amendments.

Times are naive UTC; a time the desk types is the estate's wall time (parse_local).
"""
from datetime import datetime, timedelta

from peewee import JOIN

from ..db import db, utcnow
from ..errors import DomainError
from ..inputs import clean_phone
from ..models import Building, Unit, User, notify
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
    AUTO_CLOSE_DAYS,
    CHANNELS,
    COMPLAINT_OPEN,
    COMPLAINT_STATES,
    Complaint,
    ComplaintCause,
    ComplaintEvent,
    ComplaintStep,
    ServiceSettings,
)


def parse_local(estate, value, label, field):
    """A date-time the desk typed in the estate's zone ("2026-11-20T14:30" or
    "2026-11-20 14:30") as naive UTC; None when empty. Raises DomainError on `field`."""
    value = (value or "").strip()
    if not value:
        return None
    for fmt in ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"):
        try:
            local = datetime.strptime(value[:16], fmt)
        except ValueError:
            continue
        if len(value) <= 19 and 2000 <= local.year <= 2100:
            return estate.utc(local)
    raise DomainError(f"{label}格式不对，请选择日期和时间。", field)


def complaint_staff(estate):
    """Who may own (负责) a complaint: the desk, supervisors, managers and engineers."""
    return User.with_role(estate, "desk", "supervisor", "manager", "engineer")


def staff_by_id(estate, user_id):
    """The member of complaint_staff(estate) with this id (as a form sends it), or None."""
    return complaint_staff(estate).where(User.id == row_id(user_id)).first()


def _staff_member(estate, user, field="owner"):
    if user is None or not among(complaint_staff(estate), user):
        raise DomainError("请选择本小区的责任人。", field)
    return user


def _link(complaint):
    return link("service.complaint", f"/service/complaints/{complaint.id}",
                complaint_id=complaint.id)


def _reply_hours(estate):
    return ServiceSettings.of(estate).complaint_reply_hours


def _wall(estate, moment):
    """A promised time as the timeline says it: the estate's month-day hour:minute."""
    return f"{estate.local(moment):%m-%d %H:%M}"


def create_complaint(estate, *, channel, content, received_by, name="", unit=None, phone="",
                     neighbour_dispute=False, owner=None, due_at=None, needs_followup=True,
                     received_at=None, now=None):
    """受理: record a complaint; the receiver handles it (owner = receiver) or hands it to a
    responsible person (`owner`) with a promised reply time `due_at` (约定回复时间). Either way
    it has an owner and a due time (default: the estate's reply hours after receiving). For
    a neighbour dispute name and unit are never forced. Times naive UTC. Returns the
    Complaint; raises DomainError on bad input."""
    now = now or utcnow()
    if channel not in CHANNELS:
        raise DomainError("请选择投诉渠道。", "channel")
    content = clean(content, "投诉内容", MAX_TEXT, required=True, field="content")
    name = clean(name, "投诉人姓名", 40, field="name")
    phone = clean_phone(phone, "phone")
    if not neighbour_dispute and not name:
        raise DomainError("请填写投诉人姓名（邻里纠纷可不填）。", "name")
    if not neighbour_dispute and unit is None and not phone:
        raise DomainError("请填写房号或联系电话，以便回复（邻里纠纷可不填）。", "unit")
    received_at = received_at or now
    if received_at > now + timedelta(minutes=5):
        raise DomainError("受理时间不能晚于现在。", "received_at")
    handed_over = owner is not None
    owner = _staff_member(estate, owner) if handed_over else received_by
    if handed_over and due_at is None:
        raise DomainError("转交责任人时请填写约定回复时间。", "due_at")
    if due_at is not None and due_at <= received_at:
        raise DomainError("约定回复时间应晚于受理时间。", "due_at")
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
                   content[:200], _link(complaint))
    return complaint


def _handover_note(estate, owner, due_at, note=""):
    return (f"转交 {owner.display_name}，约定 {_wall(estate, due_at)} 前回复"
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
    """Whether `user` holds the right to take `step` on `complaint` (its state aside)."""
    who = COMPLAINT_RULES[step][1]
    is_owner = complaint.owner_id == user.id
    if who == "owner":
        return is_owner or user.has_role(*SUPERVISORS)
    if who == "owner_or_desk":
        return is_owner or user.has_role(*DESK)
    return user.has_role(*DESK)


def may_see_complaint(user, complaint):
    """The desk sees every complaint of its estate; anyone else only those they own."""
    return user.has_role(*DESK) or complaint.owner_id == user.id


COMPLAINT_FLOW = Flow("投诉", COMPLAINT_RULES, COMPLAINT_WHO, may_complaint,
                      lambda complaint, *step: _complaint_step(complaint, *step),
                      lambda complaint, step: complaint.status)
complaint_steps_for, _advance = COMPLAINT_FLOW.steps_for, COMPLAINT_FLOW.advance


def hand_over(complaint, owner, due_at, by, note="", now=None):
    """转交: a new responsible person and promised reply time (naive UTC, after `now`);
    they are told at once. Raises DomainError or NotAllowed."""
    now = now or utcnow()
    owner = _staff_member(complaint.estate, owner)
    if due_at is None:
        raise DomainError("请填写约定回复时间。", "due_at")
    if due_at <= now:
        raise DomainError("约定回复时间应晚于现在。", "due_at")
    note = clean(note, "转交说明", 500, field="note")
    with db.atomic():
        _advance(complaint, "转交", by, now, _handover_note(complaint.estate, owner, due_at, note),
                 owner=owner, due_at=due_at, overdue_alerted_at=None)
        notify([owner], complaint.estate, "complaint",
               f"转交投诉 {complaint.code}，请按约定时间回复", complaint.content[:200],
               _link(complaint))
    return complaint


def handle(complaint, by, *, reply, agreed, investigation="", measures="", next_due=None,
           needs_followup=True, now=None):
    """One handling round: investigation, measures, the reply given. If the complainant
    agrees it is 已处理 (waiting for 回访, or the 7-day close when none is needed);
    if not it stays open (协商中) with the next promised reply time (`next_due`, naive UTC;
    default: the estate's reply hours from `now`). Raises DomainError or NotAllowed."""
    now = now or utcnow()
    investigation = clean(investigation, "调查情况", MAX_TEXT, field="investigation")
    measures = clean(measures, "处理措施", MAX_TEXT, field="measures")
    reply = clean(reply, "答复内容", MAX_TEXT, required=True, field="reply")
    if agreed not in (True, False):
        raise DomainError("请选择投诉人是否同意。", "agreed")
    if not agreed:
        next_due = next_due or now + timedelta(hours=_reply_hours(complaint.estate))
        if next_due <= now:
            raise DomainError("下次回复时间应晚于现在。", "next_due")
    lines = [f"调查：{investigation}" if investigation else "",
             f"措施：{measures}" if measures else "", f"答复：{reply}",
             "投诉人同意处理意见" + ("" if needs_followup else "，无须回访") if agreed else
             f"投诉人不同意，继续协商，约定 {_wall(complaint.estate, next_due)} 前再回复"]
    fields = {"first_reply_at": complaint.first_reply_at or now,
              "was_overdue": complaint.was_overdue or now > complaint.due_at}
    if agreed:
        fields.update(handled_at=now, needs_followup=bool(needs_followup))
    else:
        fields.update(due_at=next_due, overdue_alerted_at=None)
    with db.atomic():
        return _advance(complaint, "处理", by, now, "\n".join(x for x in lines if x),
                        new_status="已处理" if agreed else "协商中", **fields)


def follow_up(complaint, by, satisfaction, comment="", now=None):
    """回访: 满意 or 基本满意 closes it (archived for good); 不满意 reopens the negotiation."""
    now = now or utcnow()
    text, comment = visit_note(satisfaction, comment)
    with db.atomic():
        if satisfaction != "不满意":
            _advance(complaint, "回访", by, now, text, new_status="已关闭",
                     satisfaction=satisfaction, closed_at=now, close_reason="回访满意")
            _complaint_step(complaint, "关闭", by, now, "回访满意，投诉关闭")
            return complaint
        _advance(complaint, "回访", by, now, text + "。继续协商。", new_status="协商中",
                 satisfaction=satisfaction, handled_at=None, overdue_alerted_at=None,
                 due_at=now + timedelta(hours=_reply_hours(complaint.estate)))
        notify([u for u in [complaint.owner] if u], complaint.estate, "complaint",
               f"投诉 {complaint.code} 回访不满意，需继续处理", comment, _link(complaint))
    return complaint


def classify(complaint, by, *, cause=None, event=None, new_event="", major=False, now=None):
    """Root cause (by the final cause), the event it belongs to (an existing one or a
    `new_event` title), and the 重大投诉 flag."""
    now = now or utcnow()
    if cause is not None and (not isinstance(cause, ComplaintCause)
                              or cause.estate_id != complaint.estate_id):
        raise DomainError("请选择投诉分类。", "cause")
    new_event = clean(new_event, "新事件名称", 100, field="new_event")
    if event is not None and event.estate_id != complaint.estate_id:
        raise DomainError("请选择本小区的事件。", "event")
    with db.atomic():
        if new_event:
            event = ComplaintEvent.create(estate=complaint.estate, title=new_event, created_at=now)
        note = "；".join(x for x in [f"分类：{cause.name}" if cause else "分类：未分类",
                                      f"事件：{event.title}" if event else "",
                                      "重大投诉" if major else ""] if x)
        was_major = complaint.major
        done = _advance(complaint, "分类", by, now, note, cause=cause, event=event,
                        major=bool(major))
        if major and not was_major:  # SPEC §9: a 重大投诉 alerts the managers at once
            notify(User.with_role(complaint.estate, "manager", "supervisor"), complaint.estate,
                   "complaint_major", f"重大投诉 {complaint.code}",
                   (complaint.content or "")[:200], _link(complaint))
        return done


def amend_complaint(complaint, by, note, now=None):
    """A correction, in any state (closed included): the timeline says what is amended."""
    note = clean(note, "更正内容", MAX_TEXT, required=True, field="note")
    with db.atomic():
        return _advance(complaint, "更正", by, now or utcnow(), note)


def complaint_timeline(complaint):
    """The whole file of a complaint, oldest first (page, 日盘点, archive PDF)."""
    return timeline(ComplaintStep, ComplaintStep.complaint, complaint)


def repeat_complaints(complaint):
    """Complaints about the same event received in the week after this one was handled."""
    if complaint.event_id is None or complaint.handled_at is None:
        return Complaint.select().where(False)
    return Complaint.select().where(
        Complaint.event == complaint.event_id, Complaint.id != complaint.id,
        Complaint.received_at > complaint.handled_at,
        Complaint.received_at <= complaint.handled_at + timedelta(days=AUTO_CLOSE_DAYS))


def auto_close_complaints(now=None):
    """The periodic job: close each complaint needing no follow-up 7 days after handling,
    unless a repeat complaint about the same event came in that week (then it waits for a
    回访). Returns how many it closed."""
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
    """The periodic job: each open complaint past its promised reply time alerts its owner
    and the supervisors, once. Returns how many complaints alerted."""
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
                   f"投诉超时未回复 {complaint.code}", complaint.content[:200], _link(complaint))
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
    """The complaints of one tab (COMPLAINT_TABS) as `user` sees it at `now` (naive UTC):
    open ones by promised reply time, the others newest first."""
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
