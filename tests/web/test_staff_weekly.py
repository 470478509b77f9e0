"""The 周报 lists the 例会 action items open at the week's end (issue 21): owner, item, due
date, 完成 when done since, 未完成 otherwise; one done within the week is not listed."""
from datetime import timedelta

import pytest

from tests.factories import dashboard as df
from tests.factories import staff as records
from wyapp.dashboard.weekly import draft
from wyapp.models import Estate
from wyapp.staff.meetings import add_action, record_meeting

pytestmark = pytest.mark.clock


def test_the_weekly_draft_lists_the_meetings_open_action_items(login, in_db, now):
    with in_db():
        estate = Estate.get(Estate.name == "示范花园")
        monday = df.last_week(estate, now)
        lead, engineer, guard = (records.staff(n) for n in ("supervisor", "engineer", "guard"))
        meeting = record_meeting(estate, {"held_on": monday, "title": "每周例会",
                                          "topics": "电梯年检", "attendees": [lead, engineer]},
                                 lead, now)
        week_end = estate.day_bounds(monday + timedelta(days=6))[1]
        add_action(meeting, "联系电梯维保单位确定年检日期", engineer,
                   monday + timedelta(days=3), lead)
        later = add_action(meeting, "更换地库B区照明灯", guard, monday + timedelta(days=5), lead)
        within = add_action(meeting, "补齐消防通道标识", guard, monday + timedelta(days=2), lead)
        within.done_at = week_end - timedelta(days=2)
        within.save()
        later.done_at = week_end + timedelta(hours=1)  # done after the week: 完成 by now
        later.save()
        report, _ = draft(estate, monday, now)
    page = login("manager").get(f"/dashboard/weekly/{report.id}")
    text = "".join(page.text.split())
    assert page.status_code == 200 and "例会待办（周末未完成）" in text
    due = monday + timedelta(days=3)
    assert f"陈工</th><td>联系电梯维保单位确定年检日期（{due:%Y-%m-%d}前）未完成" in text
    assert "更换地库B区照明灯" in text and "照明灯（" in text and "前）完成" in text
    assert "补齐消防通道标识" not in text
