"""月评 (monthly evaluation): drafted from facts at month end, judged items scored by the
supervisor, approved by the manager (seed: the 副主任 "负责所辖范围内下属员工每月考评工作", the
主任 "负责审批员工培训考核及奖惩计划", the 客服主管 "组织管理人员做好日检、周检、月评工作并存档").

Facts per team (a person's team is their role's: rosters.team_of):
- 秩序维护: rounds done (a round 已完成 with their scan), rounds missed put down to them by
  the roster (attribution.py), scans and flagged scans;
- 工程: sheets submitted in time / overdue sheets put down to them, abnormal items found,
  work orders completed (in time or late) and the 回访 satisfaction of those;
- 客服: complaints handled, promised replies kept / late;
- everyone: shifts rostered, shifts taken off by approved leave, shifts covered for others,
  leave days by kind; training sessions to attend, attended, 考核 passed/failed.

Scores (0–100): 工作实绩 from the team's ratios (guards −2 a flagged scan), 出勤 100 − 5 a
day of 事假/其他 − 2 a day of 病假 (年假 and 调休 are entitlements), 培训 attended / required
− 20 a failed 考核; total = Σ weight × score / 100 + 奖励 − 处罚, the weights the estate's
(StaffSettings, summing to 100).
"""
import json
import operator
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from functools import reduce

from peewee import SQL, IntegrityError, fn

from ..db import db
from ..errors import DomainError, NotAllowed
from ..inspection.models import Sheet
from ..models import Estate, User, UserEstate, UserRole, notify
from ..patrol.models import Scan
from ..patrol.rounds import DONE, rounds_between
from ..service.models import Complaint, WorkOrder
from .attribution import attributed_to, missed_rounds, overdue_sheets, sheet_slots
from .models import (
    APPROVED,
    DRAFT,
    JUDGED,
    SUBMITTED,
    TEAMS,
    Evaluation,
    Leave,
    RewardPenalty,
    RosterEntry,
    StaffSettings,
    TrainingAttendee,
    TrainingPlan,
    TrainingSession,
)
from .rosters import approved_leave, month_days, on_leave, team_of

FACT_NAMES = {
    "rounds_done": "完成巡更", "rounds_missed": "漏巡（当班）", "scans": "扫码",
    "flagged_scans": "异常标记扫码", "sheets_on_time": "按时日检",
    "sheets_overdue": "日检超时（当班）",
    "abnormal_items": "发现异常项", "orders_done": "完成工单", "orders_in_time": "按时完成工单",
    "satisfied": "回访满意", "unsatisfied": "回访不满意", "complaints_handled": "处理投诉",
    "replies_kept": "按约定时间回复", "replies_late": "回复超时", "shifts": "排班班次",
    "shifts_on_leave": "请假班次", "shifts_covered": "替班班次", "leave_days": "请假天数",
    "training_required": "应参加培训", "training_attended": "已签到培训",
    "training_failed": "考核不合格"}


def month_key(first):
    return f"{first:%Y-%m}"


def _ratio(good, bad):
    return 100 * good / (good + bad) if good + bad else 100


def _clamp(value):
    return max(0, min(100, round(value)))


