"""Sessions kept on the server: a cookie names a session that logging out, a password
change, an admin reset, a deactivation or 我的 → 让它退出 ends for every copy of it."""
from datetime import timedelta

import pytest

from tests import factories
from wyapp.auth import device_name, load_user
from wyapp.db import db
from wyapp.models import User
from wyapp.sessions import UserSession

PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; V2309A Build/UP1A) AppleWebKit/537.36 (KHTML, "
            "like Gecko) Version/4.0 Chrome/116.0 Mobile Safari/537.36 MicroMessenger/8.0.47")
PC_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/124.0 Safari/537.36 Edg/124.0")


def logged_in(app, username="guard", user_agent=PHONE_UA):
    """A new browser (test client) logged in as `username`."""
    client = app.test_client()
    response = client.post("/login", headers={"User-Agent": user_agent},
                           data={"username": username, "password": factories.PASSWORD})
    assert response.status_code == 302, response.text
    return client


def copy_of(client, app):
    """A second browser holding a copy of `client`'s session cookie (a stolen cookie)."""
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"],
                     client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value)
    return other


def lands_on_login(response):
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_cookie_copied_before_logout_lands_on_the_login_page_after_it(app):
    phone = logged_in(app)
    thief = copy_of(phone, app)
    stored = phone.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert thief.get("/").status_code == 200  # the copy works while the session is open
    phone.post("/logout")
    assert lands_on_login(phone.get("/"))
    assert lands_on_login(thief.get("/"))
    phone.set_cookie(app.config["SESSION_COOKIE_NAME"], stored)  # the phone replays it too
    assert lands_on_login(phone.get("/"))
    assert lands_on_login(phone.get("/me"))


def test_htmx_with_an_ended_session_redirects_the_whole_page(app):
    phone = logged_in(app)
    thief = copy_of(phone, app)
    phone.post("/logout")
    response = thief.get("/notifications", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")


def test_a_password_change_ends_the_other_sessions_and_keeps_this_one(app):
    phone, pc = logged_in(app, "desk"), logged_in(app, "desk", PC_UA)
    other_user = logged_in(app, "guard")
    changed = pc.post("/me", data={"current": factories.PASSWORD, "new": "newpass123",
                                   "confirm": "newpass123"}, follow_redirects=True)
    assert "密码已修改，其他 1 台设备已退出登录" in changed.text
    assert pc.get("/").status_code == 200
    assert lands_on_login(phone.get("/"))
    assert other_user.get("/").status_code == 200  # another user's sessions are theirs


def test_a_password_change_by_htmx_says_so_in_its_block(app):
    phone, pc = logged_in(app, "desk"), logged_in(app, "desk", PC_UA)
    changed = pc.post("/me", headers={"HX-Request": "true"},
                      data={"current": factories.PASSWORD, "new": "newpass123",
                            "confirm": "newpass123"})
    assert "其他 1 台设备已退出登录" in changed.text and "<html" not in changed.text
    assert lands_on_login(phone.get("/"))


def test_an_admin_reset_ends_every_session_of_that_user(app):
    phone, pc = logged_in(app, "guard"), logged_in(app, "guard", PC_UA)
    admin = logged_in(app, "admin")
    with app.app_context(), db.connection_context():
        guard_id = User.get(username="guard").id
    reset = admin.post(f"/admin/users/{guard_id}/password", data={"password": "brandnew99"},
                       follow_redirects=True)
    assert "2 台已登录的设备已退出" in reset.text
    assert lands_on_login(phone.get("/")) and lands_on_login(pc.get("/"))
    assert admin.get("/admin/users").status_code == 200
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": "guard",
                                      "password": factories.PASSWORD}).status_code == 200
    assert fresh.post("/login", data={"username": "guard",
                                      "password": "brandnew99"}).status_code == 302


def test_deactivation_ends_sessions_and_reactivation_does_not_revive_them(app):
    phone = logged_in(app, "guard")
    admin = logged_in(app, "admin")
    with app.app_context(), db.connection_context():
        guard = User.get(username="guard")
        estate_ids = [e.id for e in guard.estates()]
    form = {"display_name": guard.display_name, "roles": ["guard"], "estates": estate_ids}
    admin.post(f"/admin/users/{guard.id}", data=form)  # active unticked
    assert lands_on_login(phone.get("/"))
    admin.post(f"/admin/users/{guard.id}", data={**form, "active": "y"})
    assert lands_on_login(phone.get("/"))


