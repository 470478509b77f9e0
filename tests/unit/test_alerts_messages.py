"""Robot messages without a database: byte limits cut safely, 加签, masking, quiet hours."""
import base64
import hashlib
import hmac
import json
from datetime import datetime
from urllib.parse import quote

import pytest
from flask import Flask

from wyapp.alerts import messages, robots
from wyapp.alerts.deliveries import quiet_until
from wyapp.alerts.models import Alert, Robot
from wyapp.models import Estate

ESTATE = Estate(id=1, name="示范花园", timezone="Asia/Shanghai")
RAISED = datetime(2026, 6, 15, 2, 0)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def app_context():
    app = Flask(__name__)
    app.config["BASE_URL"] = "https://wy.example.com/"
    with app.app_context():
        yield


def alert(body="已巡 3/8", title="漏巡：1号线 10:00", link="/patrol/reports/day"):
    return Alert(id=42, estate=ESTATE, kind="patrol_missed", title=title, body=body,
                 link=link, responsible="李主管、王经理", raised_at=RAISED)


def robot(kind="wecom", message_format="markdown", **fields):
    return Robot(id=1, estate=ESTATE, name="值班群", kind=kind, message_format=message_format,
                 webhook="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abcdef123456",
                 **fields)


@pytest.mark.parametrize("limit", [3, 4, 5, 6, 7, 100])
def test_truncate_bytes_never_splits_a_character(limit):
    text = "设备房漏水a" * 50
    cut = messages.truncate_bytes(text, limit)
    assert len(cut.encode("utf-8")) <= limit and cut.endswith("…")
    assert text.startswith(cut[:-1])
    assert messages.truncate_bytes("短", 10) == "短"


@pytest.mark.parametrize("fmt, limit", [("markdown", 4096), ("text", 2048)])
@pytest.mark.parametrize("kind", ["wecom", "dingtalk"])
def test_long_alerts_keep_within_the_byte_limit_and_keep_the_link(fmt, limit, kind):
    payload = messages.alert_message(robot(kind, fmt), alert(body="漏水🚰" * 3000))
    content = payload[fmt]["content"] if "content" in payload[fmt] else payload[fmt]["text"]
    assert len(content.encode("utf-8")) <= limit
    assert len(json.dumps(payload, ensure_ascii=False).encode()) < limit + 200
    assert "https://wy.example.com/patrol/reports/day" in content
    assert "TZ000042" in content and "2026-06-15 10:00" in content


def test_wecom_markdown_shape_and_content():
    payload = messages.alert_message(robot(), alert())
    assert payload == {"msgtype": "markdown", "markdown": {"content": payload["markdown"]
                                                           ["content"]}}
    content = payload["markdown"]["content"]
    assert content.startswith("### 漏巡 / 未巡完：漏巡：1号线 10:00")
    assert "> 负责人：李主管、王经理" in content
    assert content.endswith("[查看详情](https://wy.example.com/patrol/reports/day)")


def test_dingtalk_markdown_has_a_title_with_the_keyword():
    payload = messages.alert_message(robot("dingtalk", keyword="物业"), alert())
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["title"].startswith("【物业】漏巡")
    assert "示范花园" in payload["markdown"]["text"]


def test_dingtalk_sign_follows_the_documented_formula():
    secret, timestamp = "SEC000111222333", 1781488800000
    mac = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
    assert robots.dingtalk_sign(secret, timestamp) == quote(base64.b64encode(mac.digest()),
                                                            safe="")
    url = robots.signed_url(robot("dingtalk", secret=secret), datetime(2026, 6, 15, 2, 0))
    assert f"&timestamp={timestamp}&sign=" in url
    assert robots.signed_url(robot(), RAISED) == robot().webhook  # 企业微信: no signature


def test_answers_are_judged_by_errcode_not_by_http_status():
    assert robots.errcode('{"errcode":0,"errmsg":"ok"}') == 0
    assert robots.errcode('{"errcode":310000,"errmsg":"sign not match"}') == 310000
    assert robots.errcode("<html>bad gateway</html>") is None
    assert robots.errcode('{"errmsg":"ok"}') is None


def test_credentials_are_masked_and_scrubbed():
    r = robot(kind="dingtalk", secret="SECabcdefghijkl")
    assert r.masked_url == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…3456"
    assert r.masked_secret == "已保存（…ijkl）"
    assert robots.scrub(r, "echo key=abcdef123456 SECabcdefghijkl") == "echo key=… …"


@pytest.mark.parametrize("hours, at_local, ends_local", [
    ((22, 7), datetime(2026, 6, 15, 23, 30), datetime(2026, 6, 16, 7, 0)),
    ((22, 7), datetime(2026, 6, 16, 3, 0), datetime(2026, 6, 16, 7, 0)),
    ((22, 7), datetime(2026, 6, 16, 7, 0), None),
    ((12, 14), datetime(2026, 6, 16, 13, 59), datetime(2026, 6, 16, 14, 0)),
    ((12, 14), datetime(2026, 6, 16, 11, 0), None),
    ((None, None), datetime(2026, 6, 16, 3, 0), None),
    ((8, 8), datetime(2026, 6, 16, 8, 0), None),
])
def test_quiet_hours_are_the_estates_hours(hours, at_local, ends_local):
    r = robot(quiet_from=hours[0], quiet_to=hours[1])
    end = quiet_until(r, ESTATE.utc(at_local))
    assert end == (ESTATE.utc(ends_local) if ends_local else None)
