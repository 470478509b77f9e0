"""The booth: register visitors, who is on site, 签离, vehicles, goods release."""
import re

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from ..auth import current_estate, get_or_404, role_required, scoped
from ..db import utcnow
from ..errors import DomainError, show_error
from ..guards import needs_estate
from ..idempotency import clean_key, once
from ..inputs import clean_mobile, id_arg
from ..models import Unit
from ..photos import save_photos
from ..web import render
from . import goods, invitations, privacy, visits, watchlist
from . import vehicles as cars  # `vehicles` is the view below
from .forms import CodeForm, ReleaseForm, VehicleForm, VisitForm
from .models import GateSettings, Invitation, ReleaseSlip, VehicleEntry, Visit
from .validators import plate_warning

bp = needs_estate(Blueprint("gate", __name__, url_prefix="/gate"))

GATE = ("gate", "supervisor", "manager")
DESK = ("desk", "supervisor", "manager")
BOSS = ("supervisor", "manager")
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")


@bp.before_request
def need_an_estate():
    """Staff assigned to no estate get a clear 403 (the visitor's pass needs no login)."""
    if request.endpoint != "gate.invitation_pass" and current_user.is_authenticated \
            and current_estate() is None:
        abort(403, "您的账号还没有分配小区，请联系系统管理员。")


@bp.after_request
def no_store(response):
    """Gate pages hold visitors' personal data: no copy in the phone's HTTP cache."""
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response


def gate_panel(user, estate):
    return {"visitors": visits.on_site(estate).count(),
            "vehicles": cars.vehicles_on_site(estate).count(),
            "long_stays": visits.long_stays(estate, utcnow()).count()}


def desk_panel(user, estate):
    today = estate.today(utcnow())
    return {"invitations": scoped(Invitation).where(Invitation.valid_from <= today,
                                                    Invitation.valid_to >= today).count(),
            "slips": scoped(ReleaseSlip).where(ReleaseSlip.valid_on == today).count()}


def long_stay_badge(user, estate):
    """The gate tab shows how many visitors overstay: they may have left unsigned."""
    return visits.long_stays(estate, utcnow()).count()


def _home(form, code_form=None, status=200, **extra):
    return render("gate/home.html", "register_form", form=form,
                  code_form=code_form or CodeForm(formdata=None),
                  on_site_count=visits.on_site(current_estate()).count(), **extra), status


@bp.route("/", methods=["GET"])
@role_required(*GATE)
def home():
    """The registration form first; ?visit= or ?code= fills it (htmx: just the form)."""
    estate, code_form, data, warnings = current_estate(), CodeForm(formdata=None), {}, []
    if visit_id := id_arg("visit"):
        data = visits.prefill_from_visit(get_or_404(Visit, visit_id))
    elif request.args.get("code"):
        code_form = CodeForm(request.args, meta={"csrf": False})
        try:
            invitation = invitations.check_invitation(estate, request.args["code"], utcnow())
        except DomainError as error:
            show_error(code_form, error, default="code")
        else:
            data = invitations.prefill_from_invitation(invitation)
            warnings = watchlist.watch_matches(estate, name=invitation.name,
                                              phone=invitation.phone, plate=invitation.plate)
    return _home(VisitForm(formdata=None, data=data), code_form, warnings=warnings)


@bp.post("/")
@role_required(*GATE)
def register():
    """登记: one POST per visitor; a repeated Idempotency-Key returns the first result."""
    estate = current_estate()
    key = request.headers.get("Idempotency-Key", "").strip() or None
    if key and not IDEMPOTENCY_KEY.match(key):
        abort(400, "请求标识（Idempotency-Key）格式不对。")
    posted = clean_key(request.form.get("idempotency_key"))  # the form's key, without JS
    key = key or (posted if posted and IDEMPOTENCY_KEY.match(posted) else None)
    if key and scoped(Visit).where(Visit.idempotency_key == key).exists():
        return redirect(url_for("gate.home"))
    form = VisitForm()
    if form.validate_on_submit():
        photos = []
        try:
            photos = save_photos(estate, request.files.getlist(form.photo.name),
                                 current_user, limit=1)
            visit, _, hits = visits.register_visit(
                estate, current_user, form.data, idempotency_key=key, photos=photos)
        except DomainError as error:  # a refused photo (then none was saved) or visit
            privacy.discard_photos(photos)
            form.show(error)
        else:
            flash(f"已登记：被访 {visit.visited}，{visit.party_size} 人。", "success")
            if warning := plate_warning(visit.plate):
                flash(warning, "warning")
            if hits:
                flash(f"⚠ 关注名单提醒：{watchlist.describe_watch(hits)}。请核实后决定是否放行，"
                      "已通知主管。", "error")
            return redirect(url_for("gate.home"))
    elif form.unit.data and not form.unit.errors:  # every mistake in one round
        try:
            Unit.find(estate, form.unit.data)
        except DomainError as error:
            show_error(form, error)
    return _home(form, status=422)


