"""A day's (or a month's) records of each feature, for the archive's tests to file.

The archive files what the features recorded; these builders make a small, realistic set
through the features' own factories and domain calls: a patrol day with its rounds and
scans, a gate day, an inspection sheet with an abnormal value, a month of meter readings,
a closed work order, a closed complaint and a closed major complaint. Each runs inside
`in_db()`; days are the estate's local dates, times naive UTC.
"""
from datetime import timedelta

from wyapp.models import Unit, User
from wyapp.service import complaints, orders
from wyapp.service.causes import causes_of

from . import gate, inspection, patrol


def _staff(username):
    return User.get(User.username == username)


def patrol_setup(estate, since):
    """The estate's patrol: 夜间巡逻 (东门岗亭 → 北门) at 00:00, 02:00 and 04:00 and
    日间地库巡查 (地库B区水泵房) at 10:00 and 14:00, windows of an hour, valid from `since`
    (naive UTC). Returns the checkpoints by name."""
    points = {name: patrol.checkpoint(estate, name) for name in ("东门岗亭", "北门",
                                                                   "地库B区水泵房")}
    night = patrol.route(estate, [points["东门岗亭"], points["北门"]], "夜间巡逻",
                         min_seconds=60)
    garage = patrol.route(estate, [points["地库B区水泵房"]], "日间地库巡查")
    patrol.schedule(night, times="00:00, 02:00, 04:00", window=60, valid_from=since,
                    name="夜班")
    patrol.schedule(garage, times="10:00, 14:00", window=60, valid_from=since, name="日班")
    return points


ROUNDS_A_DAY = 5  # of patrol_setup


def patrol_day(estate, day):
    """patrol_setup valid since three days before `day`, and the guard's scans on `day`:
    the 00:00 night round walked in full, the 10:00 garage round. Returns the checkpoints."""
    points = patrol_setup(estate, estate.day_start(day) - timedelta(days=3))
    guard = _staff("guard")
    for name, hh, mm in (("东门岗亭", 0, 5), ("北门", 0, 20), ("地库B区水泵房", 10, 10)):
        patrol.scan(estate, points[name], patrol.local(estate, day, hh, mm), user=guard)
    return points


def gate_day(estate, day):
    """The gate's `day`: three visitors (陈美玲 with her car, 宋工, a courier), three residents'
    cars in and out. Returns the visits."""
    def at(hh, mm):
        return patrol.local(estate, day, hh, mm)
    visits = [
        gate.visit(estate, name="顺丰 刘师傅", phone="13723456789", unit="1-101",
                   purpose="快递外卖", at=at(8, 12), left=at(8, 20)),
        gate.visit(estate, name="陈美玲", phone="13812345678", unit="2-301", party_size=3,
                   plate="粤BD12345", at=at(9, 5), left=at(11, 35)),
        gate.visit(estate, name="宋工", phone="13911112222", unit="1-602", purpose="装修施工",
                   party_size=2, at=at(16, 30), left=at(18, 5)),
    ]
    for plate, (hh, mm), minutes in (("粤B6D2J8", (7, 40), 560), ("粤BF56789", (8, 5), 610),
                                     ("粤B9H3P1", (12, 10), 95)):
        gate.vehicle(estate, plate, "业主", at=at(hh, mm),
                     left=at(hh, mm) + timedelta(minutes=minutes))
    return visits


INSPECTED = {"进线相电压": "231", "进线线电压": "402", "低压总出线电流": "760", "变压器温度": "92"}


def inspection_day(estate, submitted_at):
    """The engineer's 配电房 sheet of PD-02 for the estate's date at `submitted_at`, with one
    abnormal value (变压器温度 92℃: a work order), submitted then; the daily plans of SB-01
    and DT-01 left unchecked. Returns the submitted sheet."""
    for code in ("SB-01", "DT-01"):
        inspection.plan_for(estate, code)
    plan = inspection.plan_for(estate, "PD-02")
    return inspection.sheet(plan, estate.today(submitted_at), values=INSPECTED,
                            notes={"变压器温度": "冷却风机不转"}, submit_at=submitted_at)


