"""Issue 17, gate: the answer to 查找 (a used, unknown or found invitation code) sits at the
top beside the code field, before the registration form; "午夜仍在场" is printed only once
the day's midnight has come (today's report says 现在仍在场).

Times are the test's `now` (estate clock): the module is marked `clock`."""
import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from tests.factories import gate as make
from wyapp.models import Estate

pytestmark = pytest.mark.clock


def _before_form(page, text):
    assert text in page, text
    return page.index(text) < page.index('id="register-form"')


def test_the_code_answer_is_above_the_form_beside_the_field(login, in_db, now):
    with in_db():
        estate = Estate.get(name="示范花园")
        used = make.invitation(estate)
        make.visit(estate, invitation=used.code, at=now - timedelta(minutes=5))
        fresh = make.invitation(estate, name="周晓雨")
    gate = login("gate")
    unknown = gate.get("/gate/?code=ZZZZZZ").text
    assert _before_form(unknown, "没有这个预约码，请核对。")
    assert 'id="code-error" role="alert"' in unknown and 'aria-invalid="true"' in unknown
    again = gate.get(f"/gate/?code={used.code}").text
    assert _before_form(again, "这个预约码今天已经使用过")
    found = gate.get(f"/gate/?code={fresh.code.lower()}").text
    assert _before_form(found, f"预约码 {fresh.code} 有效：周晓雨")
    assert 'value="周晓雨"' in found


def test_midnight_is_not_printed_before_it_came(login, in_db, now):
    with in_db():
        estate = Estate.get(name="示范花园")
        today = estate.today(now)
        make.visit(estate, name="留宿客", at=now - timedelta(minutes=30))
        yesterday = today - timedelta(days=1)
        make.visit(estate, name="过夜客", at=estate.day_start(yesterday) + timedelta(hours=22))
    lead = login("supervisor")
    page = lead.get("/gate/report").text
    assert "午夜仍在场" not in page and "现在仍在场 2 批" in page
    pdf = lead.get(f"/gate/report.pdf?day={today}")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "午夜仍在场" not in text and "现在仍在场" in text
    past = lead.get(f"/gate/report?day={yesterday}").text
    assert "午夜仍在场 1 批" in past and "现在仍在场" not in past
