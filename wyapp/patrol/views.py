"""Patrol pages: scanning a checkpoint label, the guard's rounds, supervisor set-up,
incidents and the day and month reports."""
import uuid
from datetime import date, datetime, timedelta

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ..auth import current_estate, estate_required, get_or_404, role_required, scoped
from ..db import utcnow
from ..documents import render_pdf
from ..labels import Label
from ..models import User
from ..photos import PhotoRejected, save_photos
from ..qr import qr_svg
from ..web import render
from . import services
from .forms import (
    CheckpointForm,
    CommentForm,
    IncidentForm,
    RouteForm,
    ScanForm,
    ScheduleForm,
    StopForm,
)
from .models import Checkpoint, Incident, Route, RouteStop, Schedule

bp = Blueprint("patrol", __name__, url_prefix="/patrol")

LEADS = ("supervisor", "manager")
WALKERS = ("guard", "supervisor", "manager")


def today_local():
    return services.to_local(utcnow(), services.zone_of(current_estate())).date()


# ── scanning (/c/<token> of a checkpoint label) ─────────────────────────────────────────

def checkpoint_label(label):
    """A scanned checkpoint label: GET shows the checkpoint and one 打卡 button, POST records."""
    if not current_user.has_role(*WALKERS):
        abort(403, "只有秩序维护员和主管可以巡更打卡。")
    checkpoint = Checkpoint.get_or_none(Checkpoint.id == label.target_id,
                                        Checkpoint.estate == label.estate_id)
    if checkpoint is None or not checkpoint.active:
        return render("patrol/scan.html", "scan_box", checkpoint=checkpoint, inactive=True), 410
    if request.method == "POST":
        return record_scan(label, checkpoint)
    now = utcnow()
    view = services.round_for(current_estate(), checkpoint, current_user, now)
    form = ScanForm(formdata=None, client_id=uuid.uuid4().hex)
    return render("patrol/scan.html", "scan_box", checkpoint=checkpoint, view=view, now=now,
                  form=form, label=label)


def record_scan(label, checkpoint):
    form = ScanForm()
    if not form.validate_on_submit():
        abort(400)
    key = request.headers.get("Idempotency-Key") or form.client_id.data
    try:
        scan, view, created = services.record_scan(
            current_estate(), checkpoint, current_user, key, utcnow(),
            device_at=services.parse_device_time(
                request.headers.get("X-Device-Time") or form.device_time.data),
            latitude=services.parse_coordinate(form.latitude.data, 90),
            longitude=services.parse_coordinate(form.longitude.data, 180),
            accuracy=services.parse_coordinate(form.accuracy.data, 100000))
    except services.PatrolError as error:
        return render("patrol/scan.html", "scan_box", checkpoint=checkpoint, form=form,
                      label=label, error=error.message, now=utcnow()), 409
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
    return render("patrol/index.html", current=current, later=later, now=now, report=report,
                  open_incidents=open_incidents(current_user, estate))


# ── checkpoints and labels ──────────────────────────────────────────────────────────────

@bp.route("/checkpoints")
@role_required(*LEADS)
@estate_required
def checkpoints():
    """Every checkpoint with its label URL; tick some to print their label sheet."""
    rows = scoped(Checkpoint).order_by(Checkpoint.active.desc(), Checkpoint.id)
    labels = {lb.target_id: lb for lb in Label.select().where(
        Label.kind == "checkpoint", Label.estate == current_estate(), Label.retired_at.is_null())}
    return render("patrol/checkpoints.html", checkpoints=rows, labels=labels)


