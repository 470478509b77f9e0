"""Demo staff data for 示范花园: shifts, last, this and next month's rosters of the four teams,
leave in every state, last month's approved evaluations, this month's approved training plan
(one session running at `now`), last week's 例会 with action items."""
from datetime import timedelta

from ..db import db
from .evaluations import add_reward, approve_evaluation, draft_month, score
from .leave import apply_leave, approve, refuse, withdraw
from .meetings import add_action, finish_action, record_meeting
from .models import Evaluation, RosterEntry
from .rosters import add_entry, month_days, shifts
from .training import add_session, approve_plan, month_plan, submit_plan

TEAM_OF = {"guard": "秩序维护", "gate": "门岗", "engineer": "工程", "desk": "客服"}


def create_demo(estate, users, now):
    """The demo's staff records as of `now` (naive UTC), for `users` ({username: User}).
    Idempotent: does nothing once the estate has a roster."""
    if RosterEntry.select().where(RosterEntry.estate == estate).exists():
        return
    if not all(name in users for name in (*TEAM_OF, "supervisor", "manager")):
        return
    today = estate.today(now)
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)
    with db.atomic():
        # next month's too, drafted ahead as an office does: on a month's last evening the
        # roster's 当班人员 (patrol's 交接班巡查) still has tomorrow's people
        _rosters(estate, users, last_month, this_month, next_month)
        _leave(estate, users, today, now)
        _evaluations(estate, users, last_month, now)
        _training(estate, users, now)
        _minutes(estate, users, today, now)


def _rosters(estate, users, *months):
    day_shift, night_shift = (next(s for s in shifts(estate) if s.name == name)
                              for name in ("白班", "夜班"))
    for first in months:
        for day in month_days(first):
            # 张保安 alternates day and night; the others work days (客服 on weekdays)
            add_entry(estate, "秩序维护", day, night_shift if day.day % 2 else day_shift,
                      users["guard"])
            add_entry(estate, "门岗", day, day_shift, users["gate"])
            add_entry(estate, "工程", day, day_shift, users["engineer"])
            if day.weekday() < 5:
                add_entry(estate, "客服", day, day_shift, users["desk"])


def _leave(estate, users, today, now):
    def ask(who, kind, start, days, reason, half=("上午", "下午")):
        return apply_leave(estate, users[who], {
            "kind": kind, "start_day": start, "start_half": half[0],
            "end_day": start + timedelta(days=days - 1), "end_half": half[1],
            "reason": reason}, now - timedelta(days=1))

    approve(ask("guard", "年假", today + timedelta(days=3), 1, "回老家办事"),
            users["supervisor"], now - timedelta(hours=20))
    approve(ask("engineer", "病假", today + timedelta(days=5), 5, "腰伤复查，医生建议休息"),
            users["supervisor"], now - timedelta(hours=2))  # now waits for the manager
    refuse(ask("desk", "事假", today + timedelta(days=2), 1, "家中有事"), users["supervisor"],
           "当天业主接待日，请改期", now - timedelta(hours=3))
    withdraw(ask("gate", "调休", today + timedelta(days=4), 1, "调休半天", ("下午", "下午")),
             users["gate"])
    ask("guard", "事假", today + timedelta(days=9), 1, "孩子家长会", ("上午", "上午"))


def _evaluations(estate, users, first, now):
    draft_month(estate, first, now)
    judged = {"guard": (90, 85, 95, "巡逻认真，夜班到岗准时"),
              "gate": (88, 90, 90, "来访登记规范"),
              "engineer": (92, 85, 90, "设备日检按时，维修及时"),
              "desk": (95, 92, 90, "投诉回复及时")}
    for evaluation in Evaluation.select().where(Evaluation.estate == estate,
                                                Evaluation.month == f"{first:%Y-%m}"):
        name = evaluation.user.username
        if name not in judged:
            continue
        attitude, appearance, discipline, comment = judged[name]
        if name == "guard":
            add_reward(evaluation, "奖励", 2, "夜班发现地库漏水并及时报修", users["supervisor"],
                       now)
        score(evaluation, {"attitude": attitude, "appearance": appearance,
                           "discipline": discipline, "comment": comment}, users["supervisor"], now)
        approve_evaluation(evaluation, users["manager"], now)


def _training(estate, users, now):
    local = estate.local(now).replace(second=0, microsecond=0) - timedelta(minutes=30)
    ends = local + timedelta(hours=2)  # past midnight: the next day
    first = local.date().replace(day=1)
    attendees = [users[n] for n in ("guard", "gate", "engineer", "desk")]
    add_session(estate, first, {"topic": "消防器材使用与初起火灾扑救",
                                "trainer": users["supervisor"], "day": local.date(),
                                "starts": f"{local:%H:%M}",
                                "ends": f"{ends:%H:%M}", "place": "物业中心会议室",
                                "attendees": attendees}, users["supervisor"])
    later = min(local.date() + timedelta(days=7), (first + timedelta(days=32)).replace(day=1)
                - timedelta(days=1))
    if later > local.date():
        add_session(estate, first, {"topic": "业主沟通礼仪", "trainer": users["manager"],
                                    "day": later, "starts": "14:00", "ends": "15:30",
                                    "place": "物业中心会议室",
                                    "attendees": attendees}, users["supervisor"])
    plan = month_plan(estate, first)
    approve_plan(submit_plan(plan, users["supervisor"]), users["manager"], now)


def _minutes(estate, users, today, now):
    meeting = record_meeting(estate, {
        "held_on": today - timedelta(days=7), "title": "每周例会",
        "attendees": [users[n] for n in ("manager", "supervisor", "guard", "engineer", "desk")],
        "topics": "1. 上周巡更漏巡两次，原因分析\n2. 2号楼电梯年检准备\n3. 业主投诉回复时效",
        "decisions": "夜班增加地库巡查一次；电梯年检前完成自检；投诉 24 小时内首次回复。"},
        users["supervisor"], now - timedelta(days=7))
    add_action(meeting, "联系电梯维保单位确定年检日期", users["engineer"],
               today + timedelta(days=2), users["supervisor"])
    done = add_action(meeting, "整理上月投诉回复超时清单", users["desk"],
                      today - timedelta(days=2), users["supervisor"])
    finish_action(done, users["desk"], now - timedelta(days=3))
    add_action(meeting, "检查地库B区照明", users["guard"], today + timedelta(days=1),
               users["supervisor"])
