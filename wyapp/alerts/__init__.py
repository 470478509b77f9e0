"""Alerts to group chats (SPEC §9, issue 19): 企业微信 and 钉钉 robots per estate.

Every alert raised through notify() is announced by the core's `alert_raised` signal; this
feature stores it with one delivery per robot that forwards its kind, and sends them off
the request path (the queue after the request, and the minute's tick), with retries, rate
limits, quiet hours and a daily digest. See deliveries.py for what is guaranteed.
"""
from datetime import timedelta

from ..auth import scoped
from ..db import utcnow
from ..features import Feature, HomePanel
from ..models import alert_raised
from .deliveries import deliver_due, record_alert
from .digest import queue_digests
from .models import FAILED, MIGRATIONS, Delivery, Robot
from .views import BOSS, bp


@alert_raised.connect
def forward_alert(estate, **alert):
    """The core raised an alert: store it for the estate's robots that forward its kind."""
    record_alert(estate, **alert)


def robots_panel(user, estate):
    """Home panel of 主管/经理: how many robots are set up, how many messages failed in
    the last 24 hours (naive UTC clock)."""
    since = utcnow() - timedelta(days=1)
    failed = (Delivery.select().join(Robot)
              .where(Robot.estate == estate, Delivery.status == FAILED,
                     Delivery.last_attempt_at >= since))
    return {"robots": scoped(Robot).count(), "failed": failed.count()}


feature = Feature(
    name="alerts",
    blueprint=bp,
    migrations=MIGRATIONS,
    home_panels=[HomePanel(frozenset(BOSS), "alerts/_panel.html", robots_panel, order=90)],
    periodic=[queue_digests, deliver_due],
)
