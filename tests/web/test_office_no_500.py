"""No 500 on the manager's office routes (dashboard, 周报, exports) with their records present:
tests/web/test_no_500.py's probe over the dashboard and exports blueprints, with a weekly
report, a plan item, last week's report with an item, its rollup rows and a queued export file
(each numbered 1 where a route opens it by id), on SQLite and PostgreSQL. test_no_500's own
sweep runs on a database without these records, so its id slots met only 404s."""
from datetime import timedelta

import pytest

from tests import factories
from tests.factories import dashboard as df
from tests.web.test_no_500 import ROLES, SWEPT, Probe, _distinct
from wyapp.dashboard import weekly as rules
from wyapp.exports.models import READY, ExportFile
from wyapp.models import Estate, User

pytestmark = pytest.mark.clock


@pytest.fixture
def office(app, in_db, now):
    """A report of last week (id 1) with a plan item (id 1), the week before's report with
    an item to mark (drafting them wrote the rollup rows), a manager's ready export (id 1)
    whose file is gone, a second estate with its own report and a guard."""
    with in_db():
        estate = df.aged(Estate.get(), now, days=40)
        manager = User.get(User.username == "manager")
        report = df.weekly_report(estate, now)
        monday = df.last_week(estate, now)
        rules.add_plan_item(report, "更换照明灯", "陈工", monday + timedelta(days=8), manager)
        before = df.weekly_report(estate, now, monday - timedelta(days=7))
        rules.add_plan_item(before, "清洗水箱", "陈工", monday + timedelta(days=2), manager)
        ExportFile.create(estate=estate, user=manager, name="work_orders", query="tab=all",
                          title="报修工单", filename="报修工单.xlsx", status=READY, rows=1,
                          key="exports/1/gone.xlsx", asked_at=now)
        other = factories.estate("别的小区", buildings=1, floors=1)
        df.weekly_report(df.aged(other, now, days=40), now)
        factories.user("other_guard", roles=["guard"], estates=[other])
        factories.user("no_estate", roles=["engineer", "desk", "guard"], estates=[])
    return app


@pytest.mark.parametrize("blueprint", ["dashboard", "exports"])
def test_every_hostile_value_reaches_every_office_route(office, client, blueprint):
    probe = Probe(office, client, blueprint)
    roles = [*ROLES, "no_estate"]
    probe.survey(roles)
    probe.sweep(roles, SWEPT)
    assert not probe.failures, "\n".join(map(repr, _distinct(probe.failures)))
