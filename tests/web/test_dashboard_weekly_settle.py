"""周报 drafted at 00:10 on Monday (estate time) while Sunday has not settled: the round that
began at 23:30 on Sunday is still being walked, its scan comes at 00:20. Once Sunday has
settled (12 h after its midnight, as for the daily rollup) the periodic job compiles the
untouched draft again, so the report shows Sunday as the rollup does; a signed report is
left as signed."""
from datetime import timedelta

import pytest

from tests.factories import dashboard as df
from tests.factories import patrol as pf
from wyapp.dashboard.models import DailyRollup, WeeklyReport
from wyapp.dashboard.weekly import draft_due, sign
from wyapp.dashboard.weekly_figures import compile_week
from wyapp.models import Estate, User


def _rounds_done(report):
    import json

    sections = dict(json.loads(WeeklyReport.get_by_id(report.id).figures)["sections"])
    return {label: this for label, this, _ in sections["巡更"]}["已完成"]


def _sunday_round(now):
    estate = df.aged(Estate.get(Estate.name == "示范花园"), now, days=30)
    monday = df.last_week(estate, now) + timedelta(days=7)
    point = pf.checkpoint(estate, "地库入口")
    pf.schedule(pf.route(estate, [point], "夜间路线"), times="23:30", window=60,
                valid_from=now - timedelta(days=20))
    return estate, monday, point


@pytest.mark.clock
def test_a_draft_made_before_sunday_settled_is_compiled_again_once_it_has(in_db, now):
    with in_db():
        estate, monday, point = _sunday_round(now)
        midnight = estate.day_bounds(monday)[0]
        assert draft_due(midnight + timedelta(minutes=10)) == 1
        report = WeeklyReport.get(estate=estate)
        assert _rounds_done(report) == 0  # Sunday's 23:30 round is still being walked
        pf.scan(estate, point, midnight + timedelta(minutes=20))
        settled = midnight + timedelta(hours=12)
        assert draft_due(settled - timedelta(minutes=1)) == 0
        assert _rounds_done(report) == 0
        assert draft_due(settled + timedelta(minutes=1)) == 0  # compiled again, not drafted
        assert _rounds_done(report) == 1
        sunday = DailyRollup.get(estate=estate, day=monday - timedelta(days=1))
        assert sunday.rounds_done == 1


@pytest.mark.clock
def test_a_signed_report_is_not_compiled_again(in_db, now):
    with in_db():
        estate, monday, point = _sunday_round(now)
        midnight = estate.day_bounds(monday)[0]
        draft_due(midnight + timedelta(minutes=10))
        report = WeeklyReport.get(estate=estate)
        sign(report, User.get(User.username == "manager"), midnight + timedelta(minutes=15))
        pf.scan(estate, point, midnight + timedelta(minutes=20))
        draft_due(midnight + timedelta(hours=12, minutes=1))
        assert _rounds_done(report) == 0  # what the manager signed stays as signed


@pytest.mark.clock
def test_compiling_reads_a_row_made_before_its_day_settled_again(in_db, now):
    with in_db():
        estate, monday, point = _sunday_round(now)
        midnight = estate.day_bounds(monday)[0]
        compile_week(estate, monday - timedelta(days=7), midnight + timedelta(minutes=10))
        pf.scan(estate, point, midnight + timedelta(minutes=20))
        later = compile_week(estate, monday - timedelta(days=7),
                             midnight + timedelta(hours=12, minutes=1))
        assert {label: this for label, this, _ in dict(later["sections"])["巡更"]}[
            "已完成"] == 1