def test_me_lists_the_devices_and_ends_a_lost_phone(app):
    phone, pc = logged_in(app, "engineer"), logged_in(app, "engineer", PC_UA)
    page = pc.get("/me").text
    assert "Android · 微信" in page and "Windows · Edge</strong>（本机）" in page
    assert page.count("让它退出") == 1  # this device logs out with 退出登录, not from the list
    with app.app_context(), db.connection_context():
        lost = UserSession.get(UserSession.device == "Android · 微信")
        shown = lost.last_seen + timedelta(hours=8)
    assert shown.strftime("%Y-%m-%d %H:%M") in page  # last seen in the estate's time (UTC+8)
    block = pc.post(f"/me/sessions/{lost.id}/end", headers={"HX-Request": "true"})
    assert block.status_code == 200 and "<html" not in block.text
    assert "Android · 微信" not in block.text and "Windows · Edge</strong>（本机）" in block.text
    assert lands_on_login(phone.get("/"))
    assert pc.get("/").status_code == 200


def test_ending_a_session_by_form_and_this_one_and_not_another_users(app):
    phone, pc = logged_in(app, "engineer"), logged_in(app, "engineer", PC_UA)
    guard = logged_in(app, "guard")
    with app.app_context(), db.connection_context():
        engineer, guard_user = User.get(username="engineer"), User.get(username="guard")
        sessions = {s.device: s.id for s in UserSession.open_ones(engineer)}
        guards = UserSession.get(UserSession.user == guard_user).id
    assert pc.post(f"/me/sessions/{guards}/end").status_code == 404
    assert guard.get("/").status_code == 200
    ended = pc.post(f"/me/sessions/{sessions['Android · 微信']}/end", follow_redirects=True)
    assert "已让这台设备退出登录" in ended.text and lands_on_login(phone.get("/"))
    assert pc.post(f"/me/sessions/{sessions['Android · 微信']}/end").status_code == 404
    own = pc.post(f"/me/sessions/{sessions['Windows · Edge']}/end")
    assert lands_on_login(own) and lands_on_login(pc.get("/"))


def test_a_cookie_from_before_sessions_were_kept_logs_in_again(app):
    with app.test_client() as old:
        with app.app_context(), db.connection_context():
            guard_id = User.get(username="guard").id
        with old.session_transaction() as session:
            session["_user_id"] = str(guard_id)  # what flask-login kept before core:0002
            session["_fresh"] = True
        assert lands_on_login(old.get("/"))
        assert old.post("/login", data={"username": "guard",
                                        "password": factories.PASSWORD}).status_code == 302
        assert old.get("/").status_code == 200


def test_the_loader_reads_in_one_query_and_writes_last_seen_rarely(app, monkeypatch):
    logged_in(app, "guard")
    with app.app_context(), db.connection_context():
        token = "t" * 43
        UserSession.create(user=User.get(username="guard"), token_hash=UserSession.hash(token),
                           device="x")
        statements = []
        real = db.obj.execute_sql

        def counted(sql, *args, **kwargs):
            statements.append(sql)
            return real(sql, *args, **kwargs)

        monkeypatch.setattr(db.obj, "execute_sql", counted)
        user = load_user(token)
        assert user.username == "guard" and user.has_role("guard") and len(statements) == 1
        old = UserSession.get(UserSession.token_hash == UserSession.hash(token))
        UserSession.update(last_seen=old.last_seen - UserSession.SEEN_EVERY).execute()
        statements.clear()
        assert load_user(token).username == "guard" and len(statements) == 2  # + last_seen
        statements.clear()
        assert load_user(token) is not None and len(statements) == 1
        assert load_user("1") is None and load_user(None) is None and load_user("x" * 65) is None


@pytest.mark.parametrize(("agent", "shown"), [
    (PHONE_UA, "Android · 微信"),
    (PC_UA, "Windows · Edge"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
     "like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", "iPhone · Safari"),
    ("Mozilla/5.0 (Linux; Android 12; HarmonyOS; ALN-AL00) AppleWebKit/537.36 Chrome/99.0 "
     "Mobile Safari/537.36 DingTalk/7.5", "鸿蒙 · 钉钉"),
    ("", "未知设备"),
    ("curl/8.5", "未知设备"),
])
def test_device_names_are_short(agent, shown):
    assert device_name(agent) == shown
