"""Service desk data layer: migrations on SQLite and PostgreSQL, the demo (idempotent, counted
back from the `now` it is given), periodic jobs, the archive's keys and record numbers."""
from datetime import timedelta

import pytest

from tests import factories
from tests.factories import service as sf
from wyapp import demo
from wyapp.cli import migration_groups
from wyapp.db import SchemaMigration, db, migrate
from wyapp.models import User
from wyapp.service import complaints as desk_rules
from wyapp.service.demo import create_demo
from wyapp.service.documents import record_key, record_label
from wyapp.service.models import Complaint, ComplaintEvent, WorkOrder, WorkOrderStep
from wyapp.service.orders import create_work_order
from wyapp.tasks import run_periodic


def test_service_tables_added_to_an_older_database(make_app, any_db_url):
    app = make_app(database_url=any_db_url)
    with app.app_context(), db.connection_context():
        # a database made before the service desk existed: only the other groups
        service = next(g for g in migration_groups() if g.name == "service")
        db.obj.drop_tables(service.models)
        SchemaMigration.delete().where(SchemaMigration.name.startswith("service:")).execute()
        assert "service:baseline" in migrate(migration_groups())
        assert migrate(migration_groups()) == []
        estate = factories.office()
        order = create_work_order(estate, source="设备巡检", description="水泵异响",
                                  reported_by=User.get(username="engineer"), place="水泵房",
                                  origin=("inspection_item", 42))
        assert WorkOrder.get(WorkOrder.origin_id == 42).id == order.id


def test_demo_is_idempotent_and_has_an_event_with_three_people(make_app):
    app = make_app(with_demo=True)
    with app.app_context(), db.connection_context():
        counts = (WorkOrder.select().count(), Complaint.select().count())
        demo.create(app.extensions["wyapp.features"])
        assert (WorkOrder.select().count(), Complaint.select().count()) == counts
        assert len({o.status for o in WorkOrder.select()}) >= 5
        event = ComplaintEvent.get()
        assert len({c.phone for c in event.complaints}) == 3


def test_demo_counts_back_from_the_now_it_is_given(in_db, now):
    """The demo never reads the clock: a year back, every record is a year back."""
    then = now - timedelta(days=365)
    with in_db():
        users = {u.username: u for u in User.select()}
        create_demo(sf.home(), users, then)
        newest = max(o.created_at for o in WorkOrder.select())
        assert newest == then - timedelta(hours=1)
        assert max(s.at for s in WorkOrderStep.select()) <= then
        assert max(c.received_at for c in Complaint.select()) <= then


def test_periodic_jobs_run_from_tick(app, in_db, now):
    with in_db():
        sf.work_order(now=now)
        handled = sf.complaint(now=now)
        desk_rules.handle(handled, sf.staff("desk"), reply="已处理", agreed=True, now=now)
        later = now + timedelta(days=30)
        results = run_periodic(later)
        assert results["service.alert_overdue_orders"] == 1
        assert results["service.alert_overdue_complaints"] == 0  # handled: no reply due
        assert results["service.auto_close_complaints"] == 0  # it needs a 回访
        again = run_periodic(later)
        assert again["service.alert_overdue_orders"] == 0


@pytest.mark.parametrize("key,shown", [("WO-12", "BX000012"), ("TS-7", "TS000007"),
                                       ("WO-x", "WO-x"), ("2026-06-01", "2026-06-01")])
def test_archive_keys_stay_internal_and_show_the_record_number(key, shown):
    assert record_label(key) == shown


def test_archive_key_of_a_record(in_db):
    with in_db():
        order, complaint = sf.work_order(), sf.complaint()
        assert record_key(order) == f"WO-{order.id}"
        assert record_key(complaint) == f"TS-{complaint.id}"
        assert record_label(record_key(order)) == order.code