class MonthFacts:
    """What happened in an estate's local month (first day `first`) as of `now` (naive
    UTC), read once for everyone: rounds and their attribution, sheet slots, orders,
    complaints, roster, leave, training. `of(user)` gives one person's facts (a dict)."""

    def __init__(self, estate, first, now):
        self.estate, self.first, self.now = estate, first, now
        days = month_days(first)
        self.last = days[-1]
        self.start, self.end = estate.day_bounds(first, self.last)
        self._rounds = self._missed = self._slots = self._overdue = None

    def rounds(self):
        if self._rounds is None:
            self._rounds = [v for v in rounds_between(self.estate, self.start, self.end)
                            if self.start <= v.starts_at < self.end and v.ends_at <= self.now]
            self._missed = missed_rounds(self.estate, self.start, self.end, self.now)
        return self._rounds

    def slots(self):
        if self._slots is None:
            self._slots = sheet_slots(self.estate, self.first, self.last)
            self._overdue = overdue_sheets(self.estate, self.first, self.last, self.now)
        return self._slots

    def missed(self):
        """The month's missed rounds with whom they are put down to (attribution.py)."""
        self.rounds()
        return self._missed

    def overdue(self):
        """The month's overdue sheets with whom they are put down to (attribution.py)."""
        self.slots()
        return self._overdue

    def of(self, user):
        team = team_of(user)
        facts = {"team": team}
        if team == "秩序维护":
            facts.update(self._guard(user))
        elif team == "工程":
            facts.update(self._engineer(user))
        elif team == "客服":
            facts.update(self._desk(user))
        facts.update(self._attendance(user))
        facts.update(self._training(user))
        return facts

    def _guard(self, user):
        done = sum(1 for v in self.rounds() if v.status(self.now) == DONE
                   and any(s.user_id == user.id for s in v.scans))
        scans = Scan.select().where(Scan.estate == self.estate, Scan.user == user,
                                    Scan.scanned_at >= self.start, Scan.scanned_at < self.end)
        return {"rounds_done": done, "rounds_missed": len(attributed_to(self.missed(), user)),
                "scans": scans.count(), "flagged_scans": scans.where(Scan.flags != "").count()}

    def _engineer(self, user):
        mine = [s for s in self.slots() if s.sheet is not None and s.sheet.submitted
                and s.sheet.submitted_by_id == user.id]
        abnormal = (Sheet.select().where(Sheet.estate == self.estate, Sheet.submitted_by == user,
                                         Sheet.submitted_at >= self.start,
                                         Sheet.submitted_at < self.end))
        orders = list(WorkOrder.select().where(
            WorkOrder.estate == self.estate, WorkOrder.assignee == user,
            WorkOrder.completed_at >= self.start, WorkOrder.completed_at < self.end))
        rated = Counter(o.satisfaction for o in orders if o.satisfaction)
        return {"sheets_on_time": sum(1 for s in mine if s.sheet.submitted_at <= s.deadline),
                "sheets_overdue": len(attributed_to(self.overdue(), user)),
                "abnormal_items": sum(s.abnormal_count for s in abnormal),
                "orders_done": len(orders),
                "orders_in_time": sum(1 for o in orders if o.completed_at <= o.due_at),
                "satisfied": rated["满意"] + rated["基本满意"], "unsatisfied": rated["不满意"]}

    def _desk(self, user):
        handled = list(Complaint.select().where(
            Complaint.estate == self.estate, Complaint.owner == user,
            Complaint.handled_at >= self.start, Complaint.handled_at < self.end))
        kept = sum(1 for c in handled if c.first_reply_at and c.first_reply_at <= c.due_at)
        return {"complaints_handled": len(handled), "replies_kept": kept,
                "replies_late": len(handled) - kept}

    def _attendance(self, user):
        entries = list(RosterEntry.select().where(
            RosterEntry.estate == self.estate, RosterEntry.user == user,
            RosterEntry.starts_at >= self.start, RosterEntry.starts_at < self.end))
        leaves = approved_leave(self.estate, {user.id}, self.start - timedelta(days=1),
                                self.end + timedelta(days=1))
        days = Counter()
        for leave in Leave.select().where(Leave.estate == self.estate, Leave.user == user,
                                          Leave.status == APPROVED,
                                          Leave.start_day >= self.first,
                                          Leave.start_day <= self.last):
            days[leave.kind] += leave.days
        return {"shifts": len(entries),
                "shifts_on_leave": sum(1 for e in entries if on_leave(e, leaves)),
                "shifts_covered": sum(1 for e in entries if e.covers_id is not None),
                "leave_days": {kind: float(n) for kind, n in days.items()}}

    def _training(self, user):
        rows = list(TrainingAttendee.select(TrainingAttendee).join(TrainingSession)
                    .join(TrainingPlan)
                    .where(TrainingSession.estate == self.estate,
                           TrainingPlan.status == APPROVED, TrainingAttendee.user == user,
                           TrainingSession.starts_at >= self.start,
                           TrainingSession.starts_at < self.end,
                           TrainingSession.ends_at <= self.now))
        return {"training_required": len(rows),
                "training_attended": sum(1 for r in rows if r.signed_at),
                "training_failed": sum(1 for r in rows if r.result == "不合格")}


