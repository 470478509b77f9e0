"""A leave request's photo (a sick note) is served to its applicant, the estate's
supervisors and managers only (issue 21); another guard of the estate gets 404, while an
ordinary photo of the estate still opens for them."""
import io
from datetime import timedelta

import pytest
from PIL import Image

from tests import factories
from tests.factories import staff as records
from wyapp.models import Estate
from wyapp.photos import save_photo
from wyapp.staff.leave import apply_leave

pytestmark = pytest.mark.clock


def _png():
    out = io.BytesIO()
    Image.new("RGB", (80, 60), "white").save(out, "PNG")
    return out.getvalue()


def test_a_sick_note_opens_for_the_applicant_and_the_leads_only(app, in_db, now, login):
    with in_db():
        estate = Estate.get(Estate.name == "示范花园")
        guard = records.staff("guard")
        factories.user("guard2", roles=("guard",), estates=[estate], display_name="孙保安")
        note = save_photo(estate, _png(), guard)
        day = estate.today(now) + timedelta(days=1)
        apply_leave(estate, guard, {"kind": "病假", "start_day": day, "start_half": "上午",
                                    "end_day": day, "end_half": "下午",
                                    "reason": "感冒就医"}, now, photo=note)
        other = save_photo(estate, _png(), guard)  # a photo of no leave: the estate's
        note_url, other_url = f"/photos/{note.id}.jpg", f"/photos/{other.id}.jpg"
    for username, status in (("guard", 200), ("supervisor", 200), ("manager", 200),
                             ("guard2", 404), ("engineer", 404)):
        client = login(username)
        response = client.get(note_url)
        assert response.status_code == status, username
        if status == 200:
            assert response.mimetype == "image/jpeg"
    assert login("guard2").get(other_url).status_code == 200
