from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .. import features
from ..auth import current_estate, estate_required
from ..models import Estate, LoginThrottle, Notification, User, utcnow
from ..offline import FIELD_ROLES, keep_offline
from ..web import render
from .forms import ChangePasswordForm, LoginForm

bp = Blueprint("accounts", __name__)


def _safe_next(target):
    """Only a path on this site: never an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Username and password; five failures in a row make that username wait."""
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        wait = LoginThrottle.wait_seconds(form.username.data)
        user = User.get_or_none(User.username == form.username.data)
        if wait:
            form.password.errors.append(f"连续登录失败次数过多，请 {wait} 秒后再试。")
            status = 429
        elif user is None or not user.check_password(form.password.data):
            LoginThrottle.failed(form.username.data)
            form.password.errors.append("用户名或密码不正确。")
        elif not user.active:
            form.username.errors.append("该账号已停用，请联系系统管理员。")
        else:
            LoginThrottle.succeeded(form.username.data)
            session.clear()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("accounts.home"))
    return render("accounts/login.html", form=form), status


@bp.post("/logout")
def logout():
    """End the session (a POST, so a link preview cannot log anyone out)."""
    logout_user()
    session.clear()
    return redirect(url_for("accounts.login"))


@bp.route("/")
@estate_required
def home():
    """The home page made of the panels of the user's roles."""
    estate = current_estate()
    panels = [(p.template, p.context(current_user, estate)) for p in
              features.panels_for(current_app.extensions["wyapp.features"], current_user)]
    page = render("accounts/home.html", panels=panels)
    return keep_offline(page) if current_user.has_role(*FIELD_ROLES) else page


def notifications_panel(user, estate):
    return {"notifications": Notification.for_user(user, estate).limit(5)}


@bp.route("/notifications")
@estate_required
def notifications():
    """Every alert of this user in the current estate, newest first."""
    items = Notification.for_user(current_user, current_estate()).limit(200)
    return render("accounts/notifications.html", notifications=items)


@bp.post("/notifications/read")
@estate_required
def notifications_read():
    """Mark all as read."""
    (Notification.update(read_at=utcnow())
     .where(Notification.user == current_user, Notification.estate == current_estate(),
            Notification.read_at.is_null()).execute())
    return redirect(url_for("accounts.notifications"))


@bp.route("/me", methods=["GET", "POST"])
@login_required
def me():
    """The user's own account page, where they change their password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("当前密码不正确。")
        else:
            current_user.set_password(form.new.data)
            current_user.save()
            if request.htmx:
                return render("accounts/me.html", "password_form", changed=True,
                              form=ChangePasswordForm(formdata=None))
            flash("密码已修改。", "success")
            return redirect(url_for("accounts.me"))
    return render("accounts/me.html", "password_form", form=form)


@bp.post("/estate")
@login_required
def switch_estate():
    """Switch the estate shown from the header; only to an estate of this user."""
    estate = current_user.estates().where(Estate.id == request.form.get("estate_id", type=int)) \
        .first()
    if estate is None:
        abort(404)
    session["estate_id"] = estate.id
    return redirect(url_for("accounts.home"))
