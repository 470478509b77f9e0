"""Login, role home pages, own password, estate switch, notifications, error pages."""
import pytest

from tests.conftest import csrf_token_from
from wyapp.db import db
from wyapp.models import Estate, Notification, User, notify
from wyapp.sessions import LoginThrottle

ROLE_HOME_TEXT = {
    "admin": "系统管理",
    "manager": "物业经理",
    "supervisor": "主管",
    "guard": "秩序维护员",
    "gate": "门岗",
    "engineer": "工程维修",
    "desk": "客服前台",
}


def test_login_page_has_labelled_fields(client):
    page = client.get("/login").text
    assert '<label for="username">用户名</label>' in page
    assert '<label for="password">密码</label>' in page
    assert "登录</button>" in page


@pytest.mark.parametrize("username", sorted(ROLE_HOME_TEXT))
def test_each_role_lands_on_its_home(login, username):
    client = login(username)
    page = client.get("/")
    assert page.status_code == 200
    assert ROLE_HOME_TEXT[username] in page.text
    assert "示范花园" in page.text
    assert "HX-Request" in page.headers["Vary"]


def test_admin_home_has_admin_panel_and_others_do_not(login):
    assert "员工账号" in login("admin").get("/").text
    assert "员工账号" not in login("guard").get("/").text


def test_wrong_password_shows_chinese_message_and_keeps_username(client):
    response = client.post("/login", data={"username": "guard", "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.text
    assert 'value="guard"' in response.text


def test_next_goes_back_but_never_off_site(client):
    response = client.post("/login?next=/me", data={"username": "guard",
                                                    "password": "wyapp-demo"})
    assert response.headers["Location"] == "/me"
    client.post("/logout")
    response = client.post("/login?next=//evil.example/x",
                           data={"username": "guard", "password": "wyapp-demo"})
    assert response.headers["Location"] == "/"


def test_five_failures_slow_that_username_down(client, app):
    for _ in range(5):
        assert client.post("/login", data={"username": "guard", "password": "x"}).status_code == 200
    response = client.post("/login", data={"username": "guard", "password": "wyapp-demo"})
    assert response.status_code == 429
    assert "秒后再试" in response.text
    # another username is not affected
    assert client.post("/login", data={"username": "gate",
                                       "password": "wyapp-demo"}).status_code == 302
    with app.app_context(), db.connection_context():
        assert LoginThrottle.get(username="guard").failures == 5


def test_deactivated_user_cannot_log_in_and_loses_session(app, login):
    client = login("guard")
    with app.app_context(), db.connection_context():
        User.update(active=False).where(User.username == "guard").execute()
    assert client.get("/").status_code == 302
    response = client.post("/login", data={"username": "guard", "password": "wyapp-demo"})
    assert "该账号已停用" in response.text


def test_csrf_is_required(app):
    app.config["WTF_CSRF_ENABLED"] = True  # read per request: the office's app, CSRF on
    client = app.test_client()
    response = client.post("/login", data={"username": "guard", "password": "wyapp-demo"})
    assert response.status_code == 400
    assert "CSRF" in response.text
    token = csrf_token_from(client.get("/login").text)
    response = client.post("/login", data={"username": "guard", "password": "wyapp-demo",
                                           "csrf_token": token})
    assert response.status_code == 302
    # htmx requests carry the token in a header
    token = csrf_token_from(client.get("/me").text)
    response = client.post("/me", headers={"HX-Request": "true", "X-CSRFToken": token},
                           data={"current": "x", "new": "y", "confirm": "z"})
    assert response.status_code == 200
    assert "当前密码不正确" in response.text or "密码长度" in response.text


def test_session_cookie_flags(client):
    response = client.post("/login", data={"username": "guard", "password": "wyapp-demo"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    response = client.post("/login", base_url="https://localhost",
                           data={"username": "guard", "password": "wyapp-demo"})
    assert "Secure" in response.headers["Set-Cookie"]


def test_change_own_password_full_page_and_htmx(login, client):
    login("desk")
    bad = client.post("/me", data={"current": "wrong", "new": "newpass123",
                                   "confirm": "newpass123"})
    assert "当前密码不正确" in bad.text and "<html" in bad.text
    mismatch = client.post("/me", headers={"HX-Request": "true"},
                           data={"current": "wyapp-demo", "new": "newpass123",
                                 "confirm": "other123"})
    assert "两次输入的新密码不一致" in mismatch.text
    assert "<html" not in mismatch.text and 'id="password-card"' in mismatch.text
    ok = client.post("/me", headers={"HX-Request": "true"},
                     data={"current": "wyapp-demo", "new": "newpass123", "confirm": "newpass123"})
    assert "密码已修改" in ok.text
    client.post("/logout")
    assert client.post("/login", data={"username": "desk",
                                       "password": "newpass123"}).status_code == 302


def test_expired_session_on_htmx_redirects_whole_page(client):
    response = client.get("/admin/users?q=a", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login?next=")


def test_switch_estate_only_to_own_estates(app, login):
    with app.app_context(), db.connection_context():
        second = Estate.create(name="第二小区")
        third = Estate.create(name="别人的小区")
        guard = User.get(username="guard")
        guard.set_estates([Estate.get(name="示范花园"), second])
    client = login("guard")
    home = client.get("/").text
    assert 'id="estate-switch"' in home and "第二小区" in home and "别人的小区" not in home
    client.post("/estate", data={"estate_id": second.id})
    assert "第二小区" in client.get("/").text.split("<main")[1][:400]
    assert client.post("/estate", data={"estate_id": third.id}).status_code == 404
    assert client.post("/estate", data={"estate_id": "x"}).status_code == 404


def test_notifications_are_per_user_and_estate(app, login):
    with app.app_context(), db.connection_context():
        estate = Estate.get()
        notify([User.get(username="supervisor")], estate, "test", "3号楼 02:00 漏巡")
    client = login("supervisor")
    assert "3号楼 02:00 漏巡" in client.get("/notifications").text
    assert 'class="badge">1<' in client.get("/").text
    client.post("/notifications/read")
    with app.app_context(), db.connection_context():
        assert Notification.select().where(Notification.read_at.is_null()).count() == 0
    assert "3号楼 02:00 漏巡" not in login("guard").get("/notifications").text


def test_error_pages_are_chinese(login):
    client = login("guard")
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "页面不存在" in missing.text
    forbidden = client.get("/admin/users")
    assert forbidden.status_code == 403 and "没有权限" in forbidden.text


def test_user_without_estate_gets_403(app, client):
    with app.app_context(), db.connection_context():
        user = User(username="lonely", display_name="无小区")
        user.set_password("wyapp-demo")
        user.save()
        user.set_roles(["guard"])
    client.post("/login", data={"username": "lonely", "password": "wyapp-demo"})
    response = client.get("/")
    assert response.status_code == 403 and "还没有分配小区" in response.text


def test_logout_is_post_only(login):
    client = login("guard")
    assert client.get("/logout").status_code == 405
    client.post("/logout")
    assert client.get("/").status_code == 302


def test_unexpected_error_gets_a_chinese_500_page(make_app):
    app = make_app()

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500 and "服务器出错了" in response.text
