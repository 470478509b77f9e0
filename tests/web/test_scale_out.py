"""Scale-out: two app hosts (gunicorn) with different data directories and two queue workers
(huey_consumer) on one PostgreSQL schema, one Redis and one S3 bucket (moto's server).

What a company set-up relies on, checked end to end with real processes on the real clock:
a single-machine data directory moved into the bucket (`wyapp storage migrate`) verifies
from there; a photo uploaded through host A shows through host B; a day's archive queued
from both hosts is filed once by the two workers and verifies from either host; ticks on
both workers and `wyapp tick` on both hosts raise each missed-round alert once; a login
throttle counted through A holds on B; /healthz answers on both.
"""
import io
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest

from wyapp.db import utcnow
from wyapp.gate.demo import full_day
from wyapp.models import Estate

POSTGRES_URL = os.environ.get("WYAPP_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("WYAPP_TEST_REDIS_URL")
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES_URL, reason="WYAPP_TEST_POSTGRES_URL is not set "
                                                "(CI sets it; see .ci/run)"),
    pytest.mark.skipif(not REDIS_URL, reason="WYAPP_TEST_REDIS_URL is not set "
                                             "(CI sets it; see .ci/run)"),
]
requests = pytest.importorskip("requests")
boto3 = pytest.importorskip("boto3", reason="boto3 not installed (pip install -e '.[s3,test]')")
PASSWORD = "wyapp-demo"


@pytest.fixture(autouse=True)
def now():
    """The real clock: the hosts and workers are other processes that cannot be moved."""
    return None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """The processes of one test and what they share; `env(data_dir)` is a host's set-up."""

    def __init__(self, root):
        self.root = root
        self.schema = f"wyapp_scale_{uuid.uuid4().hex[:10]}"
        self.queue_name = f"wyapp-test-{uuid.uuid4().hex[:10]}"  # never another run's queue
        self.bucket = f"wyapp-{uuid.uuid4().hex[:12]}"
        sep = "&" if "?" in POSTGRES_URL else "?"
        self.database_url = f"{POSTGRES_URL}{sep}options={quote(f'-csearch_path={self.schema}')}"
        self.processes = []

    def env(self, data_dir, storage=True):
        env = {k: v for k, v in os.environ.items() if not k.startswith("WYAPP_")}
        env.update(WYAPP_DATA_DIR=str(data_dir), WYAPP_DATABASE_URL=self.database_url,
                   WYAPP_SECRET_KEY="scale-out-test-secret", WYAPP_QUEUE_URL=REDIS_URL,
                   WYAPP_QUEUE_NAME=self.queue_name, AWS_ACCESS_KEY_ID="testing",
                   AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
        if storage:
            env.update(WYAPP_STORAGE_URL=f"s3://{self.bucket}/wy",
                       WYAPP_STORAGE_ENDPOINT=self.endpoint)
        return env

    def wyapp(self, data_dir, *args, storage=True, check=True):
        result = subprocess.run([sys.executable, "-m", "wyapp", *args], capture_output=True,
                                text=True, env=self.env(data_dir, storage), timeout=120)
        if check:
            assert result.returncode == 0, result.stdout + result.stderr
        return result

    def start(self, data_dir, *command):
        log = open(Path(data_dir).with_suffix(".log"), "wb")  # noqa: SIM115 - closed in stop
        process = subprocess.Popen([sys.executable, "-m", *command], env=self.env(data_dir),
                                   stdout=log, stderr=subprocess.STDOUT)
        self.processes.append((process, log))
        return process

    def host(self, data_dir):
        port = _free_port()
        self.start(data_dir, "gunicorn", "-w", "1", "--threads", "4", "-b",
                   f"127.0.0.1:{port}", "wyapp:create_app()")
        return f"http://127.0.0.1:{port}"

    def worker(self, data_dir):
        # -n: no periodic scheduler (the test enqueues the ticks it checks)
        self.start(data_dir, "huey.bin.huey_consumer", "wyapp.worker.huey", "-k", "thread",
                   "-w", "2", "-n", "-q")

    def stop(self):
        for process, _log in self.processes:
            process.terminate()
        for process, log in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()


@pytest.fixture
def cluster():
    import psycopg2
    from moto.server import ThreadedMotoServer

    root = Path(tempfile.mkdtemp(prefix="wyapp-scale-"))
    made = Cluster(root)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    made.endpoint = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=made.endpoint, region_name="us-east-1",
                 aws_access_key_id="testing", aws_secret_access_key="testing"
                 ).create_bucket(Bucket=made.bucket)
    conn = psycopg2.connect(POSTGRES_URL)
    conn.autocommit = True
    conn.cursor().execute(f"CREATE SCHEMA {made.schema}")
    made.sql = conn.cursor()
    made.sql.execute(f"SET search_path TO {made.schema}")
    try:
        yield made
    finally:
        made.stop()
        from huey import RedisHuey
        RedisHuey(made.queue_name, url=REDIS_URL).storage.flush_all()
        conn.cursor().execute(f"DROP SCHEMA {made.schema} CASCADE")
        conn.close()
        server.stop()


