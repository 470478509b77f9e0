"""The engineering duty log (值班记录): one engineer on duty at a time, events during the
shift, handover notes when it ends, and the next engineer's 接班确认 that starts theirs."""
from peewee import IntegrityError

from ..db import db, utcnow
from ..errors import DomainError
from .models import DutyEvent, DutyShift


def on_duty(estate):
    """The open shift of the estate (not yet handed over), or None."""
    return (DutyShift.select().where(DutyShift.estate == estate, DutyShift.ended_at.is_null())
            .order_by(DutyShift.started_at.desc()).first())


def awaiting_confirmation(estate):
    """The last handed-over shift nobody has confirmed yet, or None."""
    return (DutyShift.select().where(DutyShift.estate == estate,
                                     DutyShift.ended_at.is_null(False),
                                     DutyShift.confirmed_at.is_null())
            .order_by(DutyShift.ended_at.desc()).first())


def take_over(estate, user, now=None):
    """接班 at `now` (naive UTC; default the clock): confirm the pending handover (if any)
    and start `user`'s shift; returns it. When `user` is already on duty (a second tap, or
    four at once) returns that shift. Raises DomainError while someone else is on duty.

    The rule is the database's (index duty_shift_one_open): of concurrent takes, one
    inserts; the others' inserts fail, their savepoint is rolled back and they read it."""
    now = now or utcnow()
    try:
        with db.atomic():  # SQLite: the write lock first, so the check sees the last take
            current = on_duty(estate)
            if current is None:
                handed = awaiting_confirmation(estate)
                if handed is not None:
                    handed.confirmed_by, handed.confirmed_at = user, now
                    handed.save()
                return DutyShift.create(estate=estate, engineer=user, started_at=now)
    except IntegrityError:
        current = on_duty(estate)
        if current is None:
            raise
    if current.engineer_id == user.id:
        return current
    raise DomainError(f"{current.engineer.display_name} 正在值班，请等其交班后再接班。")


def add_event(shift, user, text, now=None):
    """An event of the open `shift` recorded by `user` at `now` (naive UTC; default the
    clock). Raises DomainError (field "text") for empty or over-long text, or a shift over."""
    text = (text or "").strip()
    if not text:
        raise DomainError("请填写事件内容。", "text")
    if len(text) > 500:
        raise DomainError("事件内容不能超过 500 个字。", "text")
    if shift.ended_at is not None:
        raise DomainError("这个班次已经交班。", "text")
    return DutyEvent.create(shift=shift, text=text, recorded_by=user,
                            happened_at=now or utcnow())


def hand_over(shift, user, pending, equipment_status, now=None):
    """交班 at `now` (naive UTC; default the clock): the on-duty engineer writes what is
    pending and how the equipment runs. Returns the shift. Raises DomainError (naming the
    field) when `user` is not on this shift, it is over, or the equipment status is empty."""
    if shift.engineer_id != user.id:
        raise DomainError("只有当班工程师可以交班。", "pending")
    if shift.ended_at is not None:
        raise DomainError("这个班次已经交班。", "pending")
    if not equipment_status.strip():
        raise DomainError("请填写设备运行情况。", "equipment_status")
    shift.pending, shift.equipment_status = pending.strip(), equipment_status.strip()
    shift.ended_at = now or utcnow()
    with db.atomic():
        shift.save()
    return shift


CLAUSE_END = "。；;，,、 \n"


def join_clauses(*parts):
    """Sentences or clauses typed by people → one line: each part's own closing punctuation
    dropped, joined by "；", ended by "。" ("正常。", "未完成：无。" → "正常；未完成：无。"). Empty
    parts are left out; nothing at all → ""."""
    kept = [p.strip().rstrip(CLAUSE_END) for p in parts if p and p.strip().rstrip(CLAUSE_END)]
    return "；".join(kept) + "。" if kept else ""


def handover_text(shift):
    """A handed-over shift in one line: 设备：…；未完成：…。 (no "。；" between them)."""
    return join_clauses(f"设备：{shift.equipment_status}",
                        f"未完成：{shift.pending}" if shift.pending.strip() else "")


def recent_shifts(estate, limit=20):
    """The estate's last `limit` shifts, newest first."""
    return (DutyShift.select().where(DutyShift.estate == estate)
            .order_by(DutyShift.started_at.desc()).limit(limit))
