"""The permit's public page tells a neighbour whether work may go on today: 有效 only between
the planned start and the (extended) end date while work is under way; after the end date
it reads 已超期 (待验收 once the owner reported the work done), before the start 未到开工日期 —
never 有效 for a permit whose dates are over."""
from datetime import timedelta

import pytest

from tests.factories import renovation as make
from tests.factories.service import home
from wyapp.labels import current_label
from wyapp.renovation.models import Renovation

pytestmark = pytest.mark.clock


def _state(client, in_db, start, end, **fields):
    with in_db():
        estate = home()
        renovation = make.approved(estate, "1-101")
        Renovation.update(planned_start=start(estate), end_date=end(estate), **fields).where(
            Renovation.id == renovation.id).execute()
        token = current_label("renovation_permit", renovation.id).token
    client.post("/logout")
    page = client.get(f"/c/{token}")
    assert page.status_code == 200
    return page.text


def test_a_permit_past_its_end_date_is_not_valid(client, in_db, now):
    text = _state(client, in_db, lambda e: e.today(now) - timedelta(days=30),
                  lambda e: e.today(now) - timedelta(days=1))
    assert "已超期" in text and ">有效<" not in text


def test_a_permit_before_its_start_is_not_yet_valid(client, in_db, now):
    text = _state(client, in_db, lambda e: e.today(now) + timedelta(days=2),
                  lambda e: e.today(now) + timedelta(days=30))
    assert "未到开工日期" in text and ">有效<" not in text


def test_a_permit_within_its_dates_is_valid(client, in_db, now):
    text = _state(client, in_db, lambda e: e.today(now) - timedelta(days=1),
                  lambda e: e.today(now))
    assert ">有效<" in text


def test_a_permit_waiting_for_acceptance_after_its_end_date_says_so(client, in_db, now):
    from wyapp.renovation.models import AWAITING
    text = _state(client, in_db, lambda e: e.today(now) - timedelta(days=30),
                  lambda e: e.today(now) - timedelta(days=1), status=AWAITING)
    assert "待验收" in text and "已超期" not in text and ">有效<" not in text
