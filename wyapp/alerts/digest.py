"""The daily digest: yesterday's alerts by kind and what is still open, once a day per robot.

For groups that want one message a day instead of each alert (a robot forwarding only the
kind "digest"). Sent at the robot's `digest_hour` of the estate's day, or at the first
periodic pass after it; a (robot, "digest:<day>") unique key makes a second pass, or a
second worker, a no-op.
"""
from datetime import timedelta

from peewee import IntegrityError, fn

from ..db import db
from ..models import Estate, Notification
from . import messages
from .deliveries import as_json
from .models import ALERT_KINDS, FAILED, PENDING, Alert, Delivery, Robot


def digest_figures(estate, day):
    """Headline figures of the estate's date `day`: [(alert kind label, count)] of the alerts
    raised that day (estate time), most frequent first."""
    start, end = estate.day_bounds(day)
    rows = (Alert.select(Alert.kind, fn.COUNT(Alert.id).alias("n"))
            .where(Alert.estate == estate, Alert.raised_at >= start, Alert.raised_at < end)
            .group_by(Alert.kind).order_by(fn.COUNT(Alert.id).desc(), Alert.kind).tuples())
    return [(ALERT_KINDS.get(kind, kind), n) for kind, n in rows]


def still_open(estate):
    """What is still open as the core knows it: unread in-app alerts (people), and group
    messages not yet delivered or failed. [(label, count)], zero counts left out."""
    unread = (Notification.select(Notification.user).distinct()
              .where(Notification.estate == estate, Notification.read_at.is_null()).count())
    alerts = (Notification.select().where(Notification.estate == estate,
                                          Notification.read_at.is_null()).count())
    waiting = (Delivery.select().join(Robot).where(Robot.estate == estate,
                                                   Delivery.status.in_([PENDING, FAILED]))
               .count())
    figures = [("未读提醒", f"{alerts} 条（{unread} 人）" if alerts else 0),
               ("未送达群消息", f"{waiting} 条" if waiting else 0)]
    return [(label, value) for label, value in figures if value]


def queue_digests(now):
    """Periodic job: for each active robot forwarding "digest" whose estate hour at `now`
    (naive UTC) has reached its `digest_hour`, store yesterday's digest as a 待发送
    Delivery (the delivery job sends it, within quiet hours and the rate limit). Returns
    how many digests were queued.

    Set-based (issue 23): the robots with their estates in one read, then one read of the
    digests already queued for all of them; a pass with nothing to queue costs those two
    however many robots and estates there are. Safe run twice or on two workers: the
    unique (robot, period) key keeps one digest a day."""
    due = {}
    for robot in (Robot.select(Robot, Estate).join(Estate).where(Robot.active)
                  .order_by(Robot.id)):
        if not robot.forwards("digest"):
            continue
        local = robot.estate.local(now)
        if local.hour < robot.digest_hour:
            continue
        day = local.date() - timedelta(days=1)
        due[robot.id] = (robot, day, f"digest:{day.isoformat()}")
    if not due:
        return 0
    queued_already = set(Delivery.select(Delivery.robot, Delivery.period).where(
        Delivery.robot.in_(list(due)),
        Delivery.period.in_(sorted({period for _, _, period in due.values()}))).tuples())
    queued = 0
    for robot, day, period in due.values():
        if (robot.id, period) in queued_already:
            continue
        estate = robot.estate
        payload = messages.digest_message(robot, estate, day, digest_figures(estate, day),
                                          still_open(estate))
        try:
            with db.atomic():
                Delivery.create(robot=robot, purpose="digest", period=period,
                                payload=as_json(payload), next_attempt_at=now, created_at=now)
        except IntegrityError:  # another worker queued it a moment ago
            continue
        queued += 1
    return queued
