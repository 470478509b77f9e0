"""Today's sheets (the board and the engineer's own), the home panels, and plans (计划)."""
from flask import flash, redirect, url_for
from flask_login import current_user

from ..auth import current_estate, get_or_404, role_required, scoped
from ..db import db, utcnow
from ..idempotency import once
from ..models import User
from ..offline import keep_offline
from ..web import render
from .forms import PlanForm, options
from .models import Checklist, Equipment, Plan, PlanEngineer, Sheet
from .plans import board, today_slots
from .views import ENGINEERING, MANAGING, bp


def engineer_panel(user, estate):
    """Home panel: my due sheets of today, by shift."""
    now = utcnow()
    return {"slots": today_slots(estate, now, engineer=user), "now": now}


def supervisor_panel(user, estate):
    """Home panel: today's board (due / done / overdue / abnormal per shift)."""
    return {"board": board(estate, utcnow())}


@bp.route("/")
@role_required(*ENGINEERING)
def today():
    """Today board: every due sheet once, per shift with due / done / overdue / abnormal;
    an engineer's own sheets first in each shift, marked 我的 (issue 17: not listed twice)."""
    estate, now = current_estate(), utcnow()
    mine = today_slots(estate, now, engineer=current_user) \
        if current_user.has_role("engineer") else []
    return keep_offline(render("inspection/today.html", board=_mine_first(board(estate, now),
                                                                          mine),
                               mine=_slot_keys(mine), now=now))


def _slot_keys(slots):
    return {(s.plan.id, s.period, s.shift) for s in slots}


def _mine_first(shifts, mine):
    """The board with each shift's slots reordered: those of `mine` (slots) first, the
    rest after, each part in the board's order."""
    keys = _slot_keys(mine)
    for group in shifts.values():
        group["slots"].sort(key=lambda s: (s.plan.id, s.period, s.shift) not in keys)
    return shifts


def offline_pages(user, estate):
    """What an engineer needs without signal: today's board and the sheets being filled."""
    if not user.has_role("engineer"):
        return []
    drafts = Sheet.select().where(Sheet.estate == estate, Sheet.status == "草稿",
                                  Sheet.started_by == user)
    return [url_for("inspection.today"),
            *(url_for("inspection.sheet", sheet_id=sheet.id) for sheet in drafts)]


@bp.route("/plans")
@role_required(*ENGINEERING)
def plans():
    """Plans: which equipment, which checklist, how often, who."""
    plans = list(scoped(Plan).order_by(Plan.active.desc(), Plan.id))
    names = {}
    for row in (PlanEngineer.select(PlanEngineer, User).join(User)
                .where(PlanEngineer.plan.in_([p.id for p in plans]))):
        names.setdefault(row.plan_id, []).append(row.user.display_name)
    return render("inspection/plans.html", plans=[(p, names.get(p.id, [])) for p in plans])


def _plan_form(plan):
    estate = current_estate()
    engineers = [r.user_id for r in plan.engineer_rows] if plan.id else []
    form = PlanForm(engineers=engineers, equipment=plan.equipment_id,
                    checklist=plan.checklist_id, frequency=plan.frequency,
                    active=plan.active if plan.id else True,
                    crew="roster" if plan.by_roster else "named")
    form.equipment.choices = options((e.id, f"{e.code} {e.name}")
                                     for e in scoped(Equipment).order_by(Equipment.code))
    form.checklist.choices = options((c.id, c.name)
                                     for c in scoped(Checklist).order_by(Checklist.name))
    form.engineers.choices = options((u.id, u.display_name)
                                     for u in User.with_role(estate, "engineer"))
    return form


@bp.route("/plans/new", methods=["GET", "POST"])
@bp.route("/plans/<int:plan_id>", methods=["GET", "POST"])
@role_required(*MANAGING)
def plan_form(plan_id=None):
    """Create or edit a plan."""
    plan = get_or_404(Plan, plan_id) if plan_id else Plan(estate=current_estate())
    form = _plan_form(plan)
    if form.validate_on_submit():
        plan.equipment = get_or_404(Equipment, form.equipment.data)
        plan.checklist = get_or_404(Checklist, form.checklist.data)
        plan.frequency, plan.active = form.frequency.data, form.active.data
        plan.by_roster = form.crew.data == "roster"  # the roster names who (issue 21)
        named = [] if plan.by_roster else form.engineers.data or []
        def save():
            with db.atomic():
                plan.save()
                PlanEngineer.delete().where(PlanEngineer.plan == plan).execute()
                PlanEngineer.insert_many([{"plan": plan, "user": u}
                                          for u in named]).execute()
            return plan
        if plan_id:
            save()
        else:  # once per form shown: a resent POST does not add the plan twice
            once(Plan, form.once_key, save, Plan.estate == plan.estate_id)
        flash("已保存计划。", "success")
        return redirect(url_for("inspection.plans"))
    return render("inspection/plan_form.html", form=form, plan=plan)
