"""Demo data for 示范花园: work orders and complaints in different states, one event with
three complainants. Idempotent: it does nothing once the estate has any service records.
Every time is counted back from `now` (naive UTC, given by the core's demo)."""
from datetime import timedelta

from peewee import fn

from ..models import Notification, Unit
from . import complaints, orders
from .causes import causes_of
from .models import Complaint, WorkOrder


def _unit(estate, building, number):
    return Unit.find(estate, f"{building}-{number}")


def create_demo(estate, users, now):
    """Add the demo's orders and complaints to `estate` as of `now` (naive UTC), by the
    same domain calls the pages make; `users`: the demo accounts by username."""
    if WorkOrder.select().where(WorkOrder.estate == estate).exists() or \
            Complaint.select().where(Complaint.estate == estate).exists():
        return
    desk, sup, eng = users["desk"], users["supervisor"], users["engineer"]
    before = Notification.select(fn.MAX(Notification.id)).scalar() or 0
    _demo_orders(estate, now, desk, sup, eng, users["guard"])
    _demo_complaints(estate, now, desk, sup, eng)
    # the steps above alert people as they would in use; demo accounts start with none
    Notification.delete().where(Notification.id > before).execute()


def _demo_orders(estate, now, desk, sup, eng, guard):
    def order(hours_ago, **kwargs):
        return orders.create_work_order(estate, now=now - timedelta(hours=hours_ago), **kwargs)

    order(1, source="业主来电", description="厨房水槽下水管漏水，地面有积水", reported_by=desk,
          category="水", priority="高", unit=_unit(estate, "1号楼", "302"))
    o = order(5, source="巡更异常", description="地下车库B区两盏照明灯不亮", reported_by=guard,
              category="电", priority="普通", place="2号楼地下车库B区")
    orders.assign(o, eng, sup, now - timedelta(hours=4), "今天下班前处理")
    o = order(30, source="业主来访", description="入户门锁芯卡住，钥匙打不开", reported_by=desk,
              category="门窗", priority="紧急", unit=_unit(estate, "3号楼", "501"), paid=True)
    orders.assign(o, eng, sup, now - timedelta(hours=29))
    orders.accept(o, eng, now - timedelta(hours=29))
    orders.start(o, eng, now - timedelta(hours=28))
    o = order(50, source="员工发现", description="单元门闭门器损坏，门关不上", reported_by=sup,
              category="门窗", priority="普通", place="2号楼1单元门")
    orders.assign(o, eng, sup, now - timedelta(hours=49))
    orders.accept(o, eng, now - timedelta(hours=48))
    orders.start(o, eng, now - timedelta(hours=47))
    orders.complete(o, eng, "更换闭门器并调试", "闭门器 1 个、螺丝 4 颗",
                    now=now - timedelta(hours=46))
    o = order(80, source="业主来电", description="卫生间水龙头滴水", reported_by=desk,
              category="水", unit=_unit(estate, "1号楼", "101"))
    orders.assign(o, eng, sup, now - timedelta(hours=79))
    orders.accept(o, eng, now - timedelta(hours=79))
    orders.start(o, eng, now - timedelta(hours=78))
    orders.complete(o, eng, "更换阀芯", "陶瓷阀芯 1 个", now=now - timedelta(hours=77))
    orders.visit(o, desk, "满意", "师傅很细心", now - timedelta(hours=60))
    orders.close(o, desk, now - timedelta(hours=59))


def _demo_complaints(estate, now, desk, sup, eng):
    cause = {c.name: c for c in causes_of(estate)}

    def complaint(hours_ago, **kwargs):
        at = now - timedelta(hours=hours_ago)
        return complaints.create_complaint(estate, received_by=desk, received_at=at, now=at,
                                           **kwargs)

    first = None
    for hours_ago, name, unit, phone in [(70, "王女士", ("3号楼", "101"), "13800000001"),
                                         (50, "李先生", ("3号楼", "202"), "13800000002"),
                                         (26, "赵阿姨", ("3号楼", "402"), "13800000003")]:
        c = complaint(hours_ago, channel="来电", name=name, unit=_unit(estate, *unit),
                      phone=phone, content="3号楼旁垃圾站夏天异味很大，清运不及时")
        complaints.classify(c, desk, cause=cause["环境卫生"],
                            event=first.event if first else None,
                            new_event="" if first else "3号楼垃圾站异味",
                            now=now - timedelta(hours=hours_ago))
        first = first or c
    complaints.handle(first, sup, investigation="现场查看，垃圾桶满溢",
                      measures="清运改为每日两次，每周冲洗", reply="已增加清运次数并冲洗垃圾站",
                      agreed=True, now=now - timedelta(hours=20))
    c = complaint(10, channel="来访", neighbour_dispute=True,
                  content="楼上住户晚上十一点后仍有敲击声", owner=sup,
                  due_at=now + timedelta(hours=14))
    c = complaint(40, channel="网上", name="陈先生", phone="13900000005",
                  content="物业费账单与实际面积不符")
    complaints.handle(c, desk, reply="已核对面积，账单无误，解释了公摊面积", agreed=False,
                      next_due=now - timedelta(hours=2), now=now - timedelta(hours=30))
    complaints.classify(c, desk, cause=cause["收费"], now=now - timedelta(hours=30))
    c = complaint(200, channel="上级转办", name="孙女士", unit=_unit(estate, "2号楼", "601"),
                  phone="13700000006", content="电梯多次困人，要求彻底检修")
    complaints.classify(c, desk, cause=cause["工程维修"], major=True,
                        now=now - timedelta(hours=199))
    complaints.handle(c, sup, investigation="维保单位检测门机", measures="更换门机板，加密保养",
                      reply="已更换故障部件并加密保养", agreed=True, now=now - timedelta(hours=150))
    complaints.follow_up(c, desk, "满意", "最近运行正常", now - timedelta(hours=120))
