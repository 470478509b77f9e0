"""One open renovation per unit, under real concurrency: two desks send an application for
the same unit at the same moment, each request in its own thread with its own database
connection (the app served on a free port, as tests/web/test_races.py does), on SQLite and
PostgreSQL. One renovation is made; the other desk reads why, beside the unit; no 5xx."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from tests import factories
from tests.factories import renovation as make
from tests.web.test_races import Phone
from wyapp.db import db, utcnow
from wyapp.models import Estate, Unit
from wyapp.renovation.models import Renovation

pytestmark = pytest.mark.clock


def _form(estate, key, owner):
    start = estate.today(utcnow()) + timedelta(days=1)
    return [("unit", "2-301"), ("owner_name", owner), ("owner_phone", "13800001111"),
            ("company", "美居装饰"), ("company_person", "周经理"),
            ("company_phone", "13700002222"), ("planned_start", start.isoformat()),
            ("planned_end", (start + timedelta(days=20)).isoformat()),
            ("scope", "水电改造"), ("idempotency_key", key)]


def _at_once(calls):
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        return call()
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_two_desks_applying_for_one_unit_at_once_make_one(app, served):
    with app.app_context(), db.connection_context():
        estate = Estate.get()
        factories.user("desk2", roles=("desk",), estates=[estate])
        forms = [_form(estate, "key-desk-one-0001", "甲业主"),
                 _form(estate, "key-desk-two-0002", "乙业主")]
    desks = [Phone(served, "desk"), Phone(served, "desk2")]
    answers = _at_once([lambda d=d, f=f: d.post("/renovation/new", f)
                        for d, f in zip(desks, forms, strict=True)])
    assert all(status < 500 for status, _, _ in answers), answers
    assert sorted(status for status, _, _ in answers) == [302, 422]
    refused = next(body for status, _, body in answers if status == 422)
    assert "该房号已有未结束的装修" in refused
    with app.app_context(), db.connection_context():
        assert Renovation.select().count() == 1


def test_the_same_form_sent_twice_at_once_makes_one(app, served):
    with app.app_context(), db.connection_context():
        form = _form(Estate.get(), "key-same-form-0003", "甲业主")
    desk = Phone(served, "desk")
    answers = _at_once([lambda: desk.post("/renovation/new", form)] * 2)
    assert all(status < 500 for status, _, _ in answers), answers
    assert any(status == 302 for status, _, _ in answers)
    with app.app_context(), db.connection_context():
        assert Renovation.select().count() == 1


def test_two_connections_applying_in_the_domain_call_make_one(app):
    """Below the pages: two threads, each with its own connection and transaction, call
    apply() for one unit; the unique open_unit lets one commit."""
    with app.app_context(), db.connection_context():
        estate = Estate.get()
        unit_id = Unit.find(estate, "3-101").id
    from wyapp.errors import DomainError

    def one(owner):
        with app.app_context(), db.connection_context():
            try:
                with db.atomic():
                    estate = Estate.get()
                    make.application(estate, "3-101", owner_name=owner)
                return "made"
            except DomainError as error:
                return error.message
    results = _at_once([lambda: one("甲"), lambda: one("乙")])
    assert sorted(r[:4] for r in results) == ["made", "该房号已"], results
    with app.app_context(), db.connection_context():
        assert Renovation.select().where(Renovation.open_unit == unit_id).count() == 1