def scores_of(facts):
    """(工作实绩, 出勤, 培训) scores 0–100 of a person's facts (rules in the module text)."""
    team = facts.get("team")
    if team == "秩序维护":
        work = _ratio(facts["rounds_done"], facts["rounds_missed"]) - 2 * facts["flagged_scans"]
    elif team == "工程":
        parts = [_ratio(facts["sheets_on_time"], facts["sheets_overdue"])]
        if facts["orders_done"]:
            parts.append(_ratio(facts["orders_in_time"],
                                facts["orders_done"] - facts["orders_in_time"]))
        if facts["satisfied"] + facts["unsatisfied"]:
            parts.append(_ratio(facts["satisfied"], facts["unsatisfied"]))
        work = sum(parts) / len(parts)
    elif team == "客服":
        work = _ratio(facts["replies_kept"], facts["replies_late"])
    else:
        work = 100
    days = facts["leave_days"]
    attendance = 100 - 5 * (days.get("事假", 0) + days.get("其他", 0)) - 2 * days.get("病假", 0)
    training = _ratio(facts["training_attended"],
                      facts["training_required"] - facts["training_attended"]) \
        - 20 * facts["training_failed"]
    return _clamp(work), _clamp(attendance), _clamp(training)


def evaluated_staff(estate):
    """The people evaluated each month: the estate's active staff of the four teams."""
    return list(User.with_role(estate, *TEAMS.values()))


def draft_month(estate, first, now):
    """Draft (or re-draft while still 草稿) every evaluated person's 月评 of the local month
    beginning `first` from the facts as of `now`. Scored or approved ones keep their facts.
    Returns the number of evaluations written."""
    facts = MonthFacts(estate, first, now)
    month, written = month_key(first), 0
    for user in evaluated_staff(estate):
        found = facts.of(user)
        work, attendance, training = scores_of(found)
        values = {"facts": json.dumps(found, ensure_ascii=False, sort_keys=True),
                  "facts_score": work, "attendance_score": attendance,
                  "training_score": training, "team": found["team"], "drafted_at": now}
        existing = Evaluation.get_or_none(Evaluation.estate == estate,
                                          Evaluation.user == user, Evaluation.month == month)
        if existing is None:
            try:
                with db.atomic():
                    Evaluation.create(estate=estate, user=user, month=month, **values)
            except IntegrityError:  # another worker drafted it a moment ago
                continue
            written += 1
        elif existing.status == DRAFT and existing.scored_at is None:
            Evaluation.update(**values).where(Evaluation.id == existing.id).execute()
            written += 1
    return written


def draft_due(now):
    """The periodic job (every tick): once an estate's month has ended (its local date at
    `now`, naive UTC), draft that month's evaluations, once: nothing happens while one of
    them exists. At most one estate is drafted per tick (a month of facts is read for it),
    so a company of many estates spreads the work over its first minutes of the month.
    Returns {estate name: drafted}.

    Set-based (issue 23): the estates (each one's last month from its own clock, grouped by
    month), then one query for the first of them by name that has someone to evaluate and
    no evaluation of that month yet; a tick with nothing to draft costs those two reads
    however many estates there are. Safe on two workers at once: the unique (estate, user,
    month) row keeps one evaluation each (draft_month)."""
    estates = list(Estate.active_ones())
    firsts, by_month = {}, {}
    for estate in estates:
        first = _last_month_first(estate, now, firsts)
        by_month.setdefault(month_key(first), []).append(estate.id)
    if not estates:
        return {}
    staff = (UserEstate.select(SQL("1")).join(User)
             .where(UserEstate.estate == Estate.id, User.active,
                    User.id.in_(UserRole.select(UserRole.user)
                                .where(UserRole.role.in_(list(TEAMS.values()))))))
    undrafted = reduce(operator.or_, [
        Estate.id.in_(ids) & ~fn.EXISTS(Evaluation.select(SQL("1")).where(
            Evaluation.estate == Estate.id, Evaluation.month == month))
        for month, ids in by_month.items()])
    found = (Estate.select(Estate.id).where(undrafted, fn.EXISTS(staff))
             .order_by(Estate.name, Estate.id).limit(1).scalar())
    if found is None:
        return {}
    estate = next(e for e in estates if e.id == found)
    return {estate.name: draft_month(estate, _last_month_first(estate, now, firsts), now)}


def _last_month_first(estate, now, memo):
    """The first day of the local month before the estate's month at `now` (naive UTC);
    memo: {time zone name: that day}, shared by the estates of one zone."""
    if estate.timezone not in memo:
        today = estate.today(now)
        memo[estate.timezone] = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return memo[estate.timezone]


def facts_of(evaluation):
    return json.loads(evaluation.facts or "{}")


