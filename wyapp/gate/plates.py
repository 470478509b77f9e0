"""The province character of a plate (粤, 京 …): the booth picks it instead of typing it.

The estate's usual province is offered first: the one most of its recent plates start
with, else the one its address names (广东省… → 粤), else none.
"""
import threading
import time
from collections import Counter, deque

from peewee import fn

from ..db import db
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
# The registration form asks for the usual province on every GET and POST (issue 23): each
# worker keeps, per database and estate, the first characters of the newest RECENT plates
# of each table and reads only the plates added since (none, mostly: an index probe). Read
# whole again after REREAD_SECONDS, for what adding rows does not show (a plate blanked by
# the purge, a visit's plate edited).
REREAD_SECONDS = 300
_lock = threading.Lock()
_clock = time.monotonic  # seconds, for REREAD_SECONDS only (tests replace it)


def _newest_firsts(model, estate, above=None):
    """[(id, first character)] of `estate`'s newest RECENT plated rows of `model` (with
    `above`: only those with a larger id), newest first."""
    query = model.select(model.id, fn.SUBSTR(model.plate, 1, 1)).where(
        model.estate == estate, model.plate != "")
    if above is not None:
        query = query.where(model.id > above)
    return list(query.order_by(model.id.desc()).limit(RECENT).tuples())


def _recent_firsts(estate):
    """The first characters of `estate`'s newest RECENT plates of each table (a list of
    deques), kept up to date in this worker's memo (see REREAD_SECONDS)."""
    memo = db.obj.__dict__.setdefault("gate_recent_plates", {})
    with _lock:
        kept = memo.get(estate.id)
        if kept is None or _clock() - kept["at"] > REREAD_SECONDS:
            kept = memo[estate.id] = {"at": _clock(), "tables": {}}
        for model in (VehicleEntry, Visit):
            table = kept["tables"].get(model)
            rows = _newest_firsts(model, estate, table and table["top"])
            if table is None or len(rows) >= RECENT:
                table = kept["tables"][model] = {"top": 0, "firsts": deque(maxlen=RECENT)}
            for row_id, first in reversed(rows):  # oldest first: the deque drops the oldest
                table["firsts"].append(first)
                table["top"] = max(table["top"], row_id)
        return [t["firsts"] for t in kept["tables"].values()]


def usual_province(estate):
    """The province character most of `estate`'s last RECENT vehicle plates and last RECENT
    visitors' plates start with (ties: the earlier in PROVINCES); else the one its address
    names; '' when neither tells (no estate: ''). Plates written by other workers show at
    once; plates blanked or edited, within REREAD_SECONDS."""
    if estate is None:
        return ""
    counts = Counter()
    for firsts in _recent_firsts(estate):
        counts.update(firsts)
    counts = {p: n for p, n in counts.items() if p in PROVINCES}
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
