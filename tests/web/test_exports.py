"""导出 Excel: the writer, the route's roles and estate, and the queued path for long lists."""
import io
from datetime import date, datetime, timedelta

import openpyxl
import pytest

from tests import factories
from tests.factories import exports as xl
from tests.factories import service as desk
from wyapp.exports import Column, write_xlsx
from wyapp.exports.models import ExportFile
from wyapp.models import Notification, User


def test_writer_types_title_frozen_header_and_defused_formulas():
    out = io.BytesIO()
    rows = [["=HYPERLINK(\"http://x\")", 12, 3.5, date(2026, 6, 1), datetime(2026, 6, 1, 8, 30),
             None, True, "+86 138", "-1", "@SUM(A1)", "普通"]]
    count = write_xlsx(out, "示范花园 测试", ["文本", "整数", Column("小数", num_format="0.00"),
                                         "日期", "时间", "空", "是否", "加号", "减号", "at", "中"],
                       rows, subtitle="筛选：全部")
    assert count == 1
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    assert sheet["A1"].value == "示范花园 测试" and sheet["A2"].value == "筛选：全部"
    assert xl.headers(sheet)[:3] == ["文本", "整数", "小数"]
    assert sheet.freeze_panes == "A4"
    row = xl.data_rows(sheet)[0]
    assert row[0].value == "=HYPERLINK(\"http://x\")" and row[0].data_type == "s"
    assert row[0].quotePrefix
    for cell in row[7:10]:
        assert cell.data_type == "s" and cell.quotePrefix
    assert row[1].value == 12 and row[1].data_type == "n"
    assert row[2].number_format == "0.00"
    assert row[3].is_date and row[3].value == datetime(2026, 6, 1)
    assert row[4].is_date and row[4].value == datetime(2026, 6, 1, 8, 30)
    assert row[5].value is None and row[6].value == "是"
    assert sheet.column_dimensions["A"].width >= 20  # sized from the long first cell


def test_writer_keeps_memory_flat_on_a_generator():
    out = io.BytesIO()
    count = write_xlsx(out, "t", ["编号", "数"], ([f"R{i}", i] for i in range(3000)))
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue()), read_only=True).active
    assert count == 3000 and sheet.max_row == 3003


def test_work_orders_export_matches_the_list(client, login, in_db, now):
    with in_db():
        estate = desk.home()
        for i in range(3):
            desk.work_order(description=f"漏水{i}")
        desk.work_order(description="=1+1 门禁坏了", caller_name="张先生",
                        caller_phone="13800138000", appointment_at=now + timedelta(hours=3))
        closed = desk.work_order(description="已经修好", status="关闭")
        other = factories.estate("别的小区")
        desk.work_order(other, description="别的小区的工单", place="大门")
    login("manager")
    page = client.get("/service/orders?tab=open")
    response = client.get("/exports/work_orders.xlsx?tab=open")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    sheet = xl.workbook(response)
    assert "示范花园" in sheet["A1"].value and "处理中" in sheet["A1"].value
    assert xl.headers(sheet)[:4] == ["工单号", "状态", "紧急程度", "类别"]
    numbers = [c.value for c in xl.column(sheet, "工单号")]
    assert len(numbers) == 4 and all(n in page.text for n in numbers)
    assert closed.code not in numbers
    contents = [c for c in xl.column(sheet, "报修内容")]
    assert "别的小区的工单" not in [c.value for c in contents]
    formula = next(c for c in contents if c.value.startswith("="))
    assert formula.data_type == "s" and formula.quotePrefix
    appointment = next(c for c in xl.column(sheet, "预约上门时间") if c.value)
    assert appointment.is_date and "张先生" in [c.value for c in xl.column(sheet, "报修人")]
    registered = xl.column(sheet, "登记时间")[0]
    assert registered.is_date
    with in_db():
        assert registered.value == estate.local(now).replace(second=0, microsecond=0) \
            or abs(registered.value - estate.local(now)) < timedelta(minutes=1)
    everything = xl.workbook(client.get("/exports/work_orders.xlsx?tab=all&page=3"))
    assert len(xl.data_rows(everything)) == 5


def test_export_roles_and_unknown_lists(client, login):
    login("guard")
    assert client.get("/exports/work_orders.xlsx").status_code == 403
    login("engineer")
    assert client.get("/exports/complaints.xlsx").status_code == 403
    assert client.get("/exports/no_such_list.xlsx").status_code == 404
    client.post("/logout")
    assert client.get("/exports/work_orders.xlsx").status_code == 302  # to the login page


def test_complaints_export_has_cause_and_followup(client, login, in_db):
    from wyapp.service import complaints as rules

    with in_db():
        made = desk.complaint(content="垃圾没有清运")
        desk_user = desk.staff("desk")
        rules.handle(made, desk_user, reply="已安排清运", agreed=True)
        rules.classify(made, desk.staff("supervisor"), cause=desk.cause())
        rules.follow_up(made, desk_user, "满意", "清运及时")
        desk.complaint(content="楼道灯坏了")
    login("desk")
    sheet = xl.workbook(client.get("/exports/complaints.xlsx?tab=all"))
    assert "根本原因" in xl.headers(sheet) and "回访满意度" in xl.headers(sheet)
    assert len(xl.data_rows(sheet)) == 2
    by_content = {r[xl.headers(sheet).index("投诉内容")].value: r for r in xl.data_rows(sheet)}
    row = by_content["垃圾没有清运"]
    assert row[xl.headers(sheet).index("根本原因")].value == "环境卫生"
    assert row[xl.headers(sheet).index("回访满意度")].value == "满意"
    assert "清运及时" in row[xl.headers(sheet).index("回访意见")].value
    assert row[xl.headers(sheet).index("回访时间")].is_date
    assert row[xl.headers(sheet).index("受理时间")].is_date
    open_only = xl.workbook(client.get("/exports/complaints.xlsx?tab=open"))
    assert [r[5].value for r in xl.data_rows(open_only)] == ["楼道灯坏了"]


