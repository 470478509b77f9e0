"""Alerts reach the group robots: message shapes, 加签, retries, rate limit, quiet hours, digest.

A local HTTP receiver (tests/factories/alerts.py) stands in for 企业微信 and 钉钉; every
test runs on SQLite and PostgreSQL. Times derive from the test's `now` (marked clock)."""
import json
import logging
from datetime import datetime, time, timedelta

import pytest

from tests.factories import alerts as make
from wyapp.alerts import deliveries
from wyapp.alerts.deliveries import deliver_due
from wyapp.alerts.digest import queue_digests
from wyapp.alerts.models import Alert, Delivery
from wyapp.db import utcnow
from wyapp.models import Estate, User, notify
from wyapp.tasks import run_periodic

pytestmark = pytest.mark.clock


@pytest.fixture
def receiver(app):
    make.configure(app)
    running = make.start_receiver()
    yield running
    make.stop_receiver(running)


def office():
    return Estate.get(name="示范花园"), list(User.with_role(Estate.get(name="示范花园"),
                                                             "supervisor", "manager"))


def raise_missed_round(estate, users, title="漏巡：1号线 10:00", link="/patrol/reports/day"):
    notify(users, estate, "patrol_missed", title, "已巡 3/8。未巡：3号楼东门", link)


def test_an_alert_reaches_wecom_as_markdown_with_estate_time_people_and_link(
        receiver, in_db, now):
    with in_db():
        estate, users = office()
        robot = make.robot(estate, receiver.wecom_url())
        raise_missed_round(estate, users)
        delivery = Delivery.get(robot=robot)
        assert delivery.status == "待发送"  # stored with the alert, sent by the queue
        assert deliver_due(utcnow())["delivered"] == 1
        delivery = Delivery.get(robot=robot)
        assert (delivery.status, delivery.attempts) == ("已送达", 1)
        assert json.loads(delivery.answer)["errcode"] == 0
        code, local = Alert.get().code, estate.local(Alert.get().raised_at)
    [message] = receiver.received
    assert set(message.body) == {"msgtype", "markdown"}
    assert message.body["msgtype"] == "markdown" and set(message.body["markdown"]) == {"content"}
    text = message.text
    for expected in ("漏巡 / 未巡完：漏巡：1号线 10:00", "示范花园", f"{local:%Y-%m-%d %H:%M}",
                     "李主管", "王经理", code, "未巡：3号楼东门",
                     "[查看详情](https://wy.example.com/patrol/reports/day)"):
        assert expected in text


def test_kinds_a_robot_does_not_forward_make_no_delivery(receiver, in_db, now):
    with in_db():
        estate, users = office()
        make.robot(estate, receiver.wecom_url(), kinds=("watchlist",))
        raise_missed_round(estate, users)
        assert Delivery.select().count() == 0 and Alert.select().count() == 0
        assert deliver_due(utcnow())["sent"] == 0
    assert receiver.received == []


def test_dingtalk_markdown_is_signed_and_carries_the_keyword(receiver, in_db, now):
    with in_db():
        estate, users = office()
        make.robot(estate, receiver.dingtalk_url(), kind="dingtalk", keyword="物业提醒")
        raise_missed_round(estate, users)
        deliver_due(utcnow())
        assert Delivery.get().status == "已送达"
    [message] = receiver.received
    assert message.accepted  # the receiver verified the sign with the secret
    assert {"timestamp", "sign", "access_token"} <= set(message.query)
    assert message.body["msgtype"] == "markdown"
    assert set(message.body["markdown"]) == {"title", "text"}
    assert message.body["markdown"]["title"].startswith("【物业提醒】")
    assert "示范花园" in message.body["markdown"]["text"]


def test_a_wrong_secret_is_refused_by_dingtalk_and_retried(receiver, in_db, now):
    with in_db():
        estate, users = office()
        make.robot(estate, receiver.dingtalk_url(), kind="dingtalk", secret="SECwrong0000000")
        raise_missed_round(estate, users)
        deliver_due(utcnow())
        delivery = Delivery.get()
        assert (delivery.status, delivery.attempts) == ("待发送", 1)
        assert "sign not match" in delivery.answer
        assert delivery.next_attempt_at == delivery.last_attempt_at + timedelta(minutes=1)


