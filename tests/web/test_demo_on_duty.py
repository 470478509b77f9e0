"""The demo shows 当班人员（按排班） at work: its 交接班巡查 takes its guard from the staff
roster, so a new user sees, for tomorrow, the round the roster gives 张保安 with his name
and the other one 未排班, and 张保安 himself sees only his."""
import re
from datetime import timedelta

import pytest

from wyapp.db import db
from wyapp.demo import PASSWORD
from wyapp.models import Estate
from wyapp.patrol.models import Schedule

pytestmark = pytest.mark.clock  # tomorrow is the estate's


def _client(app, username):
    client = app.test_client()
    assert client.post("/login", data={"username": username,
                                       "password": PASSWORD}).status_code == 302
    return client


def _handover_rounds(html):
    """The 当班 text of each 交接班巡查 round of a day report."""
    return re.findall(r"交接班巡查 · 已巡 \d+/\d+ · 当班：([^<]*)</p>", html)


def test_the_demo_has_a_patrol_schedule_that_follows_the_roster(make_app, database_url, now):
    app = make_app(database_url, with_demo=True)
    with app.app_context(), db.connection_context():
        schedule = Schedule.get(Schedule.name == "交接班巡查")
        assert schedule.by_roster
        tomorrow = (Estate.get(Estate.name == "示范花园").today(now)
                    + timedelta(days=1)).isoformat()
    lead = _client(app, "supervisor")
    listed = lead.get("/patrol/schedules").text
    assert re.search(r"交接班巡查.*?当班人员（按排班）", listed, re.S)
    people = _handover_rounds(lead.get(f"/patrol/reports/day?date={tomorrow}").text)
    assert sorted(people) == ["张保安", "未排班"]  # 张保安 alternates 白班 and 夜班
    guard = _client(app, "guard")
    assert _handover_rounds(guard.get(f"/patrol/reports/day?date={tomorrow}").text) == ["张保安"]
