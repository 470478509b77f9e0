"""The gate's data layer on SQLite and PostgreSQL: migration, registration with an
idempotency key, the unique key, purge and the daily log."""
from datetime import date, datetime, timedelta

import pytest
from peewee import IntegrityError

from wyapp.cli import migration_groups
from wyapp.db import db, migrate
from wyapp.gate import privacy, reports, visits
from wyapp.gate.models import Visit
from wyapp.models import Estate, User

T0 = datetime(2026, 3, 10, 2, 0)


def test_gate_data_layer(in_db):
    with in_db():
        assert migrate(migration_groups()) == []  # the gate group is already at baseline
        estate, gate = Estate.get(name="示范花园"), User.get(username="gate")
        data = {"name": "王小明", "phone": "13912345678", "unit": "1号楼-101", "host": "",
                "purpose": "探亲访友", "party_size": 2, "plate": "粤BD12345",
                "id_number": "440306199003071232", "note": "", "invitation": ""}
        visit, created, _ = visits.register_visit(estate, gate, data, now=T0,
                                                    idempotency_key="key-1")
        again, created_again, _ = visits.register_visit(estate, gate, data, now=T0,
                                                          idempotency_key="key-1")
        assert created and not created_again and again.id == visit.id
        with pytest.raises(IntegrityError), db.atomic():
            Visit.create(estate=estate, purpose="其他", idempotency_key="key-1")
        assert visits.phone_history(estate, "13912345678")[0].id == visit.id
        log = reports.daily_visitor_log(estate, date(2026, 3, 10))
        assert log["total"] == 1 and log["visits"][0]["id_number"] == "440***********1232"
        assert log["vehicles"]["visitor"] == 1
        result = privacy.purge_personal_data(T0 + timedelta(days=181))
        assert result["示范花园"]["visits"] == 1
        assert Visit.get_by_id(visit.id).phone == ""
        assert reports.daily_visitor_log(estate, date(2026, 3, 10))["total"] == 1
