"""The province character of a plate (粤, 京 …): the booth picks it instead of typing it.

The estate's usual province is offered first: the one most of its recent plates start
with, else the one its address names (广东省… → 粤), else none.
"""
from peewee import fn

from .models import VehicleEntry, Visit

# The 31 mainland provinces' characters, in the order of the national standard (GA 36).
PROVINCES = ("京", "津", "冀", "晋", "蒙", "辽", "吉", "黑", "沪", "苏", "浙", "皖", "闽", "赣",
             "鲁", "豫", "鄂", "湘", "粤", "桂", "琼", "渝", "川", "贵", "云", "藏", "陕", "甘",
             "青", "宁", "新")
PROVINCE_NAMES = {"北京": "京", "天津": "津", "河北": "冀", "山西": "晋", "内蒙古": "蒙",
                  "辽宁": "辽", "吉林": "吉", "黑龙江": "黑", "上海": "沪", "江苏": "苏",
                  "浙江": "浙", "安徽": "皖", "福建": "闽", "江西": "赣", "山东": "鲁",
                  "河南": "豫", "湖北": "鄂", "湖南": "湘", "广东": "粤", "广西": "桂",
                  "海南": "琼", "重庆": "渝", "四川": "川", "贵州": "贵", "云南": "云",
                  "西藏": "藏", "陕西": "陕", "甘肃": "甘", "青海": "青", "宁夏": "宁",
                  "新疆": "新"}
RECENT = 500  # plates looked at for the usual province


def usual_province(estate):
    """The province character most of `estate`'s last RECENT vehicle plates start with; else
    the one its address names; '' when neither tells."""
    if estate is None:
        return ""
    counts = {}
    for model in (VehicleEntry, Visit):
        recent = (model.select(model.plate).where(model.estate == estate, model.plate != "")
                  .order_by(model.id.desc()).limit(RECENT))
        first = fn.SUBSTR(recent.c.plate, 1, 1)
        rows = (model.select(first.alias("p"), fn.COUNT(1).alias("n")).from_(recent)
                .group_by(first).tuples())
        for province, n in rows:
            if province in PROVINCES:
                counts[province] = counts.get(province, 0) + n
    if counts:
        return max(counts, key=lambda p: (counts[p], -PROVINCES.index(p)))
    return next((p for name, p in PROVINCE_NAMES.items() if name in (estate.address or "")), "")


def province_order(usual):
    """The provinces as the picker lists them: the usual one first, then the standard
    order."""
    return ([usual] if usual else []) + [p for p in PROVINCES if p != usual]


def with_province(province, plate):
    """The plate as typed after the picked `province`: the province goes in front unless
    the typed text already starts with a Chinese character (粤B…, 使…, 警…) or is an armed
    police plate (WJ…), which carries no province."""
    plate = (plate or "").strip()
    if not plate or province not in PROVINCES or "\u4e00" <= plate[0] <= "\u9fff" \
            or plate.upper().startswith("WJ"):
        return plate
    return province + plate
