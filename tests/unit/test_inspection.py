"""Inspection rules: slots, versioning, evaluation, submission, alerts (SQLite and PostgreSQL).

Instants are derived from the test's clock (`now`): `day` is the estate's date then and
`morning` its 10:00 that day, so the module runs at the CI's other instants too.
"""
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from tests.factories import inspection as factory
from wyapp.admin.services import ImportRejected
from wyapp.errors import DomainError
from wyapp.inspection import checklists, equipment, plans, sheets
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
from wyapp.models import Estate, Notification, User

pytestmark = pytest.mark.clock


@pytest.fixture
def estate(in_db):
    with in_db():
        yield Estate.get(name="示范花园")


@pytest.fixture
def day(estate, now):
    """The estate's date at the test's clock."""
    return estate.today(now)


@pytest.fixture
def morning(estate, day):
    """10:00 in the estate on `day` (naive UTC): within the day shift."""
    return estate.utc(datetime.combine(day, time(10)))


def user(name):
    return User.get(username=name)


def at(estate, day, hour, minute=0):
    """The estate's wall time `hour`:`minute` on `day` as naive UTC."""
    return estate.utc(datetime.combine(day, time(hour, minute)))


def test_slot_windows_follow_the_estate_time_zone(estate):
    start, end = plans.slot_window(estate, "每班", date(2026, 3, 10), "夜班")
    assert (start, end) == (datetime(2026, 3, 10, 12), datetime(2026, 3, 11, 0))
    start, end = plans.slot_window(estate, "每月", date(2026, 2, 1))
    assert (start, end) == (datetime(2026, 1, 31, 16), datetime(2026, 2, 28, 16))
    local = estate.local(datetime(2026, 3, 10, 19, 30))  # 03:30 next day
    assert plans.current_periods("每班", local) == [(date(2026, 3, 10), "夜班"),
                                                   (date(2026, 3, 11), "白班")]
    assert plans.current_periods("每周", local) == [(date(2026, 3, 9), "")]


def test_night_shift_crosses_midnight(estate, day):
    """At 00:30 the night shift that began yesterday at 20:00 is still open until 08:00; a
    sheet of it started before midnight and submitted after belongs to yesterday's 夜班."""
    plan = factory.plan_for(estate, "PD-01")  # 每班
    yesterday = day - timedelta(days=1)
    late_evening, after_midnight = at(estate, yesterday, 23, 30), at(estate, day, 0, 30)
    slots = plans.today_slots(estate, after_midnight, engineer=user("engineer"))
    assert [(s.period, s.shift) for s in slots] == [(yesterday, "夜班"), (day, "白班")]
    night, daytime = slots
    assert (night.starts, night.deadline) == (at(estate, yesterday, 20), at(estate, day, 8))
    assert night.status(after_midnight) == "待检" and daytime.status(after_midnight) == "未开始"
    evening_slots = plans.today_slots(estate, late_evening)
    assert [(s.period, s.shift) for s in evening_slots] == [(yesterday, "白班"),
                                                            (yesterday, "夜班")]
    sheet = factory.sheet(plan, yesterday, "夜班")
    sheets.submit_sheet(sheet, user("engineer"), now=after_midnight)
    night = plans.today_slots(estate, after_midnight)[0]
    assert night.sheet.id == sheet.id and night.status(after_midnight) == "已完成"
    assert [d["shift"] for d in sheets.day_sheets(estate, day)] == ["夜班"]  # filed that day
    assert plans.raise_overdue_alerts(at(estate, day, 8, 1)) > 0  # only the other slots
    assert not OverdueAlert.select().where(OverdueAlert.period == yesterday,
                                           OverdueAlert.shift == "夜班").exists()


def test_engineer_sees_today_sheets_by_shift_with_status(estate, day, morning):
    factory.plan_for(estate, "PD-01")
    slots = plans.today_slots(estate, morning, engineer=user("engineer"))
    assert [(s.plan.equipment.code, s.shift) for s in slots] == [("PD-01", "白班"),
                                                                 ("PD-01", "夜班")]
    daytime, night = slots
    assert daytime.status(morning) == "待检" and night.status(morning) == "未开始"
    assert daytime.status(at(estate, day, 20, 1)) == "已超时"
    other = User.create(username="eng2", display_name="王工", password_hash="x")
    other.set_roles(["engineer"])
    other.set_estates([estate])
    assert plans.today_slots(estate, morning, engineer=other) == []  # assigned to 陈工 only


