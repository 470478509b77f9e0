"""登记报修 at its edges (issue 17, probed by B-2): a phone typed with +86, spaces, brackets
or full-width digits; the appointment in the estate's own zone when that is not Beijing's,
across the page, the list and the order's PDF."""
import subprocess

import pytest

from tests.web.test_service_desk_fields import NEW, _form
from wyapp.models import Estate
from wyapp.service.models import WorkOrder


@pytest.fixture
def now(morning):
    """The appointments typed here are fixed hours (09:30 on 16 June): the tests run on that
    working morning (conftest.morning), not at WYAPP_TEST_NOW, so no `clock` mark."""
    return morning


@pytest.mark.parametrize("typed, stored", [
    ("+86 138 0013 8000", "13800138000"), ("+86-13800138000", "13800138000"),
    ("0086 13800138000", "13800138000"), ("(0755) 1234-5678", "075512345678"),
    ("１３８００１３８０００", "13800138000"), ("138\u00a00013\u00a08000", "13800138000"),
    ("+86 755 1234 5678", "075512345678"),  # a landline in international form
    ("+1 415 555 0100", None)])  # another country's number: refused, never read as a mobile
def test_the_phone_as_people_type_it(login, in_db, typed, stored):
    answer = login("desk").post(NEW, data=_form(caller_phone=typed))
    if stored is None:
        assert answer.status_code == 422 and "电话应为 11 位手机号" in answer.text
        assert typed in answer.text  # what was typed stays in the field
        return
    assert answer.status_code == 302
    with in_db():
        assert WorkOrder.get().caller_phone == stored


def test_the_appointment_is_in_the_estates_own_zone(login, in_db, now):
    with in_db():
        estate = Estate.get()
        estate.timezone = "Europe/Berlin"
        estate.save()
    desk = login("desk")
    made = desk.post(NEW, data=_form(appointment_at="2026-06-16T09:30"))
    assert made.status_code == 302
    with in_db():
        order = WorkOrder.get()
        # 09:30 in Berlin in June (CEST, UTC+2) is 07:30 UTC, stored naive
        assert order.appointment_at == now.replace(day=16, hour=7, minute=30, second=0,
                                                   microsecond=0)
    assert "2026-06-16 09:30" in desk.get(made.headers["Location"]).text
    assert "预约 06-16 09:30" in desk.get("/service/orders?tab=all").text
    pdf = desk.get(f"/service/orders/{order.id}.pdf").data
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode()
    assert "2026-06-16 09:30" in text
