"""The renovations list reads each row's unit and building with the row (one query for the
list), not two more queries per renovation: 30 renovations cost what 3 do."""
import pytest

from tests.factories import renovation as make
from tests.factories.service import home
from wyapp.db import db
from wyapp.models import Building, Unit


def _statements(app, client, monkeypatch):
    with app.app_context():
        database = type(db.obj)
    statements, real = [], database.execute_sql

    def counting(self, sql, params=None, *args, **kwargs):
        statements.append(sql)
        return real(self, sql, params, *args, **kwargs)
    monkeypatch.setattr(database, "execute_sql", counting)
    assert client.get("/renovation/?tab=all").status_code == 200
    monkeypatch.setattr(database, "execute_sql", real)
    return len(statements)


@pytest.mark.clock
def test_the_list_costs_the_same_for_3_and_30_renovations(app, client, login, in_db,
                                                          monkeypatch):
    login("desk")
    with in_db():
        estate = home()
        units = [u.label for u in Unit.select().join(Building)
                 .where(Building.estate == estate).order_by(Unit.id).limit(30)]
        assert len(units) == 30
        for unit in units[:3]:
            make.application(estate, unit)
    few = _statements(app, client, monkeypatch)
    with in_db():
        for unit in units[3:]:
            make.application(estate, unit)
    assert _statements(app, client, monkeypatch) == few
