"""人员管理 (issue 21), parts 1–2: rosters across midnight and month end, 我的排班, copy from
last month, leave with one or two approvals, the roster gap it leaves and the replacement.

Days are the estate's, derived from the test's `now`: the module is marked `clock`."""
from datetime import timedelta
from decimal import Decimal

import pytest

from tests import factories
from tests.factories import staff as records
from tests.factories.patrol import local
from wyapp.models import Estate, Notification
from wyapp.staff.models import Leave, RosterEntry
from wyapp.staff.rosters import copy_last_month, first_of, gaps, month_roster, on_duty

pytestmark = pytest.mark.clock


def _estate():
    return Estate.get(Estate.name == "示范花园")


def _month_end(today):
    return (today.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _names(users):
    return [u.display_name for u in users]


def test_a_night_shift_across_midnight_and_month_end(app, in_db, now, login):
    with in_db():
        estate = _estate()
        last = _month_end(estate.today(now))
        guard = records.staff("guard")
        night = records.shift(estate)
        entry = records.entry(estate, guard, last, night)
        assert (entry.starts_at, entry.ends_at) == (local(estate, last, 20),
                                                   local(estate, last + timedelta(days=1), 8))
        following = last + timedelta(days=1)
        assert _names(on_duty(estate, "秩序维护", local(estate, last, 23, 30))) == ["张保安"]
        assert _names(on_duty(estate, "秩序维护", local(estate, following, 7, 59))) == ["张保安"]
        assert on_duty(estate, "秩序维护", local(estate, following, 8)) == []
        assert on_duty(estate, "秩序维护", local(estate, last, 19, 59)) == []
        assert on_duty(estate, "门岗", local(estate, last, 23)) == []
        # the entry belongs to the month its shift starts in
        assert [e.id for e in month_roster(estate, "秩序维护", first_of(last))[last]] == [entry.id]
        assert not any(month_roster(estate, "秩序维护", following).values())
    page = login("guard").get(f"/staff/?month={last:%Y-%m}")
    assert page.status_code == 200
    assert f"{last:%m-%d}" in page.text and "夜班 20:00–08:00（次日）" in page.text


def test_copy_last_month_fills_every_day_by_date_then_weekday(app, in_db, now):
    with in_db():
        estate = _estate()
        guard = records.staff("guard")
        first = first_of(estate.today(now))
        previous = (first - timedelta(days=1)).replace(day=1)
        day = records.shift(estate, "白班", "08:00", "20:00")
        for n in range((first - previous).days):
            records.entry(estate, guard, previous + timedelta(days=n), day)
        made = copy_last_month(estate, "秩序维护", first)
        grid = month_roster(estate, "秩序维护", first)
        assert made == len(grid) and all(len(entries) == 1 for entries in grid.values())
        assert copy_last_month(estate, "秩序维护", first) == 0  # entries there stay, once


def test_supervisor_rosters_a_day_on_the_phone(client, login, in_db, now):
    login("supervisor")
    with in_db():
        estate = _estate()
        night = records.shift(estate)
        guard_id = records.staff("guard").id
        today = estate.today(now)
    page = client.get("/staff/roster?team=秩序维护")
    assert page.status_code == 200 and "秩序维护排班" in page.text
    posted = client.post(f"/staff/roster?team=秩序维护&month={today:%Y-%m}", data={
        "day": today.isoformat(), "shift": night.id, "user": guard_id})
    assert posted.status_code == 302
    again = client.post(f"/staff/roster?team=秩序维护&month={today:%Y-%m}", data={
        "day": today.isoformat(), "shift": night.id, "user": guard_id})
    assert again.status_code == 422 and "已排夜班" in again.text
    bad = client.post("/staff/roster?team=秩序维护", data={"day": "2026-02-30", "shift": night.id,
                                                        "user": guard_id})
    assert bad.status_code == 422 and "请填写日期" in bad.text
    assert "张保安" in client.get(f"/staff/roster?team=秩序维护&month={today:%Y-%m}").text
    with in_db():
        assert RosterEntry.select().count() == 1
    assert login("guard").get("/staff/roster").status_code == 403


def test_leave_over_the_threshold_needs_supervisor_then_manager(client, login, in_db, now):
    with in_db():
        estate = _estate()
        today = estate.today(now)
        guard, other = records.staff("guard"), factories.user(
            "guard2", roles=("guard",), estates=[estate], display_name="孙保安")
        night = records.shift(estate)
        entries = [records.entry(estate, guard, today + timedelta(days=n), night)
                   for n in range(1, 8)]
        records.entry(estate, other, today + timedelta(days=9), night)
    login("guard")
    start, end = today + timedelta(days=2), today + timedelta(days=5)
    posted = client.post("/staff/leave/new", data={
        "kind": "病假", "start_day": start.isoformat(), "start_half": "上午",
        "end_day": end.isoformat(), "end_half": "下午", "reason": "发烧，医生建议休息"})
    assert posted.status_code == 302
    leave_url = posted.headers["Location"]
    assert "待审批" in client.get(leave_url).text and "待主管审批" in client.get(leave_url).text
    assert client.post(f"{leave_url}/approve").status_code == 403  # not one's own
    login("supervisor")
    assert "张保安 病假 4 天" in client.get("/staff/leave").text
    assert client.post(f"{leave_url}/approve").status_code == 302
    with in_db():
        leave = Leave.get()
        assert (leave.status, leave.waiting_for, leave.needs_manager) == ("待审批", "经理", True)
        assert gaps(estate, now, now + timedelta(days=31)) == []  # not approved yet
    assert client.post(f"{leave_url}/approve").status_code == 403  # the manager's step
    login("manager")
    assert client.post(f"{leave_url}/approve").status_code == 302
    with in_db():
        leave = Leave.get()
        assert leave.status == "已批准" and leave.days == 4
        at = local(estate, start, 23)
        assert on_duty(estate, "秩序维护", at) == []
        found = gaps(estate, now, now + timedelta(days=31))
        # the night shifts starting on the leave's days (not the one starting the evening before)
        assert [e.id for e in found] == [e.id for e in entries[1:5]]
        told = Notification.get(Notification.title.startswith("缺岗待替班"))
        assert told.user.username == "supervisor" and told.title.endswith("4 个班次")
    login("guard")
    assert "已批准" in client.get(leave_url).text
    assert "请假（病假）" in client.get(f"/staff/?month={start:%Y-%m}").text
    login("supervisor")
    page = client.get("/staff/gaps")
    assert page.status_code == 200 and "张保安 请假（病假）" in page.text
    gap = found[0]
    assert client.post(f"/staff/gaps/{gap.id}", data={f"e{gap.id}-user": other.id}).status_code \
        == 302
    with in_db():
        assert _names(on_duty(estate, "秩序维护", at)) == ["孙保安"]
        assert len(gaps(estate, now, now + timedelta(days=31))) == 3


def test_short_leave_one_approval_refusal_and_withdrawal(client, login, in_db, now):
    with in_db():
        estate = _estate()
        today = estate.today(now)
        guard = records.staff("guard")
        half = records.leave(estate, guard, today + timedelta(days=1), start_half="下午",
                             end_half="下午")
        assert half.days == 0.5 and not half.needs_manager
        refused = records.leave(estate, guard, today + timedelta(days=3), kind="年假")
        taken_back = records.leave(estate, guard, today + timedelta(days=6), kind="调休")
    login("supervisor")
    assert client.post(f"/staff/leave/{half.id}/approve").status_code == 302
    assert client.post(f"/staff/leave/{refused.id}/refuse", data={"reason": ""}).status_code \
        == 422
    assert client.post(f"/staff/leave/{refused.id}/refuse",
                       data={"reason": "当天人手不足"}).status_code == 302
    assert client.post(f"/staff/leave/{taken_back.id}/withdraw").status_code == 403
    login("guard")
    assert client.post(f"/staff/leave/{taken_back.id}/withdraw").status_code == 302
    with in_db():
        assert [x.status for x in Leave.select().order_by(Leave.id)] == ["已批准", "已驳回",
                                                                        "已撤回"]
    page = client.get("/staff/leave")
    assert "已驳回" in page.text and "已撤回" in page.text
    assert "当天人手不足" in client.get(f"/staff/leave/{refused.id}").text
    # overlapping an approved leave, and an end before the start, are refused beside the field
    bad = client.post("/staff/leave/new", data={
        "kind": "事假", "start_day": (today + timedelta(days=1)).isoformat(),
        "start_half": "上午", "end_day": today.isoformat(), "end_half": "下午", "reason": "x"})
    assert bad.status_code == 422 and "结束时间不能早于开始时间" in bad.text


def test_leave_of_another_estate_or_person_is_not_found(client, login, in_db, now):
    with in_db():
        other = factories.estate("别的小区", buildings=1)
        stranger = factories.user("far", roles=("guard",), estates=[other])
        far = records.leave(other, stranger, other.today(now))
        mine = records.leave(_estate(), factories.user(
            "guard3", roles=("guard",), estates=[_estate()]), _estate().today(now))
    login("supervisor")
    assert client.get(f"/staff/leave/{far.id}").status_code == 404
    assert client.post(f"/staff/leave/{far.id}/approve").status_code == 404
    login("guard")
    assert client.get(f"/staff/leave/{mine.id}").status_code == 404


def test_a_week_rostered_in_one_go(client, login, in_db, now):
    login("supervisor")
    with in_db():
        estate = _estate()
        day = records.shift(estate, "白班", "08:00", "20:00")
        guard_id = records.staff("guard").id
        today = estate.today(now)
        records.entry(estate, records.staff("guard"), today + timedelta(days=2), day)
    url = f"/staff/roster?team=秩序维护&month={today:%Y-%m}"
    posted = client.post(url, data={"day": today.isoformat(), "shift": day.id, "user": guard_id,
                                    "until": (today + timedelta(days=6)).isoformat()})
    assert posted.status_code == 302
    assert "白班 6 天" in client.get(posted.headers["Location"]).text  # one was there already
    backwards = client.post(url, data={"day": today.isoformat(), "shift": day.id,
                                       "user": guard_id,
                                       "until": (today - timedelta(days=1)).isoformat()})
    assert backwards.status_code == 422 and "结束日期不能早于开始日期" in backwards.text
    with in_db():
        assert RosterEntry.select().count() == 7


def test_a_sick_note_photo_goes_with_the_request(client, login, in_db, now):
    import io

    from PIL import Image
    image = io.BytesIO()
    Image.new("RGB", (80, 60), "white").save(image, "PNG")
    image.seek(0)
    with in_db():
        day = _estate().today(now) + timedelta(days=1)
    login("guard")
    form = {"kind": "病假", "start_day": day.isoformat(), "start_half": "上午",
            "end_day": day.isoformat(), "end_half": "上午", "reason": "感冒就医"}
    refused = client.post("/staff/leave/new", data={**form, "photo": (io.BytesIO(b"not a photo"),
                                                                       "note.jpg")},
                          content_type="multipart/form-data")
    assert refused.status_code == 422 and "只能上传照片" in refused.text
    assert 'value="感冒就医"' in refused.text or "感冒就医</textarea>" in refused.text
    posted = client.post("/staff/leave/new", data={**form, "photo": (image, "note.png")},
                         content_type="multipart/form-data")
    assert posted.status_code == 302
    with in_db():
        leave = Leave.get()
        assert leave.photo_id is not None and leave.days == Decimal("0.5")
    page = client.get(posted.headers["Location"])
    assert f"/photos/{leave.photo_id}.jpg" in page.text and "病假 0.5 天" in page.text
