"""No 500 on the manager's office routes (dashboard, 周报, exports) with their records present:
tests/web/test_no_500.py's probe over the dashboard and exports blueprints, with a weekly
report, a plan item, last week's report with an item, its rollup rows and a queued export file
(each numbered 1 where a route opens it by id), on SQLite and PostgreSQL. test_no_500's own
sweep runs on a database without these records, so its id slots met only 404s. This is the
only sweep of these two blueprints (test_no_500 lists them in PROBED_ELSEWHERE): the office
also holds test_no_500's records (a round, a sheet, a work order, a visit …), so the lists
and exports render rows as they did there."""
from datetime import timedelta

import pytest

from tests import factories
from tests.factories import dashboard as df
from tests.web.test_no_500 import ROLES, SWEPT, Probe, _distinct, _record, _records
from wyapp.dashboard import weekly as rules
from wyapp.exports.models import READY, ExportFile
from wyapp.models import Estate, User

pytestmark = pytest.mark.clock


@pytest.fixture
def filed_html_only(monkeypatch):
    """The archive files 审核 reports with the page's HTML rendered (template and data, as in
    the real filing) but no WeasyPrint layout: each value the sweep sends signs the report
    again (更正, then 审核), and each signing filed a new PDF/A version (~0.7 s of CPU, 25 a
    database). The filing runs in huey's immediate mode, which logs a task's exception
    instead of raising it, so those renders could never fail this test; the weekly report's
    PDF/A is read back by test_dashboard_weekly. Returns the list of rendered templates."""
    from wyapp import documents
    from wyapp.archive import services

    rendered = []

    def html_only(template, *, pdf_variant=None, attachments=None, **context):
        documents.printable_text(documents.render_html(template, **context))
        rendered.append(template)
        return b"%PDF-1.7\n% html only (test_office_no_500)\n%%EOF\n"

    monkeypatch.setattr(services, "render_pdf", html_only)
    return rendered


@pytest.fixture
def office(app, in_db, now, filed_html_only):
    """test_no_500's records; a report of last week (id 1) with a plan item (id 1), the week
    before's report with an item to mark (drafting them wrote the rollup rows), a manager's
    ready export (id 1) whose file is gone, a second estate with its own report and a guard."""
    with in_db():
        estate = df.aged(Estate.get(), now, days=40)
        _records(estate, now)
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
def test_every_hostile_value_reaches_every_office_route(office, client, blueprint,
                                                        filed_html_only):
    probe = Probe(office, client, blueprint)
    roles = [*ROLES, "no_estate"]
    probe.survey(roles)
    probe.sweep(roles, SWEPT)
    _record("postgres" if "postgres" in office.config["DATABASE_URL"] else "sqlite", probe)
    if blueprint == "dashboard":  # 审核 was reached and filed the report
        assert "dashboard/weekly_pdf.html" in filed_html_only
    assert not probe.failures, "\n".join(map(repr, _distinct(probe.failures)))
