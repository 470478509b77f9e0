"""Meter and duty-log pages: readings with flags, replacement, month report, handover.

The meters' months are the estate's (its month at the test's clock and the three before),
so the module is checked at the CI's instants, the estate's last evening of a month first.
"""
import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from tests.factories import inspection as factory
from tests.web.test_inspection import HX, get, hostile_posts
from wyapp.db import db, utcnow
from wyapp.inspection.meters import previous_month
from wyapp.inspection.models import DutyEvent, DutyShift, Meter, MeterReading
from wyapp.labels import issue_label
from wyapp.models import Estate, Unit

pytestmark = pytest.mark.clock

READINGS = {  # name: (kind, multiplier, unit, readings of the three months before this one)
    "配电房总电表": ("电", 40, None, ("1300", "1520", "1740")),
    "小区总水表": ("水", 1, None, ("30500", "32650", "34800")),
    "绿化用水表": ("水", 1, None, ("4100", "4280", "4460")),
    "1号楼101 水表": ("水", 1, "1-101", ("230", "239", "248")),
}


@pytest.fixture
def meters(in_db):
    """The office's meters, read in each of the estate's three months before this one
    (its month at the test's clock); returns {name: meter}."""
    with in_db():
        estate = Estate.get(name="示范花园")
        this_month = estate.today(utcnow()).replace(day=1)
        months = [previous_month(this_month, n) for n in (3, 2, 1)]
        return {name: factory.meter(estate, name, kind, multiplier,
                                    unit=Unit.find(estate, unit) if unit else None,
                                    readings=zip(months, values, strict=True))
                for name, (kind, multiplier, unit, values) in READINGS.items()}


def test_month_view_shows_totals_missing_and_pdf(app, login, meters):
    client = login("engineer")
    page = client.get("/inspection/meters").text
    assert "公共用量" in page and "未抄 4 块" in page and "配电房总电表" in page
    with app.app_context(), db.connection_context():
        month = MeterReading.select().order_by(MeterReading.month.desc()).first().month
    last = client.get(f"/inspection/meters?month={month:%Y-%m}").text
    assert "未抄" not in last and "用量" in last
    assert client.get("/inspection/meters?month=garbage").status_code == 200
    pdf = client.get(f"/inspection/meters/report.pdf?month={month:%Y-%m}")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "抄表月报" in text and "小区总水表" in text and "审核人" in text


def test_flagged_reading_needs_a_note_in_both_renderings(app, login, meters):
    client = login("engineer")
    meter = get(app, Meter, name="小区总水表")
    with app.app_context(), db.connection_context():
        last = meter.readings.order_by(MeterReading.month.desc()).first()
        month, low = previous_month(last.month, -1), last.value - 5
    data = {"month": f"{month:%Y-%m}", "value": str(low)}
    block = client.post(f"/inspection/meters/{meter.id}", data=data, headers=HX)
    assert block.status_code == 200 and "小于上次" in block.text and "请核对读数" in block.text
    assert block.text.lstrip().startswith('<div id="meter-readings">')
    full = client.post(f"/inspection/meters/{meter.id}", data=data)
    assert full.status_code == 422 and "<html" in full.text and f'value="{low}"' in full.text
    saved = client.post(f"/inspection/meters/{meter.id}",
                        data={**data, "note": "总表倒转，已报水司"})
    assert saved.status_code == 302
    with app.app_context(), db.connection_context():
        reading = MeterReading.get(meter=meter, month=month)
        assert "小于上次" in reading.flags and reading.note == "总表倒转，已报水司"


def test_meter_forms_refuse_hostile_values(app, login, meters):
    client = login("supervisor")
    meter = get(app, Meter, name="绿化用水表")
    hostile_posts(client, f"/inspection/meters/{meter.id}", ["month", "value", "note"])
    hostile_posts(client, f"/inspection/meters/{meter.id}/replace",
                  ["replaced_on", "old_final", "new_serial", "new_start"])
    hostile_posts(client, "/inspection/meters/new", ["kind", "name", "unit", "multiplier"])


