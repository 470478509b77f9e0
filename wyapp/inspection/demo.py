"""Demo data for 示范花园: equipment rooms, checklists, plans, meters with readings, duty log.

Idempotent: every row is looked up by its natural key before it is created.
"""
from datetime import date, timedelta
from decimal import Decimal

from ..db import db
from ..models import Building, Unit
from .checklists import create_checklist
from .meters import previous_month
from .models import (
    Checklist,
    ChecklistItem,
    DutyEvent,
    DutyShift,
    Equipment,
    Meter,
    MeterReading,
    Plan,
    PlanEngineer,
)

EQUIPMENT = [
    # code, name, category, location, model, maker, contractor, phone
    ("PD-01", "1号干式变压器", "供配电", "地下一层配电房", "SCB11-800/10", "顺特电气",
     "示范电力工程有限公司", "0755-26880011"),
    ("PD-02", "低压配电柜", "供配电", "地下一层配电房", "GCK", "正泰电气",
     "示范电力工程有限公司", "0755-26880011"),
    ("SB-01", "生活变频水泵组", "给排水", "地下二层水泵房", "CDL32-50", "南方泵业",
     "示范机电设备维修部", "13800138001"),
    ("SB-02", "生活水箱", "给排水", "地下二层水泵房", "不锈钢 60m³", "", "", ""),
    ("DT-01", "1号楼1号电梯", "电梯", "1号楼电梯机房", "GeN2-MR", "奥的斯",
     "奥的斯电梯维保站", "400-820-0000"),
    ("DT-02", "2号楼1号电梯", "电梯", "2号楼电梯机房", "3300AP", "迅达",
     "迅达电梯维保站", "400-880-0000"),
    ("XF-01", "消防主泵", "消防", "地下二层消防泵房", "XBD8/30", "上海连成",
     "示范消防工程有限公司", "13900139001"),
    ("XF-02", "自动喷淋系统", "消防", "地下车库", "湿式", "", "示范消防工程有限公司",
     "13900139001"),
    ("XF-03", "应急照明与疏散指示", "消防", "各楼栋楼梯间", "", "", "", ""),
]

PF = "pass_fail"
CHECKLISTS = {
    "配电房日检表": ("供配电", [
        ("进线相电压", "number", "V", "220", "240", ""),
        ("进线线电压", "number", "V", "380", "420", ""),
        ("低压总出线电流", "number", "A", None, "1100", ""),
        ("变压器温度", "number", "℃", None, "85", ""),
        ("有无异响、异味", PF, "", None, None, ""),
        ("绝缘垫完好", PF, "", None, None, ""),
        ("消防器材在位有效", PF, "", None, None, ""),
    ]),
    "水泵房日检表": ("给排水", [
        ("出水压力", "number", "MPa", "0.30", "0.60", ""),
        ("水箱水位", "choice", "", None, None, "正常\n偏低\n溢流"),
        ("泵体振动、噪声", PF, "", None, None, ""),
        ("管道阀门有无渗漏", PF, "", None, None, ""),
        ("控制柜指示灯", PF, "", None, None, ""),
        ("备注", "text", "", None, None, ""),
    ]),
    "电梯日检表": ("电梯", [
        ("运行平稳、无异响", PF, "", None, None, ""),
        ("平层准确", PF, "", None, None, ""),
        ("轿厢照明与通风", PF, "", None, None, ""),
        ("五方对讲", PF, "", None, None, ""),
        ("机房温度", "number", "℃", "5", "40", ""),
    ]),
    "消防设施日检表": ("消防", [
        ("消防泵控制状态", "choice", "", None, None, "自动\n手动\n故障"),
        ("喷淋末端压力", "number", "MPa", "0.05", "1.20", ""),
        ("烟感巡检（抽查）", PF, "", None, None, ""),
        ("应急照明", PF, "", None, None, ""),
        ("疏散通道畅通", PF, "", None, None, ""),
        ("现场照片", "photo", "", None, None, ""),
    ]),
}
ABNORMAL_CHOICES = {"水箱水位": "偏低\n溢流", "消防泵控制状态": "手动\n故障"}
PLANS = [("PD-01", "配电房日检表", "每班"), ("PD-02", "配电房日检表", "每日"),
         ("SB-01", "水泵房日检表", "每日"), ("DT-01", "电梯日检表", "每日"),
         ("DT-02", "电梯日检表", "每日"), ("XF-01", "消防设施日检表", "每日"),
         ("XF-02", "消防设施日检表", "每周")]
