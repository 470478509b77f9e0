"""A day's rollup against rows made here, at the edges a reader checks first: an order
completed after its due time is completed but not on time; a round with one of its two
points scanned is 部分完成 and counts one point of two; a complaint answered after its due
time is overdue at that day's end; the figures of another estate stay out."""
from datetime import timedelta

import pytest

from tests import factories
from tests.factories import dashboard as df
from tests.factories import patrol as pf
from tests.factories import service as sf
from wyapp.dashboard.rollup import recompute
from wyapp.models import Estate


@pytest.mark.clock
def test_a_late_completion_and_a_partial_round_count_as_they_are(in_db, now):
    with in_db():
        estate = df.aged(Estate.get(Estate.name == "示范花园"), now, days=5)
        day = estate.today(now) - timedelta(days=1)
        gate, garage = pf.checkpoint(estate, "东门"), pf.checkpoint(estate, "地库")
        pf.schedule(pf.route(estate, [gate, garage], "全线"), times="10:00", window=60,
                    valid_from=now - timedelta(days=4))
        pf.scan(estate, gate, pf.local(estate, day, 10, 5))  # 地库 never scanned
        due = pf.local(estate, day, 16)
        sf.work_order(now=pf.local(estate, day, 8), due_at=due, status="完工",
                      completed_at=due - timedelta(minutes=1))
        sf.work_order(now=pf.local(estate, day, 8), due_at=due, status="完工",
                      completed_at=due + timedelta(minutes=1))  # one minute late
        sf.work_order(now=pf.local(estate, day, 9), due_at=due)  # still open at day's end
        other = factories.estate("别的小区", buildings=1, floors=1)
        sf.work_order(other, now=pf.local(estate, day, 9), due_at=due)
        row = recompute(estate, day, now)
        assert (row.rounds, row.rounds_done, row.rounds_partial, row.rounds_missed) == \
            (1, 0, 1, 0)
        assert (row.points_done, row.points_total, row.patrol_completion) == (1, 2, 50)
        assert (row.orders_opened, row.orders_completed, row.orders_on_time) == (3, 2, 1)
        assert row.on_time_rate == 50
        assert row.orders_overdue == 1