def test_add_meter_and_replace_it(app, login):
    client = login("supervisor")
    response = client.post("/inspection/meters/new", data={
        "kind": "电", "name": "2号楼电梯电表", "unit": "0", "multiplier": "1", "serial": "E-9"})
    assert response.status_code == 302
    meter_page = response.headers["Location"]
    zero = client.post("/inspection/meters/new", data={"kind": "电", "name": "x", "unit": "0",
                                                       "multiplier": "0"})
    assert "倍率应大于 0" in zero.text
    assert client.post(meter_page, data={"month": "2026-01", "value": "100"}).status_code == 302
    replaced = client.post(f"{meter_page}/replace", data={
        "replaced_on": "2026-01-20", "old_final": "104", "new_serial": "E-10", "new_start": "0"})
    assert replaced.status_code == 302
    assert client.post(meter_page, data={"month": "2026-02", "value": "6"}).status_code == 302
    page = client.get(meter_page).text
    assert "E-10" in page and "用量 10" in page


def test_meter_label_opens_the_reading_form(app, login, meters):
    meter = get(app, Meter, name="配电房总电表")
    with app.app_context(), db.connection_context():
        token = issue_label(Estate.get(name="示范花园"), "meter", meter.id).token
    page = login("engineer").get(f"/c/{token}")
    assert page.status_code == 200 and "录入读数" in page.text and "配电房总电表" in page.text
    assert login("gate").get(f"/c/{token}").status_code == 403


def test_other_estates_meter_is_404(app, login):
    with app.app_context(), db.connection_context():
        meter = Meter.create(estate=Estate.create(name="别处"), name="别处水表")
    client = login("engineer")
    assert client.get(f"/inspection/meters/{meter.id}").status_code == 404
    assert client.post(f"/inspection/meters/{meter.id}", data={"month": "2026-01",
                                                               "value": "1"}).status_code == 404


def test_duty_take_over_events_and_handover(app, in_db, login, now):
    with in_db():
        started = now - timedelta(hours=26)
        factory.duty_shift(Estate.get(name="示范花园"), started_at=started,
                           ended_at=started + timedelta(hours=24),
                           pending="2号楼1号电梯平层偏差，已报迅达维保，明日上午来人。",
                           equipment_status="运行正常",
                           events=[(started + timedelta(hours=2), "巡视配电房，运行正常。")])
    client = login("engineer")
    page = client.get("/inspection/duty").text
    assert "待接班确认" in page and "接班确认" in page and "平层偏差" in page
    assert client.post("/inspection/duty/take-over").status_code == 302
    with app.app_context(), db.connection_context():
        shift = DutyShift.get(DutyShift.ended_at.is_null())
    url = f"/inspection/duty/{shift.id}/events"
    block = client.post(url, data={"text": "巡视水泵房，压力 0.42 MPa"}, headers=HX)
    assert block.status_code == 200 and block.text.lstrip().startswith('<div id="duty">')
    assert "巡视水泵房" in block.text
    full = client.post(url, data={"text": "配电房温度正常"})
    assert "<html" in full.text and "配电房温度正常" in full.text
    hostile_posts(client, url, ["text"])
    empty = client.post(f"/inspection/duty/{shift.id}/hand-over", data={"pending": "无"})
    assert empty.status_code == 422 and "请填写设备运行情况" in empty.text
    handed = client.post(f"/inspection/duty/{shift.id}/hand-over",
                         data={"pending": "无", "equipment_status": "全部正常"})
    assert handed.status_code == 302
    hostile_posts(client, f"/inspection/duty/{shift.id}/hand-over",
                  ["pending", "equipment_status"])
    with app.app_context(), db.connection_context():
        texts = [e.text for e in DutyEvent.select().where(DutyEvent.shift == shift.id)]
        # two real events, plus the hostile ones that are legal text (stored, shown escaped)
        assert texts[:2] == ["巡视水泵房，压力 0.42 MPa", "配电房温度正常"]
        assert "<script>alert('x')</script>" in texts and not any("长" * 600 in t for t in texts)
        assert DutyShift.get_by_id(shift.id).ended_at is not None
    assert login("supervisor").post("/inspection/duty/take-over").status_code == 403
