"""Admin: estates, buildings, units with CSV import, staff accounts."""
import io
from decimal import Decimal

import pytest

from wyapp.db import db
from wyapp.models import Building, Estate, Unit, User


@pytest.fixture
def admin(login):
    return login("admin")


def _estate_id(app):
    with app.app_context(), db.connection_context():
        return Estate.get(name="示范花园").id


def test_admin_pages_are_admin_only(login, app):
    estate_id = _estate_id(app)
    for username in ("manager", "guard", "supervisor"):
        client = login(username)
        for path in ("/admin/estates", f"/admin/estates/{estate_id}", "/admin/users",
                     "/admin/users/new"):
            assert client.get(path).status_code == 403, (username, path)


def test_create_and_edit_estate(admin, app):
    response = admin.post("/admin/estates/new", data={"name": "翠湖苑", "address": "湖滨路 1 号",
                                                     "timezone": "Asia/Shanghai", "active": "y"})
    assert response.status_code == 302
    assert "翠湖苑" in admin.get("/admin/estates").text
    duplicate = admin.post("/admin/estates/new",
                           data={"name": "翠湖苑", "timezone": "Asia/Shanghai"})
    assert "已有同名小区" in duplicate.text and 'value="翠湖苑"' in duplicate.text
    bad_zone = admin.post("/admin/estates/new", data={"name": "新苑", "timezone": "Mars/Base"})
    assert "请填写有效的时区" in bad_zone.text and 'value="Mars/Base"' in bad_zone.text


def test_add_building_and_unit(admin, app):
    estate_id = _estate_id(app)
    assert admin.post(f"/admin/estates/{estate_id}", data={"name": "9号楼"}).status_code == 302
    with app.app_context(), db.connection_context():
        building = Building.get(name="9号楼")
    page = f"/admin/estates/{estate_id}/buildings/{building.id}"
    assert admin.post(page, data={"number": "1801", "floor": "18"}).status_code == 302
    assert "1801" in admin.get(page).text
    again = admin.post(page, data={"number": "1801"})
    assert "这栋楼已有这个房号" in again.text
    bad_floor = admin.post(page, data={"number": "1802", "floor": "十八"})
    assert "楼层请填写整数" in bad_floor.text and 'value="1802"' in bad_floor.text
    dup = admin.post(f"/admin/estates/{estate_id}", data={"name": "9号楼"})
    assert "同名楼栋" in dup.text


def test_building_of_another_estate_is_404(admin, app):
    with app.app_context(), db.connection_context():
        other = Estate.create(name="他处")
        building = Building.create(estate=other, name="A座")
    assert admin.get(f"/admin/estates/{_estate_id(app)}/buildings/{building.id}").status_code == 404


def _upload(client, estate_id, text, encoding="utf-8"):
    return client.post(f"/admin/estates/{estate_id}/units/import",
                       data={"file": (io.BytesIO(text.encode(encoding)), "units.csv")},
                       content_type="multipart/form-data")


def test_csv_import_all_good(admin, app):
    estate_id = _estate_id(app)
    csv_text = "楼栋,房号,楼层,面积,备注\n7号楼,101,1,89.5,\n7号楼,102,1,,\n8号楼,B1-01,-1,,车库\n"
    response = _upload(admin, estate_id, csv_text)
    assert response.status_code == 302
    assert "已导入 3 个房号" in admin.get(response.headers["Location"]).text
    with app.app_context(), db.connection_context():
        assert Unit.select().join(Building).where(Building.name == "7号楼").count() == 2
        assert Unit.get(number="101", building=Building.get(name="7号楼")).area == Decimal("89.5")


def test_csv_import_gbk_from_excel(admin, app):
    response = _upload(admin, _estate_id(app), "楼栋,房号\r\n10号楼,201\r\n", encoding="gbk")
    assert response.status_code == 302


def test_csv_import_reports_each_bad_line_and_imports_nothing(admin, app):
    estate_id = _estate_id(app)
    csv_text = ("楼栋,房号,楼层,面积,备注\n"
                "7号楼,101,1,,\n"        # line 2 good
                ",102,1,,\n"             # line 3 no building
                "7号楼,103,高,,\n"        # line 4 bad floor
                "7号楼,101,1,,\n"        # line 5 duplicate of line 2
                "1号楼,101,1,,\n"        # line 6 exists already (the office)
                "7号楼,104,1,-3,\n")     # line 7 bad area
    response = _upload(admin, estate_id, csv_text)
    assert response.status_code == 422
    page = response.text
    assert "未导入任何数据" in page
    assert "第 3 行：楼栋不能为空" in page
    assert "第 4 行：楼层“高”应为 -10 到 200 的整数" in page
    assert "第 5 行：与第 2 行重复" in page
    assert "第 6 行：1号楼 101 已存在" in page
    assert "第 7 行：面积“-3”应为大于 0 的数字" in page
    assert "第 2 行" not in page.split("未导入任何数据")[1].split("第 3 行")[0]
    with app.app_context(), db.connection_context():
        assert not Building.select().where(Building.name == "7号楼").exists()


