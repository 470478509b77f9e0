"""Leave (请假): apply on the phone, the supervisor approves, the manager too when longer
than the estate's threshold (seed: the 主任 "负责审批物业服务中心全体职工的病、事假的申请报告").

States 待审批 → 已批准 / 已驳回, or 已撤回 by the applicant while still 待审批. A leave runs
from a half day to a half day of the estate's calendar: 上午 is 00:00–12:00, 下午 12:00–24:00
local; its UTC bounds are stored with it, so approved leave takes the person off every
roster entry starting inside it (rosters.on_leave).

The photo (a sick note): a request decided on — approved or refused, or withdrawn after the
主管 approved it while it waited for the manager — keeps it, since it is the evidence that
decision was made on (seed: the 主任 approves the 病、事假的申请报告; what a request was
refused on is part of its record, like the refusal's reason). A request withdrawn before
anyone decided is nobody's record: its photo, health data of the applicant, is deleted with
it (row and stored file), unless something else refers to it.
"""
import logging
from datetime import datetime, time, timedelta
from decimal import Decimal

from ..db import db
from ..errors import DomainError, NotAllowed
from ..models import User, notify
from ..photos import Photo, private_rule
from ..storage import StorageError
from .models import APPROVED, HALVES, LEAVE_KINDS, PENDING, REFUSED, WITHDRAWN, Leave, StaffSettings
from .rosters import gaps, team_of

log = logging.getLogger(__name__)


def leave_bounds(estate, start_day, start_half, end_day, end_half):
    """(starts_at, ends_at, days) of a leave: naive-UTC bounds and its length in days (half
    days count 0.5). Raises DomainError when the end is not after the start or a half is
    neither 上午 nor 下午."""
    if start_half not in HALVES or end_half not in HALVES:
        raise DomainError("请选择上午或下午。", "start_half")
    halves = (end_day - start_day).days * 2 + HALVES.index(end_half) - HALVES.index(start_half) + 1
    if halves <= 0:
        raise DomainError("结束时间不能早于开始时间。", "end_day")
    if halves > 2 * 366:
        raise DomainError("一次请假不能超过一年。", "end_day")
    start = datetime.combine(start_day, time(12 if start_half == "下午" else 0))
    end = datetime.combine(end_day, time(12)) if end_half == "上午" \
        else datetime.combine(end_day + timedelta(days=1), time())
    return estate.utc(start), estate.utc(end), Decimal(halves) / 2


def apply_leave(estate, user, values, now, photo=None):
    """A leave request of `user`: `values` has kind, start_day, start_half, end_day, end_half
    (dates, 上午/下午), reason. Notifies the supervisors (or, for a supervisor's own leave,
    the managers). Returns the Leave. Raises DomainError beside the field at fault."""
    if values.get("kind") not in LEAVE_KINDS:
        raise DomainError("请选择请假类型。", "kind")
    reason = (values.get("reason") or "").strip()
    if not reason:
        raise DomainError("请填写请假事由。", "reason")
    starts_at, ends_at, days = leave_bounds(estate, values["start_day"], values["start_half"],
                                            values["end_day"], values["end_half"])
    overlapping = Leave.select().where(Leave.estate == estate, Leave.user == user,
                                       Leave.status.in_((PENDING, APPROVED)),
                                       Leave.starts_at < ends_at, Leave.ends_at > starts_at)
    if overlapping.exists():
        raise DomainError("这段时间已有待审批或已批准的请假。", "start_day")
    threshold = StaffSettings.of(estate).manager_after_days
    own_supervisor = user.has_role("supervisor", "manager")
    leave = Leave.create(estate=estate, user=user, team=team_of(user), kind=values["kind"],
                         start_day=values["start_day"], start_half=values["start_half"],
                         end_day=values["end_day"], end_half=values["end_half"], days=days,
                         starts_at=starts_at, ends_at=ends_at, reason=reason[:500],
                         photo=photo, needs_manager=days > threshold or own_supervisor,
                         supervisor_at=now if own_supervisor else None, created_at=now)
    deciders = User.with_role(estate, "manager" if own_supervisor else "supervisor")
    notify([u for u in deciders if u.id != user.id], estate, "staff_leave",
           f"请假待审批：{user.display_name} {leave.kind} {leave.days_text} 天", leave.span,
           f"/staff/leave/{leave.id}")
    return leave


def can_decide(leave, user):
    """Whether `user` decides the step `leave` waits for: the supervisor's (a supervisor or
    manager of the estate, not the applicant), then the manager's."""
    if leave.status != PENDING or leave.user_id == user.id:
        return False
    if leave.waiting_for == "主管":
        return user.has_role("supervisor", "manager")
    return user.has_role("manager")


def approve(leave, user, now):
    """Approve the step `leave` waits for. Over the threshold the supervisor's approval
    passes it to the manager (still 待审批); otherwise, and at the manager's step, it is
    已批准 and the applicant is told. Raises NotAllowed when `user` may not decide it."""
    if not can_decide(leave, user):
        raise NotAllowed("您不能审批这条请假，或它已经审批过了。")
    step = _step(leave)
    with db.atomic():
        if leave.waiting_for == "主管":
            leave.supervisor_by, leave.supervisor_at = user, now
            if user.has_role("manager") or not leave.needs_manager:
                leave.status = APPROVED
            if user.has_role("manager"):
                leave.manager_by, leave.manager_at = user, now
        else:
            leave.manager_by, leave.manager_at, leave.status = user, now, APPROVED
        _decided(leave, step)
        if leave.status == APPROVED:
            notify([leave.user], leave.estate, "staff_leave",
                   f"请假已批准：{leave.kind} {leave.days_text} 天", leave.span,
                   f"/staff/leave/{leave.id}")
            _announce_gaps(leave)
        else:
            notify(User.with_role(leave.estate, "manager"), leave.estate, "staff_leave",
                   f"请假待经理审批：{leave.user.display_name} {leave.kind} {leave.days_text} 天",
                   f"超过 {float(StaffSettings.of(leave.estate).manager_after_days):g} 天，"
                   "主管已同意。",
                   f"/staff/leave/{leave.id}")
    return leave


