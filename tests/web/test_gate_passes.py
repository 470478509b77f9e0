"""Gate: invitations (预约) and release slips (放行条) — dates, once per day, single use.

"Today" is the estate's date at the test's `now` (never the machine's date): marked `clock`."""
import re
from datetime import date, datetime, timedelta

import pytest

from tests.factories import gate as make
from wyapp.db import utcnow
from wyapp.errors import DomainError
from wyapp.gate import goods, visits
from wyapp.gate.invitations import check_invitation
from wyapp.gate.models import Invitation, ReleaseSlip, Visit
from wyapp.models import Building, Estate, Unit, User

from .test_gate import visit_form

pytestmark = pytest.mark.clock

TODAY_NOON = datetime(2026, 3, 10, 4, 0)  # 12:00 in Shanghai


def invitation_form(**changes):
    form = {"name": "林晓", "phone": "13687654321", "unit": "1-301", "purpose": "探亲访友",
            "party_size": "2", "plate": "", "valid_from": "", "valid_to": "", "note": ""}
    form.update(changes)
    return form


@pytest.fixture
def today(in_db, now):
    """The estate's date at the test's instant."""
    with in_db():
        return Estate.get(name="示范花园").today(now)


def make_invitation(valid_from, valid_to, estate=None, phone="13687654321"):
    estate = estate or Estate.get(name="示范花园")
    unit = Unit.select().where(Unit.estate == estate).first()
    return make.invitation(estate, valid_from, valid_to, phone=phone,
                           unit=unit.label.replace("号楼", ""))


def test_desk_creates_an_invitation_with_code_and_qr(login, app, in_db, today):
    desk = login("desk")
    response = desk.post("/gate/invitations", data=invitation_form(
        valid_from=today.isoformat(), valid_to=(today + timedelta(days=1)).isoformat()))
    assert response.status_code == 302
    page = desk.get(response.headers["Location"]).text
    with in_db():
        invitation = Invitation.get(phone="13687654321", note="")
    assert invitation.code in page and "<svg" in page and "每天限用一次" in page
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", invitation.code)
    public = app.test_client().get(f"/gate/i/{invitation.token}")
    assert public.status_code == 200 and invitation.code in public.text and "<svg" in public.text
    assert "林晓" not in public.text and "13687654321" not in public.text
    assert app.test_client().get("/gate/i/nonsense").status_code == 404


def test_invitation_form_errors(login):
    desk = login("desk")
    response = desk.post("/gate/invitations", data=invitation_form(
        unit="8-808", valid_from="2026-03-10", valid_to="2026-03-01"))
    assert response.status_code == 422 and "本小区没有房号" in response.text
    backwards = desk.post("/gate/invitations", data=invitation_form(
        valid_from="2026-03-10", valid_to="2026-03-01"))
    assert "结束日期不能早于开始日期" in backwards.text and 'value="林晓"' in backwards.text
    empty = desk.post("/gate/invitations", data={})
    assert "请填写访客姓名" in empty.text and "请选择开始日期" in empty.text


@pytest.mark.parametrize("value", ["", "测" * 10000, "<b>x</b>", "' OR '1'='1"])
def test_invitation_form_hostile_values(login, value):
    desk = login("desk")
    for field in invitation_form():
        data = {**invitation_form(valid_from="2026-03-10", valid_to="2026-03-10"), field: value}
        response = desk.post("/gate/invitations", data=data)
        assert response.status_code in (302, 422), field
        if response.status_code == 422:
            assert re.search(r'class="error"[^>]*>[^<]*[\u4e00-\u9fff]', response.text), field


def test_invitation_roles(login):
    assert login("gate").get("/gate/invitations").status_code == 403
    assert login("guard").get("/gate/invitations").status_code == 403
    assert login("desk").get("/gate/invitations").status_code == 200


