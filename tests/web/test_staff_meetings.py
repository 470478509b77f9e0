"""例会 minutes (issue 21): recorded by a lead, action items on each owner's home until done,
who may read them, and the archived 例会纪要 read back."""
import json
from datetime import timedelta

import pytest
from pypdf import PdfReader

from tests.factories import staff as records
from wyapp.archive import services as archive
from wyapp.models import Estate
from wyapp.staff.meetings import due_meetings, open_actions
from wyapp.staff.models import ActionItem, Meeting

pytestmark = pytest.mark.clock


def _estate():
    return Estate.get(Estate.name == "示范花园")


def _minutes(client, login, in_db, now):
    """The supervisor records this week's meeting and gives 陈工 an action item."""
    with in_db():
        today = _estate().today(now)
        ids = {n: records.staff(n).id for n in ("guard", "engineer", "supervisor")}
    login("supervisor")
    posted = client.post("/staff/meetings", data={
        "held_on": today.isoformat(), "title": "每周例会",
        "attendees": [ids["guard"], ids["engineer"], ids["supervisor"]],
        "topics": "1. 上周漏巡情况\n2. 电梯年检准备", "decisions": "夜班增加地库巡查一次"})
    assert posted.status_code == 302, posted.text
    url = posted.headers["Location"]
    added = client.post(f"{url}/actions", data={
        "text": "联系电梯维保单位确定年检日期", "owner": ids["engineer"],
        "due_on": (today + timedelta(days=3)).isoformat()})
    assert added.status_code == 302
    return url


def test_an_action_item_shows_on_its_owners_home_until_done(client, login, in_db, now):
    url = _minutes(client, login, in_db, now)
    home = login("engineer").get("/")
    assert "<h3>例会待办</h3>" in home.text and "联系电梯维保单位确定年检日期" in home.text
    assert "联系电梯维保单位" not in login("guard").get("/").text
    assert "夜班增加地库巡查一次" in client.get(url).text  # an attendee reads the minutes
    with in_db():
        item = ActionItem.get()
    assert client.post(f"/staff/actions/{item.id}/done").status_code == 403
    with in_db():
        today = _estate().today(now)
        assert [a.text for a in open_actions(_estate(), today + timedelta(days=7))] == [
            "联系电梯维保单位确定年检日期"]
        assert open_actions(_estate(), today) == []  # due in three days
    login("engineer")
    assert client.post(f"/staff/actions/{item.id}/done").status_code == 302
    assert "<h3>例会待办</h3>" not in client.get("/").text  # (its notification stays)
    assert "已完成" in client.get(url).text


def test_who_may_read_and_record_minutes(client, login, in_db, now):
    url = _minutes(client, login, in_db, now)
    login("desk")
    assert client.get(url).status_code == 404
    assert "每周例会" not in client.get("/staff/meetings").text
    assert client.post("/staff/meetings", data={"held_on": "2026-06-01", "title": "x",
                                                "topics": "x"}).status_code == 403
    login("supervisor")
    bad = client.post("/staff/meetings", data={"held_on": "", "title": "每周例会",
                                               "topics": "x"})
    assert bad.status_code == 422 and "请填写日期" in bad.text


def test_the_minutes_are_filed_as_a_record_and_read_back(app, client, login, in_db, now):
    _minutes(client, login, in_db, now)
    with in_db():
        estate = _estate()
        meeting = Meeting.get()
        assert due_meetings(estate, now) == [f"LH-{meeting.id}"]
        doc = archive.file_document("staff_meeting", estate, f"LH-{meeting.id}")
        assert archive.listed_period(archive.kinds()["staff_meeting"], doc.period) == \
            meeting.code
        # an item marked done later does not change what the meeting decided
        ActionItem.update(done_at=now).execute()
        assert archive.file_document("staff_meeting", estate, f"LH-{meeting.id}") is None
    reader = PdfReader(f"{app.config['DATA_DIR']}/archive/{doc.path}")
    text = "".join("".join(page.extract_text() for page in reader.pages).split())
    assert "例会纪要" in text and meeting.code in text and "上周漏巡情况" in text
    assert "联系电梯维保单位确定年检日期" in text and "陈工" in text and "张保安" in text
    data = json.loads(reader.attachments["source-data.json"][0])
    assert data["decisions"] == "夜班增加地库巡查一次" and data["actions"][0]["owner"] == "陈工"
