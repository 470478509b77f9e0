"""Demo gate data for 示范花园: a full day of visitors and vehicles (today after 19:00,
otherwise yesterday), a few visitors on site now, an invitation, a release slip and a
watchlist entry, all relative to the `now` the demo is made at (naive UTC) in the estate's
own time. Idempotent: skipped when the estate already has visits."""
from datetime import datetime, time, timedelta

from .goods import issue_slip
from .invitations import create_invitation
from .models import Visit
from .vehicles import vehicle_in, vehicle_out
from .visits import register_visit, sign_out
from .watchlist import add_watch

DAY_VISITORS = [  # local time in, name, phone, unit, purpose, party, plate, minutes stayed
    ("08:12", "顺丰 刘师傅", "13723456789", "1-101", "快递外卖", 1, "", 8),
    ("08:40", "李师傅", "18612340000", "3-201", "维修服务", 1, "", 70),
    ("09:05", "陈美玲", "13812345678", "2-301", "探亲访友", 3, "粤BD12345", 150),
    ("09:30", "美团 王小哥", "15923456780", "1-402", "快递外卖", 1, "", 5),
    ("10:15", "链家 吴经理", "13534567890", "2-102", "中介看房", 2, "", 40),
    ("11:48", "饿了么 何小哥", "15823456781", "3-501", "快递外卖", 1, "", 6),
    ("14:20", "陈美玲", "13812345678", "2-301", "探亲访友", 1, "", 60),
    ("15:02", "京东 赵师傅", "13098765432", "3-302", "快递外卖", 1, "", 6),
    ("16:30", "宋工", "13911112222", "1-602", "装修施工", 2, "粤B5G7H2", 95),
    ("18:25", "郑丽", "15012345678", "2-602", "其他", 1, "", 45),
]
ON_SITE_NOW = [  # minutes ago, name, phone, unit, purpose, party, plate
    (790, "周建国", "13612345678", "3-602", "装修施工", 2, "粤B3K8M1"),  # forgot to sign out
    (185, "黄海", "17712345678", "1-501", "探亲访友", 2, "粤A88Q66"),
    (75, "钱多多", "15112345678", "2-201", "探亲访友", 1, ""),
    (30, "孙浩", "13345678901", "1-202", "探亲访友", 4, "湘C2N7L5"),
]
RESIDENT_CARS = [("07:40", "粤B6D2J8", 560), ("08:05", "粤BF56789", 610), ("12:10", "粤B9H3P1", 95)]


def full_day(estate, now):
    """The estate-local day the demo fills with a full day of visits when made at `now`
    (naive UTC): today from 19:00 on, otherwise yesterday."""
    today = estate.today(now)
    return today if estate.local(now).hour >= 19 else today - timedelta(days=1)


def demo(estate, users, now):
    """The gate's demo records of `estate` as of `now` (naive UTC)."""
    if Visit.select().where(Visit.estate == estate).exists():
        return
    gate = users["gate"]
    today, day = estate.today(now), full_day(estate, now)

    def at(clock):
        return estate.utc(datetime.combine(day, time.fromisoformat(clock)))

    def visit(when, name, phone, unit, purpose, party, plate):
        return register_visit(estate, gate, {
            "name": name, "phone": phone, "unit": unit, "purpose": purpose, "party_size": party,
            "plate": plate, "id_number": "", "note": ""}, now=when)[0]

    add_watch(estate, users["supervisor"], name="钱某", phone="13900001111", plate="粤BX7Q92",
              reason="曾冒充快递员进入小区，发现后请通知主管")
    for clock, *fields, stayed in DAY_VISITORS:
        sign_out(visit(at(clock), *fields), gate, at(clock) + timedelta(minutes=stayed))
    for ago, *fields in ON_SITE_NOW:
        visit(now - timedelta(minutes=ago), *fields)
    for clock, plate, stayed in RESIDENT_CARS:
        entry, _ = vehicle_in(estate, gate, plate, "业主", now=at(clock))
        vehicle_out(entry, at(clock) + timedelta(minutes=stayed))
    vehicle_in(estate, gate, "粤B6D2J8", "业主", now=now - timedelta(minutes=50))
    create_invitation(estate, users["desk"], {
        "name": "林晓", "phone": "13687654321", "unit": "1-301", "purpose": "探亲访友",
        "party_size": 2, "plate": "", "valid_from": today, "valid_to": today + timedelta(days=2),
        "note": "业主王先生的亲戚，周末来住两天"})
    issue_slip(estate, users["desk"], {
        "unit": "2-502", "applicant": "马先生（业主）", "valid_on": today, "approved_by": "王经理",
        "items": "旧沙发 1\n双门冰箱 1\n纸箱 6", "note": "搬家，搬家公司车辆 粤B2M7K3"})
