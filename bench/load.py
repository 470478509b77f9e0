"""Throughput under load: 50 concurrent clients on the roles' daily pages, demo vs scale.

    python bench/load.py [--size tiny|small|full] [--seconds 20] [--clients 50]

Two databases: the demo with a busy day (500 scans, 500 visitors today), and the same plus
three years of history in 21 estates (bench/scale.py's generator, --size). SQLite files by
default; with WYAPP_DATABASE_URL=postgresql://… two scratch schemas of that database
(dropped at the end). Each is
served by gunicorn (2 sync workers, as deploy/ runs it) and hit by `--clients` threads,
each a logged-in role (guards, gate, desk, engineer, supervisor, manager in the mix an
office has) opening that role's daily pages of bench/plans.py DAILY in turn, a new
connection per request, for `--seconds`. Prints p50/p95 (ms), requests/s and errors (any
answer but 200) for both, and their ratio. Targets: 0 errors; scale within 2× of demo.
"""
import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_client import demo_env, gunicorn, login, request  # noqa: E402

from bench.plans import DAILY, fill  # noqa: E402

# how many of the clients are each role (an office: mostly guards and the gate)
MIX = {"guard": 16, "gate": 10, "desk": 8, "engineer": 8, "supervisor": 4, "manager": 4}


def prepare(size, postgres_url=None):
    """(demo env, scale env, placeholders for DAILY, drop callables) — two data directories,
    each with its SQLite file or (postgres_url) its scratch PostgreSQL schema."""
    from bench.scale import Bench, scratch_postgres

    envs, drops = [], []
    for with_history in (False, True):
        if postgres_url:
            url, drop = scratch_postgres(postgres_url)
            drops.append(drop)
            env = {**os.environ, "WYAPP_DATA_DIR": tempfile.mkdtemp(prefix="wyapp-load-"),
                   "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
                   "WYAPP_DATABASE_URL": url}
        else:
            env = demo_env("wyapp-load-")
            url = f"sqlite:///{Path(env['WYAPP_DATA_DIR']).resolve() / 'wyapp.sqlite3'}"
        bench = Bench(url, size)
        bench.make_demo()
        if with_history:
            bench.history()
        bench.busy_today(500, 500)
        bench.vacuum()
        bench.database.close_all()
        envs.append(env)
    return envs[0], envs[1], bench.data, drops


def hammer(port, seconds, clients, data):
    """Latencies (ms) of every 200 answer, the error count and requests/s."""
    roles = [role for role, n in MIX.items() for _ in range(n)]
    roles = (roles * (clients // len(roles) + 1))[:clients]
    cookies = {role: login(port, role)[0] for role in set(roles)}
    pages = {role: [fill(url, data) for r, url in DAILY
                    if r == role and not url.startswith("/dashboard")] for role in MIX}
    latencies, errors, lock = [], [0], threading.Lock()
    stop = time.monotonic() + seconds

    def client(n, role):
        mine, i = [], n
        while time.monotonic() < stop:
            page = pages[role][i % len(pages[role])]
            i += 1
            started = time.perf_counter()
            try:
                response, _ = request(port, page, cookies[role], timeout=60)
                ok = response.status == 200
            except OSError:
                ok = False
            if ok:
                mine.append((time.perf_counter() - started) * 1000)
            else:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n, role)) for n, role in enumerate(roles)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return latencies, errors[0], (len(latencies) + errors[0]) / elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="tiny")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    postgres_url = os.environ.get("WYAPP_DATABASE_URL", "")
    postgres_url = postgres_url if postgres_url.startswith("postgres") else None
    kind = "PostgreSQL" if postgres_url else "SQLite"
    demo, scale, data, drops = prepare(args.size, postgres_url)
    results = {}
    try:
        for name, env, port in (("demo", demo, 5131), ("scale", scale, 5132)):
            env = {**env, "WYAPP_SECRET_KEY": "load-bench"}
            with gunicorn("wyapp:create_app()", port, env, "-w", "2", "--timeout", "120"):
                hammer(port, 3, 4, data)  # warm-up
                latencies, errors, rps = hammer(port, args.seconds, args.clients, data)
            cuts = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else [0] * 19
            results[name] = (statistics.median(latencies) if latencies else 0, cuts[18], rps,
                             errors)
            print(f"{name:6} p50 {results[name][0]:7.0f} ms  p95 {results[name][1]:7.0f} ms  "
                  f"{rps:6.1f} req/s  {errors} errors", flush=True)
    finally:
        for drop in drops:
            drop()
    (p50, p95, rps, _), (s50, s95, srps, _) = results["demo"], results["scale"]
    print(f"scale/demo: p50 ×{s50 / p50:.2f}, p95 ×{s95 / p95:.2f}, req/s ×{srps / rps:.2f} "
          f"({args.clients} clients, gunicorn 2 workers, {kind}, size {args.size}, "
          f"{os.cpu_count()} cores); targets: 0 errors, within 2×")


if __name__ == "__main__":
    main()
