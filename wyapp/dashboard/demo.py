"""Demo data: rollups of the demo's past days, computed from the demo's own records, and
last week's 周报 as a draft. Idempotent; every date counted from `now` (naive UTC)."""
from datetime import timedelta

from .models import DailyRollup
from .rollup import rollup_range
from .weekly import draft, monday_of

DEMO_DAYS = 30


def create_demo(estate, users, now):
    """Fill the rollup rows of the last DEMO_DAYS ended days of `estate` that have none, and
    draft last week's report (as the Monday job would, without the alert)."""
    today = estate.today(now)
    first = today - timedelta(days=DEMO_DAYS)
    have = {r.day for r in DailyRollup.select(DailyRollup.day).where(
        DailyRollup.estate == estate, DailyRollup.day >= first)}
    day = first
    while day < today:
        if day not in have:
            rollup_range(estate, day, day, now)
        day += timedelta(days=1)
    draft(estate, monday_of(today) - timedelta(days=7), now)
