"""Scanning a checkpoint's label (/c/<token>, routed by wyapp/labels.py): GET shows the
checkpoint and one 打卡 button, POST records the scan. The hot path of the feature."""
import uuid

from flask import abort, current_app, request
from flask_login import current_user

from ..auth import current_estate, reject_reason
from ..db import utcnow
from ..errors import DomainError
from ..offline import action_meta, keep_offline
from ..web import render
from .forms import ScanForm
from .models import Checkpoint
from .rounds import UNREAD, structure_version
from .scanning import ScanRequest, next_round, parse_coordinate, record_scan, round_for
from .views import WALKERS

# read with a checkpoint's label (labels.py): the checkpoint, and the patrol set-up's version
# that the round needs next (labels.py puts it on the checkpoint as `structure_version`)
LABEL_TARGET = (Checkpoint, {"structure_version": structure_version})


def checkpoint_label(label):
    """A scanned checkpoint label: GET shows the checkpoint and one 打卡 button, POST records."""
    if not current_user.has_role(*WALKERS):
        abort(403, "只有秩序维护员和主管可以巡更打卡。")
    checkpoint = label.target
    if checkpoint is None or not checkpoint.active:
        return render("patrol/scan.html", "scan_box", checkpoint=checkpoint, inactive=True), 410
    # the one place the version read with the label is taken off it; passed on as an argument
    version = getattr(checkpoint, "structure_version", UNREAD)
    if request.method == "POST":
        return _record(label, checkpoint, version)
    now = utcnow()
    estate = current_estate()
    view = round_for(estate, checkpoint, current_user, now, version)
    upcoming = None if view else next_round(estate, checkpoint, current_user, now)
    form = ScanForm(formdata=None, client_id=uuid.uuid4().hex)
    return keep_offline(render("patrol/scan.html", "scan_box", checkpoint=checkpoint, view=view,
                               now=now, form=form, label=label, upcoming=upcoming))


def scan_request(now):
    """The posted tap as one ScanRequest: the key from Idempotency-Key or the form's
    client_id, the phone's clocks from the offline meta (parsed there, once), the GPS fix
    from the form. CSRF is checked app-wide; every value is parsed defensively."""
    posted, meta = request.form, action_meta(now)
    return ScanRequest(
        client_id=request.headers.get("Idempotency-Key") or posted.get("client_id") or "",
        device_at=meta.device_time,
        latitude=parse_coordinate(posted.get("latitude"), 90),
        longitude=parse_coordinate(posted.get("longitude"), 180),
        accuracy=parse_coordinate(posted.get("accuracy"), 100000),
        queued=meta.queued, clock_skew=meta.clock_skew)


def _record(label, checkpoint, version):
    now, estate = utcnow(), current_estate()
    try:
        scan, view, created = record_scan(estate, checkpoint, current_user,
                                          scan_request(now), now, version)
    except DomainError as error:
        response = current_app.make_response((render(
            "patrol/scan.html", "scan_box", checkpoint=checkpoint, form=ScanForm(), label=label,
            error=error.message, now=utcnow()), 409))
        return reject_reason(response, error.message)
    upcoming = None if view else next_round(estate, checkpoint, current_user, scan.scanned_at)
    return render("patrol/scan.html", "scan_box", checkpoint=checkpoint, scan=scan, view=view,
                  replayed=not created, now=utcnow(), label=label, upcoming=upcoming)
