"""Setting up a group robot: checked values in, a saved Robot out; credentials kept back."""
from ..db import db
from ..errors import DomainError
from .models import ALERT_KINDS, FORMATS, ROBOT_KINDS, Robot
from .robots import check_webhook

FIELDS = ("name", "kind", "message_format", "keyword", "quiet_from", "quiet_to",
          "digest_hour", "active")


def save_robot(estate, values, by, robot=None):
    """Create (robot None) or change a robot of `estate` from cleaned form `values` (dict:
    name, kind, webhook, secret, clear_secret, keyword, message_format, kinds [codes],
    quiet_from, quiet_to, digest_hour [estate hours 0–23 or None], active). An empty
    webhook or secret on a change keeps the saved one, since pages never show them in full. Raises
    DomainError (on its field) for an unknown kind or a webhook that is not this kind's
    robot URL. Returns the saved Robot."""
    if values["kind"] not in ROBOT_KINDS:
        raise DomainError("请选择机器人类型。", "kind")
    if values.get("message_format") not in FORMATS:
        raise DomainError("请选择消息格式。", "message_format")
    robot = robot or Robot(estate=estate, created_by=by)
    kind_changed = robot.id is not None and robot.kind != values["kind"]
    webhook = (values.get("webhook") or "").strip()
    if webhook or robot.id is None or kind_changed:
        if not webhook and kind_changed:
            raise DomainError("更换机器人类型时请重新粘贴 Webhook 地址。", "webhook")
        robot.webhook = check_webhook(values["kind"], webhook)
    secret = (values.get("secret") or "").strip()
    if secret or values.get("clear_secret"):
        robot.secret = secret
    for name in FIELDS:
        setattr(robot, name, values[name])
    robot.kinds = ",".join(k for k in ALERT_KINDS if k in (values.get("kinds") or ()))
    with db.atomic():
        robot.save()
    return robot

