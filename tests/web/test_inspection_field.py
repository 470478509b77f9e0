"""Issue 17, inspection as an engineer meets it: the today board lists each sheet once
(grouped by shift, the engineer's own first), 白班 and 夜班 of one equipment start their
own sheets, a saved meter reading shows in the history without a reload, and the duty log
joins its clauses without "。；".

Times are the test's `now` (estate clock): the module is marked `clock`."""
import re
from html import unescape

import pytest

from tests.factories import inspection as factory
from tests.web.test_inspection import HX
from wyapp.db import utcnow
from wyapp.inspection.duty import join_clauses
from wyapp.inspection.meters import previous_month
from wyapp.inspection.models import DutyShift, Meter, Sheet
from wyapp.models import Estate, User, UserEstate, UserRole

pytestmark = pytest.mark.clock


@pytest.fixture
def plans(in_db):
    """Per-shift plans: PD-01 of the engineer, SB-01 of another engineer (王工); a daily
    DT-01 of the engineer."""
    with in_db():
        estate = Estate.get(name="示范花园")
        other = User.create(username="engineer2", display_name="王工", password_hash="x")
        UserRole.create(user=other, role="engineer")
        UserEstate.create(user=other, estate=estate)
        return {"PD-01": factory.plan_for(estate, "PD-01", "每班").id,
                "SB-01": factory.plan_for(estate, "SB-01", "每班", engineers=[other]).id,
                "DT-01": factory.plan_for(estate, "DT-01", "每日").id}


def _start_forms(page):
    """The (action URL, shift) of every 开始日检 form on the page."""
    return [(unescape(action), shift) for action, shift in re.findall(
        r'<form method="post" action="([^"]*/start[^"]*)">.*?name="shift" value="([^"]*)"',
        page, re.S)]


def test_the_board_lists_each_sheet_once_mine_first(login, plans):
    page = login("engineer").get("/inspection/").text
    assert "我的待检" not in page
    forms = _start_forms(page)
    assert len(forms) == len(set(forms)) == 5  # 2 shifts × 2 plans + 1 daily
    assert page.count("开始日检") == 5
    shifts = page.split("<h2>")
    day_shift = next(s for s in shifts if s.startswith("白班"))
    names = re.findall(r"<strong>([^<]+)</strong>", day_shift)
    assert names[0] == "1号干式变压器" and "我的" in day_shift.split(names[1])[0]
    assert "我的" not in day_shift.split(names[1])[1].split("</li>")[0]
    lead = login("supervisor").get("/inspection/").text
    assert lead.count("开始日检") == 5 and "badge mine" not in lead


def test_day_and_night_shift_buttons_start_their_own_sheets(app, in_db, login, plans):
    client = login("engineer")
    forms = [f for f in _start_forms(client.get("/inspection/").text)
             if f"/plans/{plans['PD-01']}/start" in f[0]]
    assert sorted(shift for _, shift in forms) == ["夜班", "白班"]
    assert len({url for url, _ in forms}) == 2  # each shift its own URL
    made = {}
    for url, shift in forms:
        period = re.search(r"period=([\d-]+)", url).group(1)
        response = client.post(url, data={"period": period, "shift": shift})
        assert response.status_code == 302
        made[shift] = int(response.headers["Location"].rsplit("/", 1)[1])
    assert made["白班"] != made["夜班"]
    with in_db():
        assert Sheet.get_by_id(made["白班"]).shift == "白班"
        assert Sheet.get_by_id(made["夜班"]).shift == "夜班"
    url_only = client.post(forms[0][0], data={})  # the URL alone carries the slot too
    assert url_only.status_code == 302
    assert int(url_only.headers["Location"].rsplit("/", 1)[1]) == made[forms[0][1]]


def test_a_saved_reading_shows_in_the_history_at_once(app, in_db, login):
    with in_db():
        estate = Estate.get(name="示范花园")
        this_month = estate.today(utcnow()).replace(day=1)
        meter = factory.meter(estate, "测试水表", "水", readings=[
            (previous_month(this_month, 2), "100"), (previous_month(this_month, 1), "110")])
    client = login("engineer")
    block = client.post(f"/inspection/meters/{meter.id}", headers=HX, data={
        "month": f"{this_month:%Y-%m}", "value": "121"})
    assert block.status_code == 200 and "HX-Redirect" not in block.headers
    history = block.text.split('id="meter-history"')[1]
    assert f"{this_month:%Y-%m}：121" in history and "用量 11" in history
    assert "已记录" in block.text and 'value="121"' not in block.text  # a fresh form
    with in_db():
        assert Meter.get_by_id(meter.id).readings.count() == 3


def test_duty_log_joins_clauses_without_doubled_punctuation(in_db, login, now):
    assert join_clauses("设备：运行正常。", "未完成：电梯平层偏差，已报维保。") == \
        "设备：运行正常；未完成：电梯平层偏差，已报维保。"
    assert join_clauses("设备：正常", "") == "设备：正常。"
    assert join_clauses("", "  ") == ""
    with in_db():
        estate = Estate.get(name="示范花园")
        engineer = factory.staff("engineer")
        DutyShift.create(estate=estate, engineer=engineer, started_at=now,
                         ended_at=now, pending="2号楼电梯平层偏差，已报维保。",
                         equipment_status="配电、给水正常；电梯可运行。")
    page = login("engineer").get("/inspection/duty").text
    assert "。；" not in page
    assert "设备：配电、给水正常；电梯可运行；未完成：2号楼电梯平层偏差，已报维保。" in page
