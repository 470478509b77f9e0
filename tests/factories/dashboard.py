"""Dashboard records for tests: an estate old enough to have history, rollup rows with
chosen figures, a weekly report. Each runs inside `in_db()` and returns what it made."""
from datetime import timedelta

from wyapp.dashboard.models import DailyRollup, WeeklyReport
from wyapp.dashboard.weekly import draft, monday_of
from wyapp.models import Estate


def aged(estate, now, days=60):
    """`estate` as if created `days` before `now` (naive UTC): its past days have rollups
    and its past weeks reports."""
    Estate.update(created_at=now - timedelta(days=days)).where(Estate.id == estate.id).execute()
    return Estate.get_by_id(estate.id)


def rollup(estate, day, now=None, **figures):
    """A DailyRollup row of `estate`'s local `day` with `figures` (the rest 0)."""
    return DailyRollup.create(estate=estate, day=day, computed_at=now or estate.day_bounds(day)[1],
                              **figures)


def rollups(estate, last_day, days, **series):
    """Rows for the `days` local days ending `last_day`; each keyword is a function of the
    day's index (0 = the first) giving that figure, e.g. visits=lambda i: 10 + i."""
    first = last_day - timedelta(days=days - 1)
    return [rollup(estate, first + timedelta(days=i),
                   **{name: make(i) for name, make in series.items()})
            for i in range(days)]


def last_week(estate, now):
    """The Monday of the week before `now`'s week (estate time)."""
    return monday_of(estate.today(now)) - timedelta(days=7)


def weekly_report(estate, now, monday=None):
    """The draft report of the week beginning `monday` (default: last week)."""
    report, _ = draft(estate, monday or last_week(estate, now), now)
    return WeeklyReport.get_by_id(report.id)
