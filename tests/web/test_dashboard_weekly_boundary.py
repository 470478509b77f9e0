"""周报 across a year's turn, drafted at 00:30 on Monday estate time (Asia/Shanghai), which
is still Sunday 16:30 in UTC: last week is Monday 2026-12-28 … Sunday 2027-01-03 (estate
dates), the week before 2026-12-21 … 27. A work order at 00:10 on that Monday (a UTC Sunday)
belongs to last week, one at 23:50 on the Sunday before to the week before."""
import json
from datetime import date, datetime, timedelta

from tests.factories import dashboard as df
from tests.factories import service as sf
from wyapp.dashboard.models import WeeklyReport
from wyapp.dashboard.weekly import draft_due
from wyapp.models import Estate


def test_the_week_across_new_year_drafted_at_0030_monday(in_db):
    with in_db():
        estate = Estate.get(Estate.name == "示范花园")
        assert estate.timezone == "Asia/Shanghai"
        now = datetime(2027, 1, 3, 16, 30)  # UTC Sunday = Monday 2027-01-04 00:30 local
        estate = df.aged(estate, now, days=40)
        sf.work_order(now=datetime(2026, 12, 27, 16, 10))  # local Mon 12-28 00:10
        sf.work_order(now=datetime(2027, 1, 3, 15, 0))  # local Sun 01-03 23:00
        sf.work_order(now=datetime(2026, 12, 27, 15, 50))  # local Sun 12-27 23:50
        sf.work_order(now=datetime(2027, 1, 3, 16, 5))  # local Mon 01-04 00:05: this week
        assert draft_due(now) == 1
        report = WeeklyReport.get(estate=estate)
        assert report.week == date(2026, 12, 28)
        figures = json.loads(report.figures)
        assert figures["label"] == "2026年12月28日—1月3日"
        assert figures["previous_label"] == "2026年12月21日—12月27日"
        lines = {label: (this, prev) for label, this, prev in dict(figures["sections"])["报修工单"]}
        assert lines["新报修"] == (2, 1)
        assert [d["day"] for d in figures["daily"]][0] == "2026-12-28"
        assert [d["day"] for d in figures["daily"]][-1] == "2027-01-03"
        # an hour earlier (23:30 on Sunday local) last week was still the one of 12-21
        assert draft_due(now - timedelta(hours=1)) == 1
        assert WeeklyReport.select().order_by(WeeklyReport.id.desc()).get().week == \
            date(2026, 12, 21)
