"""Demo gate data for 示范花园: a day of visitors and vehicles, an invitation, a release
slip and a watchlist entry. Idempotent: skipped when the estate already has visits."""
from datetime import timedelta

from ..db import utcnow
from .models import Visit
from .services import (
    add_watch,
    create_invitation,
    find_unit,
    issue_slip,
    local_day,
    register_visit,
    sign_out,
    vehicle_in,
    vehicle_out,
)

VISITORS = [  # minutes ago, name, phone, unit, purpose, party, plate, stays (minutes or None)
    (790, "周建国", "13612345678", "3-602", "装修施工", 2, "粤B3K8M1", None),  # long stay
    (460, "顺丰 刘师傅", "13723456789", "1-101", "快递外卖", 1, "", 8),
    (410, "陈美玲", "13812345678", "2-301", "探亲访友", 3, "粤BD12345", 150),
    (380, "美团 王小哥", "15923456780", "1-402", "快递外卖", 1, "", 5),
    (330, "李师傅", "18612340000", "3-201", "维修服务", 1, "", 70),
    (300, "链家 吴经理", "13534567890", "2-102", "中介看房", 2, "", 40),
    (240, "陈美玲", "13812345678", "2-301", "探亲访友", 1, "", 60),
    (185, "黄海", "17712345678", "1-501", "探亲访友", 2, "粤A88Q66", None),
    (120, "京东 赵师傅", "13098765432", "3-302", "快递外卖", 1, "", 6),
    (75, "郑丽", "15012345678", "2-602", "其他", 1, "", None),
    (30, "孙浩", "13345678901", "1-202", "探亲访友", 4, "湘C2N7L5", None),
]
RESIDENT_CARS = [(520, "粤B6D2J8", 300), (420, "粤BF56789", None), (200, "粤B9H3P1", 95)]


def demo(estate, users):
    if Visit.select().where(Visit.estate == estate).exists():
        return
    now, gate = utcnow(), users["gate"]
    add_watch(estate, users["supervisor"], name="钱某", phone="13900001111", plate="粤BX7Q92",
              reason="曾冒充快递员进入小区，发现后请通知主管")
    for ago, name, phone, unit, purpose, party, plate, stays in VISITORS:
        visit, _, _ = register_visit(
            estate, gate, {"name": name, "phone": phone, "unit": unit, "purpose": purpose,
                           "party_size": party, "plate": plate, "id_number": "", "note": ""},
            now=now - timedelta(minutes=ago))
        if stays is not None:
            sign_out(visit, gate, now - timedelta(minutes=ago - stays))
    for ago, plate, stays in RESIDENT_CARS:
        entry, _ = vehicle_in(estate, gate, plate, "业主", now=now - timedelta(minutes=ago))
        if stays is not None:
            vehicle_out(entry, now - timedelta(minutes=ago - stays))
    today = local_day(estate, now)
    create_invitation(estate, users["desk"], {
        "name": "林晓", "phone": "13687654321", "unit": "1-301", "purpose": "探亲访友",
        "party_size": 2, "plate": "", "valid_from": today, "valid_to": today + timedelta(days=2),
        "note": "业主王先生的亲戚，周末来住两天"})
    issue_slip(estate, users["desk"], {
        "unit": "2-502", "applicant": "马先生（业主）", "valid_on": today, "approved_by": "王经理",
        "items": "旧沙发 1\n双门冰箱 1\n纸箱 6", "note": "搬家，搬家公司车辆 粤B2M7K3"})
    find_unit(estate, "1-101")  # the demo units exist (fails loudly if the core demo changed)
