"""The rollup's watermark and a transaction still open when a pass reads: PostgreSQL hands
out ids before commit, so a late visitor typed in for yesterday (id n, its transaction still
open) can commit after a pass already saw id n + 1. The next pass must still find it and
correct yesterday's row. (SQLite transactions begin IMMEDIATE: one writer, ids commit in
order, so this is a PostgreSQL test.)"""
import threading
from datetime import timedelta

import pytest

from tests.factories import dashboard as df
from tests.factories import gate as gf
from tests.factories import patrol as pf
from wyapp.dashboard.models import DailyRollup
from wyapp.dashboard.rollup import refresh
from wyapp.db import db
from wyapp.models import Estate


@pytest.mark.clock
def test_a_late_row_committed_after_a_higher_id_is_still_found(app, in_db, now):
    if "postgres" not in app.config["DATABASE_URL"]:
        pytest.skip("SQLite commits its one writer's ids in order")
    with in_db():
        estate = df.aged(Estate.get(Estate.name == "示范花园"), now, days=3)
        yesterday = estate.today(now) - timedelta(days=1)
        refresh(now)
        assert DailyRollup.get(estate=estate, day=yesterday).visits == 0
    inserted, release = threading.Event(), threading.Event()

    def typed_in_late():  # the desk's transaction: id taken, commit held back
        with app.app_context(), db.connection_context(), db.atomic():
            gf.visit(Estate.get_by_id(estate.id), at=pf.local(estate, yesterday, 15))
            inserted.set()
            release.wait(10)
    desk = threading.Thread(target=typed_in_late)
    desk.start()
    assert inserted.wait(10)
    with in_db():
        gf.visit(estate, at=now, phone="13700000000")  # today's visitor: a higher id, committed
        refresh(now + timedelta(minutes=1))  # sees the higher id, not the open one
    release.set()
    desk.join(10)
    with in_db():
        refresh(now + timedelta(minutes=2))
        refresh(now + timedelta(minutes=3))
        assert DailyRollup.get(estate=estate, day=yesterday).visits == 1