@bp.route("/checkpoints/new", methods=["GET", "POST"])
@bp.route("/checkpoints/<int:checkpoint_id>", methods=["GET", "POST"])
@role_required(*LEADS)
@estate_required
def checkpoint_form(checkpoint_id=None):
    """Create a checkpoint (it gets its label at once) or edit one."""
    checkpoint = get_or_404(Checkpoint, checkpoint_id) if checkpoint_id else Checkpoint()
    form = CheckpointForm(obj=checkpoint)
    if form.validate_on_submit():
        data = {f: getattr(form, f).data for f in
                ("name", "location", "latitude", "longitude", "radius_m", "active")}
        try:
            services.save_checkpoint(current_estate(), checkpoint, data)
        except services.PatrolError as error:
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            flash(f"已保存巡更点 {checkpoint.name}。", "success")
            return redirect(url_for("patrol.checkpoints"))
    label = services.checkpoint_label(checkpoint) if checkpoint.id else None
    return render("patrol/checkpoint_form.html", form=form, checkpoint=checkpoint, label=label,
                  qr_svg=qr_svg)


@bp.post("/checkpoints/<int:checkpoint_id>/reissue")
@role_required(*LEADS)
@estate_required
def reissue(checkpoint_id):
    """A new label: the old printed (or photographed) one stops working."""
    checkpoint = get_or_404(Checkpoint, checkpoint_id)
    services.reissue_label(checkpoint)
    flash(f"已为 {checkpoint.name} 重新发放标签，旧标签已作废，请打印新标签贴上。", "success")
    return redirect(url_for("patrol.checkpoint_form", checkpoint_id=checkpoint.id))


@bp.route("/checkpoints/labels.pdf")
@role_required(*LEADS)
@estate_required
def labels_pdf():
    """An A4 sheet of QR labels for the ticked checkpoints (all active ones if none)."""
    ids = [int(i) for i in request.args.getlist("ids") if i.isdigit()][:500]
    rows = scoped(Checkpoint).where(Checkpoint.active).order_by(Checkpoint.id)
    if ids:
        rows = rows.where(Checkpoint.id.in_(ids))
    items = [(c, services.checkpoint_label(c)) for c in rows]
    items = [(c, lb) for c, lb in items if lb is not None]
    if not items:
        flash("没有可打印的巡更点。", "error")
        return redirect(url_for("patrol.checkpoints"))
    pdf = render_pdf("pdf/patrol_labels.html", title="巡更点标签", estate=current_estate(),
                     items=items, qr_svg=qr_svg, period=f"共 {len(items)} 个巡更点")
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": "inline; filename=patrol-labels.pdf"})


# ── routes ──────────────────────────────────────────────────────────────────────────────

@bp.route("/routes", methods=["GET", "POST"])
@role_required(*LEADS)
@estate_required
def routes():
    """The routes; a form below adds one."""
    form = RouteForm()
    if form.validate_on_submit():
        route = Route()
        try:
            services.save_route(current_estate(), route, _route_data(form))
        except services.PatrolError as error:
            form.name.errors.append(error.message)
        else:
            flash(f"已添加路线 {route.name}，请添加巡更点。", "success")
            return redirect(url_for("patrol.route", route_id=route.id))
    rows = scoped(Route).order_by(Route.active.desc(), Route.name)
    return render("patrol/routes.html", routes=rows, form=form)


def _route_data(form):
    return {f: getattr(form, f).data for f in ("name", "enforce_order", "min_seconds", "active")}


@bp.route("/routes/<int:route_id>", methods=["GET", "POST"])
@role_required(*LEADS)
@estate_required
def route(route_id):
    """A route: its settings and its ordered checkpoints (add, move up/down, remove)."""
    route = get_or_404(Route, route_id)
    form = RouteForm(obj=route)
    if form.validate_on_submit():
        try:
            services.save_route(current_estate(), route, _route_data(form))
        except services.PatrolError as error:
            form.name.errors.append(error.message)
        else:
            flash(f"已保存路线 {route.name}。", "success")
            return redirect(url_for("patrol.route", route_id=route.id))
    return _route_page(route, form=form)


def _route_page(route, form=None, stop_form=None, status=200):
    stop_form = stop_form or StopForm(formdata=None)
    on_route = {s.checkpoint_id for s in route.stops}
    stop_form.checkpoint.choices = [SelectChoice(c.id, c.name) for c in scoped(Checkpoint)
                                    .where(Checkpoint.active).order_by(Checkpoint.id)
                                    if c.id not in on_route]
    stops = route.stops.select(RouteStop, Checkpoint).join(Checkpoint) \
        .order_by(RouteStop.position)
    return render("patrol/route.html", "stops", route=route, form=form or RouteForm(
        formdata=None, obj=route), stop_form=stop_form, stops=stops), status


