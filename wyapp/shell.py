"""The installable shell: web manifest, service worker, offline page, health check."""
from pathlib import Path

from flask import Blueprint, current_app, jsonify, render_template, url_for

from . import db as database
from .features import Feature

bp = Blueprint("shell", __name__)

# Bump when the shell's cached files change: the service worker drops older caches.
SHELL_VERSION = "5"
SHELL_FILES = ("css/app.css", "js/app.js", "js/field.js", "js/scanner.js",
               "vendor/htmx.min.js", "vendor/idb-keyval.js", "vendor/barcode-detector.js",
               "vendor/zxing_reader.wasm", "icons/icon-192.png")


def nav_icons():
    """Every icon the bottom bar may show (static/icons/nav-*.svg): kept with the shell, or
    the bar's 巡更 and 档案 … lose their icons without signal (issue 17)."""
    folder = Path(current_app.static_folder) / "icons"
    return tuple(sorted(f"icons/{p.name}" for p in folder.glob("nav-*.svg")))


@bp.route("/manifest.webmanifest")
def manifest():
    """What a phone needs to install the app to its home screen."""
    data = {
        "name": "物业工作台",
        "short_name": "物业工作台",
        "lang": "zh-CN",
        "start_url": url_for("accounts.home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0f766e",
        "icons": [{"src": url_for("static", filename=f"icons/icon-{size}.png"),
                   "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any maskable"}
                  for size in (192, 512)],
    }
    response = jsonify(data)
    response.mimetype = "application/manifest+json"
    return response


@bp.route("/sw.js")
def service_worker():
    """The service worker, served from the root so its scope is the whole app."""
    shell = [url_for("shell.offline")] + [url_for("static", filename=f)
                                          for f in (*SHELL_FILES, *nav_icons())]
    body = render_template("shell/sw.js", version=SHELL_VERSION, shell=shell,
                           offline=url_for("shell.offline"),
                           idb=url_for("static", filename="vendor/idb-keyval.js"))
    response = current_app.response_class(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/offline")
def offline():
    """Shown by the service worker when a page cannot be reached."""
    return render_template("shell/offline.html")


@bp.route("/healthz")
def healthz():
    """200 when the app can query its database and reach its queue (Redis, or the SQLite
    queue file), 503 naming what is unreachable; no login (load balancers call it)."""
    checks = {"database": "ok", "queue": "ok"}
    try:
        database.db.execute_sql("SELECT 1").fetchone()
    except Exception as error:  # any database failure means unhealthy, never a 500
        current_app.logger.warning("health check failed: %s", error)
        checks["database"] = "unreachable"
    try:
        from .tasks import huey
        huey.storage.queue_size()
    except Exception as error:  # Redis down or the queue file unreadable: unhealthy
        current_app.logger.warning("health check: queue unreachable: %s", error)
        checks["queue"] = "unreachable"
    healthy = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if healthy else "error", **checks), 200 if healthy else 503


feature = Feature(name="shell", blueprint=bp)
