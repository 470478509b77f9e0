"""Meter readings: consumption, replacement, flags; the duty log's handover (SQLite and
PostgreSQL). The month report is read for the estate's month at the test's clock, so the
module is checked at the CI's instants (the estate's last evening of a month first)."""
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from tests.factories import inspection as factory
from wyapp.errors import DomainError
from wyapp.inspection import duty, meters
from wyapp.inspection.models import DutyShift, Meter, MeterReading
from wyapp.models import Estate, Unit, User

pytestmark = pytest.mark.clock


@pytest.fixture
def estate(in_db):
    with in_db():
        yield Estate.get(name="示范花园")


@pytest.fixture
def engineer(estate):
    return User.get(username="engineer")


@pytest.fixture
def meter(estate):
    return Meter.create(estate=estate, kind="电", name="测试电表", multiplier=D(20), serial="A1")


def read(meter, month, value, engineer, note=""):
    return meters.record_reading(meter, date(2026, month, 1), D(value), engineer, note)


def test_consumption_is_difference_times_multiplier(meter, engineer):
    assert read(meter, 1, "1000", engineer).consumption is None  # the series starts
    assert read(meter, 2, "1010", engineer).consumption == D(200)
    assert read(meter, 3, "1021", engineer).consumption == D(220)


def test_lower_reading_is_flagged_and_needs_a_note(meter, engineer):
    read(meter, 1, "1000", engineer)
    read(meter, 2, "1010", engineer)
    with pytest.raises(meters.NeedsConfirmation, match="读数 990 小于上次 1010"):
        read(meter, 3, "990", engineer)
    assert not MeterReading.select().where(MeterReading.month == date(2026, 3, 1)).exists()
    saved = read(meter, 3, "990", engineer, note="表计回拨，已报供电局")
    assert "小于上次" in saved.flags and saved.note == "表计回拨，已报供电局"


def test_far_from_three_month_mean_is_flagged(meter, engineer):
    for month, value in [(1, "1000"), (2, "1010"), (3, "1020"), (4, "1030")]:
        read(meter, month, value, engineer)
    with pytest.raises(meters.NeedsConfirmation, match="偏离近三个月均值 200.00 超过 50%"):
        read(meter, 5, "1046", engineer)  # 320 against a mean of 200
    assert read(meter, 5, "1044", engineer).flags == ""  # 280: within 50 %


def test_replacement_continues_the_series(meter, engineer):
    read(meter, 1, "1000", engineer)
    read(meter, 2, "1010", engineer)
    with pytest.raises(DomainError, match="旧表止码不能小于上次读数"):
        meters.replace_meter(meter, engineer, date(2026, 2, 20), D(1005), "B2", D(0))
    meters.replace_meter(meter, engineer, date(2026, 2, 20), D(1014), "B2", D(0))
    assert Meter.get_by_id(meter.id).serial == "B2"
    reading = read(meter, 3, "6", engineer)  # (1014 − 1010) + (6 − 0) = 10, × 20
    assert reading.consumption == D(200) and reading.flags == ""
    assert read(meter, 4, "16", engineer).consumption == D(200)


def test_negative_and_duplicate_readings_refused(meter, engineer):
    with pytest.raises(DomainError, match="不能为负数"):
        read(meter, 1, "-1", engineer)
    read(meter, 2, "5", engineer)
    with pytest.raises(DomainError, match="已经抄过"):
        read(meter, 2, "6", engineer)
    with pytest.raises(DomainError, match="不能补录更早"):
        read(meter, 1, "4", engineer)


def test_month_report_totals_and_missing(estate, engineer, now):
    """The month report of the estate's month at `now` (on its last evening too, when the
    machine's UTC date is a day behind): no reading yet; the month before: every reading,
    public totals (the unit's meter not among them), none a year earlier."""
    this_month = estate.today(now).replace(day=1)
    months = [meters.previous_month(this_month, n) for n in (3, 2, 1)]

    def series(*values):
        return list(zip(months, values, strict=True))

    factory.meter(estate, "配电房总电表", "电", 40, readings=series("1300", "1520", "1740"))
    factory.meter(estate, "小区总水表", "水", readings=series("30500", "32650", "34800"))
    factory.meter(estate, "1号楼101 水表", "水", unit=Unit.find(estate, "1-101"),
                  readings=series("230", "239", "248"))
    last = meters.month_report(estate, months[-1])
    assert last["public"]["本月"] == {"电": D(8800), "水": D(2150)}
    assert last["public"]["上月"] == {"电": D(8800), "水": D(2150)}
    assert last["public"]["去年同月"] == {"电": D(0), "水": D(0)}
    assert last["missing"] == [] and last["flagged"] == []
    current = meters.month_report(estate, estate.today(now))
    assert current["month"] == this_month
    assert len(current["missing"]) == Meter.select().count() == 3


def test_duty_take_over_events_and_handover(estate, engineer, now):
    other = User.create(username="eng2", display_name="王工", password_hash="x")
    assert duty.awaiting_confirmation(estate) is None
    handed = factory.duty_shift(estate, engineer, started_at=now - timedelta(hours=26),
                                ended_at=now - timedelta(hours=2), equipment_status="正常")
    assert duty.awaiting_confirmation(estate).id == handed.id
    shift = duty.take_over(estate, other, now=now)
    assert DutyShift.get_by_id(handed.id).confirmed_by.username == "eng2"
    with pytest.raises(DomainError, match="王工 正在值班"):
        duty.take_over(estate, engineer)
    duty.add_event(shift, other, "10:20 2号楼电梯困人，3 分钟解救", now=now + timedelta(hours=2))
    with pytest.raises(DomainError, match="请填写事件内容"):
        duty.add_event(shift, other, "   ")
    with pytest.raises(DomainError, match="只有当班工程师"):
        duty.hand_over(shift, engineer, "", "正常")
    with pytest.raises(DomainError, match="设备运行情况"):
        duty.hand_over(shift, other, "无", " ")
    duty.hand_over(shift, other, "电梯待维保复查", "运行正常", now=now + timedelta(hours=24))
    assert duty.on_duty(estate) is None
    assert duty.awaiting_confirmation(estate).id == shift.id
