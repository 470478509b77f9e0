"""关注名单: people and plates a supervisor asked the gate to watch for.

A match never blocks: it warns the guard on the form and alerts the estate's supervisors and
managers. ID numbers are kept only as a hash (matched, never shown) and a masked copy.
"""
import hashlib

from flask import has_request_context, url_for

from ..db import db
from ..errors import DomainError
from ..models import User, notify
from .models import WatchEntry
from .validators import mask_id


def hash_id(number):
    """The sha256 (hex) of an ID number, or "" for none."""
    return hashlib.sha256(number.encode()).hexdigest() if number else ""


def add_watch(estate, user, *, name="", phone="", id_number="", plate="", reason):
    """A new active entry of `estate` added by `user`; values already cleaned by the form.
    Raises DomainError (on "name") when none of name, phone, ID number and plate is given."""
    if not (name or phone or id_number or plate):
        raise DomainError("姓名、手机号、身份证号、车牌号至少填写一项。", "name")
    with db.atomic():
        return WatchEntry.create(estate=estate, name=name, phone=phone, plate=plate,
                                 id_hash=hash_id(id_number), id_masked=mask_id(id_number),
                                 reason=reason, created_by=user)


def watch_matches(estate, *, name="", phone="", id_number="", plate=""):
    """Active watchlist entries of `estate` matching any of the given values (a list)."""
    conditions = [(WatchEntry.name, name), (WatchEntry.phone, phone),
                  (WatchEntry.id_hash, hash_id(id_number)), (WatchEntry.plate, plate)]
    clause = None
    for column, value in conditions:
        if value:
            clause = (column == value) if clause is None else (clause | (column == value))
    if clause is None:
        return []
    return list(WatchEntry.select().where(WatchEntry.estate == estate, WatchEntry.active,
                                          clause))


def alert_watch_hit(estate, hits, where, who):
    """Tell the estate's supervisors and managers; `who` is already masked."""
    notify(User.with_role(estate, "supervisor", "manager"), estate, "watchlist",
           f"关注名单提醒：{where} {who}", f"原因：{describe_watch(hits)}",
           url_for("gate.on_site") if has_request_context() else "")


def describe_watch(hits):
    """The reasons of the matched entries, as one sentence for the guard."""
    return "；".join(h.reason for h in hits)
