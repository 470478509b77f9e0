"""Gate: vehicles in/out with duration, and the watchlist (warns, alerts, never blocks)."""
import re
from datetime import datetime, timedelta

import pytest

from tests.factories import gate as make
from wyapp.gate import vehicles, visits, watchlist
from wyapp.gate.models import VehicleEntry, Visit, WatchEntry
from wyapp.models import Estate, Notification, User

from .test_gate import visit_form
from .test_gate_passes import make_invitation


def test_vehicle_in_and_out_with_duration(login, in_db):
    gate = login("gate")
    response = gate.post("/gate/vehicles", data={"plate": "粤b 66666", "kind": "业主"})
    assert response.status_code == 302
    page = gate.get("/gate/vehicles").text
    assert "粤B66666 已入场" in page and "粤B66666" in page
    twice = gate.post("/gate/vehicles", data={"plate": "粤B66666", "kind": "业主"})
    assert twice.status_code == 422 and "粤B66666 已在场内" in twice.text
    with in_db():
        entry = VehicleEntry.get(plate="粤B66666")
        entry.time_in -= timedelta(hours=2, minutes=5)
        entry.save()
    out = gate.post(f"/gate/vehicles/{entry.id}/out")
    assert out.status_code == 302
    assert "粤B66666 已出场，停留 2小时5分" in gate.get("/gate/vehicles").text
    gate.post(f"/gate/vehicles/{entry.id}/out")
    assert "这辆车已经出场" in gate.get("/gate/vehicles").text


@pytest.mark.parametrize("value", ["", "测" * 10000, "<svg onload=x>", "' OR 1=1"])
def test_vehicle_form_hostile_values(login, value):
    gate = login("gate")
    for field in ("plate", "kind"):
        data = {"plate": "粤B55555", "kind": "访客", field: value}
        response = gate.post("/gate/vehicles", data=data)
        assert response.status_code == 422, field
        assert re.search(r'class="error"[^>]*>[^<]*[\u4e00-\u9fff]', response.text), field


@pytest.mark.parametrize(("typed", "odd"), [("使014578", False), ("沪A1234领", False),
                                           ("WJ0112345", False), ("粤B1234应急", False),
                                           ("粤B12", True)])
def test_special_and_odd_plates_are_recorded(login, in_db, typed, odd):
    """Issue 15: a plate a barrier sees is recorded; an odd one with a gentle warning."""
    gate = login("gate")
    page = gate.post("/gate/vehicles", data={"plate": typed, "kind": "访客"},
                     follow_redirects=True).text
    assert f"{typed} 已入场" in page
    assert ("这个车牌号不常见" in page) is odd
    with in_db():
        assert VehicleEntry.get(plate=typed).kind == "访客"


def test_vehicle_duration_with_a_fixed_clock(app, in_db):
    with in_db():
        estate, gate = Estate.get(name="示范花园"), User.get(username="gate")
        entry, hits = vehicles.vehicle_in(estate, gate, "粤B77777", "访客",
                                          now=datetime(2026, 3, 10, 1, 0))
        vehicles.vehicle_out(entry, now=datetime(2026, 3, 10, 1, 45))
        assert hits == [] and visits.duration_text(entry.stayed(None)) == "45分钟"


def test_other_estates_vehicle_is_404(login, in_db):
    with in_db():
        other = Estate.create(name="他处花园")
        entry, _ = vehicles.vehicle_in(other, User.get(username="admin"), "粤B11111", "业主")
    assert login("gate").post(f"/gate/vehicles/{entry.id}/out").status_code == 404


# ── watchlist ─────────────────────────────────────────────────────────────────

def test_watchlist_is_for_supervisors_and_managers(login):
    assert login("gate").get("/gate/watchlist").status_code == 403
    assert login("desk").get("/gate/watchlist").status_code == 403
    assert login("manager").get("/gate/watchlist").status_code == 200