def _announce_gaps(leave):
    """Tell the supervisors which shifts the approved leave leaves without their person."""
    left = [e for e in gaps(leave.estate, leave.starts_at, leave.ends_at)
            if e.user_id == leave.user_id]
    if left:
        shown = "、".join(f"{e.day:%m-%d} {e.shift.name}" for e in left[:6])
        notify(User.with_role(leave.estate, "supervisor"), leave.estate, "staff_leave",
               f"缺岗待替班：{leave.user.display_name} {len(left)} 个班次", shown, "/staff/gaps")


def refuse(leave, user, reason, now):
    """Refuse `leave` at the step it waits for (已驳回), with a reason told to the applicant.
    Its photo stays: the evidence of a refused request (see the module's docstring)."""
    if not can_decide(leave, user):
        raise NotAllowed("您不能审批这条请假，或它已经审批过了。")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写驳回理由。", "reason")
    step = _step(leave)
    with db.atomic():
        if leave.waiting_for == "主管":
            leave.supervisor_by, leave.supervisor_at = user, now
        else:
            leave.manager_by, leave.manager_at = user, now
        leave.status, leave.refusal = REFUSED, reason[:200]
        _decided(leave, step)
        notify([leave.user], leave.estate, "staff_leave", f"请假已驳回：{leave.kind}",
               reason, f"/staff/leave/{leave.id}")
    return leave


def withdraw(leave, user):
    """The applicant takes back a request still 待审批 (已撤回). Its photo (a sick note) is
    deleted, row then stored file, when nobody decided on the request yet (the note is no
    record of anything) and no other row refers to it (Photo.referred); a request the 主管
    approved (waiting for the manager) keeps it, the record of that approval. Returns the
    Leave.
    Raises NotAllowed (not the applicant), DomainError (no longer 待审批)."""
    if leave.user_id != user.id:
        raise NotAllowed("只能撤回自己的请假。")
    if leave.status != PENDING:
        raise DomainError("只有待审批的请假可以撤回。")
    step = _step(leave)
    decided = leave.supervisor_at is not None  # the 主管 approved: a decision made on it
    photo = (Photo.get_or_none(Photo.id == leave.photo_id)
             if leave.photo_id and not decided else None)
    with db.atomic():
        leave.status = WITHDRAWN
        _decided(leave, step)
        if photo is not None and not photo.referred(leave):
            Leave.update(photo=None).where(Leave.id == leave.id).execute()
            leave.photo = None
            photo.delete_instance()
        else:
            photo = None
    if photo is not None:  # after the commit: a file is never gone while its row stays
        try:
            photo.delete_file()
        except StorageError:  # the store is down: the file stays, named in the log
            log.exception("leave %s withdrawn: sick note %s not deleted", leave.id, photo.key)
    return leave


def _step(leave):
    """The condition that `leave` still waits for the step it waits for now."""
    waiting = Leave.supervisor_at.is_null() if leave.waiting_for == "主管" \
        else Leave.manager_at.is_null()
    return (Leave.status == PENDING) & waiting


def _decided(leave, condition):
    """Store the decision only if nobody decided meanwhile (two phones tapping at once)."""
    fields = ("status", "supervisor_by", "supervisor_at", "manager_by", "manager_at",
              "refusal")
    updated = Leave.update({getattr(Leave, f): getattr(leave, f) for f in fields}) \
        .where(Leave.id == leave.id, condition).execute()
    if not updated:
        raise DomainError("这条请假刚刚已被处理，请刷新后查看。")


def waiting_for_me(estate, user):
    """The estate's leave requests `user` decides now (oldest first)."""
    pending = (Leave.select(Leave, User).join(User, on=(Leave.user == User.id))
               .where(Leave.estate == estate, Leave.status == PENDING,
                      Leave.user != user).order_by(Leave.created_at))
    return [leave for leave in pending if can_decide(leave, user)]


def visible_leave(estate, user):
    """Leave requests `user` may see: their own; a supervisor's or manager's: everyone's."""
    query = (Leave.select(Leave, User).join(User, on=(Leave.user == User.id))
             .where(Leave.estate == estate).order_by(Leave.created_at.desc(), Leave.id.desc()))
    if not user.has_role("supervisor", "manager"):
        query = query.where(Leave.user == user)
    return query


@private_rule
def sick_note_rule(photo, user):
    """/photos/<id>.jpg of a leave request's photo (a sick note, issue 21): its applicant,
    the estate's supervisors and managers may see it, nobody else (the photo route answers
    404). None for a photo that is no leave's."""
    applicant = Leave.select(Leave.user).where(Leave.photo == photo.id).scalar()
    if applicant is None:
        return None
    return applicant == user.id or user.has_role("supervisor", "manager")

