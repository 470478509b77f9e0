"""Who may do what, and in which estate: the one place every blueprint asks."""
from functools import wraps
from urllib.parse import quote

from flask import abort, g, redirect, request, session, url_for
from flask_login import LoginManager, current_user, login_required
from htmx_flask import make_response
from peewee import JOIN, DoesNotExist

from .db import Prepared, from_row
from .models import User, UserRole

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = "请先登录。"
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


_user_with_roles = Prepared(lambda user_id: User.select(*User._meta.sorted_fields, UserRole.role)
                            .join(UserRole, JOIN.LEFT_OUTER)
                            .where(User.id == user_id, User.active).tuples())


@login_manager.user_loader
def load_user(user_id):
    """A deactivated account loses its open sessions at its next request."""
    if not str(user_id).isdigit():
        return None
    rows = _user_with_roles(int(user_id))  # a row per role, each with the user's columns
    if not rows:
        return None
    user = from_row(User, rows[0][:-1])
    user._roles = {row[-1] for row in rows if row[-1]}  # read with the user (User.roles)
    return user


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
    """Logged in and holding one of `roles`; otherwise 403."""
    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)
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
        return (query or scoped(model)).where(model.id == record_id).get()
    except (DoesNotExist, ValueError, TypeError):
        abort(404)
