"""Patrol scans per second through POST /c/<token> against a bare endpoint inserting one row.

Both run in the same gunicorn (2 workers × 4 threads) over the same SQLite demo database and
are hit by the same client: 50 concurrent clients, each posting as fast as it gets answers,
for BENCH_SECONDS (default 20) each, in four alternating slices (bare, scan, reference, bare,
scan, …) so that a machine whose speed drifts during the run slows them alike. A scan is posted as
the page posts it (htmx, CSRF header, a fresh Idempotency-Key, device time and GPS), so
the figure includes the login session, estate check, label lookup, round computation,
flags and the insert. Every scan lands in an open round whatever the hour the benchmark runs
at (round_all_day): the demo's schedules are each open half the day, so without that the
path measured, and the figure, would depend on the time of day.
Target: scans keep ≥ 50 % of the bare rate, with zero errors.
For reference it also posts the scan's request (session cookie, CSRF header, form) to an
authenticated endpoint that does nothing else: what the session, CSRF check and user load
alone keep of the bare rate, so that the part of the gap that is the scan's own work shows.
Run: python bench/patrol_scan_rps.py
"""
import os
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_client import FORM, checkpoint_tokens, demo_env, gunicorn, in_app, login, request  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", 20))
CLIENTS = 50
PORT = int(os.environ.get("BENCH_PORT", 5098))
SLICES = 4


def make_app():
    """The real app plus a bare endpoint that inserts one row and an authenticated one that
    does nothing, for gunicorn."""
    from flask_login import current_user, login_required
    from peewee import DateTimeField

    from wyapp import create_app, csrf
    from wyapp.db import BaseModel, db, utcnow

    class BenchRow(BaseModel):
        at = DateTimeField(default=utcnow)

    app = create_app()
    with app.app_context(), db.connection_context():
        db.create_tables([BenchRow], safe=True)

    @app.post("/bench/bare")
    @csrf.exempt
    def bare():
        with db.atomic():
            BenchRow.create()
        return "ok"

    @app.post("/bench/authed")
    @login_required
    def authed():  # the session is read, CSRF checked and the user loaded; nothing more
        return f"ok {current_user.id}"

    return app


def round_all_day(env):
    """Replace the demo's day and night schedules with one all-day schedule per route (a
    round every 2 hours, any guard), so that every checkpoint is always in an open round and
    each scan takes the common path: judged against the round's earlier scans."""
    in_app(env, """
        from datetime import timedelta
        from wyapp.db import utcnow
        from wyapp.patrol.models import Route, Schedule
        with db.atomic():
            Schedule.update(active=False).execute()
            for route in Route.select():
                Schedule.create(estate=route.estate, route=route, name='全天',
                                span_start='00:00', span_end='00:00', every_minutes=120,
                                window_minutes=120, valid_from=utcnow() - timedelta(days=1))
        """)


def page_key():
    """An Idempotency-Key as static/js/field.js makes one: the time, then a random UUID."""
    millis, digits = int(time.time() * 1000), ""
    while millis:
        millis, digit = divmod(millis, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + digits
    return f"k-{digits}-{uuid.uuid4()}"


def hammer(send, seconds):
    """(answers, errors, elapsed seconds) of CLIENTS clients calling send() for `seconds`."""
    done, errors, stop = [0], [0], time.monotonic() + seconds
    lock = threading.Lock()

    def client():
        while time.monotonic() < stop:
            try:
                ok = send()
            except OSError:
                ok = False
            with lock:
                done[0] += ok
                errors[0] += not ok

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0], errors[0], time.monotonic() - started


def main():
    env = demo_env("wyapp-bench-scan-")
    round_all_day(env)
    tokens = checkpoint_tokens(env)
    with gunicorn("bench.patrol_scan_rps:make_app()", PORT, env,
                  "-w", "2", "-k", "gthread", "--threads", "4"):
        cookie, csrf = login(PORT)
        jar, counter = [cookie], [0]  # the session cookie, kept as a browser keeps it

        def bare():
            response, _ = request(PORT, "/bench/bare", None, "POST", b"", FORM)
            return response.status == 200

        def post_as_scan(path):
            key = page_key()
            body = (f"client_id={key}&latitude=31.2304&longitude=121.4737&accuracy=15"
                    f"&device_time={int(time.time() * 1000)}").encode()
            return request(PORT, path, jar[0], "POST", body, {
                **FORM, "X-CSRFToken": csrf, "HX-Request": "true", "Idempotency-Key": key})

        def authed():
            response, _ = post_as_scan("/bench/authed")
            return response.status == 200

        def scan():
            counter[0] += 1
            response, page = post_as_scan(f"/c/{tokens[counter[0] % len(tokens)]}")
            if response.getheader("Set-Cookie"):  # the first scan makes the estate current
                jar[0] = response.getheader("Set-Cookie").split(";")[0]
            if os.environ.get("BENCH_DEBUG"):
                print(response.status, page[:3000].decode(errors="replace"))
            return response.status == 200 and "打卡成功".encode() in page

        senders = (bare, scan, authed)
        for send in senders:  # warm up every path (first connections, caches) before measuring
            hammer(send, 2)
        totals = {send: [0, 0, 0.0] for send in senders}
        for _ in range(SLICES):
            for send in senders:
                part = hammer(send, SECONDS / SLICES)
                totals[send] = [a + b for a, b in zip(totals[send], part, strict=True)]
    (bare_rate, bare_errors), (scan_rate, scan_errors), (authed_rate, authed_errors) = [
        (done / elapsed, errors) for done, errors, elapsed in totals.values()]
    print(f"clients {CLIENTS}, {SECONDS:.0f} s each in {SLICES} alternating slices, "
          "gunicorn 2 workers × 4 threads, SQLite")
    print(f"bare insert endpoint : {bare_rate:8.1f} req/s  ({bare_errors} errors)")
    print(f"patrol scan (POST)   : {scan_rate:8.1f} req/s  ({scan_errors} errors)")
    print(f"ratio scan/bare      : {scan_rate / bare_rate:8.3f}  (target ≥ 0.5, 0 errors)")
    print(f"authenticated no-op  : {authed_rate:8.1f} req/s  ({authed_errors} errors), "
          f"{authed_rate / bare_rate:.3f} of bare: session, CSRF and user alone (reference)")


if __name__ == "__main__":
    main()
