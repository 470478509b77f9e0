"""Deliveries: every alert a robot forwards becomes a stored row, sent off the request path.

What is guaranteed (issue 19):
- Every alert of a kind a robot forwards gets a Delivery row in the same transaction as the
  alert itself (notify() → `alert_raised` → `record_alert`); nothing is lost when the
  robot, the network or the worker is down: the row waits as 待发送.
- A row is sent by whoever claims it first (a lease in `claimed_until`, set by a
  conditional UPDATE): the queued task and the minute's tick never send it twice at once.
- Once the robot answered `errcode == 0` the row is 已送达 and is never sent again.
- An attempt without `errcode == 0` (an error code, HTTP error, timeout, no connection)
  is retried after BACKOFF (1 min, 5 min, 30 min, 2 h, 6 h), then the row is 失败.
- At least once, not exactly once: when the robot accepted a message but its answer was
  lost (a timeout after the request reached it), the retry posts it again. Neither robot
  takes an idempotency key, so that one duplicate cannot be ruled out; it carries the same
  text and number (TZ…) as the first, so the group sees it is the same alert.
- At most RATE_PER_MINUTE (20) messages per robot per minute (both robots' limit; 钉钉
  throttles for 10 minutes beyond it): fresh alerts beyond the minute's room are merged
  into one summary message; alerts raised during quiet hours go out as one summary when
  the quiet hours end. Merged rows are 已合并 and point at the summary's row. (Two
  workers deciding for the same robot in the same instant may together pass the limit by
  what they claim at once; the robot then answers with its throttling errcode and those
  rows are retried, not lost.)
Times are naive UTC; quiet hours and the digest hour are the estate's hours (Estate.local).
"""
import json
import logging
from datetime import datetime, time, timedelta

from flask import after_this_request, g, has_request_context

from ..db import db, utcnow
from . import messages, robots
from .models import (
    ANSWER_CHARS,
    BACKOFF,
    DELIVERED,
    FAILED,
    MERGED,
    PENDING,
    Alert,
    Delivery,
    Robot,
)

log = logging.getLogger(__name__)
RATE_PER_MINUTE = 20
WINDOW = timedelta(minutes=1)
LEASE = timedelta(minutes=2)  # longer than an HTTP timeout: a crashed worker's claim ends


def record_alert(estate, *, kind, title, body="", link="", users=(), now=None):
    """Store an alert raised through notify() and one 待发送 Delivery per robot of the
    estate that forwards `kind`; in a request, the queue is asked to send them once the
    request is done (its transaction committed). Returns the Alert, or None when no robot
    forwards this kind. `now` (naive UTC) defaults to the clock."""
    chosen = Robot.forwarding(estate, kind)
    if not chosen:
        return None
    now = now or utcnow()
    names = "、".join(dict.fromkeys(u.display_name for u in users))
    alert = Alert.create(estate=estate, kind=kind, title=title[:200], body=body or "",
                         link=(link or "")[:300], responsible=names[:200], raised_at=now)
    for robot in chosen:
        quiet_end = quiet_until(robot, now)
        Delivery.create(robot=robot, alert=alert, held="quiet" if quiet_end else "",
                        next_attempt_at=quiet_end or now, created_at=now)
    _send_after_request(estate.id)
    return alert


def _send_after_request(estate_id):
    if not has_request_context() or g.get("alerts_queued"):
        return
    g.alerts_queued = True

    @after_this_request
    def enqueue(response):
        from .tasks import deliver_estate
        try:
            deliver_estate(estate_id)
        except Exception:  # the queue is down: the rows wait, the minute's tick sends them
            log.warning("提醒未能放入队列，小区 #%s 的群消息将由定时任务发送", estate_id,
                        exc_info=True)
        return response


def quiet_until(robot, now):
    """The end (naive UTC) of the robot's quiet hours when `now` (naive UTC) falls inside
    them, else None. Hours are the estate's: 22→7 is quiet from 22:00 to 07:00 the next
    morning; equal or missing hours mean no quiet hours."""
    start, end = robot.quiet_from, robot.quiet_to
    if start is None or end is None or start == end:
        return None
    local = robot.estate.local(now)
    inside = start <= local.hour < end if start < end else (local.hour >= start
                                                             or local.hour < end)
    if not inside:
        return None
    day = local.date() if local.hour < end else local.date() + timedelta(days=1)
    return robot.estate.utc(datetime.combine(day, time(end)))


def deliver_due(now, estate=None):
    """Periodic job (and the queued task): send what is due for each robot, within its rate
    limit, merging bursts and quiet-hour alerts. `now` is naive UTC; `estate` limits the
    pass to one estate. Returns {"sent": n, "delivered": n, "merged": n}."""
    due = Delivery.select(Delivery.robot).where(Delivery.status == PENDING,
                                                Delivery.next_attempt_at <= now)
    query = Robot.select().where(Robot.active, Robot.id.in_(due))
    if estate is not None:
        query = query.where(Robot.estate == estate)
    counts = {"sent": 0, "delivered": 0, "merged": 0}
    for robot in query.order_by(Robot.id):
        if quiet_until(robot, now) is None:
            _deliver_robot(robot, now, counts)
    return counts


