"""Talking to a group robot: the 钉钉 加签, one HTTP POST, and judging the answer.

Both robots answer HTTP 200 with `errcode` ≠ 0 for a bad key, a bad signature, a missing
keyword or throttling (TECH-NOTES "Group robots"), so only `errcode == 0` counts as sent.
Nothing here logs or returns the webhook URL or the secret.
"""
import base64
import hashlib
import hmac
import json
import logging
import urllib.error
import urllib.request
from datetime import UTC
from urllib.parse import quote_plus, urlsplit

from flask import current_app

from ..errors import DomainError

log = logging.getLogger(__name__)

URL_PARAMETER = {"wecom": "key", "dingtalk": "access_token"}


def dingtalk_sign(secret, timestamp_ms):
    """钉钉 加签: `urlencode(base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")))`.

    `timestamp_ms` is the Unix time in milliseconds (int); returns the URL-encoded sign
    (str) to append as `&timestamp=…&sign=…`. Rule: TECH-NOTES "Group robots" / 钉钉 docs.
    """
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(),
                      hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def signed_url(robot, now):
    """The URL to POST to at `now` (naive UTC): the webhook, plus for a 钉钉 robot with a
    secret the millisecond `timestamp` and its `sign` (valid for an hour on 钉钉's side)."""
    if robot.kind != "dingtalk" or not robot.secret:
        return robot.webhook
    timestamp = int(now.replace(tzinfo=UTC).timestamp() * 1000)
    sep = "&" if "?" in robot.webhook else "?"
    sign = dingtalk_sign(robot.secret, timestamp)
    return f"{robot.webhook}{sep}timestamp={timestamp}&sign={sign}"


def check_webhook(kind, url):
    """Refuse a webhook that is not this kind's robot URL on an allowed host.

    `kind` is "wecom" or "dingtalk"; the URL must be http(s), carry `key=` (企业微信) or
    `access_token=` (钉钉), and its host must be in config ALERTS_ALLOWED_HOSTS (default
    the two robots' hosts): the settings page must not become a way to POST to, and read
    answers from, machines inside the office network. Returns the stripped URL; raises
    DomainError on the field "webhook".
    """
    url = (url or "").strip()
    parts = urlsplit(url)
    parameter = URL_PARAMETER.get(kind, "key")
    if parts.scheme not in ("https", "http") or f"{parameter}=" not in parts.query:
        example = ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…" if kind == "wecom"
                   else "https://oapi.dingtalk.com/robot/send?access_token=…")
        raise DomainError(f"请粘贴机器人的完整 Webhook 地址，例如 {example}", "webhook")
    allowed = current_app.config["ALERTS_ALLOWED_HOSTS"]
    if parts.hostname not in allowed:
        raise DomainError(f"Webhook 地址的主机必须是 {'、'.join(allowed)} 之一。", "webhook")
    return url


def post(robot, payload, now):
    """POST `payload` (a dict) as JSON to the robot; return (ok, answer).

    `ok` is True only when the answer is JSON with `errcode == 0`. `answer` is the answer's
    text, or a Chinese description of a timeout or network error, never containing the
    URL or the secret. The timeout (seconds) is config ALERTS_HTTP_TIMEOUT (default 5).
    """
    timeout = current_app.config["ALERTS_HTTP_TIMEOUT"]
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    # the scheme is http(s): check_webhook() refused anything else when the robot was saved
    request = urllib.request.Request(  # noqa: S310
        signed_url(robot, now), data=body, method="POST",
        headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            answer = response.read(64 * 1024).decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        answer = f"HTTP {error.code}：" + error.read(4096).decode("utf-8", "replace")
    except TimeoutError:
        answer = f"超时：{timeout:g} 秒内没有回答"
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        answer = (f"超时：{timeout:g} 秒内没有回答" if isinstance(reason, TimeoutError)
                  else f"连接失败：{type(reason).__name__}")
    answer = scrub(robot, answer)
    ok = errcode(answer) == 0
    log.info("机器人 #%s %s：%s", robot.id, "已送达" if ok else "未送达", answer[:200])
    return ok, answer


def errcode(answer):
    """The robot's `errcode` from its JSON answer (int), or None when it is not JSON."""
    try:
        data = json.loads(answer)
    except ValueError:
        return None
    code = data.get("errcode") if isinstance(data, dict) else None
    return code if isinstance(code, int) else None


def scrub(robot, text):
    """`text` with the robot's webhook token and secret replaced by …, in case an answer or
    an error ever echoes them."""
    secrets = [robot.secret, robot.webhook]
    _, _, query = robot.webhook.partition("?")
    secrets += [pair.partition("=")[2] for pair in query.split("&")]
    for secret in sorted((s for s in secrets if s and len(s) >= 6), key=len, reverse=True):
        text = text.replace(secret, "…")
    return text