def test_csv_import_bad_header_and_binary(admin, app):
    estate_id = _estate_id(app)
    assert "第 1 行：第一行应为表头" in _upload(admin, estate_id, "a,b\n1,2\n").text
    response = admin.post(f"/admin/estates/{estate_id}/units/import",
                          data={"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n\xff\xfe\x00"), "x.csv")},
                          content_type="multipart/form-data")
    assert response.status_code == 422 and "第 1 行" in response.text
    missing = admin.post(f"/admin/estates/{estate_id}/units/import", data={},
                         content_type="multipart/form-data")
    assert "请选择要导入的 CSV 文件" in missing.text


def test_create_user_assign_roles_estates_and_log_in(admin, app, client):
    estate_id = _estate_id(app)
    response = admin.post("/admin/users/new", data={
        "username": "wanggong", "display_name": "王工", "phone": "13800138000",
        "password": "startpass1", "roles": ["engineer", "supervisor"], "estates": [estate_id],
        "active": "y"})
    assert response.status_code == 302
    with app.app_context(), db.connection_context():
        user = User.get(username="wanggong")
        assert user.roles == {"engineer", "supervisor"}
        assert [e.name for e in user.estates()] == ["示范花园"]
    admin.post("/logout")
    assert client.post("/login", data={"username": "wanggong",
                                       "password": "startpass1"}).status_code == 302


def test_user_form_errors_keep_values(admin):
    response = admin.post("/admin/users/new", data={
        "username": "bad name!", "display_name": "某人", "phone": "12345",
        "password": "short", "roles": []})
    page = response.text
    assert "用户名只能用" in page and "手机号应为 11 位数字" in page
    assert "密码长度为 8 到 128 位" in page and "请至少选择一个岗位" in page
    assert 'value="bad name!"' in page and 'value="某人"' in page
    taken = admin.post("/admin/users/new", data={
        "username": "guard", "display_name": "重名", "password": "longenough", "roles": ["guard"]})
    assert "用户名已被使用" in taken.text


def test_deactivate_and_reset_password(admin, app, client):
    with app.app_context(), db.connection_context():
        guard = User.get(username="guard")
    estate_id = _estate_id(app)
    response = admin.post(f"/admin/users/{guard.id}", data={
        "display_name": "张保安", "roles": ["guard"], "estates": [estate_id]})  # active unticked
    assert response.status_code == 302
    with app.app_context(), db.connection_context():
        assert not User.get(username="guard").active
    reset = admin.post(f"/admin/users/{guard.id}/password", data={"password": "brandnew99"})
    assert reset.status_code == 302
    short = admin.post(f"/admin/users/{guard.id}/password", data={"password": "x"})
    assert short.status_code == 422 and "密码长度" in short.text
    admin.post(f"/admin/users/{guard.id}", data={
        "display_name": "张保安", "roles": ["guard"], "estates": [estate_id], "active": "y"})
    admin.post("/logout")
    assert client.post("/login", data={"username": "guard",
                                       "password": "brandnew99"}).status_code == 302


def test_admin_cannot_lock_themselves_out(admin, app):
    with app.app_context(), db.connection_context():
        me = User.get(username="admin")
    response = admin.post(f"/admin/users/{me.id}", data={"display_name": "管理员",
                                                         "roles": ["manager"]})
    assert "不能取消自己的管理员岗位" in response.text


def test_user_search_full_page_and_htmx_fragment(admin):
    full = admin.get("/admin/users?q=陈")
    assert "<html" in full.text and "陈工" in full.text and "张保安" not in full.text
    fragment = admin.get("/admin/users?q=guard", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text
    assert fragment.text.strip().startswith('<ul class="list card" id="user-results">')
    assert "张保安" in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]


def test_units_pdf_lists_units(admin, app):
    from pypdf import PdfReader

    response = admin.get(f"/admin/estates/{_estate_id(app)}/units.pdf")
    assert response.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "房号清单" in text and "示范花园" in text and "3号楼" in text


def test_reset_says_and_does_log_out_every_device_also_the_admins_own(admin, app):
    with app.app_context(), db.connection_context():
        guard, me = User.get(username="guard"), User.get(username="admin")
    assert "所有设备上都会退出登录" in admin.get(f"/admin/users/{guard.id}").text
    done = admin.post(f"/admin/users/{me.id}/password", data={"password": "brandnew99"})
    assert done.status_code == 302
    assert admin.get("/admin/users").headers["Location"].startswith("/login")
