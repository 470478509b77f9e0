"""Inspection rules on a fixed clock: slots, versioning, evaluation, submission, alerts."""
from contextlib import suppress
from datetime import date, datetime
from decimal import Decimal

import pytest

from wyapp.db import db
from wyapp.inspection import services
from wyapp.inspection.models import (
    Checklist,
    ChecklistItem,
    Equipment,
    OverdueAlert,
    Plan,
    PlanEngineer,
    Sheet,
    SheetAnswer,
)
from wyapp.inspection.services import InspectionError
from wyapp.models import Estate, Notification, User

# 2026-03-10 02:00 UTC = 10:00 in Shanghai (a Tuesday)
MORNING = datetime(2026, 3, 10, 2, 0)



@pytest.fixture
def app(make_app, any_db_url):
    """These rules run on SQLite and, when WYAPP_TEST_POSTGRES_URL is set, on PostgreSQL."""
    return make_app(any_db_url)

@pytest.fixture
def ctx(app):
    with app.app_context(), db.connection_context():
        yield


@pytest.fixture
def estate(ctx):
    return Estate.get(name="示范花园")


def user(name):
    return User.get(username=name)


def plan_of(code, frequency=None):
    plan = Plan.select().join(Equipment).where(Equipment.code == code).get()
    if frequency:
        plan.frequency = frequency
        plan.save()
    plan.created_at = datetime(2026, 1, 1)
    plan.save()
    return plan


def fill(sheet, values):
    """values: {item label: value}; everything else pass/fail → 正常, numbers → in range."""
    for item, _ in services.sheet_rows(sheet):
        value = values.get(item.label)
        if value is None:
            if item.kind == "pass_fail":
                value = "正常"
            elif item.kind == "number":
                value = str(item.min_value if item.min_value is not None else item.max_value)
            elif item.kind == "choice":
                value = item.choice_list[0]
            else:
                continue
        with suppress(InspectionError):
            services.save_answer(sheet, item, value)


def test_slot_windows_follow_the_estate_time_zone(estate):
    from zoneinfo import ZoneInfo
    zone = ZoneInfo("Asia/Shanghai")
    start, end = services.slot_window(zone, "每班", date(2026, 3, 10), "夜班")
    assert (start, end) == (datetime(2026, 3, 10, 12), datetime(2026, 3, 11, 0))
    start, end = services.slot_window(zone, "每月", date(2026, 2, 1))
    assert (start, end) == (datetime(2026, 1, 31, 16), datetime(2026, 2, 28, 16))
    local = services.local_today(estate, datetime(2026, 3, 10, 19, 30))  # 03:30 next day
    assert services.current_periods("每班", local) == [(date(2026, 3, 10), "夜班"),
                                                      (date(2026, 3, 11), "白班")]
    assert services.current_periods("每周", local) == [(date(2026, 3, 9), "")]


def test_engineer_sees_today_sheets_by_shift_with_status(estate):
    plan_of("PD-01")
    slots = services.today_slots(estate, MORNING, engineer=user("engineer"))
    shifts = [(s.plan.equipment.code, s.shift) for s in slots if s.plan.equipment.code == "PD-01"]
    assert shifts == [("PD-01", "白班"), ("PD-01", "夜班")]
    day, night = [s for s in slots if s.plan.equipment.code == "PD-01"]
    assert day.status(MORNING) == "待检" and night.status(MORNING) == "未开始"
    assert day.status(datetime(2026, 3, 10, 12, 1)) == "已超时"
    other = User.create(username="eng2", display_name="王工", password_hash="x")
    other.set_roles(["engineer"])
    other.set_estates([estate])
    assert not [s for s in services.today_slots(estate, MORNING, engineer=other)
                if s.plan.equipment.code == "PD-01"]  # assigned to 陈工 only


def test_checklist_versioning_keeps_used_sheets_intact(estate):
    plan = plan_of("DT-01")
    checklist = plan.checklist
    sheet = services.start_sheet(plan, date(2026, 3, 10), "", user("engineer"))
    fill(sheet, {})
    services.submit_sheet(sheet, user("engineer"), now=MORNING)
    first = checklist.current_version()
    item = first.ordered_items()[4]
    assert item.label == "机房温度"
    services.update_item(checklist, user("supervisor"), item.key, label="机房温度", kind="number",
                         unit="℃", min_value=Decimal(5), max_value=Decimal(35),
                         choices="", abnormal_choices="", required=True)
    second = Checklist.get_by_id(checklist.id).current_version()
    assert second.number == first.number + 1
    assert ChecklistItem.get_by_id(item.id).max_value == Decimal(40)  # the old one unchanged
    assert [i.max_value for i in second.items if i.key == item.key] == [Decimal(35)]
    services.add_item(checklist, user("supervisor"), label="底坑清洁", kind="pass_fail", unit="",
                      min_value=None, max_value=None, choices="", abnormal_choices="",
                      required=True)
    assert Checklist.get_by_id(checklist.id).current_version().number == second.number
    assert [i.label for i, _ in services.sheet_rows(Sheet.get_by_id(sheet.id))][-1] == "机房温度"
    services.move_item(checklist, user("supervisor"), item.key, -1)
    labels = [i.label for i in second.ordered_items()]
    assert labels[3:] == ["机房温度", "五方对讲", "底坑清洁"]


