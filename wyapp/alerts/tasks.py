"""Alert delivery in the queue: a request that raised alerts never waits for a robot."""
from ..db import utcnow
from ..models import Estate
from ..tasks import huey, in_app
from .deliveries import deliver_due


@huey.task(retries=0)
@in_app
def deliver_estate(estate_id):
    """Send what is due for one estate's robots now (queued after the request that raised
    the alerts committed); what it cannot send waits for the minute's tick."""
    estate = Estate.get_or_none(Estate.id == estate_id)
    return deliver_due(utcnow(), estate) if estate else None
