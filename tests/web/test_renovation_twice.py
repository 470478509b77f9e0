"""A 装修巡查 sent twice (a double tap, or the phone re-sending a POST whose answer was lost)
records one inspection and one violation per item found — not two violations for one
finding, each of which the manager could then deduct from the deposit."""
import re
from datetime import timedelta

import pytest

from tests.factories import renovation as make
from tests.factories.service import home
from tests.web.test_renovation import answers_form
from wyapp.db import utcnow
from wyapp.renovation.models import Inspection, Violation

pytestmark = pytest.mark.clock


def test_an_inspection_sent_twice_with_its_key_is_recorded_once(client, login, in_db):
    with in_db():
        estate = home()
        renovation = make.approved(estate, "1-101")
        deadline = (estate.today(utcnow()) + timedelta(days=2)).isoformat()
        data = answers_form(estate, "巡查", {"消防": "堵塞通道"}, deadline=deadline)
    login("engineer")
    url = f"/renovation/{renovation.id}/inspect/patrol"
    page = client.get(url).text
    data["idempotency_key"] = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"',
                                        page).group(1)
    first, second = client.post(url, data=data), client.post(url, data=data)
    assert first.status_code == second.status_code == 302, second.text
    with in_db():
        assert Inspection.select().count() == 1
        assert Violation.select().count() == 1
    # a new form (a new key) is another inspection
    again = client.get(url).text
    data["idempotency_key"] = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"',
                                        again).group(1)
    assert client.post(url, data=data).status_code == 302
    with in_db():
        assert Inspection.select().count() == 2