@pytest.mark.parametrize("kind", ["wecom", "dingtalk"])
def test_text_format_of_both_robots(receiver, in_db, now, kind):
    with in_db():
        estate, users = office()
        url = receiver.wecom_url() if kind == "wecom" else receiver.dingtalk_url()
        make.robot(estate, url, kind=kind, message_format="text")
        raise_missed_round(estate, users)
        deliver_due(utcnow())
    [message] = receiver.received
    assert message.body == {"msgtype": "text", "text": {"content": message.text}}
    assert "详情：https://wy.example.com/patrol/reports/day" in message.text


def test_an_error_code_is_retried_with_backoff_and_never_sent_again_once_accepted(
        receiver, in_db, now):
    receiver.answers = [{"errcode": 45009, "errmsg": "api freq out of limit"}]
    with in_db():
        estate, users = office()
        make.robot(estate, receiver.wecom_url())
        raise_missed_round(estate, users)
        first = utcnow()
        deliver_due(first)
        assert Delivery.get().status == "待发送"  # HTTP 200, but errcode ≠ 0
        assert deliver_due(first + timedelta(seconds=30))["sent"] == 0  # not before the backoff
        assert deliver_due(first + timedelta(minutes=1))["delivered"] == 1
        delivery = Delivery.get()
        assert (delivery.status, delivery.attempts) == ("已送达", 2)
        for later in (1, 10, 600):  # the tick, again and again, and the queued task
            deliver_due(first + timedelta(minutes=later))
        deliveries.attempt(delivery, first + timedelta(hours=1))
    assert [r.accepted for r in receiver.received] == [False, True]


def test_a_timeout_is_retried_and_the_retry_is_the_same_message(receiver, in_db, now):
    # the receiver accepts the first post but answers after the client gave up: the retry
    # posts the same text (same number) again — at least once, never silently lost
    receiver.answers = [("slow", 0.8, make.OK)]
    with in_db():
        estate, users = office()
        make.robot(estate, receiver.wecom_url())
        raise_missed_round(estate, users)
        first = utcnow()
        deliver_due(first)
        delivery = Delivery.get()
        assert (delivery.status, delivery.attempts) == ("待发送", 1)
        assert "超时" in delivery.answer
        deliver_due(first + timedelta(minutes=1))
        assert Delivery.get().status == "已送达"
    first, second = receiver.received
    assert first.body == second.body


def test_after_every_backoff_fails_the_delivery_is_failed(receiver, in_db, now):
    receiver.answers = [{"errcode": 93000, "errmsg": "x" * 3000}] * 6
    with in_db():
        estate, users = office()
        make.robot(estate, receiver.wecom_url())
        raise_missed_round(estate, users)
        at = utcnow()
        for wait in [timedelta(0), *deliveries.BACKOFF]:
            at += wait
            deliver_due(at)
        delivery = Delivery.get()
        assert (delivery.status, delivery.attempts) == ("失败", 6)
        assert len(delivery.answer) == 1000
        assert deliver_due(at + timedelta(days=1))["sent"] == 0
    assert len(receiver.received) == 6


def test_a_burst_beyond_twenty_a_minute_is_merged_into_one_summary(receiver, in_db, now):
    with in_db():
        estate, users = office()
        robot = make.robot(estate, receiver.wecom_url())
        for n in range(25):
            raise_missed_round(estate, users, title=f"漏巡：{n + 1}号线")
        first = utcnow()
        counts = deliver_due(first)
        assert counts == {"sent": 20, "delivered": 20, "merged": 6}
        merged = Delivery.select().where(Delivery.status == "已合并")
        assert merged.count() == 6
        summary = Delivery.get(purpose="summary")
        assert {d.merged_into_id for d in merged} == {summary.id}
        for n in range(3):  # the minute is full: these wait, nothing is dropped
            raise_missed_round(estate, users, title=f"漏巡：再{n + 1}")
        assert deliver_due(first + timedelta(seconds=20))["sent"] == 0
        assert deliver_due(first + timedelta(seconds=61))["sent"] == 3
        assert Delivery.select().where(Delivery.robot == robot,
                                       Delivery.status == "待发送").count() == 0
    assert len(receiver.received) == 23
    assert "合并提醒" in receiver.received[19].text
    assert "漏巡：25号线" in receiver.received[19].text and "条数：6" in receiver.received[19].text


def quiet_hours_around(estate, now):
    """Quiet hours of the estate that hold `now` and end two hours later (local hours)."""
    hour = estate.local(now).hour
    return {"quiet_from": hour, "quiet_to": (hour + 2) % 24}


