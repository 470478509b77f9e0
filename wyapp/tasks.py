"""The task queue: huey over SQLite in the data dir by default, Redis with WYAPP_QUEUE_URL.

Start a worker with `huey_consumer wyapp.worker.huey -k thread` (it runs the periodic jobs);
`wyapp tick` does one periodic pass for a cron set-up without a worker. Tests set
`huey.immediate = True`, which runs each task inline through the consumer's own code.
Several workers may share one Redis (WYAPP_QUEUE_NAME keeps installations apart): each
one's scheduler enqueues the minute's tick, and the first to claim the minute runs it.
"""
import os
from datetime import timedelta
from functools import wraps

from flask import current_app, has_app_context
from huey import RedisHuey, SqliteHuey, crontab

from . import config
from .db import db, utcnow


def _make_huey():
    settings = config.from_environment()
    url = settings["QUEUE_URL"]
    name = settings.get("QUEUE_NAME") or "wyapp"
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url)
    data_dir = os.path.abspath(settings["DATA_DIR"])
    os.makedirs(data_dir, exist_ok=True)
    return SqliteHuey(name, filename=os.path.join(data_dir, "queue.sqlite3"))


huey = _make_huey()
_worker_app = None


def in_app(task):
    """Run `task` inside an app context with a database connection (worker or request)."""
    @wraps(task)
    def run(*args, **kwargs):
        global _worker_app
        if has_app_context():
            with db.connection_context():
                return task(*args, **kwargs)
        if _worker_app is None:
            from . import create_app
            _worker_app = create_app()
        with _worker_app.app_context(), db.connection_context():
            return task(*args, **kwargs)
    return run


def run_periodic(now=None):
    """One pass of every feature's periodic job (close rounds, raise alerts, purge…).

    Returns {feature name: what its job returned}. Each job must be safe to run late,
    twice, or not at all for a while: state is also computed from the clock on read.
    """
    now = now or utcnow()
    results = {}
    for feature in current_app.extensions["wyapp.features"]:
        for job in feature.periodic:
            results[f"{feature.name}.{job.__name__}"] = job(now)
    return results


def claim_minute(now, queue=None):
    """True for the first caller of the minute of `now` (naive UTC) across every worker of
    the queue (an atomic set-if-empty in huey's storage: HSETNX on Redis); the claims of a
    few minutes before are dropped so that the store does not grow."""
    queue = queue or huey
    minute = now.replace(second=0, microsecond=0)
    for back in range(2, 7):
        queue.storage.delete_data(f"tick:{minute - timedelta(minutes=back):%Y-%m-%dT%H:%M}")
    return queue.storage.put_if_empty(f"tick:{minute:%Y-%m-%dT%H:%M}", b"1")


@huey.periodic_task(crontab(minute="*"), retries=0)
@in_app
def tick():
    """The minute's periodic pass, once per minute however many workers share the queue
    (each job is also safe run twice: see run_periodic)."""
    now = utcnow()
    if not claim_minute(now):
        return None
    return run_periodic(now)
