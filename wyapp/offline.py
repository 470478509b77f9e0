"""Field mode, server side: the scanner and queue pages, fresh CSRF tokens for replay, and
what a queued action tells about itself (its Idempotency-Key and the device's clocks).

The phone side is static/js/field.js (page) and templates/shell/sw.js (service worker):
actions posted from forms marked `data-offline` go through the worker, which queues them
in IndexedDB when there is no signal and replays them in order, exactly once.
"""
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf

from .auth import SESSION_ENDED, current_estate, reject_reason, role_required
from .db import utcnow
from .features import Feature, NavItem
from .web import render

KEY_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{8,80}$")
# Phone and server clocks further apart than this when a queued action is sent: the phone's
# clock is not trusted as it is (a patrol scan is flagged 时钟偏差 and corrected by the skew).
CLOCK_TOLERANCE = timedelta(minutes=5)
FIELD_ROLES = frozenset({"guard", "engineer"})


@dataclass
class ActionMeta:
    """What the phone said about one action (all datetimes naive UTC)."""
    key: str | None  # Idempotency-Key, unique per action
    device_time: datetime | None  # when the user acted, by the phone's clock
    queued: bool  # replayed from the offline queue (离线补传)
    clock_skew: timedelta | None  # server clock minus phone clock, at sending time

    @property
    def clock_suspect(self):
        """The phone's clock was more than CLOCK_TOLERANCE off the server's when sent."""
        return clock_suspect(self.clock_skew)


def clock_suspect(skew):
    """A measured skew (server minus phone clock, a timedelta, or None when not measured)
    beyond CLOCK_TOLERANCE: the phone's clock is not to be trusted as it is."""
    return skew is not None and abs(skew) > CLOCK_TOLERANCE


def parse_device_time(value):
    """A phone's clock reading as the page or the worker sends it (X-Device-Time, the form's
    device_time, X-Device-Now): epoch milliseconds, or ISO 8601 with a zone → naive UTC.
    None when absent, without a zone, not a time, or outside 2000–2100: a phone's clock is
    data, never trusted to be sane (a clock at year 1 or 9999 reads as no clock)."""
    value = (value or "").strip()[:40]
    try:
        if value.isascii() and value.isdigit():
            parsed = datetime.fromtimestamp(int(value) / 1000, UTC)
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            return None
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if 2000 <= parsed.year <= 2100 else None


def action_meta(now=None):
    """Read the Idempotency-Key and device clocks of the current request (headers or form),
    each parsed once here. `now`: the server's time (naive UTC) the skew is measured at."""
    key = request.headers.get("Idempotency-Key") or request.form.get("idempotency_key")
    device_time = parse_device_time(request.headers.get("X-Device-Time")
                                    or request.form.get("device_time"))
    device_now = parse_device_time(request.headers.get("X-Device-Now"))
    skew = (now or utcnow()) - device_now if device_now else None
    return ActionMeta(key=key if key and KEY_PATTERN.match(key) else None,
                      device_time=device_time, queued=request.headers.get("X-Queued") == "1",
                      clock_skew=skew)


def keep_offline(response):
    """Mark a page the service worker keeps for use without signal (refreshed when online)."""
    response = current_app.make_response(response)
    response.headers["X-Offline"] = "keep"
    return response


bp = Blueprint("offline", __name__)


@bp.route("/csrf-token")
def csrf_token():
    """A fresh CSRF token for replaying queued actions; 401 when the session has ended."""
    if not current_user.is_authenticated:
        return reject_reason(jsonify(error="login"), SESSION_ENDED), 401
    response = jsonify(token=generate_csrf(), username=current_user.username)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/queue")
@login_required
def queue():
    """The actions waiting on this phone (kept in its IndexedDB, listed by field.js): kept
    on the phone too, since it is the page the 待上传 badge opens without signal."""
    return keep_offline(render("offline/queue.html"))


@bp.route("/scan")
@role_required(*FIELD_ROLES, "supervisor")
def scan():
    """The in-app QR scanner: the rear camera, decoding continuously."""
    base_host = urlsplit(current_app.config.get("BASE_URL") or "").netloc
    return keep_offline(render("offline/scan.html", base_host=base_host))


@bp.route("/offline/pages")
@login_required
def pages():
    """URLs this user needs during a shift, for the service worker to keep fresh."""
    estate = current_estate()
    urls = {url_for("offline.scan"), url_for("accounts.home")} \
        if current_user.has_role(*FIELD_ROLES) else set()
    urls.add(url_for("offline.queue"))  # anyone's 待上传 badge opens it, signal or not
    if estate is not None:
        for feature in current_app.extensions["wyapp.features"]:
            if feature.offline_pages is not None:
                urls.update(feature.offline_pages(current_user, estate))
    response = jsonify(urls=sorted(urls))
    response.headers["Cache-Control"] = "no-store"
    return response


feature = Feature(name="offline", blueprint=bp,
                  nav=[NavItem("扫码", "offline.scan", FIELD_ROLES, "scan", order=5)])