def test_alerts_in_quiet_hours_wait_and_go_out_as_one_message_after(receiver, in_db, now):
    with in_db():
        estate, users = office()
        make.robot(estate, receiver.wecom_url(), **quiet_hours_around(estate, now))
        for n in range(3):
            raise_missed_round(estate, users, title=f"漏巡：{n + 1}号线")
        assert deliver_due(now + timedelta(minutes=30))["sent"] == 0
        local_end = datetime.combine(estate.local(now).date(),
                                     time((estate.local(now).hour + 2) % 24))
        end = estate.utc(local_end if local_end > estate.local(now)
                         else local_end + timedelta(days=1))
        assert Delivery.get(Delivery.id == 1).next_attempt_at == end
        assert deliver_due(end)["sent"] == 1
        assert Delivery.select().where(Delivery.status == "已合并").count() == 3
    [message] = receiver.received
    assert "静默时段内的提醒" in message.text and "漏巡：3号线" in message.text


def test_the_daily_digest_counts_yesterday_once(receiver, in_db, now):
    with in_db():
        estate, users = office()
        make.robot(estate, receiver.wecom_url(), kinds=("digest",),
                   digest_hour=estate.local(now).hour)
        yesterday = estate.today(now) - timedelta(days=1)
        start, _ = estate.day_bounds(yesterday)
        for n, kind in enumerate(["patrol_missed", "patrol_missed", "watchlist"]):
            Alert.create(estate=estate, kind=kind, title=f"提醒{n}",
                         raised_at=start + timedelta(hours=n + 1))
        Alert.create(estate=estate, kind="watchlist", title="today", raised_at=now)
        raise_missed_round(estate, users)  # the digest robot does not forward single alerts
        assert queue_digests(now) == 1
        assert queue_digests(now + timedelta(minutes=1)) == 0
        deliver_due(now)
        assert Delivery.get(purpose="digest").status == "已送达"
    [message] = receiver.received
    assert f"每日摘要 {yesterday:%m月%d日}" in message.text
    assert "漏巡 / 未巡完 2 条，关注名单命中 1 条" in message.text
    assert "未读提醒" in message.text


def test_the_periodic_tick_delivers_what_waits(receiver, in_db, now):
    with in_db():
        estate, users = office()
        make.robot(estate, receiver.wecom_url())
        raise_missed_round(estate, users)
        results = run_periodic(utcnow())
        assert results["alerts.deliver_due"]["delivered"] == 1
    assert len(receiver.accepted) == 1


def test_an_alert_raised_by_a_request_is_sent_by_the_queue_after_it(receiver, app, login, now):
    from tests.factories import gate

    with app.app_context():
        from wyapp.db import db
        with db.connection_context():
            estate = Estate.get(name="示范花园")
            make.robot(estate, receiver.wecom_url())
            gate.watch(estate, name="钱某")
    response = login("gate").post("/gate/", data={
        "name": "钱某", "phone": "13912345678", "unit": "1-101", "purpose": "探亲访友",
        "party_size": "1"})
    assert response.status_code in (200, 302, 303)
    [message] = receiver.received
    assert "关注名单" in message.text and message.accepted


def test_two_workers_never_send_the_same_row(receiver, in_db, now):
    with in_db():
        estate, users = office()
        make.robot(estate, receiver.wecom_url())
        raise_missed_round(estate, users)
        delivery, at = Delivery.get(), utcnow()
        assert deliveries.claim(delivery, at) is True
        assert deliveries.claim(delivery, at) is False  # the other worker
        assert deliver_due(at)["sent"] == 0
        assert deliver_due(at + deliveries.LEASE + timedelta(seconds=1))["sent"] == 1


def test_url_and_secret_never_reach_the_log_or_the_stored_answer(receiver, in_db, now, caplog):
    receiver.answers = [{"errcode": 40001, "errmsg": f"bad {make.DINGTALK_TOKEN}"}]
    caplog.set_level(logging.DEBUG)
    with in_db():
        estate, users = office()
        make.robot(estate, receiver.dingtalk_url(), kind="dingtalk")
        raise_missed_round(estate, users)
        deliver_due(utcnow())
        assert make.DINGTALK_TOKEN not in Delivery.get().answer
    assert caplog.text  # peewee and the robot client did log
    for secret in (make.DINGTALK_TOKEN, make.DINGTALK_SECRET):
        assert secret not in caplog.text
