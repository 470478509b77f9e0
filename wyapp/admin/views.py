from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user
from peewee import JOIN, IntegrityError, fn
from wtforms.fields.choices import SelectChoice

from ..auth import role_required
from ..db import db
from ..documents import pdf_response, render_pdf
from ..idempotency import once
from ..models import Building, Estate, Unit, User, utcnow
from ..sessions import UserSession
from ..web import render
from .forms import (
    BuildingForm,
    EstateForm,
    NewUserForm,
    ResetPasswordForm,
    UnitForm,
    UnitImportForm,
    UserForm,
)
from .services import ImportRejected, import_units

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required("admin")
def require_admin():
    """Every page here is for the system administrator only."""


def admin_panel(user, estate):
    return {"estate_count": Estate.select().count(),
            "user_count": User.select().where(User.active).count()}


def _estate_or_404(estate_id):
    return Estate.get_or_none(Estate.id == estate_id) or abort(404)


@bp.route("/estates")
def estates():
    """All estates with their building and unit counts."""
    rows = (Estate.select(Estate, fn.COUNT(Unit.id).alias("unit_count"))
            .join(Unit, join_type=JOIN.LEFT_OUTER).group_by(Estate.id).order_by(Estate.name))
    return render("admin/estates.html", estates=rows)


@bp.route("/estates/new", methods=["GET", "POST"])
@bp.route("/estates/<int:estate_id>/edit", methods=["GET", "POST"])
def estate_form(estate_id=None):
    """Create an estate, or edit its name, address, time zone and active flag."""
    estate = _estate_or_404(estate_id) if estate_id else Estate()
    form = EstateForm(obj=estate)
    if form.validate_on_submit():
        form.populate_obj(estate)

        def save():
            with db.atomic():
                estate.save()
            return estate
        try:
            if estate_id:
                save()
            else:  # once per form shown: a resent POST gets the estate the first made
                estate, _ = once(Estate, form.once_key, save)
        except IntegrityError:
            form.name.errors.append("已有同名小区。")
        else:
            flash(f"已保存小区 {estate.name}。", "success")
            return redirect(url_for("admin.estate", estate_id=estate.id))
    # `edited`, not `estate`: the header shows the estate the admin works in
    return render("admin/estate_form.html", form=form, edited=estate), \
        422 if form.errors else 200


@bp.route("/estates/<int:estate_id>", methods=["GET", "POST"])
def estate(estate_id):
    """An estate's buildings; a form adds one."""
    estate = _estate_or_404(estate_id)
    form = BuildingForm()
    if form.validate_on_submit():
        try:
            once(Building, form.once_key,
                 lambda: Building.create(estate=estate, name=form.name.data),
                 Building.estate == estate)
        except IntegrityError:
            form.name.errors.append("这个小区已有同名楼栋。")
        else:
            flash(f"已添加楼栋 {form.name.data}。", "success")
            return redirect(url_for("admin.estate", estate_id=estate.id))
    return render("admin/estate.html", estate=estate, form=form,
                  buildings=Building.of_estate(estate), import_form=UnitImportForm())


@bp.route("/estates/<int:estate_id>/buildings/<int:building_id>", methods=["GET", "POST"])
def building(estate_id, building_id):
    """A building's units; a form adds one."""
    estate = _estate_or_404(estate_id)
    building = Building.get_or_none(Building.id == building_id, Building.estate == estate) \
        or abort(404)
    form = UnitForm()
    if form.validate_on_submit():
        try:
            once(Unit, form.once_key,
                 lambda: Unit.create(estate=estate, building=building, number=form.number.data,
                                     floor=form.floor.data, note=form.note.data),
                 Unit.building == building)
        except IntegrityError:
            form.number.errors.append("这栋楼已有这个房号。")
        else:
            flash(f"已添加房号 {form.number.data}。", "success")
            return redirect(url_for("admin.building", estate_id=estate.id,
                                    building_id=building.id))
    units = building.units.order_by(Unit.floor, Unit.number)
    return render("admin/building.html", estate=estate, building=building, units=units,
                  form=form)


