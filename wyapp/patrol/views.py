"""Patrol pages a guard uses: the rounds, the home panels, the reports; the blueprint.
Scanning a label lives in scan_views.py, set-up in setup_views.py, incidents in
incident_views.py."""
from datetime import timedelta

from flask import Blueprint, url_for
from flask_login import current_user

from ..auth import current_estate, estate_required, role_required
from ..db import utcnow
from ..guards import needs_estate
from ..inputs import day_arg, month_arg
from ..labels import current_label
from ..offline import keep_offline
from ..web import render
from . import reports
from .models import Checkpoint, Incident
from .rounds import guard_rounds

bp = needs_estate(Blueprint("patrol", __name__, url_prefix="/patrol"))

LEADS = ("supervisor", "manager")
WALKERS = ("guard", "supervisor", "manager")


def today_local():
    """The current estate's date now."""
    return current_estate().today(utcnow())


# ── the guard's rounds and the supervisor's overview ────────────────────────────────────

def guard_panel(user, estate):
    """The guard's home panel: their current rounds and the next ones."""
    now = utcnow()
    current, later = guard_rounds(estate, user, now)
    return {"current": current, "later": later, "now": now}


def lead_panel(user, estate):
    """A lead's home panel: today's rounds report and the pending incidents."""
    now = utcnow()
    report = reports.day_summary(estate, estate.today(now), now)
    return {"report": report, "open_incidents": open_incidents(user, estate)}


def open_incidents(user, estate):
    """How many incidents wait for a lead (the nav badge); 0 for anyone else."""
    if not user.has_role(*LEADS):
        return 0
    return Incident.select().where(Incident.estate == estate,
                                   Incident.status == "待处理").count()


@bp.route("/")
@role_required(*WALKERS)
@estate_required
def index():
    """巡更: the guard's current and next rounds; for a supervisor, today's rounds too."""
    estate, now = current_estate(), utcnow()
    current, later = guard_rounds(estate, current_user, now)
    report = reports.day_summary(estate, estate.today(now), now) \
        if current_user.has_role(*LEADS) else None
    return keep_offline(render("patrol/index.html", current=current, later=later, now=now,
                               report=report, open_incidents=open_incidents(current_user, estate)))


def offline_pages(user, estate):
    """What a guard needs without signal: the rounds, the incident form, every label page."""
    if not user.has_role(*WALKERS):
        return []
    labels = [current_label("checkpoint", c.id) for c in
              Checkpoint.select().where(Checkpoint.estate == estate, Checkpoint.active)]
    return [url_for("patrol.index"), url_for("patrol.incident_new"),
            *(f"/c/{label.token}" for label in labels if label is not None)]


# ── reports ─────────────────────────────────────────────────────────────────────────────

def _report_user():
    """Supervisors and managers see everyone; a guard sees their own rounds and scans."""
    return None if current_user.has_role(*LEADS) else current_user


@bp.route("/reports/day")
@role_required(*WALKERS)
@estate_required
def day_report():
    """The day report: each round, its scans and flags, missed checkpoints, per guard."""
    day = day_arg("date", None) or today_local()
    report = reports.day_report(current_estate(), day, utcnow(), _report_user())
    return render("patrol/day_report.html", "report", report=report, now=utcnow(),
                  previous=day - timedelta(days=1), following=day + timedelta(days=1))


@bp.route("/reports/month")
@role_required(*WALKERS)
@estate_required
def month_report():
    """The month report: completion per route and guard, missed rounds, flagged scans."""
    first = month_arg("month", None) or today_local().replace(day=1)
    report = reports.month_report(current_estate(), first.year, first.month, utcnow(),
                                  _report_user())
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return render("patrol/month_report.html", report=report, previous=previous,
                  following=following)
