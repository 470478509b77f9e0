"""No 500 on the renovation routes, whatever is sent: tests/web/test_no_500.py's probe (every
route, as each role, with one hostile value of each kind in its path, query and every form
field, and ids past 2^63) run over the renovation blueprint, with one renovation in each
state numbered from 1, on SQLite and PostgreSQL. This is the only sweep of the blueprint
(test_no_500 lists it in PROBED_ELSEWHERE); the database also holds test_no_500's records."""
from datetime import timedelta

import pytest

from tests import factories
from tests.factories import renovation as make
from tests.factories.service import staff
from tests.web.test_no_500 import ROLES, SWEPT, Probe, _distinct, _record, _records
from wyapp.models import Estate
from wyapp.renovation import flow, inspections

pytestmark = pytest.mark.clock


@pytest.fixture
def renovations(app, in_db, now):
    """test_no_500's records; a renovation under way with a violation and an extension asked
    (id 1), one waiting for approval, one finished; a second estate and a user with none."""
    with in_db():
        estate = Estate.get()
        _records(estate, now)
        working = make.approved(estate, "1-101", now=now)
        inspections.record(working, "巡查", staff("engineer"), now,
                           make.answers(estate, "巡查", {"消防": "堵塞通道"}),
                           estate.today(now) + timedelta(days=2))
        flow.request_extension(working, staff("desk"), now,
                               working.end_date + timedelta(days=5), "材料未到")
        make.application(estate, "1-102", now=now)
        done = make.approved(estate, "1-201", now=now)
        flow.request_acceptance(done, staff("desk"), now)
        inspections.record(done, "验收", staff("supervisor"), now, make.answers(estate, "验收"))
        other = factories.estate("别的小区", buildings=1, floors=1)
        factories.user("other_guard", roles=["guard"], estates=[other])
        factories.user("no_estate", roles=["engineer", "desk", "guard"], estates=[])
    return app


def test_every_hostile_value_reaches_every_renovation_route(renovations, client):
    probe = Probe(renovations, client, "renovation")
    roles = [*ROLES, "no_estate"]
    probe.survey(roles)
    probe.sweep(roles, SWEPT)
    _record("postgres" if "postgres" in renovations.config["DATABASE_URL"] else "sqlite",
            probe)
    assert len(probe.rules) >= 15
    assert not probe.failures, "\n".join(map(repr, _distinct(probe.failures)))
