"""The equipment ledger (设备台账): CSV import (all rows or none) and an equipment's status."""
from ..csvfile import ImportRejected, read_rows
from ..db import db
from ..errors import DomainError
from ..inputs import parse_day
from .models import CATEGORIES, STATUSES, Equipment

EQUIPMENT_COLUMNS = ("编号", "名称", "类别", "位置", "型号", "厂家", "安装日期", "维保单位",
                     "维保电话")
MAX_IMPORT_ROWS = 5000


def import_equipment(estate, data):
    """Equipment of `estate` from CSV bytes (any dialect wyapp.csvfile reads: UTF-8, GB18030,
    CR-only line ends…; header row EQUIPMENT_COLUMNS):
    every row, or none when any row is bad. Returns the count imported.

    Raises ImportRejected([(line number, Chinese message), …]) listing every bad line."""
    rows = read_rows(data, MAX_IMPORT_ROWS)
    if not rows or rows[0][1][:2] != list(EQUIPMENT_COLUMNS[:2]):
        raise ImportRejected([(1, "第一行应为表头：" + ",".join(EQUIPMENT_COLUMNS) +
                               "（编号、名称必填，其余可留空）。")])
    existing = {c for (c,) in Equipment.select(Equipment.code)
                .where(Equipment.estate == estate).tuples()}
    errors, parsed, seen = [], [], {}
    for line, row in rows[1:]:
        values, problems = _parse_equipment_row(row)
        code = values["code"]
        if code and code in existing:
            problems.append(f"编号 {code} 已存在")
        elif code and code in seen:
            problems.append(f"与第 {seen[code]} 行编号重复")
        seen.setdefault(code, line)
        if problems:
            errors.append((line, "；".join(problems)))
        else:
            parsed.append(values)
    if errors:
        raise ImportRejected(errors)
    if not parsed:
        raise ImportRejected([(2, "文件里没有设备数据。")])
    with db.atomic():
        for values in parsed:
            Equipment.create(estate=estate, **values)
    return len(parsed)


def _parse_equipment_row(row):
    cells = row + [""] * (len(EQUIPMENT_COLUMNS) - len(row))
    code, name, category, location, model, maker, installed, contractor, phone = cells[:9]
    values = {"code": code, "name": name, "category": category or "其他", "location": location,
              "model": model, "maker": maker, "contractor": contractor,
              "contractor_phone": phone, "installed_on": None}
    problems = []
    limits = {"code": ("编号", 30), "name": ("名称", 100), "location": ("位置", 100),
              "model": ("型号", 60), "maker": ("厂家", 60), "contractor": ("维保单位", 100),
              "contractor_phone": ("维保电话", 30)}
    for key, (label, limit) in limits.items():
        if len(values[key]) > limit:
            problems.append(f"{label}不能超过 {limit} 个字")
    if not code:
        problems.append("编号不能为空")
    if not name:
        problems.append("名称不能为空")
    if values["category"] not in CATEGORIES:
        problems.append(f"类别“{category[:20]}”应为 " + "、".join(CATEGORIES) + " 之一")
    if installed:
        values["installed_on"] = parse_day(installed)
        if values["installed_on"] is None:
            problems.append(f"安装日期“{installed[:20]}”应为 2020-05-01 这样的日期")
    return values, problems


def set_equipment_status(equipment, status):
    """Mark `equipment` 在用 / 停用 / 维修中. Raises DomainError (field "status") otherwise."""
    if status not in STATUSES:
        raise DomainError("请选择设备状态。", "status")
    equipment.status = status
    equipment.save()
