"""Prepared queries: the SQL built once gives what the plain peewee query gives."""
from datetime import datetime

from peewee import JOIN

from wyapp.db import Prepared, db
from wyapp.models import Estate, User, UserRole


def test_prepared_query_runs_like_the_plain_one(make_app, any_db_url):
    app = make_app(any_db_url)
    users = Prepared(lambda ids, since: User.select(User, UserRole.role)
                     .join(UserRole, JOIN.LEFT_OUTER)
                     .where(User.id.in_(ids), User.created_at > since, User.active)
                     .order_by(User.id, UserRole.role).objects())
    with app.app_context(), db.connection_context():
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