def test_watchlist_form(login, in_db):
    boss = login("supervisor")
    empty = boss.post("/gate/watchlist", data={"reason": "可疑"})
    assert empty.status_code == 422 and "至少填写一项" in empty.text
    bad = boss.post("/gate/watchlist", data={"id_number": "123", "reason": ""})
    assert "身份证号应为 18 位" in bad.text and "请填写关注原因" in bad.text
    ok = boss.post("/gate/watchlist", data={"id_number": "11010519491231002X",
                                           "reason": "拖欠装修押金"})
    assert ok.status_code == 302
    page = boss.get("/gate/watchlist").text
    assert "110***********002X" in page and "11010519491231002X" not in page
    with in_db():
        entry = WatchEntry.get(reason="拖欠装修押金")
        assert "11010519491231002X" not in (entry.id_hash + entry.id_masked)
    boss.post(f"/gate/watchlist/{entry.id}/remove")
    assert "拖欠装修押金" not in boss.get("/gate/watchlist").text


@pytest.mark.parametrize("value", ["测" * 10000, "<script>x</script>", "'; DROP TABLE x; --"])
def test_watchlist_form_hostile_values(login, value):
    boss = login("supervisor")
    for field in ("name", "phone", "id_number", "plate", "reason"):
        data = {"name": "某人", "reason": "原因", field: value}
        response = boss.post("/gate/watchlist", data=data)
        assert response.status_code in (302, 422), field
        if response.status_code == 422:
            assert re.search(r'class="error"[^>]*>[^<]*[\u4e00-\u9fff]', response.text), field


def _alerts(username):
    return list(Notification.select().join(User)
                .where(User.username == username, Notification.kind == "watchlist"))


def test_registration_hit_warns_alerts_and_does_not_block(login, in_db):
    with in_db():
        make.watch(Estate.get(), name="钱某", phone="13900001111", plate="粤BX7Q92")
    gate = login("gate")
    warned = gate.post("/gate/suggest", data={"phone": "13900001111"},
                       headers={"HX-Request": "true"})
    assert "关注名单：曾冒充快递员进入小区" in warned.text  # before 登记
    response = gate.post("/gate/", data=visit_form(name="钱某", phone="13900001111"))
    assert response.status_code == 302
    page = gate.get("/gate/").text
    assert "关注名单提醒：曾冒充快递员进入小区" in page and "已登记" in page
    with in_db():
        assert Visit.get(phone="13900001111").watch_hit
        for boss in ("supervisor", "manager"):
            alerts = _alerts(boss)
            assert len(alerts) == 1 and "来访登记 钱某 139****1111" in alerts[0].title
            assert "13900001111" not in alerts[0].title + alerts[0].body
        assert _alerts("gate") == []
    assert "关注名单" in gate.get("/gate/on-site").text


def test_id_number_and_plate_hits(login, in_db):
    with in_db():
        watchlist.add_watch(Estate.get(name="示范花园"), User.get(username="supervisor"),
                           id_number="440306199003071232", plate="粤B88888", reason="有纠纷")
    gate = login("gate")
    gate.post("/gate/", data=visit_form(id_number="440306199003071232"))
    assert "关注名单提醒：有纠纷" in gate.get("/gate/").text
    gate.post("/gate/vehicles", data={"plate": "粤B88888", "kind": "访客"})
    assert "关注名单提醒：有纠纷" in gate.get("/gate/vehicles").text
    with in_db():
        titles = [n.title for n in _alerts("supervisor")]
        assert any("车辆入场 粤B88888" in t for t in titles) and len(titles) == 2


def test_invitation_use_hit(login, in_db, now):
    with in_db():
        estate = Estate.get()
        make.watch(estate, name="钱某", phone="13900001111")
        invitation = make_invitation(estate.today(now), estate.today(now), phone="13900001111")
    gate = login("gate")
    assert "关注名单：曾冒充快递员" in gate.get(f"/gate/?code={invitation.code}").text
    response = gate.post("/gate/", data=visit_form(name="访客", phone="13900001111",
                                                   invitation=invitation.code))
    assert response.status_code == 302
    assert "关注名单提醒" in gate.get("/gate/").text
    with in_db():
        assert len(_alerts("supervisor")) == 1