def test_a_long_export_is_queued_announced_and_kept_for_its_requester(
        app, client, login, in_db):
    app.config["EXPORTS_QUEUE_ROWS"] = 2
    with in_db():
        for i in range(3):
            desk.work_order(description=f"漏水{i}")
        manager = User.get(User.username == "manager")
    login("manager")
    response = client.get("/exports/work_orders.xlsx?tab=all")
    assert response.status_code == 302 and response.location.endswith("/exports/")
    assert "正在后台生成" in client.get("/exports/").text  # the flash, then the list
    with in_db():
        export = ExportFile.get()
        assert export.status == "已完成" and export.rows == 3 and export.user_id == manager.id
        alert = Notification.get(Notification.kind == "export_ready")
        assert alert.user_id == manager.id and alert.link == f"/exports/files/{export.id}"
        assert "3 行" in alert.title
    page = client.get("/exports/")
    assert "下载 Excel" in page.text and "已完成" in page.text
    sheet = xl.workbook(client.get(alert.link))
    assert len(xl.data_rows(sheet)) == 3
    login("supervisor")
    assert client.get(alert.link).status_code == 404
    login("desk")
    assert client.get(alert.link).status_code == 404
    assert "没有" in client.get("/exports/").text


def test_queued_files_are_pruned_after_the_kept_days(app, client, login, in_db, now):
    from wyapp.exports.files import prune_exports
    app.config["EXPORTS_QUEUE_ROWS"] = 0
    with in_db():
        desk.work_order()
    login("manager")
    client.get("/exports/work_orders.xlsx?tab=all")
    with in_db():
        export = ExportFile.get()
        assert prune_exports(now + timedelta(days=6)) == 0
        assert prune_exports(now + timedelta(days=8)) == 1
        assert not ExportFile.select().exists()
    assert client.get(f"/exports/files/{export.id}").status_code == 404
    from pathlib import Path
    assert not (Path(app.config["DATA_DIR"]) / export.key).exists()


@pytest.mark.parametrize("role", ["desk", "supervisor", "manager"])
def test_office_roles_export_work_orders(client, login, role):
    login(role)
    response = client.get("/exports/work_orders.xlsx")
    assert response.status_code == 200
    assert len(xl.data_rows(xl.workbook(response))) == 0


def test_a_queued_file_belongs_to_the_estate_it_was_asked_in(app, client, login, in_db):
    app.config["EXPORTS_QUEUE_ROWS"] = 0
    with in_db():
        desk.work_order()
        second = factories.estate("第二小区")
        from wyapp.models import UserEstate
        UserEstate.create(user=User.get(User.username == "manager"), estate=second)
        second_id = second.id
    login("manager")
    client.get("/exports/work_orders.xlsx?tab=all")
    with in_db():
        export = ExportFile.get()
    assert client.get(f"/exports/files/{export.id}").status_code == 200
    client.post("/estate", data={"estate_id": second_id})
    assert client.get(f"/exports/files/{export.id}").status_code == 404
    assert "还没有后台导出" in client.get("/exports/").text


def test_a_requester_who_lost_the_role_gets_no_file(app, client, login, in_db):
    from wyapp.exports.files import write_export
    from wyapp.models import UserRole

    with in_db():
        desk.work_order()
        manager = User.get(User.username == "manager")
        export = ExportFile.create(estate=desk.home(), user=manager, name="work_orders",
                                   query="tab=all", title="示范花园 报修工单")
        UserRole.update(role="guard").where(UserRole.user == manager).execute()
        done = write_export(ExportFile.get_by_id(export.id))
        assert done.status == "失败" and not done.key
        assert Notification.get(Notification.kind == "export_ready").title == "导出失败"


def test_the_list_buttons_carry_the_tab_also_in_the_htmx_block(client, login):
    login("desk")
    page = client.get("/service/orders?tab=overdue")
    assert '/exports/work_orders.xlsx?tab=overdue' in page.text and "导出 Excel" in page.text
    block = client.get("/service/orders?tab=closed", headers={"HX-Request": "true"})
    assert "/exports/work_orders.xlsx?tab=closed" in block.text
    block = client.get("/service/complaints?tab=major&page=1", headers={"HX-Request": "true"})
    assert "/exports/complaints.xlsx?tab=major" in block.text and "page=" not in \
        block.text.split("/exports/complaints.xlsx")[1].split('"')[0]
    login("engineer")
    assert "/exports/work_orders.xlsx" not in client.get("/service/orders").text


HOSTILE = ["", "tab=%E2%80%AE&day=9999-12-31", "date=0001-01-01&month=9999-12",
           "day=2100-12-31&month=2100-12&q=%27%3B--", "date=2000-01-01&q=" + "1" * 300,
           "tab=mine&tab=all&page=-1", "month=2026-13&day=2026-02-30&q=%EF%BC%91-101"]


def test_every_export_answers_odd_filters_without_500(client, login):
    login("manager")
    names = ["work_orders", "complaints", "patrol_rounds", "patrol_scans",
             "inspection_sheets", "meter_readings", "duty_log", "visitors", "vehicles",
             "release_slips"]
    for name in names:
        for query in HOSTILE:
            response = client.get(f"/exports/{name}.xlsx?{query}")
            assert response.status_code == 200, (name, query, response.status_code)
            assert xl.workbook(response)["A1"].value.startswith("示范花园")
