"""The plan check: no page a role opens daily reads a history table from end to end.

Every page of bench/plans.py DAILY (each role's home, the patrol board and reports, the
gate's pages, today's inspection board and a sheet, meters, the work-order and complaint
lists, 日盘点 and the monthly statistics, notifications, archive search, the dashboard) and
the three all-day writes (a patrol scan, a visitor's registration, the periodic tick) run on
the demo; each statement they send is explained (SQLite: EXPLAIN QUERY PLAN, planned as for
a million rows a table; PostgreSQL: EXPLAIN with enable_seqscan off) and a full read of a
history table (scans, rounds, visits, vehicle entries, work orders, complaints, sheets and
answers, meter readings, notifications, archive documents…) fails the test, naming the
page, the statement and its plan. The same check runs at scale in bench/scale.py.
"""
from datetime import timedelta

import pytest

from bench.plans import DAILY, explain_all, fill, recording
from tests.factories import inspection as inspection_factories
from wyapp import demo
from wyapp.db import db
from wyapp.inspection.models import Plan, Sheet
from wyapp.labels import Label
from wyapp.models import Estate
from wyapp.tasks import run_periodic


def visit_form(name):
    return {"name": name, "phone": "13912345678", "unit": "1-101", "host": "",
            "purpose": "探亲访友", "party_size": "2", "plate": "", "id_number": "", "note": ""}


@pytest.fixture
def demo_data(app, in_db, now):
    """The demo as of `now`, plus a sheet of today's first inspection plan; returns the
    values DAILY's placeholders need and a checkpoint label's token."""
    with in_db():
        demo.create(app.extensions["wyapp.features"], now)
        estate = Estate.get(Estate.name == "示范花园")
        sheet = Sheet.select().where(Sheet.estate == estate).first()
        if sheet is None:
            plan = Plan.select().where(Plan.estate == estate, Plan.active).first()
            sheet = inspection_factories.sheet(plan, estate.today(now))
        token = Label.get(Label.kind == "checkpoint", Label.estate == estate,
                          Label.retired_at.is_null()).token
        month = f"{estate.today(now):%Y-%m}"
    return {"sheet": sheet.id, "month": month}, token


def _failures(page, explained):
    return [f"{page}: full read of {', '.join(tables)}\n  SQL: {sql}\n  plan:\n    "
            + "\n    ".join(lines)
            for sql, _, lines, tables in explained if tables]


def test_daily_pages_read_history_through_indexes(app, client, login, in_db, demo_data, now):
    data, token = demo_data
    database = db.obj
    failures, pages, done = [], 0, set()  # each distinct statement is explained once
    for role in sorted({role for role, _ in DAILY}):
        login(role)
        for _, url in [(r, u) for r, u in DAILY if r == role]:
            page = fill(url, data)
            with recording(database) as seen:
                response = client.get(page)
            if response.status_code == 404 and page.startswith("/dashboard"):
                continue  # the dashboard is not enabled
            assert response.status_code == 200, (role, page, response.status_code)
            with in_db():
                failures += _failures(f"{role} {page}", explain_all(database, seen, done))
            pages += 1
    login("guard")
    with recording(database) as seen:
        response = client.post(f"/c/{token}", headers={"Idempotency-Key": "plan-check-0001"})
    assert response.status_code == 200 and "打卡成功" in response.text
    with in_db():
        failures += _failures("POST scan", explain_all(database, seen, done))
    login("gate")
    with recording(database) as seen:
        response = client.post("/gate/", data=visit_form("计划检查"))
    assert response.status_code == 302
    with in_db():
        failures += _failures("POST visitor", explain_all(database, seen, done))
    with in_db(), recording(database) as seen:
        run_periodic(now + timedelta(minutes=1))
    with in_db():
        failures += _failures("tick", explain_all(database, seen, done))
    assert pages >= len(DAILY) - 1
    assert not failures, "\n\n".join(failures)
