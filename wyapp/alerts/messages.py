"""The JSON each robot is sent: one alert, a summary of several, the daily digest, a test.

Shapes (TECH-NOTES "Group robots"):
  企业微信 text     {"msgtype": "text", "text": {"content": …}}             ≤ 2048 bytes
  企业微信 markdown {"msgtype": "markdown", "markdown": {"content": …}}     ≤ 4096 bytes
  钉钉 text         {"msgtype": "text", "text": {"content": …}}
  钉钉 markdown     {"msgtype": "markdown", "markdown": {"title": …, "text": …}}
The byte limits are 企业微信's; 钉钉 messages keep to the same ones. Lengths are UTF-8
bytes, cut on a character boundary. Times are the estate's wall time (Estate.local).
"""
from flask import current_app

from .models import ALERT_KINDS

LIMITS = {"text": 2048, "markdown": 4096}
ELLIPSIS = "…"
SUMMARY_LINES = 30  # alerts listed one per line in a summary; the rest are counted


def truncate_bytes(text, limit):
    """`text` cut to at most `limit` UTF-8 bytes, ending in … when cut, never splitting a
    character. `limit` is in bytes (int ≥ 3)."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = limit - len(ELLIPSIS.encode("utf-8"))
    return data[:room].decode("utf-8", "ignore") + ELLIPSIS


def record_url(link):
    """An alert's link (a path such as /service/orders/3) made absolute with config
    BASE_URL (WYAPP_BASE_URL); the path alone when BASE_URL is not set."""
    if not link or link.startswith(("http://", "https://")):
        return link
    return current_app.config.get("BASE_URL", "").rstrip("/") + link


def alert_message(robot, alert):
    """The payload (dict) telling `robot`'s group about one Alert: estate, what happened,
    when (estate time), who is responsible, the alert's number and a link to the record."""
    estate = alert.estate
    when = estate.local(alert.raised_at)
    facts = [("小区", estate.name), ("时间", f"{when:%Y-%m-%d %H:%M}"),
             ("负责人", alert.responsible or "—"), ("编号", alert.code)]
    return _payload(robot, f"{ALERT_KINDS.get(alert.kind, '提醒')}：{alert.title}", facts,
                    alert.body, record_url(alert.link))


def summary_message(robot, alerts, reason):
    """One payload for several alerts held back (`reason`: why, shown first), one line each
    (time, title, number) up to SUMMARY_LINES, then how many more."""
    estate = alerts[0].estate
    lines = [f"{estate.local(a.raised_at):%m-%d %H:%M} {a.title}（{a.code}）"
             for a in alerts[:SUMMARY_LINES]]
    if len(alerts) > SUMMARY_LINES:
        lines.append(f"另有 {len(alerts) - SUMMARY_LINES} 条，请在系统中查看。")
    facts = [("小区", estate.name), ("条数", str(len(alerts)))]
    return _payload(robot, f"合并提醒：{reason}", facts, "\n".join(lines), "")


def digest_message(robot, estate, day, figures, still_open):
    """The daily digest of `day` (the estate's date): `figures` is [(label, count)] of the
    alerts raised that day, `still_open` is [(label, count)] of what is still open."""
    facts = [("小区", estate.name), ("日期", f"{day:%Y-%m-%d}")]
    lines = ["昨日提醒：" + ("，".join(f"{label} {n} 条" for label, n in figures) or "无")]
    lines.append("仍未处理：" + ("，".join(f"{label} {n}" for label, n in still_open) or "无"))
    return _payload(robot, f"每日摘要 {day:%m月%d日}", facts, "\n".join(lines),
                    record_url("/"))


def test_message(robot, estate, now):
    """A short message that shows the robot works (测试发送); `now` is naive UTC."""
    facts = [("小区", estate.name), ("时间", f"{estate.local(now):%Y-%m-%d %H:%M}")]
    return _payload(robot, "测试发送", facts, "这是一条测试消息：群机器人设置正确。", "")


def _payload(robot, title, facts, body, url):
    """The robot's JSON for a title, (label, value) facts, a free body and a link, within
    the byte limit of the robot's format; the body is cut first, so facts and link stay."""
    title = _with_keyword(robot, title)
    fmt = robot.message_format if robot.message_format in LIMITS else "markdown"
    limit = LIMITS[fmt]
    render = _markdown if fmt == "markdown" else _text
    fixed = len(render(title, facts, "", url).encode("utf-8"))
    body = truncate_bytes(body, max(limit - fixed - 8, 3)) if body else ""
    content = truncate_bytes(render(title, facts, body, url), limit)
    if fmt == "text":
        return {"msgtype": "text", "text": {"content": content}}
    if robot.kind == "dingtalk":
        return {"msgtype": "markdown",
                "markdown": {"title": truncate_bytes(title, 64), "text": content}}
    return {"msgtype": "markdown", "markdown": {"content": content}}


def _with_keyword(robot, title):
    """钉钉 with 自定义关键词 refuses a message without the keyword: put it in the title."""
    keyword = robot.keyword if robot.kind == "dingtalk" else ""
    return f"【{keyword}】{title}" if keyword and keyword not in title else title


def _markdown(title, facts, body, url):
    lines = [f"### {title}", *(f"> {label}：{value}" for label, value in facts)]
    if body:
        lines += ["", *body.splitlines()]
    if url:
        lines += ["", f"[查看详情]({url})"]
    return "\n".join(lines)


def _text(title, facts, body, url):
    lines = [title, *(f"{label}：{value}" for label, value in facts)]
    if body:
        lines.append(body)
    if url:
        lines.append(f"详情：{url}")
    return "\n".join(lines)
