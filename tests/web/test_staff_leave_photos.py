"""A leave request's photo (a sick note) after the request ends without approval: withdrawn
before anyone decided, the photo is deleted (row and stored file); refused, it stays, the
evidence the refusal was made on, still shown to the applicant and the leads. A photo that
something else refers to is never deleted."""
from datetime import timedelta

import pytest

from tests.factories import staff as records
from tests.web.test_staff_photos import _png
from wyapp.models import Estate
from wyapp.photos import Photo, save_photo
from wyapp.service.models import WorkOrderPhoto
from wyapp.staff.leave import apply_leave
from wyapp.staff.models import Leave
from wyapp.storage import storage

pytestmark = pytest.mark.clock


def _ask(in_db, now, days_ahead=1):
    """A 病假 of the guard with a sick note: (leave id, photo id, photo key)."""
    with in_db():
        estate = Estate.get(Estate.name == "示范花园")
        guard = records.staff("guard")
        note = save_photo(estate, _png(), guard)
        day = estate.today(now) + timedelta(days=days_ahead)
        leave = apply_leave(estate, guard, {"kind": "病假", "start_day": day,
                                            "start_half": "上午", "end_day": day,
                                            "end_half": "下午", "reason": "感冒就医"},
                            now, photo=note)
        assert storage().exists(note.key)
        return leave.id, note.id, note.key


def test_a_withdrawn_request_takes_its_sick_note_with_it(app, in_db, now, login):
    leave_id, photo_id, key = _ask(in_db, now)
    client = login("guard")
    assert client.get(f"/photos/{photo_id}.jpg").status_code == 200
    answer = client.post(f"/staff/leave/{leave_id}/withdraw")
    assert answer.status_code == 302
    page = client.get(f"/staff/leave/{leave_id}").text
    assert "已撤回" in page and f"/photos/{photo_id}.jpg" not in page
    assert client.get(f"/photos/{photo_id}.jpg").status_code == 404
    assert login("supervisor").get(f"/photos/{photo_id}.jpg").status_code == 404
    with in_db():
        assert Leave.get_by_id(leave_id).photo_id is None
        assert not Photo.select().where(Photo.id == photo_id).exists()
        assert not storage().exists(key)


def test_a_refused_request_keeps_its_sick_note_as_its_record(app, in_db, now, login):
    leave_id, photo_id, key = _ask(in_db, now)
    lead = login("supervisor")
    refused = lead.post(f"/staff/leave/{leave_id}/refuse", data={"reason": "人手不足，请改期"})
    assert refused.status_code == 302
    page = lead.get(f"/staff/leave/{leave_id}").text
    assert "已驳回" in page and f"/photos/{photo_id}.jpg" in page
    assert lead.get(f"/photos/{photo_id}.jpg").status_code == 200
    assert login("guard").get(f"/photos/{photo_id}.jpg").status_code == 200
    with in_db():
        assert Leave.get_by_id(leave_id).photo_id == photo_id and storage().exists(key)


def test_a_photo_something_else_refers_to_stays_when_the_request_is_withdrawn(
        app, in_db, now, login):
    """The same stored photo on a work order (which the archive files when it closes): the
    withdrawn request lets go of it, the work order keeps it."""
    from tests.factories import service as desk

    leave_id, photo_id, key = _ask(in_db, now)
    with in_db():
        order = desk.work_order()
        WorkOrderPhoto.create(order=order, photo=photo_id)
    assert login("guard").post(f"/staff/leave/{leave_id}/withdraw").status_code == 302
    with in_db():
        assert Photo.select().where(Photo.id == photo_id).exists() and storage().exists(key)


def test_a_request_withdrawn_after_the_supervisor_approved_keeps_its_sick_note(
        app, in_db, now, login):
    """Longer than the threshold it waits for the manager after the 主管 said yes: withdrawn
    then, somebody has decided on it (the 主管's approval was made on the note), so the note
    stays as that decision's record, shown to the applicant and the leads."""
    leave_id, photo_id, key = _ask(in_db, now)
    with in_db():
        Leave.update(needs_manager=True).where(Leave.id == leave_id).execute()
    assert login("supervisor").post(f"/staff/leave/{leave_id}/approve").status_code == 302
    guard = login("guard")
    assert guard.post(f"/staff/leave/{leave_id}/withdraw").status_code == 302
    page = guard.get(f"/staff/leave/{leave_id}").text
    assert "已撤回" in page and f"/photos/{photo_id}.jpg" in page
    assert login("supervisor").get(f"/photos/{photo_id}.jpg").status_code == 200
    with in_db():
        assert Leave.get_by_id(leave_id).photo_id == photo_id and storage().exists(key)


def test_withdrawing_twice_or_someone_elses_request_changes_nothing(app, in_db, now, login):
    leave_id, photo_id, key = _ask(in_db, now)
    for other in ("gate", "supervisor", "manager"):
        assert login(other).post(f"/staff/leave/{leave_id}/withdraw").status_code in (403, 404)
    with in_db():
        assert Photo.select().where(Photo.id == photo_id).exists() and storage().exists(key)
    guard = login("guard")
    assert guard.post(f"/staff/leave/{leave_id}/withdraw").status_code == 302
    again = guard.post(f"/staff/leave/{leave_id}/withdraw")
    assert again.status_code == 422 and "只有待审批的请假可以撤回" in again.text
    with in_db():
        assert Leave.get_by_id(leave_id).status == "已撤回"
