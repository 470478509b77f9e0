"""月评 pages: the month's evaluations (own, or everyone's for a lead), one evaluation with
its facts, the missed rounds and overdue sheets put down to the person, the supervisor's
scores, 奖惩, the manager's approval; the estate's weights."""
from datetime import date, timedelta

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user

from ..auth import current_estate, get_or_404, role_required
from ..db import utcnow
from ..errors import DomainError, NotAllowed, show_error
from ..idempotency import once
from ..inputs import month_arg
from ..web import render
from .attribution import attributed_to
from .evaluations import (
    FACT_NAMES,
    MonthFacts,
    add_reward,
    approve_evaluation,
    draft_month,
    facts_of,
    save_weights,
    score,
    visible_evaluations,
)
from .forms import RewardForm, ScoreForm, WeightsForm
from .models import Evaluation, RewardPenalty, StaffSettings
from .views import LEADS, STAFF, bp


def _last_month():
    today = current_estate().today(utcnow())
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


@bp.route("/evaluations")
@role_required(*STAFF)
def evaluations():
    """月评 of a month (default: last month)."""
    first = month_arg("month", _last_month())
    return render("staff/evaluations.html", first=first,
                  rows=visible_evaluations(current_estate(), current_user, f"{first:%Y-%m}"),
                  previous=(first - timedelta(days=1)).replace(day=1),
                  following=(first + timedelta(days=32)).replace(day=1))


@bp.post("/evaluations/draft")
@role_required(*LEADS)
def evaluations_draft():
    """生成/更新草稿: draft the month's evaluations now from the facts so far."""
    first = month_arg("month", None)
    if first is None:
        abort(400)
    made = draft_month(current_estate(), first, utcnow())
    flash(f"已生成 {made} 份考评草稿。", "success")
    return redirect(url_for("staff.evaluations", month=f"{first:%Y-%m}"))


def _evaluation(evaluation_id):
    evaluation = get_or_404(Evaluation, evaluation_id)
    if evaluation.user_id != current_user.id and not current_user.has_role(*LEADS):
        abort(404)
    return evaluation


def _page(evaluation, score_form=None, reward_form=None, status=200):
    estate, now = current_estate(), utcnow()
    year, month = map(int, evaluation.month.split("-"))
    month_facts = MonthFacts(estate, date(year, month, 1), now)
    missed = attributed_to(month_facts.missed(), evaluation.user) \
        if evaluation.team == "秩序维护" else []
    overdue = attributed_to(month_facts.overdue(), evaluation.user) \
        if evaluation.team == "工程" else []
    settings = StaffSettings.of(estate)
    return render("staff/evaluation.html", ev=evaluation, facts=facts_of(evaluation),
                  names=FACT_NAMES, weights=settings.weights(), missed=missed, overdue=overdue,
                  rewards=RewardPenalty.select().where(RewardPenalty.evaluation == evaluation)
                  .order_by(RewardPenalty.id),
                  score_form=score_form or ScoreForm(obj=evaluation),
                  reward_form=reward_form or RewardForm()), status


@bp.route("/evaluations/<int:evaluation_id>")
@role_required(*STAFF)
def evaluation(evaluation_id):
    """One person's 月评."""
    return _page(_evaluation(evaluation_id))


@bp.post("/evaluations/<int:evaluation_id>/<any(score, approve, reward):action>")
@role_required(*LEADS)
def evaluation_act(evaluation_id, action):
    """评分 (supervisor), 审批 (manager), 奖惩 (a lead)."""
    evaluation, now = _evaluation(evaluation_id), utcnow()
    form = {"score": ScoreForm, "reward": RewardForm}.get(action, ScoreForm)()
    try:
        if action == "score":
            if not form.validate_on_submit():
                return _page(evaluation, score_form=form, status=422)
            score(evaluation, form.data, current_user, now)
            message = "评分已保存，等待经理审批。"
        elif action == "approve":
            approve_evaluation(evaluation, current_user, now)
            message = "考评已审批。"
        else:
            if not form.validate_on_submit():
                return _page(evaluation, reward_form=form, status=422)
            once(RewardPenalty, form.once_key, lambda: add_reward(
                evaluation, form.kind.data, form.points.data, form.reason.data, current_user,
                now), RewardPenalty.evaluation == evaluation)
            message = "奖惩已记录。"
    except NotAllowed as error:
        abort(403, error.message)
    except DomainError as error:
        if action == "reward":
            return _page(evaluation, reward_form=show_error(form, error, "reason"), status=422)
        return _page(evaluation, score_form=show_error(form, error, "comment"), status=422)
    flash(message, "success")
    return redirect(url_for("staff.evaluation", evaluation_id=evaluation.id))


@bp.route("/settings", methods=["GET", "POST"])
@role_required("manager")
def settings():
    """人员设置: leave longer than how many days needs the manager; the 月评 weights."""
    estate = current_estate()
    current = StaffSettings.of(estate)
    form = WeightsForm(obj=current)
    if request.method == "GET":
        form.manager_after_days.data = int(current.manager_after_days)
    if form.validate_on_submit():
        try:
            save_weights(estate, form.data)
        except DomainError as error:
            show_error(form, error)
        else:
            flash("人员设置已保存。", "success")
            return redirect(url_for("staff.settings"))
    return render("staff/settings.html", form=form), 422 if form.errors else 200
