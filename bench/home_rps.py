"""Requests per second of the logged-in home page against a bare Flask endpoint.

Both are served by the same gunicorn (2 sync workers) over the same SQLite demo database,
and hit by the same client (8 threads, new connection per request) for the same time, so
the ratio home/bare says what the app's own work (session, user, estate, nav, panels,
template) costs, whatever the machine. Run: `make bench` (or python bench/home_rps.py).
"""
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_client import demo_env, gunicorn, login, request  # noqa: E402

SECONDS = float(os.environ.get("BENCH_SECONDS", 5))
THREADS = 8


def make_app():
    """The real app plus one bare endpoint, for gunicorn."""
    from wyapp import create_app

    app = create_app()

    @app.route("/bench/bare")
    def bare():
        return "ok"

    return app


def hammer(port, path, cookie):
    done, errors, stop = [0], [0], time.monotonic() + SECONDS

    def worker():
        while time.monotonic() < stop:
            response, _ = request(port, path, cookie)
            if response.status == 200:
                done[0] += 1
            else:
                errors[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done[0] / (time.monotonic() - started), errors[0]


def main():
    port = 5099
    with gunicorn("bench.home_rps:make_app()", port, demo_env(), "-w", "2"):
        cookie, _ = login(port)
        hammer(port, "/bench/bare", None)  # warm-up
        bare, bare_errors = hammer(port, "/bench/bare", None)
        home, home_errors = hammer(port, "/", cookie)
    print(f"bare Flask endpoint : {bare:8.1f} req/s  ({bare_errors} errors)")
    print(f"logged-in home page : {home:8.1f} req/s  ({home_errors} errors)")
    print(f"ratio home/bare     : {home / bare:8.3f}")


if __name__ == "__main__":
    main()
