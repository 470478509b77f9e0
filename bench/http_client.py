"""What the benchmarks share: a demo database, a gunicorn serving it, one HTTP request per
connection, and a guard's login."""
import http.client
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def request(port, path, cookie=None, method="GET", body=None, headers=None, timeout=30):
    """(response, body bytes) of one request on a new connection to 127.0.0.1:port."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    all_headers = {"Cookie": cookie} if cookie else {}
    all_headers.update(headers or {})
    conn.request(method, path, body=body, headers=all_headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


def login(port, username="guard", password="wyapp-demo"):
    """Log in through the form; returns (session cookie, CSRF token for htmx headers)."""
    response, page = request(port, "/login")
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    cookie = response.getheader("Set-Cookie").split(";")[0]
    body = b"csrf_token=" + token + f"&username={username}&password={password}".encode()
    response, _ = request(port, "/login", cookie, "POST", body, FORM)
    assert response.status == 302, response.status
    cookie = response.getheader("Set-Cookie").split(";")[0]
    response, home = request(port, "/", cookie)
    cookie = (response.getheader("Set-Cookie") or cookie).split(";")[0]  # now with the secret
    csrf = re.search(rb'name="csrf-token" content="([^"]+)"', home).group(1).decode()
    return cookie, csrf


def demo_env(prefix="wyapp-bench-"):
    """Environment for a fresh SQLite data directory holding the demo data."""
    env = {**os.environ, "WYAPP_DATA_DIR": tempfile.mkdtemp(prefix=prefix),
           "PYTHONPATH": str(ROOT)}
    env.pop("WYAPP_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "wyapp", "demo"], env=env, check=True,
                   capture_output=True, cwd=ROOT)
    return env


def in_app(env, body):
    """Run Python `body` (statements) in the app of `env`, inside its app context and a
    database connection; its standard output."""
    code = ("from wyapp import create_app\nfrom wyapp.db import db\napp = create_app()\n"
            "with app.app_context(), db.connection_context():\n"
            + textwrap.indent(textwrap.dedent(body), "    "))
    return subprocess.run([sys.executable, "-c", code], env=env, check=True,
                          capture_output=True, text=True, cwd=ROOT).stdout


def checkpoint_tokens(env):
    """The tokens of the demo's checkpoint labels in use."""
    return in_app(env, """
        from wyapp.labels import Label
        print(' '.join(l.token for l in Label.select().where(
            Label.kind == 'checkpoint', Label.retired_at.is_null())))
        """).split()


@contextmanager
def gunicorn(app, port, env, *options):
    """gunicorn serving `app` ("module:callable()") on 127.0.0.1:port, once /healthz answers,
    until the block ends. `options`: workers and threads, e.g. ("-w", "2")."""
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", *options,
                               "-b", f"127.0.0.1:{port}", "--log-level", "warning",
                               "--chdir", str(ROOT), app], env=env)
    try:
        deadline = time.monotonic() + 90  # a loaded 2-core machine starts it in 5–40 s
        while True:
            try:
                request(port, "/healthz")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn on port {port} did not start") from None
                time.sleep(0.2)
        yield server
    finally:
        server.terminate()
        server.wait()