def meter_months(estate, month_first):
    """Three meters (小区总水表, 配电房总电表, 1号楼-101's water meter) read on the month
    before `month_first` and on it (a date, the month's first day). Returns the meters."""
    before = (month_first - timedelta(days=1)).replace(day=1)
    return [
        inspection.meter(estate, "小区总水表", "水", readings=((before, "1000"),
                                                          (month_first, "1250"))),
        inspection.meter(estate, "配电房总电表", "电", multiplier=40,
                         readings=((before, "5210"), (month_first, "5480"))),
        inspection.meter(estate, "1号楼-101水表", "水", unit=Unit.find(estate, "1-101"),
                         readings=((before, "300"), (month_first, "312"))),
    ]


def closed_work_order(estate, now):
    """卫生间水龙头滴水 at 1-101, assigned, done (更换阀芯, 陶瓷阀芯), visited (满意, 师傅很细心)
    and closed by `now` (naive UTC). Returns the order."""
    desk, sup, eng = _staff("desk"), _staff("supervisor"), _staff("engineer")

    def ago(hours):
        return now - timedelta(hours=hours)
    order = orders.create_work_order(estate, now=ago(80), source="业主来电",
                                     description="卫生间水龙头滴水", reported_by=desk,
                                     category="水", unit=Unit.find(estate, "1-101"))
    orders.assign(order, eng, sup, ago(79))
    orders.accept(order, eng, ago(79))
    orders.start(order, eng, ago(78))
    orders.complete(order, eng, "更换阀芯", "陶瓷阀芯 1 个", now=ago(77))
    orders.visit(order, desk, "满意", "师傅很细心", ago(60))
    orders.close(order, desk, ago(59))
    return order


def garbage_complaint(estate, now):
    """王女士's complaint about the 3号楼 garbage station, classified and handled (not yet
    followed up) by `now`. Returns the complaint."""
    desk, sup = _staff("desk"), _staff("supervisor")
    at = now - timedelta(hours=70)
    made = complaints.create_complaint(estate, channel="来电", name="王女士",
                                       unit=Unit.find(estate, "3-101"), phone="13800000001",
                                       content="3号楼旁垃圾站夏天异味很大，清运不及时",
                                       received_by=desk, received_at=at, now=at)
    cause = {c.name: c for c in causes_of(estate)}["环境卫生"]
    complaints.classify(made, desk, cause=cause, new_event="3号楼垃圾站异味", now=at)
    complaints.handle(made, sup, investigation="现场查看，垃圾桶满溢",
                      measures="清运改为每日两次，每周冲洗", reply="已增加清运次数并冲洗垃圾站",
                      agreed=True, now=now - timedelta(hours=20))
    return made


def major_complaint(estate, now):
    """孙女士's major complaint (电梯多次困人), handled (更换门机板), followed up and closed
    by `now`. Returns the complaint."""
    desk, sup = _staff("desk"), _staff("supervisor")
    at = now - timedelta(hours=200)
    made = complaints.create_complaint(estate, channel="上级转办", name="孙女士",
                                       unit=Unit.find(estate, "2-601"), phone="13700000006",
                                       content="电梯多次困人，要求彻底检修", received_by=desk,
                                       received_at=at, now=at)
    cause = {c.name: c for c in causes_of(estate)}["工程维修"]
    complaints.classify(made, desk, cause=cause, major=True, now=at + timedelta(hours=1))
    complaints.handle(made, sup, investigation="维保单位检测门机", measures="更换门机板，加密保养",
                      reply="已更换故障部件并加密保养", agreed=True,
                      now=now - timedelta(hours=150))
    return complaints.follow_up(made, desk, "满意", "电梯已正常", now - timedelta(hours=100))


def with_note_kind(app):
    """Give `app` a one-line document kind, 测试日报 (code test_note, the period printed), so
    that an archive test files a real PDF without a feature's records. Returns `app`."""
    from jinja2 import ChoiceLoader, DictLoader

    from wyapp.features import DocumentKind, Feature

    app.extensions["wyapp.features"].append(Feature(name="test", documents=[DocumentKind(
        code="test_note", title="测试日报", template="pdf/test_note.html",
        collect=lambda estate, period: {"note": period})]))
    app.jinja_loader = ChoiceLoader([app.jinja_loader, DictLoader({"pdf/test_note.html": (
        '{% extends "pdf/_base.html" %}{% block body %}{{ data.note }}{% endblock %}')})])
    return app
