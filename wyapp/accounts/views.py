from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, login_required

from .. import features
from ..auth import current_estate, estate_required, session_token, sign_in, sign_out
from ..db import db
from ..inputs import posted_id
from ..models import Estate, Notification, User, utcnow
from ..offline import FIELD_ROLES, keep_offline
from ..sessions import LoginThrottle, UserSession
from ..web import render
from .forms import ChangePasswordForm, LoginForm
from .sessions import end_own_session

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
    """Username and password. Each attempt is counted before its password is checked
    (LoginThrottle): five in a row for one username, or twenty from one address, make the
    next ones wait (429) unchecked."""
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        now, address = utcnow(), LoginThrottle.address_key(request.remote_addr)
        wait = LoginThrottle.begin([(form.username.data, LoginThrottle.FREE_TRIES),
                                    (address, LoginThrottle.FREE_TRIES_PER_ADDRESS)], now)
        user = None if wait else User.get_or_none(User.username == form.username.data)
        if wait:
            form.password.errors.append(f"连续登录失败次数过多，请 {wait} 秒后再试。")
            status = 429
        elif user is None or not user.check_password(form.password.data):
            form.password.errors.append("用户名或密码不正确。")
        elif not user.active:
            form.username.errors.append("该账号已停用，请联系系统管理员。")
        else:
            LoginThrottle.succeeded(form.username.data, address)
            sign_in(user, now)
            return redirect(_safe_next(request.args.get("next")) or url_for("accounts.home"))
    return render("accounts/login.html", form=form), status


@bp.post("/logout")
def logout():
    """End this session on the server and here (a POST, so a link preview cannot log anyone
    out): a copy of the cookie taken before is worth nothing after."""
    sign_out(utcnow())
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


def _me_page(form, block="password_form", **context):
    token = session_token()
    return render("accounts/me.html", block, form=form, this_session=UserSession.hash(token or ""),
                  sessions=UserSession.open_ones(current_user), **context)


@bp.route("/me", methods=["GET", "POST"])
@login_required
def me():
    """The user's own account page: their password, and the devices logged in as them.
    A new password ends every other session of the user; this one stays."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("当前密码不正确。")
        else:
            with db.atomic():
                current_user.set_password(form.new.data)
                current_user.save()
                ended = UserSession.end_all(current_user, utcnow(), keep_token=session_token())
            message = f"密码已修改，其他 {ended} 台设备已退出登录。" if ended else "密码已修改。"
            if request.htmx:
                return _me_page(ChangePasswordForm(formdata=None), changed=message)
            flash(message, "success")
            return redirect(url_for("accounts.me"))
    return _me_page(form)


@bp.post("/me/sessions/<int:session_id>/end")
@login_required
def end_session(session_id):
    """End one of the user's own sessions (a lost phone); ending this one logs out here."""
    ended = end_own_session(current_user, session_id, utcnow())
    if ended is None:
        abort(404)
    if ended == UserSession.hash(session_token() or ""):
        sign_out(utcnow())
        return redirect(url_for("accounts.login"))
    if request.htmx:
        return _me_page(ChangePasswordForm(formdata=None), "sessions")
    flash("已让这台设备退出登录。", "success")
    return redirect(url_for("accounts.me"))


@bp.post("/estate")
@login_required
def switch_estate():
    """Switch the estate shown from the header; only to an estate of this user."""
    estate_id = posted_id(request.form.get("estate_id"))
    estate = current_user.estates().where(Estate.id == estate_id).first() if estate_id else None
    if estate is None:
        abort(404)
    session["estate_id"] = estate.id
    return redirect(url_for("accounts.home"))
