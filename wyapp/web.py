"""What every page shares: fragment rendering, Vary, the session cookie, error pages, filters."""
import peewee
from flask import abort, current_app, g, has_request_context, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2 import pass_context
from jinja2_fragments.flask import render_block
from werkzeug.exceptions import HTTPException

from . import features
from .auth import current_estate
from .db import db
from .errors import DomainError, NotAllowed, show_error
from .models import ROLES, Estate, Notification

ERROR_MESSAGES = {
    400: "请求无效，请刷新页面后重试。",
    403: "您没有权限访问这个页面。",
    404: "页面不存在，或者不属于您当前的小区。",
    405: "不支持这种请求方式。",
    413: "上传的文件太大。",
    429: "操作太频繁，请稍后再试。",
    500: "服务器出错了，我们已记录下来，请稍后再试。",
    503: "数据库暂时无法连接，请稍后再试。",
}


def render(template, block=None, **context):
    """The whole page, or for an htmx request only `block` of it (a named template block).
    htmx's history restore (Back after an hx-push-url swap, with a cold history cache) also
    says HX-Request: it gets the whole page, which it puts in place of the body."""
    if (block and request.htmx and not request.htmx.boosted
            and not request.htmx.history_restore_request):
        g.fragment = True  # shell_context: a block never shows the nav, badges or bell
        try:
            return render_block(template, block, **context)
        finally:
            g.fragment = False
    return render_template(template, **context)


def attempt(form, action):
    """Run `action()` (a domain step) for a valid `form`, inside one transaction; True when it
    was done. A DomainError goes beside its field (the form keeps what was typed); a step
    this user may never take (NotAllowed) is a 403."""
    if not form.validate_on_submit():
        return False
    try:
        with db.atomic():
            action()
    except NotAllowed as refused:
        abort(403, refused.message)
    except DomainError as error:
        show_error(form, error)
        return False
    return True


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over https (also via a proxy).
    Its signing serializer is made once per set of keys, not on every request."""

    def __init__(self):
        super().__init__()
        self._serializers = {}

    def get_cookie_secure(self, app):
        return app.config["SESSION_COOKIE_SECURE"] or request.is_secure

    def get_signing_serializer(self, app):
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys not in self._serializers:
            self._serializers[keys] = super().get_signing_serializer(app)
        return self._serializers[keys]


# The headers a browser needs, on every response (one after-request hook, init_app below;
# Flask-Talisman sets the same but costs ~60 µs a request on the benchmarked scan path).
# Scripts come from this site only — no inline script, no on*= attribute, no eval; the
# scanner's zxing-wasm decoder needs 'wasm-unsafe-eval' to compile its WebAssembly (it
# allows WebAssembly only, not eval). Styles come from app.css; style *attributes* stay
# allowed (a progress bar's width is set in the template), <style> elements do not: htmx's
# own indicator <style> is switched off by the htmx-config meta in base.html. No site may
# frame wyapp. HSTS is sent only over https (request.is_secure: directly, or through
# WYAPP_TRUSTED_PROXIES); nothing is redirected to https (the proxy in front terminates TLS;
# dev and tests are http), and the session cookie's Secure flag is SessionInterface's.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self' 'wasm-unsafe-eval'",
    "style-src": "'self'",
    "style-src-attr": "'unsafe-inline'",
    "img-src": "'self' blob:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": "; ".join(f"{name} {value}" for name, value
                                         in CONTENT_SECURITY_POLICY.items()),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(self), geolocation=(self), microphone=(), "
                          "browsing-topics=()",
}
HSTS = "max-age=31536000"  # a year; not includeSubDomains: the company's other hosts are theirs

# Responses a browser or proxy may keep: the app's static files, the service worker and
# manifest (revalidated by their own headers), the offline page. Everything else may hold
# personal data — pages of a logged-in user, PDFs, photos, archive downloads — and is sent
# `private, no-store`: not kept on a shared phone's disk, in the back-forward cache or a proxy.
CACHEABLE = {"static", "shell.service_worker", "shell.manifest", "shell.offline"}


@pass_context
def local_time(context, value, fmt="%Y-%m-%d %H:%M"):
    """A stored naive-UTC datetime shown in the time zone of the estate being shown."""
    if value is None:
        return ""
    estate = context.get("estate") or Estate(timezone=current_app.config["TIMEZONE"])
    return estate.local(value).strftime(fmt)


def init_app(app):
    app.session_interface = SessionInterface()
    app.jinja_env.filters["local_time"] = local_time

    @app.after_request
    def vary_on_htmx(response):
        if response.mimetype == "text/html":
            response.vary.add("HX-Request")
        return response

    @app.after_request
    def protect(response):
        headers = response.headers
        headers.update(SECURITY_HEADERS)
        if request.is_secure:
            headers["Strict-Transport-Security"] = HSTS
        if request.endpoint not in CACHEABLE:
            headers["Cache-Control"] = "private, no-store"
            headers.pop("Expires", None)
        return response

    @app.context_processor
    def shell_context():
        if not has_request_context() or not current_user.is_authenticated:
            return {"ROLES": ROLES}
        estate = current_estate()
        if g.get("fragment"):
            return {"ROLES": ROLES, "estate": estate}
        nav = features.nav_for(app.extensions["wyapp.features"], current_user)
        badges = {i.endpoint: i.badge(current_user, estate) for i in nav
                  if i.badge and estate is not None}
        return {"ROLES": ROLES, "estate": estate, "nav": nav, "nav_badges": badges,
                "my_estates": list(current_user.estates()) if estate else [],
                "unread": Notification.unread_count(current_user, estate) if estate else 0}

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _error_page(400, "页面已过期或来源不明（CSRF 校验失败），请刷新后重试。")

    @app.errorhandler(HTTPException)
    def http_error(error):
        described = error.description if isinstance(error.description, str) and \
            any("\u4e00" <= ch <= "\u9fff" for ch in error.description) else None
        return _error_page(error.code, described)

    @app.errorhandler(peewee.OperationalError)
    @app.errorhandler(peewee.InterfaceError)
    def database_down(error):
        app.logger.error("database unavailable on %s: %s", request.path, error)
        return _error_page(503)

    @app.errorhandler(Exception)
    def server_error(error):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return _error_page(500)


def _error_page(code, message=None):
    g.setdefault("error_code", code)
    message = message or ERROR_MESSAGES.get(code, "请求无法完成。")
    try:
        return render("errors/error.html", "content", code=code, message=message), code
    except Exception:  # the error page itself must never fail: fall back to plain text
        return f"{code} {message}", code, {"Content-Type": "text/plain; charset=utf-8"}
