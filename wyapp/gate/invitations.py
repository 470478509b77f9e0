"""预约: visitors the desk expects, with a short code (and QR) usable once a day at the gate."""
import re
import secrets

from ..db import db
from ..errors import DomainError
from ..models import Unit
from .models import Invitation, Visit

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the gate
USED_TODAY = "这个预约码今天已经使用过，一天只能使用一次。"


def new_code(model):
    """A short code no row of `model` has yet (6 of 32 characters: about 10⁹ codes)."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if not model.select().where(model.code == code).exists():
            return code


def create_invitation(estate, user, data):
    """A new invitation from cleaned form values (name, phone, unit text, purpose, party_size,
    plate, valid_from and valid_to as estate dates, note). Raises DomainError on the field:
    an unknown unit, an end before the start, more than 31 days."""
    unit = Unit.find(estate, data["unit"])
    if unit is None:
        raise DomainError("请填写被访房号，例如 1-101。", "unit")
    if data["valid_to"] < data["valid_from"]:
        raise DomainError("结束日期不能早于开始日期。", "valid_to")
    if (data["valid_to"] - data["valid_from"]).days > 30:
        raise DomainError("预约最长 31 天。", "valid_to")
    with db.atomic():
        return Invitation.create(
            estate=estate, code=new_code(Invitation), token=secrets.token_urlsafe(16),
            name=data["name"], phone=data["phone"], unit=unit, purpose=data["purpose"],
            party_size=data.get("party_size") or 1, plate=data.get("plate", ""),
            valid_from=data["valid_from"], valid_to=data["valid_to"],
            note=data.get("note", ""), created_by=user)


def check_invitation(estate, code, now):
    """The invitation of `estate` for a typed code if it can be used at `now` (naive UTC):
    its dates hold the estate's date and no visit used it that day. Otherwise DomainError
    (on "invitation") saying why."""
    code = re.sub(r"\s", "", code or "").upper()[:8]
    invitation = Invitation.get_or_none(Invitation.code == code, Invitation.estate == estate)
    if invitation is None:
        raise DomainError("没有这个预约码，请核对。", "invitation")
    today = estate.today(now)
    if today < invitation.valid_from:
        raise DomainError(f"预约码还未生效：有效日期从 {invitation.valid_from} 开始。",
                          "invitation")
    if today > invitation.valid_to:
        raise DomainError(f"预约码已过期：有效期到 {invitation.valid_to}。", "invitation")
    start, end = estate.day_bounds(today)
    if Visit.select().where(Visit.invitation == invitation, Visit.time_in >= start,
                            Visit.time_in < end).exists():
        raise DomainError(USED_TODAY, "invitation")
    return invitation


def prefill_from_invitation(invitation):
    """Registration form values from an invitation (its code included)."""
    return {"name": invitation.name, "phone": invitation.phone,
            "unit": invitation.unit.label if invitation.unit else "",
            "purpose": invitation.purpose, "party_size": invitation.party_size,
            "plate": invitation.plate, "invitation": invitation.code}