@bp.post("/routes/<int:route_id>/stops")
@role_required(*LEADS)
@estate_required
def route_stops(route_id):
    """Add a checkpoint to the end of the route, or move/remove one (htmx swaps the list)."""
    route = get_or_404(Route, route_id)
    stop_form = StopForm()
    action, stop_id = request.form.get("action", "add"), request.form.get("stop", "")
    try:
        if action == "add":
            _add_stop(route, stop_form)
        elif action in ("up", "down", "remove") and stop_id.isdigit():
            if action == "remove":
                services.remove_stop(route, int(stop_id))
            else:
                services.move_stop(route, int(stop_id), -1 if action == "up" else 1)
        else:
            abort(400)
    except services.PatrolError as error:
        stop_form.checkpoint.errors = [error.message]
        return _route_page(route, stop_form=stop_form, status=422)
    if not request.htmx:
        return redirect(url_for("patrol.route", route_id=route.id))
    return _route_page(route)


def _add_stop(route, stop_form):
    stop_form.checkpoint.choices = [SelectChoice(c.id, c.name) for c in scoped(Checkpoint)]
    if not stop_form.validate():
        raise services.PatrolError((stop_form.checkpoint.errors or ["请选择巡更点。"])[0])
    services.add_stop(route, get_or_404(Checkpoint, stop_form.checkpoint.data))


# ── schedules ───────────────────────────────────────────────────────────────────────────

@bp.route("/schedules")
@role_required(*LEADS)
@estate_required
def schedules():
    """The schedules: route, days, times, window and who walks them."""
    rows = scoped(Schedule).order_by(Schedule.active.desc(), Schedule.name)
    return render("patrol/schedules.html", schedules=rows)


@bp.route("/schedules/new", methods=["GET", "POST"])
@bp.route("/schedules/<int:schedule_id>", methods=["GET", "POST"])
@role_required(*LEADS)
@estate_required
def schedule_form(schedule_id=None):
    """Create or edit a schedule: fixed start times, or every N minutes within a span."""
    schedule = get_or_404(Schedule, schedule_id) if schedule_id else Schedule()
    guards = [g.user_id for g in schedule.guard_rows] if schedule.id else []
    form = ScheduleForm(obj=schedule if schedule.id else None,
                        route=schedule.route_id if schedule.id else None,
                        weekdays=list(schedule.weekdays), guards=guards,
                        mode="interval" if schedule.id and schedule.interval_mode else "fixed")
    estate = current_estate()
    form.route.choices = [SelectChoice(r.id, r.name) for r in
                          scoped(Route).where(Route.active).order_by(Route.name)]
    form.guards.choices = [SelectChoice(u.id, u.display_name) for u in
                           User.with_role(estate, "guard")]
    if form.validate_on_submit():
        data = {f: getattr(form, f).data for f in (
            "name", "start_times", "span_start", "span_end", "every_minutes", "window_minutes",
            "any_guard", "active")}
        data["weekdays"] = "".join(sorted(form.weekdays.data or []))
        data["route"] = get_or_404(Route, form.route.data)
        if form.mode.data == "fixed":
            data["every_minutes"] = None
        picked = list(User.with_role(estate, "guard").where(User.id.in_(form.guards.data or [])))
        try:
            services.save_schedule(estate, schedule, data, picked, utcnow())
        except services.PatrolError as error:
            getattr(form, error.field or "name").errors.append(error.message)
        else:
            flash(f"已保存巡更计划 {schedule.name}。", "success")
            return redirect(url_for("patrol.schedules"))
    return render("patrol/schedule_form.html", form=form, schedule=schedule)


# ── incidents ───────────────────────────────────────────────────────────────────────────

