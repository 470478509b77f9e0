"""The gate reads a renovation's page with the workers' phones masked, as on its visitor
form (139****0001); the office roles read them whole."""
import pytest

from tests.factories import renovation as make

pytestmark = pytest.mark.clock


def test_the_gate_sees_workers_phones_masked(client, login, in_db):
    with in_db():
        renovation = make.approved()
    page = login("gate").get(f"/renovation/{renovation.id}").text
    assert "139****0001" in page and "13911110001" not in page
    assert "13800001111" not in page  # nor the owner's phone
    assert "13911110001" in login("desk").get(f"/renovation/{renovation.id}").text
