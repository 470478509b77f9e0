"""Patrol set-up for supervisors: checkpoints and their labels, routes, schedules."""
from flask import abort, flash, redirect, request, url_for
from wtforms.fields.choices import SelectChoice

from ..auth import current_estate, estate_required, get_or_404, role_required, scoped
from ..db import utcnow
from ..documents import pdf_response, render_pdf
from ..errors import DomainError, show_error
from ..idempotency import once
from ..inputs import ids_arg, posted_id
from ..labels import Label, confirm_reissue, reissue_unconfirmed
from ..models import User
from ..qr import qr_svg
from ..web import render
from . import setup
from .forms import CheckpointForm, PatrolSettingsForm, RouteForm, ScheduleForm, StopForm
from .models import Checkpoint, Route, RouteStop, Schedule
from .views import LEADS, bp


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
            if checkpoint_id:
                setup.save_checkpoint(current_estate(), checkpoint, data)
            else:  # once per form shown: a resent POST gets the checkpoint the first made
                estate = current_estate()
                checkpoint, _ = once(Checkpoint, form.once_key, lambda: setup.save_checkpoint(
                    estate, checkpoint, data), Checkpoint.estate == estate)
        except DomainError as error:
            show_error(form, error, default="name")
        else:
            flash(f"已保存巡更点 {checkpoint.name}。", "success")
            return redirect(url_for("patrol.checkpoints"))
    label = setup.checkpoint_label(checkpoint) if checkpoint.id else None
    return render("patrol/checkpoint_form.html", form=form, checkpoint=checkpoint, label=label,
                  qr_svg=qr_svg)


@bp.post("/checkpoints/<int:checkpoint_id>/reissue")
@role_required(*LEADS)
@estate_required
def reissue(checkpoint_id):
    """A new label: the old printed (or photographed) one stops working, once the
    supervisor confirmed on the page this POST answers first."""
    checkpoint = get_or_404(Checkpoint, checkpoint_id)
    back = url_for("patrol.checkpoint_form", checkpoint_id=checkpoint.id)
    if reissue_unconfirmed("checkpoint", checkpoint.id):
        return confirm_reissue(f"巡更点 {checkpoint.name}", back)
    setup.reissue_label(checkpoint)
    flash(f"已为 {checkpoint.name} 重新发放标签，旧标签已作废，请打印新标签贴上。", "success")
    return redirect(url_for("patrol.checkpoint_form", checkpoint_id=checkpoint.id))


@bp.route("/checkpoints/labels.pdf")
@role_required(*LEADS)
@estate_required
def labels_pdf():
    """An A4 sheet of QR labels for the ticked checkpoints (all active ones if none)."""
    ids = ids_arg("ids")
    rows = scoped(Checkpoint).where(Checkpoint.active).order_by(Checkpoint.id)
    if ids:
        rows = rows.where(Checkpoint.id.in_(ids))
    items = [(c, setup.checkpoint_label(c)) for c in rows]
    items = [(c, lb) for c, lb in items if lb is not None]
    if not items:
        flash("没有可打印的巡更点。", "error")
        return redirect(url_for("patrol.checkpoints"))
    pdf = render_pdf("pdf/patrol_labels.html", title="巡更点标签", estate=current_estate(),
                     items=items, qr_svg=qr_svg, period=f"共 {len(items)} 个巡更点")
    return pdf_response(pdf, "patrol-labels.pdf")


# ── routes ──────────────────────────────────────────────────────────────────────────────

@bp.route("/routes", methods=["GET", "POST"])
@role_required(*LEADS)
@estate_required
def routes():
    """The routes; a form below adds one."""
    form = RouteForm()
    if form.validate_on_submit():
        route, estate = Route(), current_estate()
        try:
            route, _ = once(Route, form.once_key, lambda: setup.save_route(
                estate, route, _route_data(form)), Route.estate == estate)
        except DomainError as error:
            show_error(form, error, default="name")
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
            setup.save_route(current_estate(), route, _route_data(form))
        except DomainError as error:
            show_error(form, error, default="name")
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
    action, stop_id = request.form.get("action", "add"), posted_id(request.form.get("stop"))
    try:
        if action == "add":
            _add_stop(route, stop_form)
        elif action in ("up", "down", "remove") and stop_id is not None:
            if action == "remove":
                setup.remove_stop(route, stop_id)
            else:
                setup.move_stop(route, stop_id, -1 if action == "up" else 1)
        else:
            abort(400)
    except DomainError as error:
        stop_form.checkpoint.errors = []
        show_error(stop_form, error, default="checkpoint")
        return _route_page(route, stop_form=stop_form, status=422)
    if not request.htmx:
        return redirect(url_for("patrol.route", route_id=route.id))
    return _route_page(route)


def _add_stop(route, stop_form):
    stop_form.checkpoint.choices = [SelectChoice(c.id, c.name) for c in scoped(Checkpoint)]
    if not stop_form.validate():
        raise DomainError((stop_form.checkpoint.errors or ["请选择巡更点。"])[0])
    checkpoint = get_or_404(Checkpoint, stop_form.checkpoint.data)
    once(RouteStop, stop_form.once_key, lambda: setup.add_stop(route, checkpoint),
         RouteStop.route == route)


# ── schedules ───────────────────────────────────────────────────────────────────────────

@bp.route("/schedules", methods=["GET", "POST"])
@role_required(*LEADS)
@estate_required
def schedules():
    """The schedules: route, days, times, window and who walks them; below, the estate's
    提前 minutes (a scan that long before a window opens counts for it)."""
    estate = current_estate()
    settings = PatrolSettingsForm(early_minutes=setup.early_minutes(estate))
    if settings.validate_on_submit():
        setup.save_early_minutes(estate, settings.early_minutes.data)
        flash(f"已保存：开始前 {settings.early_minutes.data} 分钟内的打卡计入该轮。", "success")
        return redirect(url_for("patrol.schedules"))
    rows = scoped(Schedule).order_by(Schedule.active.desc(), Schedule.name)
    return render("patrol/schedules.html", schedules=rows, settings=settings), \
        422 if settings.errors else 200


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
                        mode="interval" if schedule.id and schedule.interval_mode else "fixed",
                        crew="roster" if schedule.by_roster else "named")
    estate = current_estate()
    form.route.choices = [SelectChoice(r.id, r.name) for r in
                          scoped(Route).where(Route.active).order_by(Route.name)]
    form.guards.choices = [SelectChoice(u.id, u.display_name) for u in
                           User.with_role(estate, "guard")]
    if form.validate_on_submit():
        data = {f: getattr(form, f).data for f in (
            "name", "start_times", "span_start", "span_end", "every_minutes", "window_minutes",
            "any_guard", "active")}
        data["by_roster"] = form.crew.data == "roster"
        data["weekdays"] = "".join(sorted(form.weekdays.data or []))
        data["route"] = get_or_404(Route, form.route.data)
        if form.mode.data == "fixed":
            data["every_minutes"] = None
        picked = list(User.with_role(estate, "guard").where(User.id.in_(form.guards.data or [])))
        try:
            if schedule_id:
                setup.save_schedule(estate, schedule, data, picked, utcnow())
            else:  # once per form shown: a resent POST does not add the schedule twice
                schedule, _ = once(Schedule, form.once_key, lambda: setup.save_schedule(
                    estate, schedule, data, picked, utcnow()), Schedule.estate == estate)
        except DomainError as error:
            show_error(form, error, default="name")
        else:
            flash(f"已保存巡更计划 {schedule.name}。", "success")
            return redirect(url_for("patrol.schedules"))
    return render("patrol/schedule_form.html", form=form, schedule=schedule)