def test_checklist_versioning_keeps_used_sheets_intact(estate, day, morning):
    plan = factory.plan_for(estate, "DT-01")
    checklist = plan.checklist
    sheet = factory.sheet(plan, day, submit_at=morning)
    first = checklist.current_version()
    item = first.ordered_items()[4]
    assert item.label == "机房温度"
    checklists.update_item(checklist, user("supervisor"), item.key, label="机房温度",
                           kind="number", unit="℃", min_value=Decimal(5),
                           max_value=Decimal(35), choices="", abnormal_choices="",
                           required=True)
    second = Checklist.get_by_id(checklist.id).current_version()
    assert second.number == first.number + 1
    assert ChecklistItem.get_by_id(item.id).max_value == Decimal(40)  # the old one unchanged
    assert [i.max_value for i in second.items if i.key == item.key] == [Decimal(35)]
    checklists.add_item(checklist, user("supervisor"), label="底坑清洁", kind="pass_fail",
                        unit="", min_value=None, max_value=None, choices="",
                        abnormal_choices="", required=True)
    assert Checklist.get_by_id(checklist.id).current_version().number == second.number
    assert [i.label for i, _ in sheets.sheet_rows(Sheet.get_by_id(sheet.id))][-1] == "机房温度"
    checklists.move_item(checklist, user("supervisor"), item.key, -1)
    labels = [i.label for i in second.ordered_items()]
    assert labels[3:] == ["机房温度", "五方对讲", "底坑清洁"]


def test_item_settings_are_checked(estate):
    checklist = factory.checklist(estate, "电梯日检表")
    with pytest.raises(DomainError, match="下限不能大于上限") as raised:
        checklists.add_item(checklist, user("supervisor"), label="x", kind="number", unit="",
                            min_value=Decimal(5), max_value=Decimal(1), choices="",
                            abnormal_choices="", required=True)
    assert raised.value.field == "max_value"
    with pytest.raises(DomainError, match="异常选项必须是"):
        checklists.add_item(checklist, user("supervisor"), label="x", kind="choice", unit="",
                            min_value=None, max_value=None, choices="好\n坏",
                            abnormal_choices="很坏", required=True)


def test_evaluate_numbers_choices_and_pass_fail(estate):
    version = factory.checklist(estate, "配电房日检表").current_version()
    items = {i.label: i for i in version.items}
    voltage = items["进线相电压"]
    assert sheets.evaluate(voltage, "230") is False
    assert sheets.evaluate(voltage, "245.5") is True
    assert sheets.evaluate(voltage, "219") is True
    with pytest.raises(DomainError, match="请填写数字"):
        sheets.evaluate(voltage, "二百三")
    assert sheets.evaluate(items["变压器温度"], "85") is False
    assert sheets.evaluate(items["变压器温度"], "86") is True
    assert sheets.evaluate(items["有无异响、异味"], "异常") is True
    level = factory.checklist(estate, "水泵房日检表").current_version().items \
        .where(ChecklistItem.label == "水箱水位").get()
    assert sheets.evaluate(level, "正常") is False and sheets.evaluate(level, "偏低") is True
    with pytest.raises(DomainError):
        sheets.evaluate(level, "'; DROP TABLE sheet; --")


def test_draft_saves_as_you_go_and_abnormal_needs_a_note(estate, day, morning):
    plan = factory.plan_for(estate, "PD-01")
    sheet = sheets.start_sheet(plan, day, "白班", user("engineer"))
    assert sheets.start_sheet(plan, day, "白班", user("supervisor")).id == sheet.id
    sheets.fill_all_normal(sheet)
    assert SheetAnswer.select().where(SheetAnswer.sheet == sheet,
                                      SheetAnswer.value == "正常").count() == 3
    temperature = sheet.version.items.where(ChecklistItem.label == "变压器温度").get()
    assert sheets.save_answer(sheet, temperature, "92").abnormal
    factory.fill(sheet, {"变压器温度": "92"})
    assert sheets.problems_of(sheet) == {temperature.id: "异常项请填写说明或拍照。"}
    with pytest.raises(DomainError, match="还有 1 项"):
        sheets.submit_sheet(sheet, user("engineer"), now=morning)
    sheets.save_answer(sheet, temperature, note="风机未启动，已手动开启")
    done = sheets.submit_sheet(sheet, user("engineer"), "key-1", mark_repairing=True,
                               now=morning)
    assert done.submitted and done.abnormal_count == 1 and done.submitted_at == morning
    assert Equipment.get(code="PD-01").status == "维修中"
    with pytest.raises(DomainError, match="已提交"):
        sheets.save_answer(done, temperature, "80")


def test_required_items_block_submission(estate, day):
    sheet = sheets.start_sheet(factory.plan_for(estate, "SB-01"), day, "", user("engineer"))
    problems = sheets.problems_of(sheet)
    assert len(problems) == 5 and set(problems.values()) == {"此项必填。"}


