"""Demo data: rollups of the demo's past days, computed from the demo's own records, and
last week's 周报 as a draft. Idempotent; every date counted from `now` (naive UTC)."""
from datetime import timedelta

from peewee import fn

from .models import DailyRollup
from .rollup import SOURCES, rollup_range
from .weekly import draft, monday_of

DEMO_DAYS = 30  # at most this many days back


def _first_record_day(estate, today):
    """The estate-local day of the demo's oldest record (scans, visitors, orders…)."""
    oldest = [model.select(fn.MIN(dated)).where(model.estate == estate).scalar()
              for _, model, dated in SOURCES]
    days = [estate.today(moment) for moment in oldest if moment is not None]
    return max(min(days, default=today), today - timedelta(days=DEMO_DAYS))


def create_demo(estate, users, now):
    """Fill the rollup rows of `estate`'s ended days since its oldest demo record (at most
    DEMO_DAYS back) that have none, and draft last week's report (as the Monday job would,
    without the alert)."""
    today = estate.today(now)
    have = {r.day for r in DailyRollup.select(DailyRollup.day).where(
        DailyRollup.estate == estate, DailyRollup.day >= today - timedelta(days=DEMO_DAYS))}
    day = _first_record_day(estate, today)
    while day < today:
        if day not in have:
            rollup_range(estate, day, day, now)
        day += timedelta(days=1)
    draft(estate, monday_of(today) - timedelta(days=7), now)