@bp.route("/incidents")
@role_required(*WALKERS)
@estate_required
def incidents():
    """巡更异常: a supervisor sees all (待处理 first); a guard sees their own."""
    rows = scoped(Incident).order_by(Incident.created_at.desc())
    if not current_user.has_role(*LEADS):
        rows = rows.where(Incident.reported_by == current_user)
    state = request.args.get("state", "待处理" if current_user.has_role(*LEADS) else "")
    if state in ("待处理", "已关闭", "已转工单"):
        rows = rows.where(Incident.status == state)
    return render("patrol/incidents.html", incidents=rows.limit(200), state=state)


@bp.route("/incidents/new", methods=["GET", "POST"])
@role_required(*WALKERS)
@estate_required
def incident_new():
    """Report an incident found on patrol: category, what was seen, up to 6 photos."""
    form = IncidentForm(checkpoint_id=request.args.get("checkpoint", ""))
    checkpoint = _incident_checkpoint(form.checkpoint_id.data)
    if form.validate_on_submit():
        estate = current_estate()
        try:
            photos = save_photos(estate, request.files.getlist(form.photos.name),
                                 current_user, limit=6)
        except PhotoRejected as error:
            form.photos.errors.append(str(error))
        else:
            incident = services.report_incident(estate, current_user, form.category.data,
                                                form.text.data, photos, checkpoint)
            flash("已上报巡更异常，主管会尽快处理。", "success")
            return redirect(url_for("patrol.incident", incident_id=incident.id))
    return render("patrol/incident_form.html", form=form, checkpoint=checkpoint)


def _incident_checkpoint(value):
    value = (value or "").strip()
    if not value.isdigit():
        return None
    return scoped(Checkpoint).where(Checkpoint.id == int(value)).first()


def _incident_or_404(incident_id):
    incident = get_or_404(Incident, incident_id)
    if not current_user.has_role(*LEADS) and incident.reported_by_id != current_user.id:
        abort(404)
    return incident


@bp.route("/incidents/<int:incident_id>", methods=["GET", "POST"])
@role_required(*WALKERS)
@estate_required
def incident(incident_id):
    """One incident with photos and comments; a supervisor comments here."""
    incident = _incident_or_404(incident_id)
    form = CommentForm()
    if request.method == "POST":
        if not current_user.has_role(*LEADS):
            abort(403)
        if form.validate_on_submit():
            services.comment_incident(incident, current_user, form.text.data)
            flash("已添加处理意见。", "success")
            return redirect(url_for("patrol.incident", incident_id=incident.id))
    return _incident_page(incident, form)


def _incident_page(incident, form=None, error=None, status=200):
    return render("patrol/incident.html", incident=incident, error=error,
                  form=form or CommentForm(formdata=None),
                  comments=incident.comments.order_by(incident.comments.model.created_at),
                  work_order_url=_work_order_url(incident)), status


def _work_order_url(incident):
    if not incident.work_order_id:
        return None
    try:
        return url_for("service.work_order", order_id=incident.work_order_id)
    except Exception:  # the service desk is not enabled in this installation
        return None


@bp.post("/incidents/<int:incident_id>/close")
@role_required(*LEADS)
@estate_required
def incident_close(incident_id):
    """Close an incident that needs no repair."""
    incident = _incident_or_404(incident_id)
    try:
        services.close_incident(incident, utcnow())
    except services.PatrolError as error:
        return _incident_page(incident, error=error.message, status=409)
    flash("已关闭这条异常。", "success")
    return redirect(url_for("patrol.incident", incident_id=incident.id))


@bp.post("/incidents/<int:incident_id>/work-order")
@role_required(*LEADS)
@estate_required
def incident_work_order(incident_id):
    """Turn the incident into a repair work order with one tap (the order links back)."""
    incident = _incident_or_404(incident_id)
    try:
        order = services.incident_to_work_order(incident, current_user, utcnow())
    except services.PatrolError as error:
        return _incident_page(incident, error=error.message, status=409)
    flash(f"已转为维修工单 #{order.id}。", "success")
    return redirect(url_for("patrol.incident", incident_id=incident.id))


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

