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


# ── the kinds of issue 15, each with its right answer ──

def test_user_without_estate_gets_a_page_saying_so_on_every_estate_page(app, client):
    """An account with roles but no estate: every page of a feature that works on an
    estate's records says so (403, Chinese), never None.timezone (500)."""
    from tests import factories
    with app.app_context(), db.connection_context():
        factories.user("lonely", roles=("guard", "engineer", "supervisor", "manager", "gate",
                                        "desk"))
    client.post("/login", data={"username": "lonely", "password": factories.PASSWORD})
    rules = [rule for rule in app.url_map.iter_rules()
             if "GET" in rule.methods and not rule.arguments
             and rule.endpoint.split(".")[0] in ("patrol", "alerts", "inspection", "gate",
                                                  "service")]
    assert len(rules) > 15
    for rule in rules:
        response = client.get(rule.rule)
        assert response.status_code < 500, (rule.rule, response.status_code)
    for path in ("/patrol/", "/patrol/reports/day", "/alerts/robots", "/inspection/"):
        response = client.get(path)
        assert response.status_code == 403 and "还没有分配小区" in response.text, path


def test_a_guard_scans_a_label_through_the_estate_check(app, login):
    """needs_estate on the patrol blueprint leaves /c/<token> (the label scheme) working."""
    from tests.factories import patrol
    from wyapp.labels import issue_label
    with app.app_context(), db.connection_context():
        estate = Estate.get(name="示范花园")
        checkpoint = patrol.checkpoint(estate, "东门岗亭")
        token = issue_label(estate, "checkpoint", checkpoint.id).token
    page = login("guard").get(f"/c/{token}")
    assert page.status_code == 200 and "东门岗亭" in page.text


@pytest.mark.parametrize("value", [str(2**63), str(2**64), "²", "-1", "0", "١", ""])
def test_switching_to_an_estate_that_cannot_exist_is_404(login, value):
    response = login("guard").post("/estate", data={"estate_id": value})
    assert response.status_code == 404


@pytest.mark.parametrize("query", ["date=9999-12-31", "date=0001-01-01", "date=٢٠٢٤-05-01",
                                   "month=9999-12", "month=0001-01", "month=٢٠٢٤-05",
                                   "month=２０２６-05", "date=2026-02-30"])
def test_patrol_reports_at_the_calendars_edges_show_this_period(login, query):
    client = login("supervisor")
    path = "/patrol/reports/month" if query.startswith("month") else "/patrol/reports/day"
    response = client.get(f"{path}?{query}")
    assert response.status_code == 200
    assert "巡更" in response.text


def test_patrol_reports_read_full_width_digits_as_typed(app, login, now):
    page = login("supervisor").get("/patrol/reports/month?month=２０２６-０３").text
    assert "2026" in page and "03" in page


def test_patrol_labels_with_ids_past_a_column_print_every_label(app, login):
    from tests.factories import patrol
    with app.app_context(), db.connection_context():
        patrol.checkpoint(Estate.get(name="示范花园"), "东门岗亭")
    response = login("supervisor").get(f"/patrol/checkpoints/labels.pdf?ids={2**63}&ids=²")
    assert response.status_code == 200 and response.mimetype == "application/pdf"


def test_a_username_that_grows_under_lower_is_refused_in_chinese(login, client):
    """'İ' lower-cases to two characters: 40 of them were 80 in a 40-character column (500
    on PostgreSQL). Creating such an account is refused beside the field; logging in with it
    is an ordinary wrong name."""
    admin = login("admin")
    response = admin.post("/admin/users/new", data={
        "username": "İ" * 40, "display_name": "某人", "password": "longenough1",
        "roles": ["guard"]})
    assert response.status_code < 500 and "用户名" in response.text
    assert 'value="' + "İ" * 40 in response.text  # what was typed is kept
    client.post("/logout")
    for name in ("İ" * 40, "ß" * 40):
        answer = client.post("/login", data={"username": name, "password": "wrong-password"})
        assert answer.status_code == 200 and "用户名或密码不正确" in answer.text, name
    longer = client.post("/login", data={"username": "İ" * 41, "password": "wrong-password"})
    assert longer.status_code == 200 and "不能超过 40 个字" in longer.text


def test_what_the_database_refuses_is_a_chinese_422_not_a_500(app, client):
    """The last guard (wyapp.guards.refuse_unstorable): should a value past its column slip
    through a form, PostgreSQL's refusal (peewee.DataError) is a page in Chinese, 422. The
    unit number below is 60 characters in a 30-character column: PostgreSQL refuses it
    (SQLite stores it); a DataError raised as such is refused on both."""
    import peewee

    from wyapp.models import Unit

    def too_long():
        with db.atomic():
            building = Building.select().first()
            Unit.create(estate=building.estate, building=building, number="长" * 60)
        return "stored"

    def refused():
        raise peewee.DataError("value too long for type character varying(30)")
    app.add_url_rule("/_test/too-long", "test_too_long", too_long)
    app.add_url_rule("/_test/refused", "test_refused", refused)
    response = client.get("/_test/refused")
    assert response.status_code == 422 and "太长或数字太大" in response.text
    stored = client.get("/_test/too-long")
    if app.config["DATABASE_URL"].startswith("postgres"):
        assert stored.status_code == 422 and "未保存任何内容" in stored.text
        with app.app_context(), db.connection_context():
            assert not Unit.select().where(Unit.number == "长" * 60).exists()
            assert Building.select().count() > 0  # the connection still works
    else:
        assert stored.status_code == 200


@pytest.mark.parametrize("path", ["/c/%00x", "/service/orders?q=%00", "/gate/?q=a%00b",
                                  "/inspection/equipment?q=%00"])
def test_a_nul_byte_anywhere_is_refused_in_chinese(login, path):
    """PostgreSQL cannot store U+0000 (a 500 there): refused before any view, on both."""
    response = login("supervisor").get(path)
    assert response.status_code == 400 and "空字符" in response.text


def test_a_file_sent_where_text_is_expected_reads_as_nothing_typed(app, login, client):
    """A multipart file part in a text field was a 500 on ten forms: it reads as empty and
    the form says what is missing, in Chinese."""
    import io

    def upload():
        return (io.BytesIO("文本".encode()), "x.txt")
    answer = client.post("/login", data={"username": upload(), "password": upload()},
                         content_type="multipart/form-data")
    assert answer.status_code == 200 and "请输入用户名" in answer.text
    supervisor = login("supervisor")
    for path, field, message in [("/patrol/checkpoints/new", "name", "请填写巡更点名称"),
                                 ("/patrol/routes", "name", "请填写路线名称"),
                                 ("/patrol/incidents/new", "text", "请写明发现的情况")]:
        response = supervisor.post(path, data={field: upload()},
                                   content_type="multipart/form-data")
        assert response.status_code < 500 and message in response.text, path
    me = login("desk").post("/me", data={"current": upload(), "new": upload(),
                                         "confirm": upload()},
                            content_type="multipart/form-data")
    assert me.status_code < 500 and "请输入当前密码" in me.text
