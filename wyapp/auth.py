"""Who may do what, and in which estate: the one place every blueprint asks."""
import re
from functools import wraps
from urllib.parse import quote

from flask import abort, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user, login_required, login_user, logout_user
from htmx_flask import make_response
from peewee import JOIN, DoesNotExist

from .db import Prepared, from_row, utcnow
from .models import User, UserRole
from .sessions import UserSession

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


# A cookie names a server-side session (UserSession) by its token, never the user by id:
# flask-login keeps that token as its "user id" (session["_user_id"], set by sign_in) and
# gives it back to load_user, so a session ended on the server (logout, a password change,
# an admin reset, 我的 → 结束) ends every copy of its cookie. Flask-login's own route for
# this (User.get_id returning the token) would also change how UserMixin compares users.
_open_session = Prepared(lambda token_hash: (
    UserSession.select(UserSession.id, UserSession.last_seen, *User._meta.sorted_fields,
                       UserRole.role)
    .join(User).join(UserRole, JOIN.LEFT_OUTER, on=(UserRole.user == User.id))
    .where(UserSession.token_hash == token_hash, UserSession.ended_at.is_null(), User.active)
    .tuples()))


@login_manager.user_loader
def load_user(token):
    """The user whose open session `token` (the cookie's) names, with their roles: one query.

    None (log in again) for an ended session, a deactivated account, or a cookie from before
    sessions were kept (it carried a user id). `last_seen` is written at most every
    UserSession.SEEN_EVERY, not on every request."""
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        return None
    rows = _open_session(UserSession.hash(token))  # a row per role, each with the user's
    if not rows:
        return None
    session_id, last_seen = rows[0][:2]
    user = from_row(User, rows[0][2:-1])
    user._roles = {row[-1] for row in rows if row[-1]}  # read with the user (User.roles)
    now = utcnow()
    if now - last_seen >= UserSession.SEEN_EVERY:
        UserSession.update(last_seen=now).where(UserSession.id == session_id).execute()
    return user


def sign_in(user, now):
    """Log this browser in as `user` (naive-UTC `now`) in a new server-side session, named
    by its device (the User-Agent, shortened) and address. Any earlier session data of this
    browser is dropped first (no fixation)."""
    token = UserSession.start(user, now, device_name(request.user_agent.string),
                              request.remote_addr or "")
    session.clear()
    login_user(user)
    session["_user_id"] = token  # what load_user gets back on every request
    return token


def session_token():
    """The token of the session this request came with, or None when logged out."""
    token = session.get("_user_id")
    return token if isinstance(token, str) else None


def sign_out(now):
    """End this browser's session on the server, then forget it here."""
    token = session_token()
    if token:
        UserSession.end(token, now)
    logout_user()
    session.clear()


_DEVICES = (("iPhone", "iPhone"), ("iPad", "iPad"), ("HarmonyOS", "鸿蒙"),
            ("Android", "Android"), ("Windows", "Windows"), ("Macintosh", "Mac"),
            ("CrOS", "ChromeOS"), ("Linux", "Linux"))
_BROWSERS = (("MicroMessenger", "微信"), ("DingTalk", "钉钉"), ("EdgA?/", "Edge"),
             ("HeadlessChrome", "Chrome"), ("CriOS|Chrome/", "Chrome"), ("FxiOS|Firefox/",
                                                                        "Firefox"),
             ("Safari/", "Safari"))


def device_name(user_agent):
    """A User-Agent header shortened to what a person recognises: "Android · 微信",
    "iPhone · Safari", "Windows · Chrome"; "未知设备" for an empty or unknown one."""
    agent = user_agent or ""
    system = next((name for marker, name in _DEVICES if marker in agent), "")
    browser = next((name for marker, name in _BROWSERS if re.search(marker, agent)), "")
    return " · ".join(part for part in (system, browser) if part) or "未知设备"


SESSION_ENDED = "登录已过期，请重新登录后点“重试”。"


def reject_reason(response, message):
    """Say why an action was refused, so a copy queued on a phone can show it (offline.py)."""
    response.headers["X-Reject-Reason"] = quote(message)
    return response


@login_manager.unauthorized_handler
def unauthorized():
    """Send the whole page to login, also when the request came from htmx."""
    target = url_for("accounts.login", next=request.full_path.rstrip("?"))
    if getattr(request, "htmx", False):
        response = make_response("", 401)
        response.headers["HX-Redirect"] = target
        return reject_reason(response, SESSION_ENDED)
    return redirect(target)


def role_required(*roles):
    """Logged in and holding one of `roles`; otherwise 403. The view keeps `roles` as its
    attribute `roles` (so a page can tell whether a link to it would open)."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)
        wrapped.roles = frozenset(roles)
        return wrapped
    return decorator


def current_estate():
    """The estate the logged-in user works in now (chosen in the header), or None."""
    if "estate" not in g:
        g.estate = None
        if current_user.is_authenticated:
            estates = current_user.estates()
            chosen = session.get("estate_id")
            g.estate = (current_user.estate(chosen) if chosen else None) or estates.first()
    return g.estate


def estate_required(view):
    """Logged in with an estate to work in; a user assigned to none gets 403."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if current_estate() is None:
            abort(403, "您的账号还没有分配小区，请联系系统管理员。")
        return view(*args, **kwargs)
    return wrapped


def scoped(model, *fields):
    """Every query of estate data starts here: rows of the current estate only."""
    estate = current_estate()
    if estate is None:
        abort(403)
    return model.select(*fields).where(model.estate == estate)


def get_or_404(model, record_id, query=None):
    """One row of the current estate; another estate's row is as absent as a missing one."""
    try:
        # `query or …` would run the query (peewee queries have __len__): an empty one is falsy
        return (scoped(model) if query is None else query).where(model.id == record_id).get()
    except (DoesNotExist, ValueError, TypeError):
        abort(404)
