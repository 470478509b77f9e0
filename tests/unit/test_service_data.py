"""Service desk data layer: migrations on SQLite and PostgreSQL, demo idempotent, periodic jobs."""
from datetime import timedelta

from wyapp import demo
from wyapp.cli import migration_groups
from wyapp.db import SchemaMigration, db, migrate, utcnow
from wyapp.models import CORE, Estate, User
from wyapp.service import create_work_order
from wyapp.service.models import Complaint, ComplaintEvent, WorkOrder
from wyapp.tasks import run_periodic


def test_service_tables_added_to_an_older_database(make_app, any_db_url):
    app = make_app(database_url=any_db_url, with_demo=False)
    with app.app_context(), db.connection_context():
        # a database made before the service desk existed: only the other groups
        service = next(g for g in migration_groups() if g.name == "service")
        db.obj.drop_tables(service.models)
        SchemaMigration.delete().where(SchemaMigration.name.startswith("service:")).execute()
        assert "service:baseline" in migrate(migration_groups())
        assert migrate(migration_groups()) == []
        demo.create(app.extensions["wyapp.features"])
        estate = Estate.get(name="示范花园")
        order = create_work_order(estate, source="设备巡检", description="水泵异响",
                                  reported_by=User.get(username="engineer"), place="水泵房",
                                  origin=("inspection_item", 42))
        assert WorkOrder.get(WorkOrder.origin_id == 42).id == order.id
        assert CORE.name == "core"


def test_demo_is_idempotent_and_has_an_event_with_three_people(app):
    with app.test_request_context(), db.connection_context():
        counts = (WorkOrder.select().count(), Complaint.select().count())
        demo.create(app.extensions["wyapp.features"])
        assert (WorkOrder.select().count(), Complaint.select().count()) == counts
        assert len({o.status for o in WorkOrder.select()}) >= 5
        event = ComplaintEvent.get()
        assert len({c.phone for c in event.complaints}) == 3


def test_periodic_jobs_run_from_tick(app):
    with app.test_request_context(), db.connection_context():
        results = run_periodic(utcnow() + timedelta(days=30))
        assert results["service.alert_overdue_orders"] >= 1
        assert results["service.auto_close_complaints"] == 0  # demo ones need a 回访
        again = run_periodic(utcnow() + timedelta(days=30))
        assert again["service.alert_overdue_orders"] == 0
