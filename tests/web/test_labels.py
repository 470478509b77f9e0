"""The permanent /c/<token> label URL and its dispatch to the feature owning the kind."""
import pytest
from flask import current_app

from wyapp.db import db
from wyapp.labels import Label, issue_label, label_url
from wyapp.models import Estate, User
from wyapp.qr import qr_svg


@pytest.fixture
def labelled(app):
    """A label of a test kind whose view echoes the target."""
    from wyapp.features import Feature

    app.extensions["wyapp.features"].append(
        Feature(name="test", label_kinds={"thing": lambda label: f"thing {label.target_id}"}))
    with app.app_context(), db.connection_context():
        return issue_label(Estate.get(), "thing", 42)


def test_token_is_unguessable(labelled):
    assert len(labelled.token) >= 22  # 16 random bytes, base64url


def test_label_opens_its_target_after_login(labelled, client, login):
    response = client.get(f"/c/{labelled.token}")
    assert response.status_code == 302 and "/login?next=/c/" in response.headers["Location"]
    assert login("guard").get(f"/c/{labelled.token}").text == "thing 42"


def test_reissued_label_is_refused_with_a_reason(labelled, app, login):
    with app.app_context(), db.connection_context():
        fresh = issue_label(Estate.get(), "thing", 42)
        assert Label.select().where(Label.kind == "thing", Label.retired_at.is_null()).count() == 1
    client = login("guard")
    old = client.get(f"/c/{labelled.token}")
    assert old.status_code == 410 and "标签已作废" in old.text
    assert client.get(f"/c/{fresh.token}").text == "thing 42"


def test_unknown_and_foreign_labels(app, login, labelled):
    with app.app_context(), db.connection_context():
        foreign = issue_label(Estate.create(name="别处"), "thing", 7)
        assert User.get(username="guard")
    client = login("guard")
    unknown = client.get("/c/not-a-token")
    assert unknown.status_code == 404 and "无法识别的标签" in unknown.text
    refused = client.get(f"/c/{foreign.token}")
    # another estate's label gets the unknown label's answer: nothing about other estates
    assert refused.status_code == 404 and refused.text == unknown.text
    assert "别处" not in refused.text
    assert refused.headers["Cache-Control"] == "private, no-store"


def test_label_url_and_qr(app):
    with app.test_request_context(base_url="https://wy.example.com"):
        assert label_url("abc") == "https://wy.example.com/c/abc"
        current_app.config["BASE_URL"] = "https://labels.example.com/"
        assert label_url("abc") == "https://labels.example.com/c/abc"
    svg = qr_svg("https://wy.example.com/c/abc")
    assert svg.startswith("<svg") and "<path" in svg


def test_admin_opens_any_active_estate_label_but_not_an_inactive_one(app, login, labelled):
    """The label and the user's right to its estate are read together (admin: any active
    estate; staff: only their own), and a deactivated estate's label is refused to both."""
    with app.app_context(), db.connection_context():
        other = issue_label(Estate.create(name="别处"), "thing", 7)
        closed = issue_label(Estate.create(name="已停用小区", active=False), "thing", 8)
    admin = login("admin")
    assert admin.get(f"/c/{other.token}").text == "thing 7"
    refused = admin.get(f"/c/{closed.token}")
    assert refused.status_code == 404 and "无法识别的标签" in refused.text
    assert login("guard").get(f"/c/{closed.token}").status_code == 404
