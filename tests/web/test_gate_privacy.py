"""Gate personal data: the purge after N days (fixed clock), its CLI command and periodic job."""
import io
from datetime import date, datetime, timedelta

from PIL import Image

from wyapp.gate import invitations, privacy, purge_command, reports, visits
from wyapp.gate.models import GateSettings, Invitation, PurgeRun, VehicleEntry, Visit
from wyapp.models import Estate, User
from wyapp.photos import Photo, save_photo
from wyapp.tasks import run_periodic

from .test_gate import visit_form

T0 = datetime(2026, 1, 5, 2, 0)  # 10:00 in Shanghai


def _png():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "PNG")
    return out.getvalue()


def _old_and_recent_visits():
    estate, gate = Estate.get(name="示范花园"), User.get(username="gate")
    photo = save_photo(estate, _png(), gate)
    old, _, _ = visits.register_visit(
        estate, gate, {**visit_form(name="老访客", plate="粤B12345",
                                    id_number="440306199003071232"), "party_size": 3},
        now=T0, photos=[photo])
    visits.sign_out(old, gate, T0 + timedelta(hours=1))
    recent, _, _ = visits.register_visit(estate, gate, {**visit_form(name="新访客"),
                                                          "party_size": 1},
                                           now=T0 + timedelta(days=100))
    invitation = invitations.create_invitation(estate, gate, {
        "name": "预约人", "phone": "13687654321", "unit": "1-301", "purpose": "探亲访友",
        "valid_from": date(2026, 1, 5), "valid_to": date(2026, 1, 5)})
    return estate, old, recent, photo, invitation


def test_purge_after_180_days_with_a_fixed_clock(app, in_db):
    with in_db():
        estate, old, recent, photo, invitation = _old_and_recent_visits()
        photo_file = photo.file()
        assert photo_file.exists()
        before = reports.daily_visitor_log(estate, date(2026, 1, 5))

        assert privacy.purge_personal_data(T0 + timedelta(days=179)) == {}
        result = privacy.purge_personal_data(T0 + timedelta(days=181))
        assert result == {"示范花园": {"visits": 1, "invitations": 1, "vehicles": 1,
                                       "photos": 1}}

        old = Visit.get_by_id(old.id)
        assert (old.name, old.phone, old.plate, old.id_masked, old.id_number, old.photo) == \
            ("", "", "", "", None, None)
        assert old.purged_at == T0 + timedelta(days=181)
        assert (old.purpose, old.party_size, old.unit.label) == ("探亲访友", 3, "1号楼-101")
        assert not photo_file.exists() and not Photo.select().where(Photo.id == photo.id).exists()
        assert VehicleEntry.get(visit=old).plate == ""
        assert Invitation.get_by_id(invitation.id).name == ""
        assert Visit.get_by_id(recent.id).name == "新访客"

        after = reports.daily_visitor_log(estate, date(2026, 1, 5))  # counts intact
        assert (after["total"], after["people"], after["by_purpose"]) == \
            (before["total"], before["people"], before["by_purpose"])
        assert after["visits"][0]["name"] == "（已清除）"
        run = PurgeRun.get()
        assert (run.visits, run.photos, run.cutoff) == (1, 1, T0 + timedelta(days=1))
        assert privacy.purge_personal_data(T0 + timedelta(days=182)) == {}  # nothing twice
        assert visits.phone_history(estate, "13912345678") == [Visit.get_by_id(recent.id)]


def test_retention_days_is_per_estate(app, in_db):
    with in_db():
        estate, old, recent, _, _ = _old_and_recent_visits()
        GateSettings.create(estate=estate, retention_days=30)
        result = privacy.purge_personal_data(T0 + timedelta(days=131))
        assert result["示范花园"]["visits"] == 2


def test_periodic_job_and_cli_command(app, in_db):
    with in_db():
        _old_and_recent_visits()
        assert run_periodic(T0 + timedelta(days=10))["gate.purge_expired"] == {}
    runner = app.test_cli_runner()
    result = runner.invoke(purge_command, ["--now", "2026-07-10T00:00"])
    assert result.exit_code == 0, result.output
    assert "示范花园: 来访 1 条, 预约 1 条, 车辆 1 条, 照片 1 张" in result.output
    assert "老访客" not in result.output
    again = runner.invoke(purge_command, ["--now", "2026-07-10T00:00"])
    assert "没有需要清除的访客个人信息" in again.output
    with in_db():
        assert Visit.get(Visit.purged_at.is_null(False)).name == ""


def test_settings_page_lists_purge_counts(login, in_db):
    with in_db():
        _old_and_recent_visits()
        privacy.purge_personal_data(T0 + timedelta(days=200))
    page = login("manager").get("/gate/settings").text
    assert "来访 1 条" in page and "照片 1 张" in page