@bp.post("/estates/<int:estate_id>/units/import")
def import_units_view(estate_id):
    """CSV import of units: every bad row is listed by line number and nothing is imported."""
    estate = _estate_or_404(estate_id)
    form, errors = UnitImportForm(), []
    if form.validate_on_submit():
        try:
            count = import_units(estate, form.file.data.read())
        except ImportRejected as rejected:
            errors = rejected.errors
        else:
            flash(f"已导入 {count} 个房号。", "success")
            return redirect(url_for("admin.estate", estate_id=estate.id))
    return render("admin/estate.html", estate=estate, form=BuildingForm(formdata=None),
                  buildings=Building.of_estate(estate), import_form=form,
                  import_errors=errors), 422


@bp.route("/users")
def users():
    """Staff accounts; the search box filters as you type (htmx swaps the list)."""
    q = request.args.get("q", "").strip()[:40]
    rows = User.select().order_by(User.active.desc(), User.username)
    if q:
        rows = rows.where(User.username.contains(q) | User.display_name.contains(q)
                          | User.phone.contains(q))
    return render("admin/users.html", "results", users=rows, q=q)


def _user_form(form_class, user):
    form = form_class(obj=user, roles=sorted(user.roles) if user.id else [],
                      estates=[e.id for e in user.estates()] if user.id else [])
    form.estates.choices = [SelectChoice(e.id, e.name) for e in Estate.active_ones()]
    return form


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    """Create a staff account with roles, estates and an initial password."""
    form = _user_form(NewUserForm, User())
    if form.validate_on_submit():
        user = User(username=form.username.data)

        def save():
            with db.atomic():
                _save_user(user, form)
            return user
        try:  # once per form shown: a resent POST does not make the account twice
            user, _ = once(User, form.once_key, save)
        except IntegrityError:
            form.username.errors.append("用户名已被使用。")
        else:
            flash(f"已创建账号 {user.username}。", "success")
            return redirect(url_for("admin.users"))
    return render("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id):
    """Edit a staff account: name, phone, roles, estates, active (deactivate = untick)."""
    user = User.get_or_none(User.id == user_id) or abort(404)
    form = _user_form(UserForm, user)
    if form.validate_on_submit():
        if user.id == current_user.id and ("admin" not in form.roles.data
                                           or not form.active.data):
            form.roles.errors.append("不能取消自己的管理员岗位或停用自己的账号。")
        else:
            with db.atomic():
                _save_user(user, form)
            flash(f"已保存账号 {user.username}。", "success")
            return redirect(url_for("admin.users"))
    return render("admin/user_form.html", form=form, user=user,
                  reset_form=ResetPasswordForm(formdata=None))


def _save_user(user, form):
    user.display_name, user.phone, user.active = (form.display_name.data, form.phone.data,
                                                  form.active.data)
    if getattr(form, "password", None):
        user.set_password(form.password.data)
    user.save()
    if not user.active:  # the loader refuses them anyway; ended, they stay ended on return
        UserSession.end_all(user, utcnow())
    user.set_roles(form.roles.data)
    user.set_estates(Estate.select().where(Estate.id.in_(form.estates.data or [])))


@bp.post("/users/<int:user_id>/password")
def user_password(user_id):
    """Reset a forgotten (or leaked) password to one the admin tells the user: every device
    logged in as them is logged out."""
    user = User.get_or_none(User.id == user_id) or abort(404)
    reset_form = ResetPasswordForm()
    if reset_form.validate_on_submit():
        with db.atomic():
            user.set_password(reset_form.password.data)
            user.save()
            ended = UserSession.end_all(user, utcnow())
        flash(f"已重置 {user.username} 的密码，{ended} 台已登录的设备已退出。" if ended
              else f"已重置 {user.username} 的密码。", "success")
        return redirect(url_for("admin.user_edit", user_id=user.id))
    return render("admin/user_form.html", form=_user_form(UserForm, user), user=user,
                  reset_form=reset_form), 422


@bp.route("/estates/<int:estate_id>/units.pdf")
def units_pdf(estate_id):
    """The estate's unit list as a printable A4 PDF."""
    estate = _estate_or_404(estate_id)
    units = (Unit.select(Unit, Building).join(Building).where(Unit.estate == estate)
             .order_by(Building.name, Unit.floor, Unit.number))
    pdf = render_pdf("pdf/units.html", title="房号清单", estate=estate, units=units,
                     period=f"共 {units.count()} 户")
    return pdf_response(pdf, "units.pdf")