def test_idempotency_key_never_makes_two_submissions(estate, day, morning):
    sheet = factory.sheet(factory.plan_for(estate, "DT-02"), day)
    first = sheets.submit_sheet(sheet, user("engineer"), "same-key", now=morning)
    again = sheets.submit_sheet(Sheet.get_by_id(sheet.id), user("engineer"), "same-key",
                                now=morning)
    assert again.id == first.id
    with pytest.raises(DomainError, match="已经提交过"):
        sheets.submit_sheet(Sheet.get_by_id(sheet.id), user("engineer"), "other-key")
    assert Sheet.select().where(Sheet.idempotency_key == "same-key").count() == 1


def test_amendment_keeps_the_original(estate, day, morning):
    sheet = factory.sheet(factory.plan_for(estate, "DT-02"), day, values={"机房温度": "30"},
                          submit_at=morning)
    item = sheet.version.items.where(ChecklistItem.label == "机房温度").get()
    with pytest.raises(DomainError, match="更正原因") as raised:
        sheets.amend_answer(sheet, item, "31", " ", user("supervisor"))
    assert raised.value.field == "reason"
    sheets.amend_answer(sheet, item, "31", "抄错", user("supervisor"))
    amendment = sheet.amendments.get()
    assert (amendment.old_value, amendment.new_value, amendment.made_by.username) == \
        ("30", "31", "supervisor")
    assert SheetAnswer.get(sheet=sheet, item=item).value == "30"


def test_overdue_alert_is_raised_once(estate, day):
    plan = factory.plan_for(estate, "SB-01")
    next_day = at(estate, day + timedelta(days=1), 10)  # the day's sheet closed at midnight
    assert plans.raise_overdue_alerts(next_day) > 0
    assert OverdueAlert.select().where(OverdueAlert.plan == plan,
                                       OverdueAlert.period == day).exists()
    engineer_alerts = Notification.select().where(Notification.user == user("engineer"),
                                                  Notification.kind == "inspection_overdue")
    count = engineer_alerts.count()
    assert any("生活变频水泵组" in n.title for n in engineer_alerts)
    assert plans.raise_overdue_alerts(next_day) == 0
    assert engineer_alerts.count() == count
    supervisor_alerts = Notification.select().where(Notification.user == user("supervisor"))
    assert supervisor_alerts.count() >= 1


def test_submitted_sheet_is_not_overdue(estate, day, morning):
    plan = factory.plan_for(estate, "DT-01", engineers=[], created_at=morning)
    factory.sheet(plan, day, submit_at=morning)
    assert plans.raise_overdue_alerts(at(estate, day + timedelta(days=1), 1)) == 0
    assert not OverdueAlert.select().exists()
    assert Plan.select().count() == 1 and not PlanEngineer.select().exists()


def test_board_counts_and_the_work_order_of_an_abnormal_item(estate, day, morning):
    from wyapp.service.models import WorkOrder
    factory.plan_for(estate, "PD-01")
    plan = factory.plan_for(estate, "DT-01")
    sheet = factory.sheet(plan, day, values={"平层准确": "异常"},
                          notes={"平层准确": "平层差 2cm"}, submit_at=morning)
    answer = SheetAnswer.get(sheet=sheet, abnormal=True)
    order = WorkOrder.get_by_id(answer.work_order_id)  # 异常 on a pass/fail item → one order
    assert (order.origin_kind, order.origin_id, order.category, order.created_at) == \
        ("inspection_item", answer.id, "电梯", morning)
    assert "平层准确：异常。说明：平层差 2cm" in order.description
    assert [o.code for o in sheets.raised_orders(answer)] == [order.code]
    board = plans.board(estate, morning)
    assert board["每日"]["counts"]["有异常"] == 1 and board["每日"]["counts"]["已完成"] == 1
    assert board["白班"]["counts"]["应检"] == 1


def test_day_sheets_for_the_archive(estate, day, morning):
    factory.sheet(factory.plan_for(estate, "DT-01"), day, submit_at=morning)
    data = sheets.day_sheets(estate, day)
    assert [d["equipment"].code for d in data] == ["DT-01"]
    assert data[0]["checklist"] == "电梯日检表" and len(data[0]["rows"]) == 5
    assert sheets.day_sheets(estate, day - timedelta(days=1)) == []


def test_equipment_import_rules(estate):
    good = "编号,名称,类别,位置\nGS-01,雨水泵,给排水,地下室\n".encode()
    assert equipment.import_equipment(estate, good) == 1
    bad = ("编号,名称,类别,位置,型号,厂家,安装日期\n"
           "GS-01,重复,给排水,,,,\n,无编号,给排水,,,,\nGS-02,x,火箭,,,,\nGS-03,y,其他,,,,昨天\n")
    with pytest.raises(ImportRejected) as rejected:
        equipment.import_equipment(estate, bad.encode("gbk"))
    assert [line for line, _ in rejected.value.errors] == [2, 3, 4, 5]
    assert "编号 GS-01 已存在" in rejected.value.errors[0][1]
    assert not Equipment.select().where(Equipment.code == "GS-03").exists()
