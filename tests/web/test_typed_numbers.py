"""Numbers as an office types them (issue 15, "everyday input read wrongly"): a thousands
separator is read as thousands, a decimal comma only where unambiguous, anything else is
refused with a message — never silently another number. On SQLite and on PostgreSQL."""
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.factories import inspection as factory
from tests.web.test_inspection import _item, _start
from wyapp.db import utcnow
from wyapp.inspection.models import Meter, MeterReading, SheetAnswer
from wyapp.models import Estate

pytestmark = pytest.mark.clock


def _fill_and_submit(app, client, current):
    sheet_id = _start(app, client, "PD-01", shift="白班")
    client.post(f"/inspection/sheets/{sheet_id}/all-normal", headers={"HX-Request": "true"})
    item = _item(app, sheet_id, "低压总出线电流")
    form = {f"value-{item.id}": current, f"note-{item.id}": "负载偏高"}
    for label, value in (("进线相电压", "230"), ("进线线电压", "400"), ("变压器温度", "60")):
        form[f"value-{_item(app, sheet_id, label).id}"] = value
    return sheet_id, item, client.post(f"/inspection/sheets/{sheet_id}/submit", data=form,
                                       headers={"Idempotency-Key": f"n-{current}"})


def test_a_reading_of_1_250_amperes_is_over_1100_and_raises_a_work_order(app, in_db, login):
    """低压总出线电流 ≤ 1100 A; '1,250' is 1250 A: abnormal, and its work order says so (it
    was read as 1.25, 全部正常, no order)."""
    from wyapp.service.models import WorkOrder
    client = login("engineer")
    sheet_id, item, done = _fill_and_submit(app, client, "1,250")
    assert done.status_code == 302, done.text
    with in_db():
        answer = SheetAnswer.get(sheet=sheet_id, item=item)
        assert answer.abnormal
        order = WorkOrder.get(origin_kind="inspection_item", origin_id=answer.id)
        assert "低压总出线电流：1,250 A（正常范围" in order.description
    assert f'href="/service/orders/{order.id}"' in client.get(done.headers["Location"]).text


@pytest.mark.parametrize(("typed", "abnormal"), [("1,050", False), ("１，２５０", True),
                                                 ("1 250", True), ("1100", False)])
def test_readings_with_separators_are_judged_by_their_value(app, in_db, login, typed,
                                                            abnormal):
    sheet_id, item, done = _fill_and_submit(app, login("engineer"), typed)
    assert done.status_code == 302, done.text
    with in_db():
        assert SheetAnswer.get(sheet=sheet_id, item=item).abnormal is abnormal


def test_an_ambiguous_reading_is_refused_with_a_message(app, in_db, login):
    client = login("engineer")
    sheet_id, item, refused = _fill_and_submit(app, client, "1,2500")
    assert refused.status_code in (200, 422)
    assert "这个数字看不明白" in refused.text and "1,2500" in refused.text
    with in_db():
        answer = SheetAnswer.get(sheet=sheet_id, item=item)
        assert not answer.sheet.submitted and not answer.abnormal


@pytest.mark.parametrize(("typed", "stored"), [("12,345", Decimal("12345")),
                                               ("12,345.6", Decimal("12345.6")),
                                               ("１２３４５", Decimal("12345")),
                                               ("12345,5", Decimal("12345.5"))])
def test_a_meters_first_reading_with_a_thousands_separator(app, in_db, login, typed, stored):
    """A new meter's first reading '12,345' is 12345 (it was stored as 12.345)."""
    with in_db():
        estate = Estate.get(name="示范花园")
        meter = factory.meter(estate, "3号楼公区电表", "电", 1)
        month = estate.today(utcnow()).replace(day=1)
    client = login("engineer")
    response = client.post(f"/inspection/meters/{meter.id}",
                           data={"month": f"{month:%Y-%m}", "value": typed})
    assert response.status_code == 302, response.text
    with in_db():
        assert MeterReading.get(meter=meter).value == stored


def test_a_meter_reading_that_cannot_be_read_is_refused(app, in_db, login):
    with in_db():
        estate = Estate.get(name="示范花园")
        meter = factory.meter(estate, "3号楼公区电表", "电", 1)
        month = estate.today(utcnow()).replace(day=1)
    for typed in ("12,34,5", "1e309", "²"):
        response = login("engineer").post(f"/inspection/meters/{meter.id}",
                                          data={"month": f"{month:%Y-%m}", "value": typed})
        assert response.status_code < 500 and response.status_code != 302, typed
        assert "数字" in response.text
    with in_db():
        assert not MeterReading.select().where(MeterReading.meter == meter).exists()
        assert Meter.get_by_id(meter.id).multiplier == 1


def test_numbers_past_their_columns_are_refused_beside_the_field(app, in_db, login):
    """Meter multiplier 10^8 (NUMERIC(10,2)) and a consumption of 10^12 or more
    (NUMERIC(14,2)) were a 500 on PostgreSQL: a Chinese message, nothing stored, on both."""
    client = login("supervisor")
    response = client.post("/inspection/meters/new", data={
        "kind": "电", "name": "超大倍率表", "unit": "0", "multiplier": "100000000"})
    assert response.status_code < 500 and "数字太大" in response.text
    assert 'value="超大倍率表"' in response.text
    with in_db():
        assert not Meter.select().where(Meter.name == "超大倍率表").exists()
        estate = Estate.get(name="示范花园")
        month = estate.today(utcnow()).replace(day=1)
        before = (month - timedelta(days=1)).replace(day=1)
        meter = factory.meter(estate, "大倍率电表", "电", 9_999_999, readings=[(before, "0")])
    too_much = login("engineer").post(f"/inspection/meters/{meter.id}", data={
        "month": f"{month:%Y-%m}", "value": "200,000", "note": "核对过"})
    assert too_much.status_code < 500 and "数字太大" in too_much.text
    with in_db():
        assert MeterReading.select().where(MeterReading.meter == meter).count() == 1


@pytest.mark.parametrize(("period", "shift"), [("0001-01-01", "白班"), ("9999-12-31", "白班"),
                                               ("٢٠٢٦-٠٦-١٥", "白班"), (None, "白班白班白班"),
                                               (None, "x" * 40)])
def test_a_plan_starts_only_its_own_slots(app, in_db, login, period, shift):
    """/inspection/plans/<id>/start stored a draft for any shift text and any period (year
    0001); only the plan's real slots are taken."""
    from wyapp.inspection.models import Plan, Sheet
    with in_db():
        estate = Estate.get(name="示范花园")
        plan = factory.plan_for(estate, "PD-01")
        period = period or estate.today(utcnow()).isoformat()
    response = login("engineer").post(f"/inspection/plans/{plan.id}/start",
                                      data={"period": period, "shift": shift})
    assert response.status_code == 400
    with in_db():
        assert not Sheet.select().where(Sheet.plan == plan).exists()
        assert Plan.get_by_id(plan.id).active
