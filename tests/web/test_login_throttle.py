"""The login throttle: attempts counted before their password is checked, per username and
per address, atomically — tried with real concurrency against a served app."""
import http.client
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlencode

from tests import factories
from wyapp.db import db
from wyapp.sessions import LoginThrottle, UserSession


def post_login(port, username, password):
    """One login POST from its own connection: (status, Location header, body)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", "/login", urlencode({"username": username,
                                                        "password": password}),
                           {"Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        return response.status, response.getheader("Location"), response.read().decode()
    finally:
        connection.close()


def burst(port, attempts):
    """Send every (username, password) at once, each from its own thread."""
    start = threading.Barrier(len(attempts))

    def send(attempt):
        start.wait()
        return post_login(port, *attempt)
    with ThreadPoolExecutor(len(attempts)) as pool:
        return list(pool.map(send, attempts))


def statuses(answers):
    return sorted(status for status, _, _ in answers)


def sessions_started(app):
    with app.app_context(), db.connection_context():
        return UserSession.select().count()


def test_fifty_parallel_wrong_passwords_check_five_and_refuse_the_rest(app, served):
    answers = burst(served, [("guard", f"wrong-{i}") for i in range(50)])
    checked = [body for status, _, body in answers if status == 200]
    assert len(checked) == LoginThrottle.FREE_TRIES
    assert all("用户名或密码不正确" in body for body in checked)
    assert statuses(answers).count(429) == 50 - LoginThrottle.FREE_TRIES
    assert all("秒后再试" in body for status, _, body in answers if status == 429)
    with app.app_context(), db.connection_context():
        assert LoginThrottle.failures_of("guard") == LoginThrottle.FREE_TRIES


def test_the_right_password_inside_a_locked_burst_does_not_get_in(app, served):
    for i in range(LoginThrottle.FREE_TRIES):
        assert post_login(served, "guard", f"wrong-{i}")[0] == 200
    attempts = [("guard", f"guess-{i}") for i in range(30)]
    attempts.insert(17, ("guard", factories.PASSWORD))
    answers = burst(served, attempts)
    assert statuses(answers) == [429] * 31
    assert sessions_started(app) == 0


def test_after_four_failures_a_burst_gets_one_check(app, served):
    for i in range(LoginThrottle.FREE_TRIES - 1):
        assert post_login(served, "guard", f"wrong-{i}")[0] == 200
    answers = burst(served, [("guard", f"guess-{i}") for i in range(31)])
    assert statuses(answers) == [200] + [429] * 30
    assert post_login(served, "guard", factories.PASSWORD)[0] == 429
    assert sessions_started(app) == 0


def test_one_address_trying_many_usernames_is_stopped_after_twenty(app, served):
    answers = burst(served, [(f"nobody{i}", "wrong-password") for i in range(50)])
    assert statuses(answers).count(200) == LoginThrottle.FREE_TRIES_PER_ADDRESS
    assert statuses(answers).count(429) == 50 - LoginThrottle.FREE_TRIES_PER_ADDRESS
    status, _, body = post_login(served, "gate", factories.PASSWORD)  # right, but too many
    assert status == 429 and "秒后再试" in body


def test_a_right_password_inside_the_free_tries_gets_in_and_starts_afresh(app, served):
    post_login(served, "guard", "wrong")
    status, location, _ = post_login(served, "guard", factories.PASSWORD)
    assert status == 302 and location == "/"
    with app.app_context(), db.connection_context():
        assert LoginThrottle.failures_of("guard") == 0
        assert LoginThrottle.failures_of(LoginThrottle.address_key("127.0.0.1")) == 1


def test_the_address_limit_is_per_address(app):
    office, other = app.test_client(), app.test_client()
    office.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    other.environ_base["REMOTE_ADDR"] = "10.0.0.8"
    for i in range(LoginThrottle.FREE_TRIES_PER_ADDRESS):
        assert office.post("/login", data={"username": f"u{i}",
                                           "password": "wrong"}).status_code == 200
    assert office.post("/login", data={"username": "desk",
                                       "password": factories.PASSWORD}).status_code == 429
    assert other.post("/login", data={"username": "desk",
                                      "password": factories.PASSWORD}).status_code == 302


def test_a_success_that_reached_the_address_limit_takes_its_wait_back(app):
    office = app.test_client()
    office.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    for i in range(LoginThrottle.FREE_TRIES_PER_ADDRESS - 1):
        office.post("/login", data={"username": f"u{i}", "password": "wrong"})
    assert office.post("/login", data={"username": "desk",
                                       "password": factories.PASSWORD}).status_code == 302
    colleague = app.test_client()
    colleague.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert colleague.post("/login", data={"username": "gate",
                                          "password": factories.PASSWORD}).status_code == 302


def test_failures_older_than_an_hour_start_afresh(app, client, now):
    for i in range(LoginThrottle.FREE_TRIES - 1):
        client.post("/login", data={"username": "guard", "password": f"wrong-{i}"})
    with app.app_context(), db.connection_context():
        LoginThrottle.update(last_failure=now - LoginThrottle.FORGET_AFTER
                             - timedelta(minutes=1)).execute()
    for i in range(LoginThrottle.FREE_TRIES - 1):  # would have locked the username before
        assert client.post("/login", data={"username": "guard",
                                           "password": f"again-{i}"}).status_code == 200
    assert client.post("/login", data={"username": "guard",
                                       "password": factories.PASSWORD}).status_code == 302


def test_a_lock_ends_after_its_wait(app, client, now):
    for i in range(LoginThrottle.FREE_TRIES):
        client.post("/login", data={"username": "guard", "password": f"wrong-{i}"})
    assert client.post("/login", data={"username": "guard",
                                       "password": factories.PASSWORD}).status_code == 429
    with app.app_context(), db.connection_context():
        LoginThrottle.update(locked_until=now - timedelta(seconds=1)).execute()
    assert client.post("/login", data={"username": "guard",
                                       "password": factories.PASSWORD}).status_code == 302