def test_code_at_the_gate_fills_the_form_and_works_once_a_day(login, in_db, today):
    with in_db():
        invitation = make_invitation(today - timedelta(days=1), today + timedelta(days=1))
    gate = login("gate")
    filled = gate.get(f"/gate/?code={invitation.code.lower()}")
    assert 'value="林晓"' in filled.text and 'value="13687654321"' in filled.text
    assert f'value="{invitation.code}"' in filled.text and "已按预约填好" in filled.text
    response = gate.post("/gate/", data=visit_form(name="林晓", phone="13687654321",
                                                   invitation=invitation.code))
    assert response.status_code == 302
    with in_db():
        assert Visit.get(name="林晓").invitation_id == invitation.id
    used = gate.get(f"/gate/?code={invitation.code}")
    assert "这个预约码今天已经使用过，一天只能使用一次" in used.text
    again = gate.post("/gate/", data=visit_form(name="林晓", invitation=invitation.code))
    assert again.status_code == 422 and "今天已经使用过" in again.text
    assert "没有这个预约码" in gate.get("/gate/?code=ZZZZZZ").text


def test_invitation_dates_with_a_fixed_clock(app, in_db):
    with in_db():
        estate = Estate.get(name="示范花园")
        invitation = make_invitation(date(2026, 3, 10), date(2026, 3, 11))
        with pytest.raises(DomainError, match="还未生效：有效日期从 2026-03-10"):
            check_invitation(estate, invitation.code, datetime(2026, 3, 9, 15, 59))
        # 2026-03-10 00:00 in Shanghai is 03-09 16:00 UTC
        assert check_invitation(estate, invitation.code, datetime(2026, 3, 9, 16, 0))
        make.visit(estate, invitation=invitation.code, at=TODAY_NOON)
        with pytest.raises(DomainError, match="今天已经使用过"):
            check_invitation(estate, invitation.code, TODAY_NOON + timedelta(hours=3))
        next_day = TODAY_NOON + timedelta(days=1)
        assert check_invitation(estate, invitation.code, next_day)
        with pytest.raises(DomainError, match="已过期：有效期到 2026-03-11"):
            check_invitation(estate, invitation.code, TODAY_NOON + timedelta(days=2))


def test_other_estates_code_is_unknown(login, in_db, today):
    with in_db():
        other = Estate.create(name="他处花园")
        Unit.create(estate=other, building=Building.create(estate=other, name="A栋"),
                    number="101")
        invitation = make_invitation(today, today, estate=other)
    gate = login("gate")
    assert "没有这个预约码" in gate.get(f"/gate/?code={invitation.code}").text
    assert login("desk").get(f"/gate/invitations/{invitation.id}").status_code == 404


# ── release slips ─────────────────────────────────────────────────────────────

def slip_form(today, **changes):
    form = {"unit": "3-101", "applicant": "马先生", "items": "沙发 2\n冰箱×1",
            "valid_on": today.isoformat(), "approved_by": "王经理", "note": ""}
    form.update(changes)
    return form


def test_desk_issues_a_slip_and_the_gate_releases_it_once(login, in_db, today):
    desk = login("desk")
    response = desk.post("/gate/slips/new", data=slip_form(today))
    assert response.status_code == 302
    with in_db():
        slip = ReleaseSlip.get(applicant="马先生")
        assert [(i.name, i.quantity) for i in slip.goods] == [("沙发", 2), ("冰箱", 1)]
    assert desk.post(f"/gate/slips/{slip.id}", data={}).status_code == 403  # the gate releases
    gate = login("gate")
    by_code = gate.get(f"/gate/slips?q={slip.code.lower()}", headers={"HX-Request": "true"})
    assert "<html" not in by_code.text and slip.code in by_code.text and "今日有效" in by_code.text
    by_unit = gate.get("/gate/slips?q=3-101")
    assert "<html" in by_unit.text and slip.code in by_unit.text
    page = gate.get(f"/gate/slips/{slip.id}").text
    assert "沙发 × 2" in page and "冰箱 × 1" in page and "确认放行" in page
    released = gate.post(f"/gate/slips/{slip.id}", data={"exit_note": "搬家公司 粤B2M7K3"})
    assert released.status_code == 302
    done = gate.get(f"/gate/slips/{slip.id}").text
    assert "已于" in done and "放行" in done and "确认放行" not in done
    twice = gate.post(f"/gate/slips/{slip.id}", data={})
    assert twice.status_code == 422 and "这张放行条已经使用过" in twice.text