def test_item_settings_are_checked(estate):
    checklist = Checklist.get(name="电梯日检表")
    with pytest.raises(InspectionError, match="下限不能大于上限"):
        services.add_item(checklist, user("supervisor"), label="x", kind="number", unit="",
                          min_value=Decimal(5), max_value=Decimal(1), choices="",
                          abnormal_choices="", required=True)
    with pytest.raises(InspectionError, match="异常选项必须是"):
        services.add_item(checklist, user("supervisor"), label="x", kind="choice", unit="",
                          min_value=None, max_value=None, choices="好\n坏",
                          abnormal_choices="很坏", required=True)


def test_evaluate_numbers_choices_and_pass_fail(estate):
    version = Checklist.get(name="配电房日检表").current_version()
    items = {i.label: i for i in version.items}
    voltage = items["进线相电压"]
    assert services.evaluate(voltage, "230") is False
    assert services.evaluate(voltage, "245.5") is True
    assert services.evaluate(voltage, "219") is True
    with pytest.raises(InspectionError, match="请填写数字"):
        services.evaluate(voltage, "二百三")
    assert services.evaluate(items["变压器温度"], "85") is False
    assert services.evaluate(items["变压器温度"], "86") is True
    assert services.evaluate(items["有无异响、异味"], "异常") is True
    level = Checklist.get(name="水泵房日检表").current_version().items \
        .where(ChecklistItem.label == "水箱水位").get()
    assert services.evaluate(level, "正常") is False and services.evaluate(level, "偏低") is True
    with pytest.raises(InspectionError):
        services.evaluate(level, "'; DROP TABLE sheet; --")


def test_draft_saves_as_you_go_and_abnormal_needs_a_note(estate):
    plan = plan_of("PD-01")
    sheet = services.start_sheet(plan, date(2026, 3, 10), "白班", user("engineer"))
    assert services.start_sheet(plan, date(2026, 3, 10), "白班", user("supervisor")).id == sheet.id
    services.fill_all_normal(sheet)
    assert SheetAnswer.select().where(SheetAnswer.sheet == sheet,
                                      SheetAnswer.value == "正常").count() == 3
    temperature = sheet.version.items.where(ChecklistItem.label == "变压器温度").get()
    answer = services.save_answer(sheet, temperature, "92")
    assert answer.abnormal
    fill(sheet, {"变压器温度": "92"})
    problems = services.problems_of(sheet)
    assert problems == {temperature.id: "异常项请填写说明或拍照。"}
    with pytest.raises(InspectionError, match="还有 1 项"):
        services.submit_sheet(sheet, user("engineer"), now=MORNING)
    services.save_answer(sheet, temperature, note="风机未启动，已手动开启")
    done = services.submit_sheet(sheet, user("engineer"), "key-1", mark_repairing=True,
                                 now=MORNING)
    assert done.submitted and done.abnormal_count == 1
    assert Equipment.get(code="PD-01").status == "维修中"
    with pytest.raises(InspectionError, match="已提交"):
        services.save_answer(done, temperature, "80")


def test_required_items_block_submission(estate):
    sheet = services.start_sheet(plan_of("SB-01"), date(2026, 3, 10), "", user("engineer"))
    problems = services.problems_of(sheet)
    assert len(problems) == 5 and set(problems.values()) == {"此项必填。"}


def test_idempotency_key_never_makes_two_submissions(estate):
    sheet = services.start_sheet(plan_of("DT-02"), date(2026, 3, 10), "", user("engineer"))
    fill(sheet, {})
    first = services.submit_sheet(sheet, user("engineer"), "same-key", now=MORNING)
    again = services.submit_sheet(Sheet.get_by_id(sheet.id), user("engineer"), "same-key",
                                  now=MORNING)
    assert again.id == first.id
    with pytest.raises(InspectionError, match="已经提交过"):
        services.submit_sheet(Sheet.get_by_id(sheet.id), user("engineer"), "other-key")
    assert Sheet.select().where(Sheet.idempotency_key == "same-key").count() == 1


