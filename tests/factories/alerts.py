"""Group robots for tests, and a local HTTP receiver standing in for 企业微信 and 钉钉.

`Receiver` is a real HTTP server in a thread on 127.0.0.1. It answers like the robots do:
HTTP 200 with `{"errcode": 0, "errmsg": "ok"}`, or with an error code (a queued answer, a
wrong key, or — for 钉钉 — a signature it checks itself with the secret, following the
robot's documentation, not the app's code). It records every request it received.
"""
import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote_plus, urlsplit

from wyapp.alerts.models import Robot

WECOM_KEY = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
DINGTALK_TOKEN = "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6abcd"
DINGTALK_SECRET = "SECd5f0a9c3b1e2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2"
OK = {"errcode": 0, "errmsg": "ok"}


@dataclass
class Received:
    """One request the receiver got: the path, the query (dict of lists) and the JSON."""
    path: str
    query: dict
    body: dict
    accepted: bool

    @property
    def text(self):
        """The message's visible text, whatever its shape."""
        part = self.body.get(self.body.get("msgtype"), {})
        return part.get("content") or part.get("text") or ""


@dataclass
class Receiver:
    """The stand-in robot server. `answers` are popped per request: a dict (the JSON to
    answer) or ("slow", seconds, dict) to answer late — after accepting the message."""
    secret: str = DINGTALK_SECRET
    answers: list = field(default_factory=list)
    received: list = field(default_factory=list)
    server: object = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.server.server_port}"

    def wecom_url(self, key=WECOM_KEY):
        return f"{self.base}/cgi-bin/webhook/send?key={key}"

    def dingtalk_url(self, token=DINGTALK_TOKEN):
        return f"{self.base}/robot/send?access_token={token}"

    @property
    def accepted(self):
        return [r for r in self.received if r.accepted]

    def answer(self, path, query, body):
        """What the robot would answer, before any queued answer is applied."""
        if path.endswith("/robot/send"):
            timestamp, sign = query.get("timestamp", [""])[0], query.get("sign", [""])[0]
            if self.secret and not signature_ok(self.secret, timestamp, sign):
                return {"errcode": 310000, "errmsg": "sign not match"}
        elif query.get("key", [""])[0] != WECOM_KEY:
            return {"errcode": 93000, "errmsg": "invalid webhook url"}
        return self.answers.pop(0) if self.answers else OK


def signature_ok(secret, timestamp, sign):
    """钉钉's check, as its documentation states it: HMAC-SHA256 over "timestamp\\nsecret",
    Base64, URL-encoded; the timestamp within an hour of the receiver's clock."""
    if not timestamp.isdigit() or abs(int(timestamp) - time.time() * 1000) > 3600 * 1000:
        return False
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
    return unquote_plus(sign) == base64.b64encode(mac.digest()).decode()


def _handler(receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 — http.server's name
            parts = urlsplit(self.path)
            # parse_qs would turn the sign's "+" into a space: keep the raw, encoded value
            query = {k: [v] for k, _, v in (p.partition("=") for p in parts.query.split("&")
                                             if p)}
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            answer = receiver.answer(parts.path, query, body)
            delay = 0
            if isinstance(answer, tuple):
                _, delay, answer = answer
            receiver.received.append(Received(parts.path, query, body,
                                              answer.get("errcode") == 0))
            time.sleep(delay)
            data = json.dumps(answer).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client had given up (a timeout test)

        def log_message(self, *args):
            pass
    return Handler


def start_receiver(**kwargs):
    """A running Receiver; stop it with `stop_receiver`."""
    receiver = Receiver(**kwargs)
    receiver.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.server.daemon_threads = True
    threading.Thread(target=receiver.server.serve_forever, daemon=True).start()
    return receiver


def stop_receiver(receiver):
    receiver.server.shutdown()
    receiver.server.server_close()


def configure(app, timeout=0.5):
    """Let the app post to the local receiver (127.0.0.1), with a short HTTP timeout and a
    BASE_URL for links."""
    app.config.update(ALERTS_ALLOWED_HOSTS=("127.0.0.1",), ALERTS_HTTP_TIMEOUT=timeout,
                      BASE_URL="https://wy.example.com")


def robot(estate, url, *, kind="wecom", kinds=("patrol_missed", "work_order_overdue",
                                              "watchlist"), **fields):
    """A saved robot of `estate` posting to `url`, forwarding `kinds` (codes)."""
    if kind == "dingtalk":
        fields.setdefault("secret", DINGTALK_SECRET)
    return Robot.create(estate=estate, name=fields.pop("name", "值班群"), kind=kind,
                        webhook=url, kinds=",".join(kinds), **fields)
