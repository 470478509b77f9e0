"""Goods release (大宗物品放行): slips issued by the desk for one day, used once at the gate."""
import re

from ..db import db, utcnow
from ..errors import DomainError
from ..models import Unit
from .invitations import new_code
from .models import ReleaseSlip, SlipItem


def parse_items(text):
    """One item a line: “沙发 2”, “冰箱×1” or just “书桌” (quantity 1)."""
    items = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        match = re.fullmatch(r"(.+?)\s*[x×X*]?\s*(\d{1,4})\s*(?:件|个|台|张|箱|套|把|只)?", line)
        name, quantity = (match.group(1).strip(), int(match.group(2))) if match else (line, 1)
        if len(name) > 60:
            raise DomainError("每件物品名称不能超过 60 个字。", "items")
        if quantity < 1:
            raise DomainError(f"“{name}”的数量应大于 0。", "items")
        items.append((name, quantity))
    if not items:
        raise DomainError("请填写放行物品，每行一件，例如：沙发 1。", "items")
    if len(items) > 50:
        raise DomainError("一张放行条最多 50 行物品。", "items")
    return items


def issue_slip(estate, user, data):
    """A new slip from cleaned form values (unit text, applicant, items text, valid_on: an
    estate date, approved_by, note). Raises DomainError on the field (unit, items)."""
    unit = Unit.find(estate, data["unit"])
    if unit is None:
        raise DomainError("请填写房号，例如 1-101。", "unit")
    items = parse_items(data["items"])
    with db.atomic():
        slip = ReleaseSlip.create(estate=estate, code=new_code(ReleaseSlip), unit=unit,
                                  applicant=data["applicant"], valid_on=data["valid_on"],
                                  approved_by=data["approved_by"], note=data.get("note", ""),
                                  issued_by=user)
        SlipItem.insert_many([{"slip": slip, "name": n, "quantity": q} for n, q in items]) \
            .execute()
    return slip


def slip_problem(slip, now):
    """Why a slip cannot be used at `now` (naive UTC; its day is the estate's), or None."""
    if slip.used_at is not None:
        return "这张放行条已经使用过（一张只能放行一次）。"
    today = slip.estate.today(now)
    if today < slip.valid_on:
        return f"这张放行条还未到有效日期（{slip.valid_on}）。"
    if today > slip.valid_on:
        return f"这张放行条已过期（有效日期 {slip.valid_on}）。"
    return None


def release_goods(slip, user, note="", now=None):
    """确认放行 at `now` (naive UTC): once, on its day. Raises DomainError saying why not."""
    now = now or utcnow()
    problem = slip_problem(slip, now)
    if problem:
        raise DomainError(problem)
    with db.atomic():
        updated = (ReleaseSlip.update(used_at=now, used_by=user, exit_note=note)
                   .where(ReleaseSlip.id == slip.id, ReleaseSlip.used_at.is_null()).execute())
    if not updated:
        raise DomainError("这张放行条已经使用过（一张只能放行一次）。")
    return ReleaseSlip.get_by_id(slip.id)


def find_slips(estate, query):
    """Slips by code or unit: the guard types what is on the paper or the unit."""
    query = re.sub(r"\s", "", query or "")[:40]
    if not query:
        return []
    slips = ReleaseSlip.select().where(ReleaseSlip.estate == estate)
    by_code = slips.where(ReleaseSlip.code == query.upper())
    if by_code.exists():
        return list(by_code)
    try:
        unit = Unit.find(estate, query)
    except DomainError:
        return []
    if unit is None:
        return []
    return list(slips.where(ReleaseSlip.unit == unit)
                .order_by(ReleaseSlip.valid_on.desc(), ReleaseSlip.id.desc()).limit(10))