def total_of(evaluation, weights):
    """Σ weight × score / 100 + 奖励 − 处罚 (a Decimal to one place), or None while a judged
    item has no score yet."""
    if any(getattr(evaluation, key) is None for key in JUDGED):
        return None
    scores = {"facts": evaluation.facts_score, "attendance": evaluation.attendance_score,
              "training": evaluation.training_score,
              **{key: getattr(evaluation, key) for key in JUDGED}}
    total = Decimal(sum(weights[key] * scores[key] for key in weights)) / 100
    for reward in RewardPenalty.select().where(RewardPenalty.evaluation == evaluation):
        total += reward.points if reward.kind == "奖励" else -reward.points
    return total.quantize(Decimal("0.1"))


def score(evaluation, values, user, now):
    """The supervisor's judged scores (服务态度, 仪容仪表, 纪律: 0–100) and comment; the
    evaluation then waits for the manager (待审批). NotAllowed for anyone but a lead, and
    once approved."""
    if not user.has_role("supervisor", "manager"):
        raise NotAllowed("只有主管和经理可以评分。")
    if evaluation.status == APPROVED:
        raise DomainError("这份考评已经审批，不能再修改。")
    for key, name in JUDGED.items():
        value = values.get(key)
        if not isinstance(value, int) or not 0 <= value <= 100:
            raise DomainError(f"请给{name}打分（0–100）。", key)
        setattr(evaluation, key, value)
    evaluation.comment = (values.get("comment") or "").strip()[:500]
    evaluation.scored_by, evaluation.scored_at, evaluation.status = user, now, SUBMITTED
    evaluation.total = total_of(evaluation, StaffSettings.of(evaluation.estate).weights())
    evaluation.save()
    return evaluation


def approve_evaluation(evaluation, user, now):
    """The manager approves a scored evaluation (已批准); its person is told."""
    if not user.has_role("manager"):
        raise NotAllowed("只有经理可以审批考评。")
    if evaluation.status != SUBMITTED:
        raise DomainError("主管评分后才能审批。")
    updated = (Evaluation.update(status=APPROVED, approved_by=user, approved_at=now)
               .where(Evaluation.id == evaluation.id, Evaluation.status == SUBMITTED).execute())
    if updated:
        notify([evaluation.user], evaluation.estate, "staff_evaluation",
               f"{evaluation.month} 月评已审批：{evaluation.total} 分", "",
               f"/staff/evaluations/{evaluation.id}")
    return Evaluation.get_by_id(evaluation.id)


def add_reward(evaluation, kind, points, reason, user, now):
    """A 奖惩 entry (奖励 +points / 处罚 −points, with its reason) on an evaluation not yet
    approved; the total follows."""
    if not user.has_role("supervisor", "manager"):
        raise NotAllowed("只有主管和经理可以记录奖惩。")
    if evaluation.status == APPROVED:
        raise DomainError("这份考评已经审批，不能再添加奖惩。")
    if kind not in ("奖励", "处罚"):
        raise DomainError("请选择奖励或处罚。", "kind")
    reward = RewardPenalty.create(evaluation=evaluation, kind=kind, points=points,
                                  reason=reason.strip()[:200], made_by=user, made_at=now)
    evaluation.total = total_of(evaluation, StaffSettings.of(evaluation.estate).weights())
    evaluation.save()
    return reward


def save_weights(estate, values):
    """The estate's threshold for the manager's approval and the 月评 weights (summing to
    100). Raises DomainError beside the first weight when they do not."""
    settings = StaffSettings.of(estate)
    weights = {key: values[f"weight_{key}"] for key in StaffSettings.WEIGHTS}
    if sum(weights.values()) != 100:
        raise DomainError(f"各项权重之和应为 100（现在是 {sum(weights.values())}）。",
                          "weight_facts")
    settings.manager_after_days = values["manager_after_days"]
    for key, value in weights.items():
        setattr(settings, f"weight_{key}", value)
    settings.save()
    return settings


def visible_evaluations(estate, user, month):
    """The month's evaluations `user` may see: a lead everyone's, anyone else their own."""
    query = (Evaluation.select(Evaluation, User).join(User, on=(Evaluation.user == User.id))
             .where(Evaluation.estate == estate, Evaluation.month == month)
             .order_by(Evaluation.team, User.display_name))
    if not user.has_role("supervisor", "manager"):
        query = query.where(Evaluation.user == user)
    return query
