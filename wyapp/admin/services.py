"""Admin rules that the views, the CLI and the tests share."""
import re

from ..csvfile import ImportRejected, read_rows
from ..db import db
from ..errors import DomainError
from ..inputs import parse_number, typed
from ..models import Building, Unit

__all__ = ["ImportRejected", "import_units"]
UNIT_COLUMNS = ("楼栋", "房号", "楼层", "面积", "备注")
MAX_IMPORT_ROWS = 20000


def import_units(estate, data):
    """Import units of `estate` from CSV bytes (any dialect wyapp.csvfile reads; header row
    UNIT_COLUMNS, the last three optional): all rows, or none when any row is bad.
    Returns the count. Raises ImportRejected([(line number, Chinese message), …]) listing
    every bad line."""
    rows = read_rows(data, MAX_IMPORT_ROWS)
    header = tuple(rows[0][1][:5]) if rows else ()
    if len(header) < 2 or header != UNIT_COLUMNS[:len(header)]:
        raise ImportRejected([(1, "第一行应为表头：" + ",".join(UNIT_COLUMNS) +
                               "（楼层、面积、备注可留空）。")])
    existing = {(b, n) for b, n in Unit.select(Building.name, Unit.number).join(Building)
                .where(Unit.estate == estate).tuples()}
    errors, parsed, seen = [], [], {}
    for line, row in rows[1:]:
        unit, problems = _parse_unit_row(row)
        key = (unit.get("building"), unit.get("number"))
        if not problems and key in existing:
            problems.append(f"{key[0]} {key[1]} 已存在")
        if not problems and key in seen:
            problems.append(f"与第 {seen[key]} 行重复")
        seen.setdefault(key, line)
        if problems:
            errors.append((line, "；".join(problems)))
        else:
            parsed.append(unit)
    if errors:
        raise ImportRejected(errors)
    if not parsed:
        raise ImportRejected([(2, "文件里没有房号数据。")])
    with db.atomic():
        buildings = {b.name: b for b in Building.select().where(Building.estate == estate)}
        for unit in parsed:
            name = unit.pop("building")
            if name not in buildings:
                buildings[name] = Building.create(estate=estate, name=name)
            Unit.create(estate=estate, building=buildings[name], **unit)
    return len(parsed)


def _parse_unit_row(row):
    cells = row + [""] * (5 - len(row))
    building, number, floor, area, note = cells[:5]
    problems, unit = [], {"building": building, "number": number, "note": note}
    if not building:
        problems.append("楼栋不能为空")
    elif len(building) > 50:
        problems.append("楼栋不能超过 50 个字")
    if not number:
        problems.append("房号不能为空")
    elif len(number) > 30:
        problems.append("房号不能超过 30 个字")
    if len(note) > 200:
        problems.append("备注不能超过 200 个字")
    if floor:
        digits = typed(floor)  # full-width １２ as typed; '²' stays not a number
        if re.fullmatch(r"-?\d{1,3}", digits, re.ASCII) and -10 <= int(digits) <= 200:
            unit["floor"] = int(digits)
        else:
            problems.append(f"楼层“{floor[:20]}”应为 -10 到 200 的整数")
    if area:
        try:
            unit["area"] = parse_number(area)  # '1,250.5' has a thousands separator
            if not (0 < unit["area"] < 100000):
                raise DomainError("")
        except DomainError:
            problems.append(f"面积“{area[:20]}”应为大于 0 的数字")
    return unit, problems
