"""Patrol pages a guard uses: scanning a checkpoint label, the rounds, the reports.
Set-up pages live in setup_views.py, incidents in incident_views.py."""
import uuid
from datetime import date, datetime, timedelta

from flask import Blueprint, abort, current_app, request, url_for
from flask_login import current_user

from ..auth import current_estate, estate_required, reject_reason, role_required
from ..db import utcnow
from ..labels import current_label
from ..offline import action_meta, keep_offline
from ..web import render
from . import services
from .forms import ScanForm
from .models import Checkpoint, Incident

bp = Blueprint("patrol", __name__, url_prefix="/patrol")

# read with a checkpoint's label (labels.py): the checkpoint, and the patrol set-up's version
# that the round needs next
LABEL_TARGET = (Checkpoint, {"structure_version": services.structure_version})

LEADS = ("supervisor", "manager")
WALKERS = ("guard", "supervisor", "manager")


def today_local():
    return services.to_local(utcnow(), services.zone_of(current_estate())).date()


# ── scanning (/c/<token> of a checkpoint label) ─────────────────────────────────────────

def checkpoint_label(label):
    """A scanned checkpoint label: GET shows the checkpoint and one 打卡 button, POST records."""
    if not current_user.has_role(*WALKERS):
        abort(403, "只有秩序维护员和主管可以巡更打卡。")
    checkpoint = label.target
    if checkpoint is None or not checkpoint.active:
        return render("patrol/scan.html", "scan_box", checkpoint=checkpoint, inactive=True), 410
    if request.method == "POST":
        return record_scan(label, checkpoint)
    now = utcnow()
    view = services.round_for(current_estate(), checkpoint, current_user, now)
    form = ScanForm(formdata=None, client_id=uuid.uuid4().hex)
    return keep_offline(render("patrol/scan.html", "scan_box", checkpoint=checkpoint, view=view,
                               now=now, form=form, label=label))


def record_scan(label, checkpoint):
    # CSRF is checked app-wide; every value below is parsed defensively. The ScanForm's
    # fields are plain hidden inputs, read straight from the post; the form itself is only
    # built when the page is shown again.
    posted = request.form
    key = request.headers.get("Idempotency-Key") or posted.get("client_id")
    now = utcnow()
    meta = action_meta(now)
    try:
        scan, view, created = services.record_scan(
            current_estate(), checkpoint, current_user, key, now,
            device_at=services.parse_device_time(
                request.headers.get("X-Device-Time") or posted.get("device_time")),
            latitude=services.parse_coordinate(posted.get("latitude"), 90),
            longitude=services.parse_coordinate(posted.get("longitude"), 180),
            accuracy=services.parse_coordinate(posted.get("accuracy"), 100000),
            queued=meta.queued, clock_skew=meta.clock_skew)
    except services.PatrolError as error:
        response = current_app.make_response((render(
            "patrol/scan.html", "scan_box", checkpoint=checkpoint, form=ScanForm(), label=label,
            error=error.message, now=utcnow()), 409))
        return reject_reason(response, error.message)
    return render("patrol/scan.html", "scan_box", checkpoint=checkpoint, scan=scan, view=view,
                  replayed=not created, now=utcnow(), label=label)


# ── the guard's rounds and the supervisor's overview ────────────────────────────────────

def guard_panel(user, estate):
    current, later = services.guard_rounds(estate, user, utcnow())
    return {"current": current, "later": later, "now": utcnow()}


def lead_panel(user, estate):
    report = services.day_report(estate, services.to_local(utcnow(), services.zone_of(estate))
                                 .date(), utcnow())
    return {"report": report, "open_incidents": open_incidents(user, estate)}


def open_incidents(user, estate):
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
    current, later = services.guard_rounds(estate, current_user, now)
    report = services.day_report(estate, today_local(), now) \
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
    try:
        day = date.fromisoformat(request.args.get("date", "")[:10])
    except ValueError:
        day = today_local()
    report = services.day_report(current_estate(), day, utcnow(), _report_user())
    return render("patrol/day_report.html", "report", report=report, now=utcnow(),
                  previous=day - timedelta(days=1), following=day + timedelta(days=1))


@bp.route("/reports/month")
@role_required(*WALKERS)
@estate_required
def month_report():
    """The month report: completion per route and guard, missed rounds, flagged scans."""
    try:
        first = datetime.strptime(request.args.get("month", "")[:7], "%Y-%m").date()
    except ValueError:
        first = today_local().replace(day=1)
    report = services.month_report(current_estate(), first.year, first.month, utcnow(),
                                   _report_user())
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return render("patrol/month_report.html", report=report, previous=previous,
                  following=following)