class RobotServer:
    """A group robot (企业微信's answer) on 127.0.0.1 recording every message posted to it."""

    def __init__(self):
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        received = self.received = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                received.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
                body = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = (f"http://127.0.0.1:{self.server.server_address[1]}"
                    "/cgi-bin/webhook/send?key=scale-out-test")
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _wait_healthy(base, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        try:
            answer = requests.get(f"{base}/healthz", timeout=30)
            if answer.status_code == 200:
                return answer.json()
        except (requests.ConnectionError, requests.Timeout):  # gunicorn still booting
            pass
        assert time.monotonic() < deadline, f"{base} did not start"
        time.sleep(0.2)


def _csrf(page):
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _login(session, base, username, password=PASSWORD):
    token = _csrf(session.get(f"{base}/login").text)
    return session.post(f"{base}/login", data={"username": username, "password": password,
                                               "csrf_token": token}, allow_redirects=False)


def _jpeg():
    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def _one(cluster, sql, *args):
    cluster.sql.execute(sql, args)
    return cluster.sql.fetchone()


def _objects(cluster, prefix):
    """The bucket's keys under `prefix`."""
    client = boto3.client("s3", endpoint_url=cluster.endpoint, region_name="us-east-1",
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    return [o["Key"] for o in client.list_objects_v2(Bucket=cluster.bucket, Prefix=prefix)
            .get("Contents", ())]


def _settle(cluster, seconds=90):
    """Wait until the workers are idle: the queue empty, every filing claim with its
    document, and nothing changing for three looks 1 s apart (a task just taken off the
    queue reads its data before it claims)."""
    from huey import RedisHuey
    queue = RedisHuey(cluster.queue_name, url=REDIS_URL)
    deadline, quiet, last = time.monotonic() + seconds, 0, None
    while quiet < 3:
        state = _one(cluster, "SELECT (SELECT count(*) FROM filing_claim),"
                              " (SELECT count(*) FROM document)")
        open_claims = _one(cluster, "SELECT count(*) FROM filing_claim c WHERE NOT EXISTS ("
                           "SELECT 1 FROM document d WHERE d.kind = c.kind AND d.estate_id ="
                           " c.estate_id AND d.period = c.period AND d.version = c.version)")[0]
        idle = queue.pending_count() == 0 and open_claims == 0
        quiet = quiet + 1 if idle and state == last else 0
        last = state
        assert time.monotonic() < deadline, "the workers did not finish"
        time.sleep(1)


def test_two_hosts_two_workers_one_database_one_redis_one_bucket(cluster):
    dir_a, dir_b = cluster.root / "host-a", cluster.root / "host-b"
    dir_w1, dir_w2 = cluster.root / "worker-1", cluster.root / "worker-2"

    # ── a single machine's data directory grows into the company set-up ──────────────────
    made_at = utcnow()
    cluster.wyapp(dir_a, "demo", storage=False)
    # the demo's full day of visits is today after 19:00 in the estate, else yesterday
    visits_day = full_day(Estate(timezone="Asia/Shanghai"), made_at).isoformat()
    # two hosts, two workers: started now (the database is ready), they boot while the
    # single machine's archive is filed and moved; none writes to the bucket until asked
    host_a, host_b = cluster.host(dir_a), cluster.host(dir_b)
    cluster.worker(dir_w1)
    cluster.worker(dir_w2)
    filed = cluster.wyapp(dir_a, "archive", "run", "--kind", "gate_day", "--date", visits_day,
                          storage=False)
    assert "共归档 1 份" in filed.stdout
    assert list((dir_a / "archive").rglob("*.pdf"))
    assert _objects(cluster, "wy/") == []
    moved = cluster.wyapp(dir_a, "storage", "migrate")  # `archive verify` below passes
    assert "复制 1 个，已存在跳过 0 个，失败 0 个" in moved.stdout
    assert len(_objects(cluster, "wy/archive/1/gate_day/")) == 1

    # ── two hosts, two workers ───────────────────────────────────────────────────────────
    for base in (host_a, host_b):
        assert _wait_healthy(base) == {"status": "ok", "database": "ok", "queue": "ok"}

    # the day's archive queued from both hosts: the workers file each document once
    queued = [subprocess.Popen([sys.executable, "-m", "wyapp", "archive", "run", "--queue"],
                               env=cluster.env(d), stdout=subprocess.PIPE, text=True)
              for d in (dir_a, dir_b)]
    assert all(p.wait(timeout=120) == 0 for p in queued)

    # a photo uploaded through A shows through B (one session: the same secret, the DB)
    guard = requests.Session()
    assert _login(guard, host_a, "guard").status_code == 302
    form = guard.get(f"{host_a}/patrol/incidents/new").text
    key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', form).group(1)
    posted = guard.post(f"{host_a}/patrol/incidents/new", allow_redirects=False,
                        data={"csrf_token": _csrf(form), "idempotency_key": key,
                              "category": "设施损坏", "text": "3号楼门禁损坏"},
                        files={"photos": ("door.jpg", _jpeg(), "image/jpeg")})
    assert posted.status_code == 302, posted.text
    page_b = guard.get(host_b + posted.headers["Location"].replace(host_a, ""))
    assert page_b.status_code == 200 and "3号楼门禁损坏" in page_b.text
    photo_url = re.search(r'/photos/\d+\.jpg', page_b.text).group(0)
    shown_b, shown_a = guard.get(host_b + photo_url), guard.get(host_a + photo_url)
    assert shown_b.status_code == 200 and shown_b.headers["Content-Type"] == "image/jpeg"
    assert shown_b.content == shown_a.content and shown_b.content[:2] == b"\xff\xd8"
    assert not (dir_a / "photos").exists() and not (dir_b / "photos").exists()
    assert requests.get(host_b + photo_url, allow_redirects=False).status_code == 302  # login

    # a login throttle counted through A holds on B
    desk = requests.Session()
    for _ in range(5):
        assert _login(desk, host_a, "desk", "wrong-password").status_code == 200
    refused = _login(desk, host_b, "desk")
    assert refused.status_code == 429 and "秒后再试" in refused.text

    _settle(cluster)
    twice = _one(cluster, "SELECT count(*) FROM (SELECT kind, estate_id, period FROM document "
                          "GROUP BY kind, estate_id, period HAVING count(*) > 1) t")[0]
    documents = _one(cluster, "SELECT count(*) FROM document")[0]
    assert twice == 0 and documents >= 2
    # as many files as rows: no second filing left a file behind
    assert len(_objects(cluster, "wy/archive/")) == documents
    verifies = [subprocess.Popen([sys.executable, "-m", "wyapp", "archive", "verify"],
                                 env=cluster.env(d), stdout=subprocess.PIPE, text=True)
                for d in (dir_a, dir_b)]  # both hosts at once: each start costs seconds
    for verified in verifies:
        assert f"档案完好：{documents} 份" in verified.communicate(timeout=120)[0]
        assert verified.returncode == 0
    pdf_id = _one(cluster, "SELECT max(id) FROM document")[0]
    manager = requests.Session()
    assert _login(manager, host_b, "manager").status_code == 302
    pdf = manager.get(f"{host_b}/archive/{pdf_id}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")

    # a missed round: ticks on both workers and `wyapp tick` on both hosts alert once,
    # and the estate's group robot gets that alert once
    robot = RobotServer()
    _missed_round(cluster, robot.url)
    ticks = [subprocess.Popen([sys.executable, "-c", "from wyapp.tasks import tick\n"
                               "for _ in range(4): tick()"], env=cluster.env(dir_w1)),
             *[subprocess.Popen([sys.executable, "-m", "wyapp", "tick"], env=cluster.env(d),
                                stdout=subprocess.DEVNULL) for d in (dir_a, dir_b)]]
    assert all(p.wait(timeout=120) == 0 for p in ticks)
    _settle(cluster)
    alerts = _one(cluster, "SELECT count(*), count(DISTINCT (user_id, title)) FROM notification"
                           " WHERE kind = 'patrol_missed' AND title LIKE %s", "%扩容测试路线%")
    leads = _one(cluster, "SELECT count(DISTINCT ur.user_id) FROM user_role ur "
                          "WHERE ur.role IN ('supervisor', 'manager')")[0]
    assert alerts == (leads, leads) and leads >= 2
    deadline = time.monotonic() + 30
    while not any("扩容测试路线" in body for body in robot.received):
        assert time.monotonic() < deadline, "the robot got no message"
        time.sleep(0.3)
    time.sleep(1)  # a second sender, if there were one, would have posted by now
    robot.close()
    assert sum("扩容测试路线" in body for body in robot.received) == 1


def _missed_round(cluster, robot_url):
    """A fixed-time schedule whose only window ended 30 minutes ago, nothing scanned; a
    group robot forwarding missed rounds; the archive's hourly sweep marked done (the tick
    would otherwise queue a week of PDFs)."""
    from wyapp import create_app
    from wyapp.alerts.models import Robot
    from wyapp.archive.models import SweepMark
    from wyapp.db import db
    from wyapp.models import Estate
    from wyapp.patrol.models import Checkpoint, Route, RouteStop, Schedule

    app = create_app({"DATA_DIR": str(cluster.root / "setup"), "SECRET_KEY": "x",
                      "DATABASE_URL": cluster.database_url})
    try:
        with app.app_context(), db.connection_context():
            estate = Estate.get()
            now = utcnow()
            route = Route.create(estate=estate, name="扩容测试路线", enforce_order=False,
                                 min_seconds=0)
            for position, checkpoint in enumerate(
                    Checkpoint.select().where(Checkpoint.estate == estate).limit(2), 1):
                RouteStop.create(route=route, checkpoint=checkpoint, position=position)
            opened = estate.local(now) - timedelta(minutes=50)
            Schedule.create(estate=estate, route=route, name="扩容测试计划",
                            start_times=f"{opened:%H:%M}", window_minutes=20,
                            valid_from=now - timedelta(hours=2))
            Robot.create(estate=estate, name="扩容测试群", kind="wecom", webhook=robot_url,
                         message_format="text", kinds="patrol_missed")
            SweepMark.insert(name="archive", at=now).on_conflict(
                conflict_target=[SweepMark.name], update={SweepMark.at: now}).execute()
    finally:
        db.obj.close_all() if hasattr(db.obj, "close_all") else db.obj.close()
