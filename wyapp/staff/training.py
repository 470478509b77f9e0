"""Training (培训): the month's plan drafted by a supervisor and approved by the manager
(seed: the 主任 "负责审批物业服务中心每月的培训计划及安排"), each session signed in by QR and
its 考核 recorded by the trainer.

A session's sign-in QR is a label of kind "training" (wyapp/labels.py, the checkpoints'
`/c/<token>` scheme), shown on the trainer's phone. Scanning it signs an attendee in only
while the session runs: from SIGN_IN_EARLY before its start to its end (naive UTC).
"""
from datetime import datetime, timedelta

from ..db import db
from ..errors import DomainError, NotAllowed
from ..labels import current_label, issue_label
from ..models import User, notify
from ..patrol.schedules import parse_hhmm
from .models import (
    APPROVED,
    DRAFT,
    RESULTS,
    SUBMITTED,
    TrainingAttendee,
    TrainingPlan,
    TrainingSession,
)

SIGN_IN_EARLY = timedelta(minutes=15)
LEADS = ("supervisor", "manager")


def month_plan(estate, first, create=False):
    """The plan of the local month beginning `first` (made, as 草稿, when `create`)."""
    month = f"{first:%Y-%m}"
    plan = TrainingPlan.get_or_none(TrainingPlan.estate == estate, TrainingPlan.month == month)
    if plan is None and create:
        TrainingPlan.insert(estate=estate, month=month).on_conflict_ignore().execute()
        plan = TrainingPlan.get(TrainingPlan.estate == estate, TrainingPlan.month == month)
    return plan


def add_session(estate, first, values, user):
    """A session in the month's plan (made when missing): topic, trainer (User), day (local
    date in the month), starts/ends (HH:MM; an end before the start is on the next day),
    place, attendees ([User]).
    Only while the plan is a 草稿. Raises DomainError beside the field at fault."""
    if not user.has_role(*LEADS):
        raise NotAllowed("只有主管和经理可以制定培训计划。")
    day = values["day"]
    if (day.year, day.month) != (first.year, first.month):
        raise DomainError(f"请选择 {first.year}年{first.month}月 的日期。", "day")
    starts = datetime.combine(day, parse_hhmm(values["starts"], "starts"))
    ends = datetime.combine(day, parse_hhmm(values["ends"], "ends"))
    if ends == starts:
        raise DomainError("结束时间应晚于开始时间。", "ends")
    if ends < starts:  # a session for the night shift, e.g. 23:00–01:00, ends the next day
        ends += timedelta(days=1)
    if not values["attendees"]:
        raise DomainError("请至少选择一名参加人员。", "attendees")
    with db.atomic():
        plan = month_plan(estate, first, create=True)
        if plan.status != DRAFT:
            raise DomainError("培训计划已提交审批，不能再添加。", "topic")
        if plan.drafted_by_id is None:
            TrainingPlan.update(drafted_by=user).where(TrainingPlan.id == plan.id).execute()
        session = TrainingSession.create(
            estate=estate, plan=plan, topic=values["topic"], trainer=values["trainer"],
            starts_at=estate.utc(starts), ends_at=estate.utc(ends), place=values["place"])
        TrainingAttendee.insert_many([{"session": session, "user": u}
                                      for u in {u.id: u for u in values["attendees"]}.values()]
                                     ).execute()
    return session


def submit_plan(plan, user):
    """草稿 → 待审批; the managers are told."""
    if not user.has_role(*LEADS):
        raise NotAllowed("只有主管和经理可以提交培训计划。")
    if not TrainingSession.select().where(TrainingSession.plan == plan).exists():
        raise DomainError("培训计划里还没有培训场次。")
    if not TrainingPlan.update(status=SUBMITTED).where(TrainingPlan.id == plan.id,
                                                       TrainingPlan.status == DRAFT).execute():
        raise DomainError("培训计划已经提交过了。")
    notify(User.with_role(plan.estate, "manager"), plan.estate, "staff_training",
           f"{plan.month} 培训计划待审批", "", "/staff/training")
    return TrainingPlan.get_by_id(plan.id)


def approve_plan(plan, user, now):
    """The manager approves (已批准): sessions get their sign-in labels, attendees are told."""
    if not user.has_role("manager"):
        raise NotAllowed("只有经理可以审批培训计划。")
    with db.atomic():
        if not TrainingPlan.update(status=APPROVED, approved_by=user, approved_at=now).where(
                TrainingPlan.id == plan.id, TrainingPlan.status == SUBMITTED).execute():
            raise DomainError("只有待审批的培训计划可以审批。")
        people = set()
        for session in TrainingSession.select().where(TrainingSession.plan == plan):
            issue_label(plan.estate, "training", session.id)
            people.update(a.user_id for a in session.attendees)
        notify(User.select().where(User.id.in_(list(people) or [0])), plan.estate,
               "staff_training", f"{plan.month} 培训计划已审批", "请按时参加培训并扫码签到。",
               "/staff/training")
    return TrainingPlan.get_by_id(plan.id)


def sign_in_label(session):
    """The session's current sign-in label (issued when missing)."""
    return current_label("training", session.id) or issue_label(session.estate, "training",
                                                                 session.id)


def open_for_sign_in(session, now):
    """Why the session cannot be signed in at `now` (naive UTC), or None when it can."""
    if session.plan.status != APPROVED:
        return "培训计划还没有审批，暂不能签到。"
    if now < session.starts_at - SIGN_IN_EARLY:
        return "培训还没有开始，开始前 15 分钟才能签到。"
    if now >= session.ends_at:
        return "这场培训已经结束，签到二维码已失效。"
    return None


def sign_in(session, user, now):
    """Sign `user` in to `session` at `now` (naive UTC): (attendee, newly signed). Raises
    DomainError outside the session's time or for someone not on its list."""
    closed = open_for_sign_in(session, now)
    if closed:
        raise DomainError(closed)
    attendee = TrainingAttendee.get_or_none(TrainingAttendee.session == session,
                                            TrainingAttendee.user == user)
    if attendee is None:
        raise DomainError("您不在这场培训的参加名单上，请联系培训人。")
    newly = TrainingAttendee.update(signed_at=now).where(
        TrainingAttendee.id == attendee.id, TrainingAttendee.signed_at.is_null()).execute()
    return TrainingAttendee.get_by_id(attendee.id), bool(newly)


def record_result(session, attendee, result, score, user):
    """The trainer (or a lead) records 考核: 合格/不合格 and an optional score 0–100."""
    if user.id != session.trainer_id and not user.has_role(*LEADS):
        raise NotAllowed("只有培训人和主管可以记录考核结果。")
    if result not in RESULTS:
        raise DomainError("请选择合格或不合格。", "result")
    if score is not None and not 0 <= score <= 100:
        raise DomainError("成绩应在 0 到 100 之间。", "score")
    TrainingAttendee.update(result=result, score=score).where(
        TrainingAttendee.id == attendee.id).execute()
    return TrainingAttendee.get_by_id(attendee.id)


def my_sessions(estate, user, start):
    """Sessions from `start` (naive UTC) on that `user` attends or trains, soonest first."""
    attending = TrainingAttendee.select(TrainingAttendee.session).where(
        TrainingAttendee.user == user)
    return list(TrainingSession.select(TrainingSession, TrainingPlan).join(TrainingPlan)
                .where(TrainingSession.estate == estate, TrainingSession.ends_at > start,
                       TrainingPlan.status == APPROVED,
                       TrainingSession.id.in_(attending) | (TrainingSession.trainer == user))
                .order_by(TrainingSession.starts_at))