@bp.post("/suggest")
@role_required(*GATE)
def suggest():
    """That phone number's earlier entries (htmx: the list; otherwise the whole page)."""
    estate = current_estate()
    try:
        phone = clean_mobile(request.form.get("phone", "")[:20])
    except DomainError:
        phone = ""
    context = {"history": visits.phone_history(estate, phone),
               "warnings": watchlist.watch_matches(estate, phone=phone)}
    if request.htmx:
        return render("gate/home.html", "suggestions", **context)
    form = VisitForm(formdata=None, data={"phone": phone})
    return _home(form, **context)


@bp.route("/on-site")
@role_required(*GATE)
def on_site():
    """在场访客 with one-tap 签离; long stays highlighted (htmx: just the list)."""
    return render("gate/on_site.html", "on_site", **_on_site_context())


def _on_site_context():
    estate = current_estate()
    return {"visits": visits.on_site(estate), "now": utcnow(),
            "hours": GateSettings.of(estate).long_stay_hours}


@bp.post("/visits/<int:visit_id>/sign-out")
@role_required(*GATE)
def sign_out(visit_id):
    """签离 records the time out; htmx gets the refreshed list back."""
    visit = get_or_404(Visit, visit_id)
    try:
        visits.sign_out(visit, current_user)
        stayed = visits.duration_text(visit.stayed(visit.time_out))
        message = f"已签离：被访 {visit.visited}，停留 {stayed}。"
    except DomainError as error:
        message = error.message
    if request.htmx:
        return render("gate/on_site.html", "on_site", message=message, **_on_site_context())
    flash(message, "success")
    return redirect(url_for("gate.on_site"))


@bp.route("/vehicles", methods=["GET", "POST"])
@role_required(*GATE)
def vehicles():
    """Plate in: the form; the vehicles on site with one-tap 出场."""
    estate, form, status = current_estate(), VehicleForm(), 200
    if form.validate_on_submit():
        hits = []

        def enter():
            entry, found = cars.vehicle_in(estate, current_user, form.plate.data,
                                           form.kind.data)
            hits.extend(found)
            return entry
        try:  # once per form shown: a resent POST gets the entry the first made
            entry, _ = once(VehicleEntry, form.once_key, enter, VehicleEntry.estate == estate)
        except DomainError as error:
            form.show(error)
        else:
            flash(f"{entry.plate} 已入场。", "success")
            if warning := plate_warning(entry.plate):
                flash(warning, "warning")
            if hits:
                flash(f"⚠ 关注名单提醒：{watchlist.describe_watch(hits)}。已通知主管。", "error")
            return redirect(url_for("gate.vehicles"))
    if form.errors:
        status = 422
    return render("gate/vehicles.html", form=form, entries=cars.vehicles_on_site(estate),
                  now=utcnow(), duration=visits.duration_text), status


@bp.post("/vehicles/<int:entry_id>/out")
@role_required(*GATE)
def vehicle_out(entry_id):
    """出场: records the time out and says how long the vehicle stayed."""
    entry = get_or_404(VehicleEntry, entry_id)
    try:
        cars.vehicle_out(entry)
        flash(f"{entry.plate or '车辆'} 已出场，停留 "
              f"{visits.duration_text(entry.stayed(entry.time_out))}。", "success")
    except DomainError as error:
        flash(error.message, "error")
    return redirect(url_for("gate.vehicles"))


@bp.route("/slips")
@role_required(*(GATE + DESK))
def slips():
    """放行条: find by code or unit (the desk also sees the latest ones)."""
    estate, q = current_estate(), request.args.get("q", "").strip()[:40]
    found = goods.find_slips(estate, q) if q else \
        list(scoped(ReleaseSlip).order_by(ReleaseSlip.issued_at.desc()).limit(10))
    return render("gate/slips.html", "results", slips=found, q=q, now=utcnow(),
                  problem=goods.slip_problem)


@bp.route("/slips/<int:slip_id>", methods=["GET", "POST"])
@role_required(*(GATE + DESK))
def slip(slip_id):
    """One slip: the items to check, and 确认放行 (once; expired or used says why)."""
    slip = get_or_404(ReleaseSlip, slip_id)
    form = ReleaseForm()
    if form.validate_on_submit():
        if not current_user.has_role(*GATE):
            abort(403)
        try:
            goods.release_goods(slip, current_user, form.exit_note.data)
        except DomainError as error:
            show_error(form, error, default="exit_note")
        else:
            flash(f"放行条 {slip.code} 已放行。", "success")
            return redirect(url_for("gate.slip", slip_id=slip.id))
    slip = get_or_404(ReleaseSlip, slip_id)
    return render("gate/slip.html", slip=slip, items=list(slip.goods), form=form,
                  problem=goods.slip_problem(slip, utcnow())), 422 if form.errors else 200