METERS = [("电", "配电房总电表", None, "地下一层配电房", "40", "DB-0001", 52000, 8800),
          ("电", "1号楼公共照明电表", None, "1号楼一层电井", "1", "DB-0102", 12400, 610),
          ("水", "小区总水表", None, "南门水表井", "1", "SB-0001", 30500, 2150),
          ("水", "绿化用水表", None, "中心花园", "1", "SB-0007", 4100, 180),
          ("水", "1号楼101 水表", ("1号楼", "101"), "1号楼101 管井", "1", "SB-1101", 230, 9)]


def create_demo(estate, users, now):
    """The demo's ledger, checklists, plans, meters (four months of readings before the
    estate's month at `now`, naive UTC) and a handed-over duty shift ending 2 h before `now`."""
    with db.atomic():
        equipment = {}
        for code, name, category, location, model, maker, contractor, phone in EQUIPMENT:
            equipment[code], _ = Equipment.get_or_create(
                estate=estate, code=code,
                defaults={"name": name, "category": category, "location": location,
                          "model": model, "maker": maker, "contractor": contractor,
                          "contractor_phone": phone, "installed_on": date(2019, 6, 1)})
        checklists = {name: _checklist(estate, users["supervisor"], name, category, items)
                      for name, (category, items) in CHECKLISTS.items()}
        for code, checklist, frequency in PLANS:
            plan, created = Plan.get_or_create(estate=estate, equipment=equipment[code],
                                               checklist=checklists[checklist],
                                               defaults={"frequency": frequency})
            if created:
                PlanEngineer.create(plan=plan, user=users["engineer"])
        _meters(estate, users["engineer"], now)
        _duty(estate, users["engineer"], now)


def _checklist(estate, user, name, category, items):
    checklist = Checklist.get_or_none(estate=estate, name=name)
    if checklist is not None:
        return checklist
    checklist = create_checklist(estate, user, name, category)
    version = checklist.current_version()
    for position, (label, kind, unit, low, high, choices) in enumerate(items, start=1):
        ChecklistItem.create(version=version, key=f"demo{position:02d}{checklist.id:06d}",
                             position=position, kind=kind, label=label, unit=unit,
                             min_value=Decimal(low) if low else None,
                             max_value=Decimal(high) if high else None, choices=choices,
                             abnormal_choices=ABNORMAL_CHOICES.get(label, ""),
                             required=kind not in ("text", "photo"))
    return checklist


def _meters(estate, engineer, now):
    this_month = estate.today(now).replace(day=1)
    for kind, name, unit_key, location, multiplier, serial, start, monthly in METERS:
        unit = None
        if unit_key:
            unit = (Unit.select().join(Building)
                    .where(Building.estate == estate, Building.name == unit_key[0],
                           Unit.number == unit_key[1]).first())
        meter, created = Meter.get_or_create(
            estate=estate, name=name, defaults={"kind": kind, "unit": unit, "location": location,
                                                "multiplier": Decimal(multiplier),
                                                "serial": serial})
        if not created:
            continue
        value = Decimal(start)
        for back in range(4, 0, -1):
            month = previous_month(this_month, back)
            steps = Decimal(monthly) / meter.multiplier * Decimal(1 + (back % 3) / 10)
            value += steps.quantize(Decimal("1"))
            last = meter.readings.order_by(MeterReading.month.desc()).first()
            MeterReading.create(meter=meter, month=month, value=value, read_by=engineer,
                                consumption=(value - last.value) * meter.multiplier
                                if last else None)


def _duty(estate, engineer, now):
    if DutyShift.select().where(DutyShift.estate == estate).exists():
        return
    started = now - timedelta(hours=26)
    shift = DutyShift.create(estate=estate, engineer=engineer, started_at=started,
                             ended_at=started + timedelta(hours=24),
                             pending="2号楼1号电梯平层偏差，已报迅达维保，明日上午来人。",
                             equipment_status="配电、给水、消防系统运行正常；2号楼电梯可运行，平层略有偏差。")
    for hours, text in ((2, "巡视配电房、水泵房，运行正常。"),
                        (9, "3号楼 2-301 报修卫生间漏水，已关闭分户阀，生成工单。"),
                        (20, "夜间巡视消防泵房，消防泵处于自动状态。")):
        DutyEvent.create(shift=shift, happened_at=started + timedelta(hours=hours), text=text,
                         recorded_by=engineer)