def test_amendment_keeps_the_original(estate):
    sheet = services.start_sheet(plan_of("DT-02"), date(2026, 3, 10), "", user("engineer"))
    fill(sheet, {"机房温度": "30"})
    sheet = services.submit_sheet(sheet, user("engineer"), now=MORNING)
    item = sheet.version.items.where(ChecklistItem.label == "机房温度").get()
    with pytest.raises(InspectionError, match="更正原因"):
        services.amend_answer(sheet, item, "31", " ", user("supervisor"))
    services.amend_answer(sheet, item, "31", "抄错", user("supervisor"))
    amendment = sheet.amendments.get()
    assert (amendment.old_value, amendment.new_value, amendment.made_by.username) == \
        ("30", "31", "supervisor")
    assert SheetAnswer.get(sheet=sheet, item=item).value == "30"


def test_overdue_alert_is_raised_once(estate):
    plan = plan_of("SB-01")
    next_day = datetime(2026, 3, 11, 2, 0)  # 3-10's daily sheet closed at 3-10 16:00 UTC
    raised = services.raise_overdue_alerts(next_day)
    assert raised > 0
    assert OverdueAlert.select().where(OverdueAlert.plan == plan,
                                       OverdueAlert.period == date(2026, 3, 10)).exists()
    engineer_alerts = Notification.select().where(Notification.user == user("engineer"),
                                                  Notification.kind == "inspection_overdue")
    count = engineer_alerts.count()
    assert any("生活变频水泵组" in n.title for n in engineer_alerts)
    assert services.raise_overdue_alerts(next_day) == 0
    assert engineer_alerts.count() == count
    supervisor_alerts = Notification.select().where(Notification.user == user("supervisor"))
    assert supervisor_alerts.count() >= 1


def test_submitted_sheet_is_not_overdue(estate):
    plan = plan_of("DT-01")
    PlanEngineer.delete().execute()
    for p in Plan.select().where(Plan.id != plan.id):
        p.active = False
        p.save()
    sheet = services.start_sheet(plan, date(2026, 3, 10), "", user("engineer"))
    fill(sheet, {})
    services.submit_sheet(sheet, user("engineer"), now=MORNING)
    services.raise_overdue_alerts(datetime(2026, 3, 10, 17, 0))
    assert not OverdueAlert.select().where(OverdueAlert.period == date(2026, 3, 10)).exists()


def test_board_counts(estate):
    plan = plan_of("DT-01")
    sheet = services.start_sheet(plan, date(2026, 3, 10), "", user("engineer"))
    fill(sheet, {"平层准确": "异常"})
    services.save_answer(sheet, sheet.version.items.where(ChecklistItem.label == "平层准确").get(),
                         note="平层差 2cm")
    services.submit_sheet(sheet, user("engineer"), now=MORNING)
    from wyapp.service.models import WorkOrder
    answer = SheetAnswer.get(sheet=sheet, abnormal=True)
    order = WorkOrder.get_by_id(answer.work_order_id)  # 异常 on a pass/fail item → one order
    assert (order.origin_kind, order.origin_id, order.category) == \
        ("inspection_item", answer.id, "电梯")
    assert "平层准确：异常。说明：平层差 2cm" in order.description
    board = services.board(estate, MORNING)
    assert board["每日"]["counts"]["有异常"] == 1 and board["每日"]["counts"]["已完成"] == 1
    assert board["白班"]["counts"]["应检"] == 1


def test_day_sheets_for_the_archive(estate):
    sheet = services.start_sheet(plan_of("DT-01"), date(2026, 3, 10), "", user("engineer"))
    fill(sheet, {})
    services.submit_sheet(sheet, user("engineer"), now=MORNING)
    data = services.day_sheets(estate, date(2026, 3, 10))
    assert [d["equipment"].code for d in data] == ["DT-01"]
    assert data[0]["checklist"] == "电梯日检表" and len(data[0]["rows"]) == 5
    assert services.day_sheets(estate, date(2026, 3, 9)) == []


def test_equipment_import_rules(estate):
    good = "编号,名称,类别,位置\nGS-01,雨水泵,给排水,地下室\n".encode()
    assert services.import_equipment(estate, good) == 1
    bad = ("编号,名称,类别,位置,型号,厂家,安装日期\n"
           "GS-01,重复,给排水,,,,\n,无编号,给排水,,,,\nGS-02,x,火箭,,,,\nGS-03,y,其他,,,,昨天\n")
    with pytest.raises(services.ImportRejected) as rejected:
        services.import_equipment(estate, bad.encode("gbk"))
    assert [line for line, _ in rejected.value.errors] == [2, 3, 4, 5]
    assert "编号 GS-01 已存在" in rejected.value.errors[0][1]
    assert not Equipment.select().where(Equipment.code == "GS-03").exists()
