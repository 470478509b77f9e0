"""排班 pages: the estate's shifts, a team's month on the phone, copy from last month, gaps
and replacements (主管, 物业经理)."""
from datetime import timedelta

from flask import abort, flash, redirect, request, url_for

from ..auth import current_estate, get_or_404, role_required, scoped
from ..db import utcnow
from ..errors import DomainError, show_error
from ..idempotency import once
from ..inputs import month_arg
from ..models import User
from ..web import render
from .attribution import missed_rounds, overdue_sheets
from .forms import EntryForm, ReplacementForm, ShiftForm
from .models import TEAMS, RosterEntry, Shift
from .rosters import (
    ROSTERABLE,
    add_entries,
    add_entry,
    assign_replacement,
    copy_last_month,
    first_of,
    gaps,
    month_roster,
    remove_entry,
    save_shift,
    shifts,
)
from .views import LEADS, bp


def _team():
    team = request.values.get("team", "秩序维护")
    return team if team in TEAMS else "秩序维护"


def _people(estate, team=None):
    """(id, name) choices: the team's people first, then everyone else who can be rostered."""
    everyone = list(User.with_role(estate, *ROSTERABLE))
    first = [u for u in everyone if team and TEAMS[team] in u.roles]
    return [(u.id, u.display_name) for u in first + [u for u in everyone if u not in first]]


@bp.route("/shifts", methods=["GET", "POST"])
@role_required(*LEADS)
def shift_list():
    """班次: the estate's shifts and the form for a new one."""
    estate, form = current_estate(), ShiftForm()
    if form.validate_on_submit():
        try:
            once(Shift, form.once_key, lambda: save_shift(
                estate, form.name.data, form.starts.data, form.ends.data), Shift.estate == estate)
        except DomainError as error:
            show_error(form, error, default="name")
        else:
            flash("班次已保存。", "success")
            return redirect(url_for("staff.shift_list"))
    return render("staff/shifts.html", shifts=shifts(estate, active_only=False),
                  form=form), 422 if form.errors else 200


@bp.route("/roster", methods=["GET", "POST"])
@role_required(*LEADS)
def roster():
    """A team's month: each day with who is on which shift; add a person to a day's shift."""
    estate, team = current_estate(), _team()
    today = estate.today(utcnow())
    first = month_arg("month", first_of(today))
    form = EntryForm(data={"day": max(today, first) if first.month == today.month else first})
    form.shift.choices = [(s.id, f"{s.name} {s.hours}") for s in shifts(estate)]
    form.user.choices = _people(estate, team)
    status = 200
    if form.validate_on_submit():
        try:
            shift = get_or_404(Shift, form.shift.data)
            person = User.get_by_id(form.user.data)
            if form.until.data:
                made = add_entries(estate, team, form.day.data, form.until.data, shift, person)
                message = f"已排班：{form.day.data:%m-%d} 至 {form.until.data:%m-%d} " \
                          f"{shift.name} {made} 天。"
            else:
                add_entry(estate, team, form.day.data, shift, person)
                message = f"已排班：{form.day.data:%m-%d} {shift.name}。"
        except DomainError as error:
            show_error(form, error, default="user")
        else:
            flash(message, "success")
            return redirect(url_for("staff.roster", team=team, month=f"{first:%Y-%m}"))
    if form.errors:
        status = 422
    grid = month_roster(estate, team, first)
    return render("staff/roster.html", "days", grid=grid, team=team, teams=TEAMS, first=first,
                  form=form, today=today,
                  previous=(first - timedelta(days=1)).replace(day=1),
                  following=(first + timedelta(days=32)).replace(day=1)), status


@bp.post("/roster/copy")
@role_required(*LEADS)
def roster_copy():
    """复制上月: fill the month from the month before (entries already there stay)."""
    estate, team = current_estate(), _team()
    first = month_arg("month", None)
    if first is None:
        abort(400)
    made = copy_last_month(estate, team, first)
    flash(f"已从上月复制 {made} 个班次。" if made else "上月没有可复制的班次（或本月已排）。",
          "success" if made else "info")
    return redirect(url_for("staff.roster", team=team, month=f"{first:%Y-%m}"))


@bp.post("/roster/entries/<int:entry_id>/delete")
@role_required(*LEADS)
def roster_remove(entry_id):
    """Take one person off one day's shift."""
    entry = get_or_404(RosterEntry, entry_id)
    remove_entry(current_estate(), entry.id)
    flash("已从排班中移除。", "success")
    return redirect(url_for("staff.roster", team=entry.team, month=f"{entry.day:%Y-%m}"))


@bp.route("/gaps")
@role_required(*LEADS)
def gap_list():
    """缺岗: shifts of the next 31 days whose person is on approved leave, not yet covered."""
    estate, now = current_estate(), utcnow()
    found = gaps(estate, now - timedelta(hours=12), now + timedelta(days=31))
    forms = {}
    for entry in found:
        form = ReplacementForm(formdata=None, prefix=f"e{entry.id}")
        form.user.choices = [c for c in _people(estate, entry.team) if c[0] != entry.user_id]
        forms[entry.id] = form
    return render("staff/gaps.html", gaps=found, forms=forms)


@bp.post("/gaps/<int:entry_id>")
@role_required(*LEADS)
def gap_fill(entry_id):
    """Assign a replacement (替班) to the shift of a person on leave."""
    estate = current_estate()
    entry = get_or_404(RosterEntry, entry_id, scoped(RosterEntry))
    form = ReplacementForm(prefix=f"e{entry.id}")
    form.user.choices = [c for c in _people(estate, entry.team) if c[0] != entry.user_id]
    if form.validate_on_submit():
        try:
            made = assign_replacement(estate, entry, User.get_by_id(form.user.data))
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(f"已安排 {made.user.display_name} 替班：{entry.day:%m-%d} {entry.shift.name}。",
                  "success")
    else:
        flash("请选择替班人。", "error")
    return redirect(url_for("staff.gap_list"))


@bp.route("/attribution")
@role_required(*LEADS)
def attribution():
    """漏巡与超时记录: the month's missed rounds and overdue sheets, and whom the roster put
    on duty for each (people on leave are not counted)."""
    estate, now = current_estate(), utcnow()
    first = month_arg("month", first_of(estate.today(now)))
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    start, end = estate.day_bounds(first, last)
    return render("staff/attribution.html", first=first, rounds=missed_rounds(estate, start,
                                                                               end, now),
                  sheets=overdue_sheets(estate, first, last, now),
                  previous=(first - timedelta(days=1)).replace(day=1),
                  following=last + timedelta(days=1))
