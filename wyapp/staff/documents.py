"""The staff feature's archive documents: 月度考评表 (a month's approved evaluations) and
例会纪要 (each meeting's minutes, filed as a record "LH-<id>")."""
from ..features import DocumentKind
from ..models import User
from .evaluations import FACT_NAMES, facts_of
from .meetings import collect_meeting, due_meetings, meeting_label
from .models import APPROVED, JUDGED, Evaluation, RewardPenalty, StaffSettings

LEADS = frozenset({"supervisor", "manager"})


def _facts_text(facts):
    """A person's facts as one line: 完成巡更 12、漏巡（当班） 1 … (zeros left out)."""
    parts = []
    for key, name in FACT_NAMES.items():
        value = facts.get(key)
        if key == "leave_days" and value:
            parts.append("请假 " + "、".join(f"{k}{v:g}天" for k, v in sorted(value.items())))
        elif isinstance(value, int) and value:
            parts.append(f"{name} {value}")
    return "、".join(parts) or "—"


def collect_evaluations(estate, period):
    """The month's ("YYYY-MM") evaluations once every one of them is approved (JSON-able,
    by team then name); None while any waits or when there are none."""
    rows = list(Evaluation.select(Evaluation, User).join(User, on=(Evaluation.user == User.id))
                .where(Evaluation.estate == estate, Evaluation.month == period)
                .order_by(Evaluation.team, User.display_name))
    if not rows or any(row.status != APPROVED for row in rows):
        return None
    settings = StaffSettings.of(estate)
    names = dict(User.select(User.id, User.display_name).tuples())
    rewards = {}
    for reward in RewardPenalty.select().where(RewardPenalty.evaluation.in_([r.id for r in rows])):
        rewards.setdefault(reward.evaluation_id, []).append(
            f"{reward.kind}{reward.points}分：{reward.reason}")
    return {
        "month": period,
        "weights": {name: getattr(settings, f"weight_{key}")
                    for key, name in StaffSettings.WEIGHTS.items()},
        "rows": [{"name": row.user.display_name, "team": row.team or "—",
                  "facts": _facts_text(facts_of(row)), "facts_score": row.facts_score,
                  "attendance": row.attendance_score, "training": row.training_score,
                  **{key: getattr(row, key) for key in JUDGED},
                  "rewards": rewards.get(row.id, []), "total": str(row.total),
                  "comment": row.comment, "scored_by": names.get(row.scored_by_id, ""),
                  "approved_by": names.get(row.approved_by_id, "")} for row in rows],
    }


EVALUATIONS = DocumentKind(
    code="staff_evaluations", title="月度考评表", template="staff/pdf_evaluations.html",
    collect=collect_evaluations, cadence="monthly", roles=LEADS,
    signatures=("制表人", "审核人", "日期"),
    sections={"rows": "考评结果", "weights": "评分权重", "month": "月份"})


MINUTES = DocumentKind(
    code="staff_meeting", title="例会纪要", template="staff/pdf_meeting.html",
    collect=collect_meeting, cadence="record", roles=LEADS, due=due_meetings,
    label=meeting_label, signatures=("记录人", "主持人", "日期"),
    sections={"attendees": "参会人员", "topics": "议题", "decisions": "决定事项",
              "actions": "待办事项", "held_on": "日期", "title": "会议"})
