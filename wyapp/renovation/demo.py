"""Demo renovations for 示范花园, one in each state: 待审核 (structural, for the manager),
已驳回, 施工中 (with workers, a violation to rectify and an extension waiting), 待验收,
验收未通过, 已完工（押金待退） with a deduction, and 已关闭 with its refund. Made by the same
domain calls the pages make, counted back from `now` (naive UTC); idempotent."""
from datetime import timedelta
from decimal import Decimal

from peewee import fn

from ..gate.validators import id_check_digit
from ..models import Notification, Unit
from . import flow, inspections
from .applications import apply
from .models import Renovation, RenovationSettings


def _id(first17):
    return first17 + id_check_digit(first17)


WORKERS = (f"张师傅 13911110001 {_id('44030519800101123')}\n"
           f"李师傅 13911110002 {_id('44030519850505234')}\n"
           "王小工 13911110003")


def _answers(estate, kind, user, bad=None):
    """Every item 合格, except the item labelled `bad` (label, note) when given."""
    _, items = inspections.checklist_items(estate, kind, user)
    return {i.key: (False, bad[1]) if bad and i.label == bad[0] else (True, "") for i in items}


def create_demo(estate, users, now):
    """Add the demo renovations to `estate` as of `now` (naive UTC); `users` by username."""
    if Renovation.select().where(Renovation.estate == estate).exists():
        return
    before = Notification.select(fn.MAX(Notification.id)).scalar() or 0
    settings = RenovationSettings.of(estate)
    settings.office_phone = "075512345678"
    settings.holidays = "2026-10-01\n2026-10-02\n2026-10-03"
    settings.save()
    desk, manager, sup, eng = (users["desk"], users["manager"], users["supervisor"],
                               users["engineer"])
    today = estate.today(now)

    def new(unit, days_ago, scope=("水电改造", "防水"), owner="陈先生", company="美居装饰",
            length=45, workers=WORKERS):
        at = now - timedelta(days=days_ago)
        start = estate.today(at) + timedelta(days=1)
        return apply(estate, Unit.find(estate, unit), desk, at, owner_name=owner,
                     owner_phone="13800001111", company=company, company_person="周经理",
                     company_phone="13700002222", licence_no="91440300MA5D000001",
                     planned_start=start, planned_end=start + timedelta(days=length),
                     scope=list(scope), scope_text="厨房卫生间翻新", workers=workers)

    def approved(unit, days_ago, **kw):
        r = new(unit, days_ago, **kw)
        flow.approve(r, manager, now - timedelta(days=days_ago - 1),
                     "每日 18:00 前清运垃圾；防水完工须做 48 小时闭水试验")
        return r

    new("2-501", 1, scope=("拆改墙体", "水电改造"), owner="林女士", company="宏图装饰")
    refused = new("1-201", 12, scope=("拆改墙体",), owner="黄先生")
    flow.refuse(refused, manager, now - timedelta(days=11), "拆除承重墙，不予批准")

    working = approved("1-402", 10)
    inspections.record(working, "巡查", eng, now - timedelta(days=2),
                       _answers(estate, "巡查", eng, ("垃圾清运", "楼道堆放装修垃圾未清运")),
                       today + timedelta(days=1))
    flow.request_extension(working, desk, now - timedelta(hours=5),
                           working.end_date + timedelta(days=10), "瓷砖到货延迟")

    waiting = approved("3-302", 50, length=40)
    flow.request_acceptance(waiting, desk, now - timedelta(days=1), "业主报完工")

    failed = approved("2-102", 55, length=45)
    flow.request_acceptance(failed, desk, now - timedelta(days=5))
    inspections.record(failed, "验收", sup, now - timedelta(days=3),
                       _answers(estate, "验收", sup, ("公共部位无损坏", "电梯厅墙面磕坏")))

    finished = approved("3-601", 70, length=50)
    inspections.record(finished, "巡查", eng, now - timedelta(days=40),
                       _answers(estate, "巡查", eng, ("作业时间", "中午 12:30 电钻施工")),
                       estate.today(now - timedelta(days=40)) + timedelta(days=2))
    violation = finished.violations.get()
    inspections.rectify(violation, eng, now - timedelta(days=38), "已与施工队约谈")
    flow.deduct(violation, manager, now - timedelta(days=37), Decimal("200"), "违规时段施工")
    flow.request_acceptance(finished, desk, now - timedelta(days=4))
    inspections.record(finished, "验收", sup, now - timedelta(days=2),
                       _answers(estate, "验收", sup))

    closed = approved("1-602", 90, length=60)
    flow.request_acceptance(closed, desk, now - timedelta(days=20))
    inspections.record(closed, "验收", sup, now - timedelta(days=18), _answers(estate, "验收", sup))
    flow.refund(closed, desk, now - timedelta(days=15))
    Notification.delete().where(Notification.id > before).execute()
