"""Fields that were typing-heavy on a phone: the plate's province picked from a list (the
estate's usual one first), 人数 with the number pad, 时区 from a list, 新建小区's header."""
import re

import pytest

from tests.factories import gate as gf
from tests.factories import service as sf
from wyapp.gate.models import VehicleEntry, Visit
from wyapp.gate.plates import PROVINCES, usual_province, with_province
from wyapp.models import Estate


def _options(html, name):
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return re.findall(r'<option([^>]*)value="([^"]*)"', select.group(1))


def _selected(html, name):
    return [value for attrs, value in _options(html, name) if "selected" in attrs]


def test_provinces_are_the_31():
    assert len(PROVINCES) == len(set(PROVINCES)) == 31
    assert with_province("粤", "b12345") == "粤b12345"
    assert with_province("粤", "京A12345") == "京A12345"  # typed whole: as typed
    assert with_province("粤", "WJ0112345") == "WJ0112345"  # armed police: no province
    assert with_province("", "B12345") == "B12345"
    assert with_province("粤", "") == ""


def test_usual_province_from_plates_then_address(in_db):
    with in_db():
        estate = sf.home()
        assert usual_province(estate) == ""
        Estate.update(address="广东省深圳市南山区示范路 88 号").where(
            Estate.id == estate.id).execute()
        estate = Estate.get_by_id(estate.id)
        assert usual_province(estate) == "粤"
        for plate in ("京A11111", "京A22222", "粤B33333"):
            gf.vehicle(estate, plate)
        assert usual_province(estate) == "京"


def test_vehicle_form_offers_the_usual_province_first(login, in_db):
    with in_db():
        gf.vehicle(sf.home(), "浙A12345")
    page = login("gate").get("/gate/vehicles").text
    values = [value for _, value in _options(page, "plate_province")]
    assert values[:3] == ["", "浙", "京"] and len(values) == 32
    assert _selected(page, "plate_province") == ["浙"]
    assert 'aria-label="车牌省份"' in page and 'autocapitalize="characters"' in page


def test_picked_province_and_typed_rest_make_the_plate(login, in_db):
    gate = login("gate")
    made = gate.post("/gate/vehicles", data={"plate_province": "粤", "plate": "b 66666",
                                             "kind": "访客"})
    assert made.status_code == 302
    whole = gate.post("/gate/vehicles", data={"plate_province": "粤", "plate": "沪C12345",
                                              "kind": "访客"})
    assert whole.status_code == 302
    old_page = gate.post("/gate/vehicles", data={"plate": "B77777", "kind": "访客"})
    assert old_page.status_code == 302  # a form queued before the picker: as typed
    with in_db():
        plates = [e.plate for e in VehicleEntry.select().order_by(VehicleEntry.id)]
    assert plates == ["粤B66666", "沪C12345", "B77777"]


def test_bad_plate_keeps_what_was_picked_and_typed(login):
    refused = login("gate").post("/gate/vehicles", data={"plate_province": "川",
                                                         "plate": "A-!!", "kind": "访客"})
    assert refused.status_code == 422
    assert re.search(r'id="plate-error">车牌号格式不对', refused.text)
    assert _selected(refused.text, "plate_province") == ["川"]
    assert 'value="川A-!!"' in refused.text or 'value="川A!!"' in refused.text


def test_visitor_form_plate_and_party_size(login, in_db):
    gate = login("gate")
    page = gate.get("/gate/").text
    assert re.search(r'<input[^>]*inputmode="numeric"[^>]*name="party_size"', page) or \
        re.search(r'<input[^>]*name="party_size"[^>]*inputmode="numeric"', page)
    assert 'name="plate_province"' in page
    made = gate.post("/gate/", data={"name": "王小明", "phone": "13912345678", "unit": "1-101",
                                     "purpose": "探亲访友", "party_size": "2",
                                     "plate_province": "苏", "plate": "E12345"})
    assert made.status_code in (302, 303), made.text[:500]
    with in_db():
        assert Visit.get(Visit.name == "王小明").plate == "苏E12345"


# ── admin ──

def test_timezone_is_a_list_with_chinas_first(login):
    page = login("admin").get("/admin/estates/new").text
    values = [value for _, value in _options(page, "timezone")]
    assert values[0] == "Asia/Shanghai" and "Asia/Urumqi" in values[:3]
    assert "Europe/London" in values and len(values) > 300
    assert _selected(page, "timezone") == ["Asia/Shanghai"]


@pytest.mark.parametrize("zone,ok", [("Asia/Hong_Kong", True), ("Mars/Olympus", False)])
def test_timezone_choice_is_checked(login, in_db, zone, ok):
    admin = login("admin")
    made = admin.post("/admin/estates/new", data={"name": "新区", "address": "",
                                                 "timezone": zone})
    with in_db():
        stored = Estate.get_or_none(Estate.name == "新区")
    if ok:
        assert made.status_code == 302 and stored.timezone == zone
    else:
        assert made.status_code == 422 and stored is None
        assert "时区" in made.text


def test_new_estate_header_has_no_none(login):
    page = login("admin").get("/admin/estates/new").text
    assert "None" not in page
    assert "新建小区" in page


# ── times ──

@pytest.mark.parametrize("role,path,names", [
    ("supervisor", "/patrol/schedules/new", ("span_start", "span_end")),
    ("supervisor", "/staff/shifts", ("starts", "ends")),
    ("supervisor", "/staff/training", ("starts", "ends")),
])
def test_times_are_time_inputs(login, role, path, names):
    page = login(role).get(path)
    assert page.status_code == 200
    for name in names:
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page.text)
        assert tag and 'type="time"' in tag.group(0), name