def _deliver_robot(robot, now, counts):
    rows = list(Delivery.select().where(
        Delivery.robot == robot, Delivery.status == PENDING, Delivery.next_attempt_at <= now,
        Delivery.claimed_until.is_null() | (Delivery.claimed_until < now))
        .order_by(Delivery.next_attempt_at, Delivery.id))
    room = RATE_PER_MINUTE - sent_in_last_minute(robot, now)
    fresh = [d for d in rows if d.purpose == "alert" and d.attempts == 0]
    for delivery in [d for d in rows if d not in fresh]:  # retries, digests, summaries
        if room <= 0:
            return
        room -= _count(counts, attempt(delivery, now))
    quiet = [d for d in fresh if d.held == "quiet"]
    loose = [d for d in fresh if d.held != "quiet"]
    if len(quiet) > 1 and room > 0:
        room -= _count(counts, *merge(robot, quiet, "静默时段内的提醒", now))
    elif quiet:
        loose = quiet + loose
    if room <= 0 or not loose:
        return  # the next minute has room again
    alone, rest = (loose, []) if len(loose) <= room else (loose[:room - 1], loose[room - 1:])
    for delivery in alone:
        _count(counts, attempt(delivery, now))
    if rest:
        _count(counts, *merge(robot, rest, "一分钟内提醒过多，已合并", now))


def _count(counts, result, merged=0):
    """Tally an attempt's result (None: someone else had claimed the row) and the number
    of alerts it merged; returns 1 when a message was posted (one of the minute's places)."""
    counts["merged"] += merged
    if result is None:
        return 0
    counts["sent"] += 1
    counts["delivered"] += result.status == DELIVERED
    return 1


def sent_in_last_minute(robot, now):
    """How many messages were posted to `robot` in the minute before `now` (naive UTC)."""
    return Delivery.select().where(Delivery.robot == robot,
                                   Delivery.last_attempt_at > now - WINDOW).count()


def claim(delivery, now, sending=True):
    """Take a 待发送 row for LEASE (a conditional UPDATE, so only one worker wins);
    True when this caller may send (or, `sending` False, merge) it. A row taken for sending
    counts towards the robot's minute at once, so a second worker sees the place used."""
    changes = {"claimed_until": now + LEASE, **({"last_attempt_at": now} if sending else {})}
    return Delivery.update(**changes).where(
        Delivery.id == delivery.id, Delivery.status == PENDING,
        Delivery.claimed_until.is_null() | (Delivery.claimed_until < now)).execute() == 1


def merge(robot, rows, reason, now):
    """Fold `rows` (fresh alert deliveries of `robot`) into one summary Delivery and send
    it. Rows another worker claimed meanwhile are left to it. Returns (the summary after
    its attempt, or None; how many alerts it merged)."""
    mine = [d for d in rows if claim(d, now, sending=False)]
    if not mine:
        return None, 0
    alerts = list(Alert.select().where(Alert.id.in_([d.alert_id for d in mine]))
                  .order_by(Alert.raised_at, Alert.id))
    payload = messages.summary_message(robot, alerts, reason)
    with db.atomic():
        summary = Delivery.create(robot=robot, purpose="summary", payload=as_json(payload),
                                  next_attempt_at=now, created_at=now)
        (Delivery.update(status=MERGED, merged_into=summary, claimed_until=None)
         .where(Delivery.id.in_([d.id for d in mine])).execute())
    return attempt(summary, now), len(mine)


def attempt(delivery, now, retry=True):
    """Post one Delivery once, if this caller can claim it, and store the outcome: 已送达
    on `errcode == 0`; otherwise the next try after BACKOFF, or 失败 after the last (or at
    once when `retry` is False, as for 测试发送). Returns the row, or None when it was
    claimed elsewhere. The answer kept is its first 1000 characters."""
    if not claim(delivery, now):
        return None
    if not delivery.payload:
        delivery.payload = as_json(messages.alert_message(delivery.robot, delivery.alert))
    ok, answer = robots.post(delivery.robot, json.loads(delivery.payload), now)
    delivery.attempts += 1
    delivery.last_attempt_at, delivery.claimed_until = now, None
    delivery.answer = answer[:ANSWER_CHARS]
    if ok:
        delivery.status, delivery.delivered_at = DELIVERED, now
    elif not retry or delivery.attempts > len(BACKOFF):
        delivery.status = FAILED
    else:
        delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
    delivery.save()
    return delivery


def send_test(robot, now=None):
    """测试发送: post a short test message to `robot` now, on the request (the person is
    waiting for the answer), stored like any delivery but not retried. Returns the
    Delivery with the robot's answer."""
    now = now or utcnow()
    payload = messages.test_message(robot, robot.estate, now)
    delivery = Delivery.create(robot=robot, purpose="test", payload=as_json(payload),
                               next_attempt_at=now, created_at=now)
    return attempt(delivery, now, retry=False) or delivery


def as_json(payload):
    """A message payload (dict) as the JSON text stored in Delivery.payload (UTF-8 kept)."""
    return json.dumps(payload, ensure_ascii=False)
