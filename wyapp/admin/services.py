"""Admin rules that the views, the CLI and the tests share."""
import csv
import io
from decimal import Decimal, InvalidOperation

from ..db import db
from ..models import Building, Unit

UNIT_COLUMNS = ("楼栋", "房号", "楼层", "面积", "备注")
MAX_IMPORT_ROWS = 20000


class ImportRejected(Exception):
    """A CSV that cannot be imported: `errors` lists (line number, Chinese message)."""

    def __init__(self, errors):
        super().__init__(f"{len(errors)} 处错误")
        self.errors = errors


def decode_csv(data):
    """Excel in China saves CSV as GBK; others as UTF-8 (often with a BOM)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRejected([(1, "无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV。")])


def import_units(estate, data):
    """Import units from CSV bytes: all rows, or none when any row is bad. Returns the count."""
    rows = list(csv.reader(io.StringIO(decode_csv(data))))
    if not rows or tuple(c.strip() for c in rows[0][:5]) != UNIT_COLUMNS[:len(rows[0][:5])] \
            or len(rows[0]) < 2:
        raise ImportRejected([(1, "第一行应为表头：" + ",".join(UNIT_COLUMNS) +
                               "（楼层、面积、备注可留空）。")])
    if len(rows) - 1 > MAX_IMPORT_ROWS:
        raise ImportRejected([(1, f"一次最多导入 {MAX_IMPORT_ROWS} 行。")])
    existing = {(b, n) for b, n in Unit.select(Building.name, Unit.number).join(Building)
                .where(Unit.estate == estate).tuples()}
    errors, parsed, seen = [], [], {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
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
    cells = [c.strip() for c in row] + [""] * (5 - len(row))
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
        try:
            unit["floor"] = int(floor)
            if not -10 <= unit["floor"] <= 200:
                raise ValueError
        except ValueError:
            problems.append(f"楼层“{floor[:20]}”应为 -10 到 200 的整数")
    if area:
        try:
            unit["area"] = Decimal(area)
            if not (0 < unit["area"] < 100000):
                raise InvalidOperation
        except InvalidOperation:
            problems.append(f"面积“{area[:20]}”应为大于 0 的数字")
    return unit, problems
