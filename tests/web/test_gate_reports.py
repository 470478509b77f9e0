"""Gate reports: the daily visitor log (services, page, PDF) with masking, and demo data."""
import io
from datetime import date, datetime, timedelta

import pytest
from pypdf import PdfReader

from wyapp.gate import reports, vehicles, visits
from wyapp.gate.demo import demo as gate_demo
from wyapp.gate.models import Invitation, ReleaseSlip, VehicleEntry, Visit, WatchEntry
from wyapp.models import Estate, User

from .test_gate import visit_form

DAY = date(2026, 3, 10)


def _local(hour, minute=0, day=DAY):
    """A Shanghai wall-clock time on `day` as naive UTC."""
    return datetime(day.year, day.month, day.day, hour, minute) - timedelta(hours=8)


def _day_of_visits():
    estate, gate = Estate.get(name="示范花园"), User.get(username="gate")

    def visit(at, out=None, **changes):
        v, _, _ = visits.register_visit(estate, gate, {**visit_form(**changes),
                                                         "party_size": changes.get("n", 1)},
                                          now=at)
        if out:
            visits.sign_out(v, gate, out)
        return v
    visit(_local(23, 0, DAY - timedelta(days=1)), _local(1, 0), name="昨夜")  # not counted
    visit(_local(9, 5), _local(9, 30), purpose="快递外卖")
    visit(_local(9, 40), _local(10, 0), purpose="快递外卖")
    visit(_local(14, 0), _local(16, 0), name="看房", purpose="中介看房", plate="粤B12345")
    visit(_local(23, 30), None, name="过夜", id_number="440306199003071232")
    visit(_local(8, 0, DAY + timedelta(days=1)), None, name="明天")
    vehicles.vehicle_in(estate, gate, "粤B99999", "业主", now=_local(7, 0))
    return estate


def test_daily_visitor_log_figures(app, in_db):
    with in_db():
        estate = _day_of_visits()
        log = reports.daily_visitor_log(estate, DAY)
    assert log["total"] == 4 and log["people"] == 4
    assert dict(log["by_purpose"]) == {"探亲访友": 1, "快递外卖": 2, "装修施工": 0,
                                       "维修服务": 0, "中介看房": 1, "其他": 0}
    assert log["peak_hours"][0] == (9, 2)
    assert dict(log["by_hour"])[14] == 1 and len(log["by_hour"]) == 24
    assert [r["name"] for r in log["on_site_at_midnight"]] == ["过夜"]
    assert log["visits"][0]["time_in"] == "03-10 09:05"
    assert log["visits"][-1]["id_number"] == "440***********1232"
    assert log["vehicles"] == {"total": 2, "visitor": 1, "resident": 1, "still_in": 1,
                               "average_stay": "2小时0分"}
    week = reports.vehicles_per_day(estate, DAY)
    assert len(week) == 7 and week[-1] == (DAY, log["vehicles"]) and week[0][0] == date(2026, 3, 4)


def test_report_page_and_pdf_are_masked(login, in_db):
    with in_db():
        _day_of_visits()
    boss = login("supervisor")
    page = boss.get("/gate/report?day=2026-03-10").text
    assert "来访 4 批" in page and "09:00（2 批）" in page and "午夜仍在场 1 批" in page
    assert "440***********1232" in page and "440306199003071232" not in page
    assert "139****5678" in page and "13912345678" not in page
    assert boss.get("/gate/report?day=garbage").status_code == 200
    response = boss.get("/gate/report.pdf?day=2026-03-10")
    assert response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert 'filename="visitor-log-2026-03-10.pdf"' in response.headers["Content-Disposition"]
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "来访登记日志" in text and "2026-03-10" in text and "示范花园" in text
    assert "440***********1232" in text and "440306199003071232" not in text
    assert "13912345678" not in text and "门岗值班员" in text
    exported = boss.get("/gate/report.csv?day=2026-03-10")
    text = exported.data.decode("utf-8-sig")
    assert exported.mimetype == "text/csv" and text.startswith("进,出,姓名,手机号,身份证号")
    assert "440***********1232" in text and "440306199003071232" not in text
    assert "13912345678" not in text and len(text.strip().splitlines()) == 5
    assert login("gate").get("/gate/report").status_code == 403
    assert login("gate").get("/gate/report.csv").status_code == 403


def test_csv_defuses_formulas():
    log = {"visits": [{"time_in": "", "time_out": "", "name": "=HYPERLINK(1)", "phone": "",
                       "id_number": "", "visited": "+1", "purpose": "", "party_size": 1,
                       "plate": ""}]}
    row = reports.visitor_log_csv(log).splitlines()[1]
    assert "'=HYPERLINK(1)" in row and "'+1" in row


@pytest.mark.clock
def test_demo_is_realistic_and_idempotent(app, in_db, now):
    """The gate's own demo (what `wyapp demo` adds for the gate) over the office."""
    with in_db():
        estate = Estate.get(name="示范花园")
        users = {u.username: u for u in User.select()}
        gate_demo(estate, users, now)
        counts = [m.select().count() for m in (Visit, VehicleEntry, Invitation, ReleaseSlip,
                                               WatchEntry)]
        assert counts[0] >= 10 and all(counts)
        gate_demo(estate, users, now)
        assert [m.select().count() for m in (Visit, VehicleEntry, Invitation, ReleaseSlip,
                                             WatchEntry)] == counts
        assert visits.on_site(estate).count() >= 3
