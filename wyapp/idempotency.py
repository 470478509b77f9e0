"""Writes that happen once: a form that creates a record stores one record per key.

A create form carries a key made when the form is shown (the hidden field
`idempotency_key`, from the `CreateOnce` mixin; a page in field mode sends the same key as
the `Idempotency-Key` header, static/js/field.js). The view makes the record through
`once(model, key, create)`: the new row and its key are stored in one transaction, the key
under a primary key, so a second POST with the key (a double tap, or Chromium re-sending a
POST whose answer was lost) gets the row the first one made and the view answers with the
same page. Two POSTs at the same moment are settled by the database: each claims the key
(inserts it) before making anything; the second claim waits for the first transaction, then
fails, and that request reads the winner's row without having made one of its own.

Why one table of keys and not a unique column on every created table: every create form,
in every feature, gets the rule without a migration of its own, and the gate's visits and
the patrol's scans (older, with their own key columns, checked by the offline queue) keep
theirs. Keys are random and made by the server, so they are not scoped in the table; the
row a key names must still match the caller's scope (its estate), or the key answers
nothing there.
"""
import re
import uuid

from flask import request
from peewee import CharField, DateTimeField, IntegerField, IntegrityError
from wtforms import HiddenField

from .db import BaseModel, MigrationGroup, db, utcnow
from .features import Feature

KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,80}$")  # as the offline queue's (offline.KEY_PATTERN)


class WriteOnce(BaseModel):
    """One create that happened: its key, the table and the id of the row it made."""
    key = CharField(max_length=80, primary_key=True)
    kind = CharField(max_length=60)  # the created row's table name
    row_id = IntegerField()
    made_at = DateTimeField(default=utcnow)  # naive UTC

    class Meta:
        table_name = "wyapp_write_once"


def new_key():
    """A fresh key (32 hex digits) for a form being shown."""
    return uuid.uuid4().hex


def clean_key(value):
    """The key as posted (header or field), or None when absent or not a key."""
    value = (value or "").strip() if isinstance(value, str) else ""
    return value if KEY.match(value) else None


class CreateOnce:
    """Mixin (put it before the BaseForm class) for a form that creates a record.

    Adds the hidden field `idempotency_key` (rendered by `form.hidden_tag()`), made fresh
    each time the form is shown and posted back as it was; it is left out of `form.data`.
    `form.once_key` is the key of this POST (the Idempotency-Key header first) or None."""
    idempotency_key = HiddenField(default=new_key, render_kw={"id": False})  # 2 forms, 1 page

    @property
    def data(self):
        data = super().data
        data.pop("idempotency_key", None)
        return data

    @property
    def once_key(self):
        posted = self.idempotency_key.raw_data or [None]
        return clean_key(request.headers.get("Idempotency-Key")) or clean_key(posted[0])

    def renew_key(self):
        """Give the form shown again after a success a new key (the next record is another)."""
        self.idempotency_key.data = new_key()


def earlier(model, key, *scope):
    """The `model` row an earlier create with `key` made, or None: the key is new, or it
    made a row of another kind, out of `scope` (e.g. `WorkOrder.estate == estate`: another
    estate's key says nothing of that estate's row) or since deleted."""
    if not key:
        return None
    mark = WriteOnce.get_or_none(WriteOnce.key == key)
    if mark is None or mark.kind != model._meta.table_name:
        return None
    return model.select().where(model._meta.primary_key == mark.row_id, *scope).first()


def once(model, key, create, *scope):
    """Make a `model` row at most once per key: returns (row, created).

    `create()` makes and returns the row (it may make others with it: they share its fate).
    With no key (an old page, a script) it simply runs, in a transaction. A key seen before
    returns the row it made (see `earlier`); a key spent on something this caller may not
    see is not this form's to answer, so the row is made afresh without it.

    A new key is claimed first (its row inserted before `create()` runs, in the same
    transaction as the row it will name), so a concurrent twin waits at its own claim until
    this transaction ends: committed, the twin's claim fails and it returns this row; rolled
    back (`create` refused), the twin goes on as if it were first. Twins never run `create`
    side by side, on SQLite (BEGIN IMMEDIATE) or PostgreSQL (READ COMMITTED: the unique key
    waits for the holder). What `create` raises passes through."""
    if not key:
        with db.atomic():
            return create(), True
    row = earlier(model, key, *scope)
    if row is not None:
        return row, False
    with db.atomic():  # the claim and the row it names: both or neither
        try:
            with db.atomic():
                WriteOnce.insert(key=key, kind=model._meta.table_name, row_id=0).execute()
        except IntegrityError:
            pass  # claimed before (and committed): read below, outside this transaction
        else:
            row = create()
            WriteOnce.update(row_id=row.id).where(WriteOnce.key == key).execute()
            return row, True
    row = earlier(model, key, *scope)
    if row is not None:
        return row, False
    with db.atomic():  # the key names a row out of this caller's scope: not this form's
        return create(), True


feature = Feature(name="once", migrations=MigrationGroup("once", [WriteOnce]))
