"""Complaint root-cause categories (分类, by the final cause, not the complainant's wording)
and events (事件: one matter many complaints are about, counted once in the statistics)."""
from ..db import db
from ..errors import DomainError
from .flow import clean, row_id
from .models import DEFAULT_CAUSES, ComplaintCause, ComplaintEvent


def causes_of(estate):
    """The estate's root-cause categories, seeded with the office's own on first use."""
    query = (ComplaintCause.select().where(ComplaintCause.estate == estate)
             .order_by(ComplaintCause.position, ComplaintCause.id))
    if not query.exists():
        with db.atomic():
            for position, name in enumerate(DEFAULT_CAUSES):
                ComplaintCause.get_or_create(estate=estate, name=name,
                                             defaults={"position": position})
    return query


def add_cause(estate, name):
    """A new root-cause category at the end of the list; DomainError when it exists."""
    name = clean(name, "分类名称", 20, required=True, field="name")
    if ComplaintCause.select().where(ComplaintCause.estate == estate,
                                     ComplaintCause.name == name).exists():
        raise DomainError("已有这个分类。", "name")
    position = causes_of(estate).count()
    return ComplaintCause.create(estate=estate, name=name, position=position)


def toggle_cause(cause):
    """Categories are never deleted (old complaints keep theirs); an unused one is hidden."""
    cause.active = not cause.active
    cause.save()
    return cause


def cause_by_id(estate, cause_id):
    """The root-cause category of `estate` with this id, or None (未分类)."""
    return ComplaintCause.get_or_none(ComplaintCause.id == row_id(cause_id),
                                      ComplaintCause.estate == estate)


def event_by_id(estate, event_id):
    """The event (事件) of `estate` with this id, or None (not part of an event)."""
    return ComplaintEvent.get_or_none(ComplaintEvent.id == row_id(event_id),
                                      ComplaintEvent.estate == estate)


def open_events(estate, limit=50):
    """The estate's latest events (事件), newest first, to file a complaint under."""
    return (ComplaintEvent.select().where(ComplaintEvent.estate == estate)
            .order_by(ComplaintEvent.created_at.desc()).limit(limit))
