"""Prepared queries: the SQL built once gives what the plain peewee query gives."""
from datetime import datetime

from peewee import JOIN

from wyapp.db import Prepared
from wyapp.labels import Label
from wyapp.models import Estate, User, UserRole


def test_prepared_query_runs_like_the_plain_one(in_db):
    users = Prepared(lambda ids, since: User.select(User, UserRole.role)
                     .join(UserRole, JOIN.LEFT_OUTER)
                     .where(User.id.in_(ids), User.created_at > since, User.active)
                     .order_by(User.id, UserRole.role).objects())
    with in_db():
        ids = [u.id for u in User.select().order_by(User.id)]
        since = datetime(2000, 1, 1)
        plain = list(User.select(User, UserRole.role).join(UserRole, JOIN.LEFT_OUTER)
                     .where(User.id.in_(ids[:3]), User.created_at > since, User.active)
                     .order_by(User.id, UserRole.role).objects())
        for _ in range(2):  # built once, then reused
            rows = users(ids[:3], since)
            assert [(u.id, u.username, u.role) for u in rows] == \
                [(u.id, u.username, u.role) for u in plain]
        assert {u.id for u in users(ids[:2], since)} == set(ids[:2])  # another list length
        assert users(ids, datetime(2999, 1, 1)) == []
        estate = Prepared(lambda e: Estate.select().where(Estate.id == e).limit(1))
        assert estate.first(Estate.get().id).name == "示范花园"
        assert estate.first(-1) is None


def test_prepared_tuples_and_insert_give_what_peewee_gives(in_db):
    """The tuple rows (kept converters: a datetime, a NULL) and an INSERT's new id, on the
    first call and on the calls that reuse the kept SQL."""
    add = Prepared(lambda estate, kind, target, token, at: Label.insert(
        estate=estate, kind=kind, target_id=target, token=token, created_at=at,
        retired_at=None))
    read = Prepared(lambda token: Label.select(
        Label.id, Label.created_at, Label.retired_at, Label.kind).where(Label.token == token)
        .tuples())
    with in_db():
        estate = Estate.get()
        for n in range(3):
            at = datetime(2026, 11, 25, 8, n, 30, 250000)
            new_id = add(estate.id, "thing", 40 + n, f"prepared-{n}", at)
            stored = Label.get(Label.token == f"prepared-{n}")
            assert new_id == stored.id and stored.created_at == at
            plain = list(Label.select(Label.id, Label.created_at, Label.retired_at, Label.kind)
                         .where(Label.token == f"prepared-{n}").tuples())
            assert read(f"prepared-{n}") == plain == [(stored.id, at, None, "thing")]
        assert read("no such token") == []