def test_expired_and_future_slips_say_why(login, in_db, today):
    with in_db():
        estate = Estate.get(name="示范花园")
        old = make.slip(estate, date(2020, 1, 1))
        later = make.slip(estate, today + timedelta(days=3))
    gate = login("gate")
    assert "已过期（有效日期 2020-01-01）" in gate.get(f"/gate/slips/{old.id}").text
    refused = gate.post(f"/gate/slips/{old.id}", data={})
    assert refused.status_code == 422 and "已过期" in refused.text
    assert "还未到有效日期" in gate.post(f"/gate/slips/{later.id}", data={}).text
    with in_db():
        assert ReleaseSlip.get_by_id(old.id).used_at is None


def test_slip_release_is_single_use_even_when_raced(app, in_db):
    with in_db():
        estate, gate = Estate.get(name="示范花园"), User.get(username="gate")
        slip = make.slip(estate, date(2026, 3, 10))
        stale = ReleaseSlip.get_by_id(slip.id)
        goods.release_goods(slip, gate, now=TODAY_NOON)
        with pytest.raises(DomainError, match="已经使用过"):
            goods.release_goods(stale, gate, now=TODAY_NOON)  # fetched before the release
        stale.used_at = None
        with pytest.raises(DomainError, match="已经使用过"):
            goods.release_goods(stale, gate, now=TODAY_NOON)


@pytest.mark.parametrize("value", ["", "测" * 10000, "<img src=x>", "1; DELETE FROM unit"])
def test_slip_form_hostile_values(login, value, today):
    desk = login("desk")
    for field in slip_form(today):
        response = desk.post("/gate/slips/new", data=slip_form(today, **{field: value}))
        assert response.status_code in (302, 422), field
        if response.status_code == 422:
            assert re.search(r'class="error"[^>]*>[^<]*[\u4e00-\u9fff]', response.text), field


def test_other_estates_slip_is_404(login, in_db, today):
    with in_db():
        other = Estate.create(name="他处花园")
        Unit.create(estate=other, building=Building.create(estate=other, name="A栋"),
                    number="101")
        slip = make.slip(other, today, unit="A栋-101", by=User.get(username="admin"))
    gate = login("gate")
    assert gate.get(f"/gate/slips/{slip.id}").status_code == 404
    assert gate.post(f"/gate/slips/{slip.id}", data={}).status_code == 404
    assert "没有找到放行条" in gate.get(f"/gate/slips?q={slip.code}").text


def test_now_is_not_used_by_accident():
    assert utcnow().tzinfo is None


@pytest.mark.parametrize("value", ["", "测" * 10000, "<script>x</script>", "' OR 1=1 --", "%FF"])
def test_hostile_lookups_never_500(login, value):
    gate = login("gate")
    code = gate.get("/gate/", query_string={"code": value})
    assert code.status_code == 200 and "<script>x</script>" not in code.text
    if value:
        assert "没有这个预约码" in code.text
    assert gate.get("/gate/slips", query_string={"q": value}).status_code == 200
    assert gate.get("/gate/", query_string={"visit": value}).status_code == 200
    assert gate.post("/gate/suggest", data={"phone": value}).status_code == 200
    boss = login("supervisor")
    assert boss.get("/gate/report", query_string={"day": value}).status_code == 200
    settings = boss.post("/gate/settings", data={"long_stay_hours": value,
                                                 "retention_days": value})
    assert settings.status_code == 422
    assert re.search(r'class="error"[^>]*>[^<]*[\u4e00-\u9fff]', settings.text)


def test_once_a_day_is_enforced_by_the_database_too(app, in_db, monkeypatch):
    with in_db():
        estate = Estate.get(name="示范花园")
        invitation = make_invitation(date(2026, 3, 10), date(2026, 3, 10))
        make.visit(estate, invitation=invitation.code, at=TODAY_NOON)
        # a twin request that checked the code before the first one was written
        monkeypatch.setattr(visits, "check_invitation", lambda *args: invitation)
        with pytest.raises(DomainError, match="今天已经使用过"):
            make.visit(estate, invitation=invitation.code, at=TODAY_NOON)
        assert Visit.select().where(Visit.invitation == invitation).count() == 1
