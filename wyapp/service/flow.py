"""What work orders and complaints share: the step machine (Flow), who counts as desk or
supervisor, text limits, the timeline and the link a notification carries.

Each record's status is the last step done. A step checks the status it starts from and who
may take it, moves the status only from the status it saw (a second click or another user's
step in between is refused, not applied twice) and adds a line to the record's timeline.
"""
from flask import url_for
from peewee import JOIN

from ..errors import DomainError, NotAllowed
from ..models import User
from .models import SATISFACTION

SUPERVISORS = ("supervisor", "manager")
DESK = ("desk", "supervisor", "manager")
MAX_TEXT = 2000


class Flow:
    """The steps of one kind of record: which step may follow which status, who may take it,
    and how each step is written (status moved only from the status seen, timeline line).

    rules: {step: (statuses it may follow, who-key)}; who: {who-key: Chinese refusal};
    may(user, record, step) -> bool; log(record, step, actor, at, note) writes the timeline
    line; next_status(record, step) -> the status after `step` unless the step says."""

    def __init__(self, noun, rules, who, may, log, next_status):
        self.noun, self.rules, self.who, self.may = noun, rules, who, may
        self.log, self.next_status = log, next_status

    def refusal(self, step):
        """The Chinese sentence a user who may not take `step` reads (the 403's text)."""
        return self.who[self.rules[step][1]]

    def steps_for(self, user, record):
        """The steps this user can take on this record now: the page shows only these."""
        return [step for step, (after, _) in self.rules.items()
                if record.status in after and self.may(user, record, step)]

    def advance(self, record, step, by, now, note="", new_status=None, **fields):
        """Take `step` on `record` as user `by` at `now` (naive UTC), setting `fields` too.

        Raises NotAllowed when `by` may not take it, DomainError when the record's status
        does not allow it or another user moved it first. Call inside db.atomic()."""
        after, _ = self.rules[step]
        if not self.may(by, record, step):
            raise NotAllowed(self.refusal(step))
        if record.status not in after:
            raise DomainError(f"{self.noun}当前为“{record.state}”，不能{step}。")
        status = new_status or self.next_status(record, step)
        model = type(record)
        changed = (model.update(status=status, **fields)
                   .where(model.id == record.id, model.status == record.status).execute())
        if not changed:
            raise DomainError(f"{self.noun}状态已被他人更新，请刷新后再试。")
        record.status = status
        for name, value in fields.items():
            setattr(record, name, value)
        self.log(record, step, by, now, note)
        return record


def clean(value, label, limit, required=False, field=None):
    """`value` stripped; DomainError on `field` when required and empty or over `limit`."""
    value = (value or "").strip()
    if required and not value:
        raise DomainError(f"请填写{label}。", field)
    if len(value) > limit:
        raise DomainError(f"{label}不能超过 {limit} 个字。", field)
    return value


def visit_note(satisfaction, comment):
    """A 回访's timeline line (满意/基本满意/不满意 and the comment), and the cleaned comment."""
    if satisfaction not in SATISFACTION:
        raise DomainError("请选择满意度。", "satisfaction")
    comment = clean(comment, "回访意见", 500, field="comment")
    return satisfaction + (f"：{comment}" if comment else ""), comment


def row_id(value):
    """`value` when it can be a row's id (an int, 1 … 2^63 − 1), else None: a form may send
    any number, and SQLite cannot even compare one beyond 64 bits."""
    return value if isinstance(value, int) and 0 < value < 2**63 else None


def among(staff, user):
    """Whether `user` is in a User.with_role() query (its ORDER BY cleared: PostgreSQL
    refuses DISTINCT with an ORDER BY column not selected, as exists() selects only 1)."""
    return staff.where(User.id == user.id).order_by().exists()


def timeline(step_model, owner_field, record):
    """A record's timeline, oldest first, as plain rows {step, actor, at (naive UTC), note,
    materials ('' but on a work order's 完工)}; the actor of a step the system took is 系统."""
    steps = (step_model.select(step_model, User)
             .join(User, on=step_model.actor, join_type=JOIN.LEFT_OUTER)
             .where(owner_field == record).order_by(step_model.at, step_model.id))
    return [{"step": s.step, "actor": s.actor.display_name if s.actor_id else "系统",
             "at": s.at, "note": s.note, "materials": getattr(s, "materials", "")}
            for s in steps]


def link(endpoint, fallback, **args):
    """The record's page for a notification; outside a request (CLI, worker, periodic job)
    the relative path `fallback`, which still works from the app."""
    try:
        return url_for(endpoint, **args)
    except RuntimeError:
        return fallback
