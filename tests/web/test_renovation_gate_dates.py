"""The gate warns (never blocks) when a 装修施工 worker comes for a unit whose permit's dates
do not cover today: after the (extended) end date, or before the planned start."""
from datetime import timedelta

import pytest

from tests.factories import renovation as make
from tests.factories.service import home
from wyapp.renovation.models import Renovation

pytestmark = pytest.mark.clock


def _warned(client, login, in_db, now, start_days, end_days):
    with in_db():
        estate = home()
        renovation = make.approved(estate, "1-101")
        Renovation.update(planned_start=estate.today(now) + timedelta(days=start_days),
                          end_date=estate.today(now) + timedelta(days=end_days)).where(
            Renovation.id == renovation.id).execute()
    login("gate")
    return client.get("/renovation/gate-workers", query_string={
        "unit": "1-101", "name": "张师傅", "purpose": "装修施工"}).text


def test_a_worker_after_the_end_date_is_warned(client, login, in_db, now):
    text = _warned(client, login, in_db, now, -30, -1)
    assert "不在 1号楼-101 的施工日期内" in text


def test_a_worker_before_the_start_is_warned(client, login, in_db, now):
    text = _warned(client, login, in_db, now, 1, 30)
    assert "不在 1号楼-101 的施工日期内" in text


def test_a_worker_within_the_dates_is_not(client, login, in_db, now):
    text = _warned(client, login, in_db, now, 0, 0)
    assert "施工日期内" not in text
