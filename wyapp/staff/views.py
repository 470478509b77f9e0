"""人员 pages everyone uses: 我的排班 and the staff index; the blueprint; the home panels.
Rosters live in roster_views.py, leave in leave_views.py, 月评 in evaluation_views.py,
training in training_views.py, 例会 in meeting_views.py."""
from datetime import timedelta

from flask import Blueprint
from flask_login import current_user

from ..auth import current_estate, role_required
from ..db import utcnow
from ..guards import needs_estate
from ..inputs import month_arg
from ..web import render
from .leave import waiting_for_me
from .models import ActionItem, Leave, Meeting
from .rosters import first_of, gaps, month_days, my_roster
from .training import my_sessions

bp = needs_estate(Blueprint("staff", __name__, url_prefix="/staff"))

LEADS = ("supervisor", "manager")
STAFF = ("guard", "gate", "engineer", "desk", "supervisor", "manager")


@bp.route("/")
@role_required(*STAFF)
def index():
    """人员: 我的排班 of a month (default: this one), my leave, and what waits for a lead."""
    estate, now = current_estate(), utcnow()
    today = estate.today(now)
    first = month_arg("month", first_of(today))
    days = month_days(first)
    entries = my_roster(estate, current_user, days[0], days[-1])
    leave = (Leave.select().where(Leave.estate == estate, Leave.user == current_user)
             .order_by(Leave.created_at.desc()).limit(5))
    return render("staff/index.html", entries=entries, first=first, today=today,
                  previous=(first - timedelta(days=1)).replace(day=1),
                  following=days[-1] + timedelta(days=1), leave=leave,
                  waiting=waiting_for_me(estate, current_user) if _lead() else [],
                  gaps=gaps(estate, now, now + timedelta(days=31)) if _lead() else [])


def _lead():
    return current_user.has_role(*LEADS)


def duty_panel(user, estate):
    """Home panel of everyone: my shifts today and tomorrow (each with leave if any), my
    training sessions of the next two days, my open action items from 例会, and for a lead
    the leave waiting for them and the gaps."""
    now = utcnow()
    today = estate.today(now)
    lead = user.has_role(*LEADS)
    actions = (ActionItem.select(ActionItem, Meeting).join(Meeting)
               .where(Meeting.estate == estate, ActionItem.owner == user,
                      ActionItem.done_at.is_null()).order_by(ActionItem.due_on))
    soon = [s for s in my_sessions(estate, user, now) if s.starts_at < now + timedelta(days=2)]
    return {"entries": my_roster(estate, user, today, today + timedelta(days=1)),
            "today": today, "actions": list(actions), "training": soon,
            "waiting": len(waiting_for_me(estate, user)) if lead else 0,
            "gaps": len(gaps(estate, now, now + timedelta(days=7))) if lead else 0}


def waiting_badge(user, estate):
    """The nav badge: leave requests waiting for this user."""
    return len(waiting_for_me(estate, user)) if user.has_role(*LEADS) else 0
