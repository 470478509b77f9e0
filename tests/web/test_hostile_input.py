"""Every form of the foundation under malformed and hostile values: never a 500."""
import pytest

from wyapp.db import db
from wyapp.models import Building, Estate, User

HOSTILE = [
    "",
    "x" * 10_000,
    "<script>alert(1)</script><b>粗体</b>",
    "'; DROP TABLE \"user\"; --",
    "\x00\x01控制字符",
    "\ud800",  # a lone surrogate: not valid UTF-8 once encoded
]
RAW_BAD_UTF8 = b"username=\xff\xfe\xfa&password=\xc3\x28"


def _targets(app):
    with app.app_context(), db.connection_context():
        estate = Estate.get()
        building = Building.select().where(Building.estate == estate).first()
        guard = User.get(username="guard")
    return [
        ("/login", ["username", "password"], None),
        ("/estate", ["estate_id"], "guard"),  # before the guard's password is reset below
        ("/me", ["current", "new", "confirm"], "desk"),
        ("/admin/estates/new", ["name", "address", "timezone"], "admin"),
        (f"/admin/estates/{estate.id}", ["name"], "admin"),
        (f"/admin/estates/{estate.id}/buildings/{building.id}", ["number", "floor", "note"],
         "admin"),
        ("/admin/users/new", ["username", "display_name", "phone", "password", "roles",
                              "estates"], "admin"),
        (f"/admin/users/{guard.id}", ["display_name", "phone", "roles", "estates"], "admin"),
        (f"/admin/users/{guard.id}/password", ["password"], "admin"),
        (f"/admin/estates/{estate.id}/units/import", ["file"], "admin"),
    ]


def _encode(value):
    return value.encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("value", HOSTILE, ids=["empty", "long", "html", "sql", "ctrl", "utf8"])
def test_no_form_gives_a_500(app, login, client, value):
    for path, fields, username in _targets(app):
        if username:
            login(username)
        else:
            client.post("/logout")
        body = b"&".join(f"{f}=".encode() + _quote(_encode(value)) for f in fields)
        response = client.post(path, data=body,
                               content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, (path, value[:20], response.status_code)
        assert "<script>alert(1)</script>" not in response.text


def test_control_characters_get_a_chinese_message(login):
    client = login("admin")
    response = client.post("/admin/estates/new",
                           data={"name": "坏\x01名", "timezone": "Asia/Shanghai"})
    assert "包含无法识别的字符" in response.text
    # NUL cannot be stored by PostgreSQL: refused before any form, in Chinese too
    nul = client.post("/admin/estates/new", data={"name": "坏\x00名", "timezone": "Asia/Shanghai"})
    assert nul.status_code == 400 and "空字符" in nul.text


def test_raw_invalid_utf8_login(client):
    response = client.post("/login", data=RAW_BAD_UTF8,
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.text or "请输入" in response.text


def _quote(raw):
    from urllib.parse import quote_from_bytes
    return quote_from_bytes(raw).encode()


def test_builtin_validator_messages_are_chinese(login):
    client = login("admin")
    response = client.post("/admin/users/new", data={
        "username": "newone", "display_name": "某人", "password": "longenough1",
        "roles": ["pilot"]})
    assert "不是有效的选择" in response.text and "Not a valid choice" not in response.text
