"""Issue 17, patrol: a scan between rounds is 计划外 (no round; the guard is told when the next
round starts; the day report and its archived PDF list it apart), a scan a few minutes before
a window counts for it flagged 提前 (the estate's setting on the schedules page), and the
ended round is unchanged.

Times are the test's `now` (estate clock): the module is marked `clock`."""
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.factories import archive as records
from tests.factories import inspection as factory
from tests.factories import patrol as make
from wyapp.archive import services as archive
from wyapp.labels import current_label, issue_label
from wyapp.models import Estate, User
from wyapp.patrol.models import Scan
from wyapp.patrol.rounds import rounds_between

pytestmark = pytest.mark.clock
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture
def gap(app, now, in_db):
    """A route of two checkpoints whose rounds are 60 minutes long and start every 2 hours,
    the last one ended 30 minutes before `now` (walked in full), the next 30 minutes after
    it. Returns {"token": first checkpoint's label token, "next": next start (HH:MM)}."""
    with in_db():
        estate = Estate.get(name="示范花园")
        route, points, next_start = make.gap_route(estate, now, User.get(username="guard"))
        return {"token": current_label("checkpoint", points[0].id).token,
                "next": next_start, "route": route}


def _ended(now):
    estate = Estate.get(name="示范花园")
    views = rounds_between(estate, now - timedelta(minutes=100), now - timedelta(minutes=30))
    return [(v.done, v.total, len(v.scans)) for v in views if v.ends_at <= now]


def test_scan_between_rounds_is_off_round_and_says_when_the_next_starts(login, in_db, gap,
                                                                          now):
    guard = login("guard")
    page = guard.get(f"/c/{gap['token']}")
    assert page.status_code == 200
    assert "计划外" in page.text and "下一轮 <strong>间隙测试路线" in page.text
    assert f"{gap['next']}</strong> 开始" in page.text
    with in_db():
        before = _ended(now)
    assert before == [(2, 2, 2)]
    done = guard.post(f"/c/{gap['token']}", data={"client_id": "offround-0001"},
                      headers={"HX-Request": "true"})
    assert done.status_code == 200 and "本次打卡已记为计划外" in done.text
    assert f"{gap['next']}</strong> 开始" in done.text
    with in_db():
        scan = Scan.get(Scan.client_id == "offround-0001")
        assert scan.round_id is None and scan.flag_list == ["计划外"]
        assert _ended(now) == before  # the ended round stays what it was
    lead = login("supervisor")
    report = lead.get("/patrol/reports/day")
    assert "计划外打卡" in report.text and "西门岗亭" in report.text.split("计划外打卡")[1]


def test_the_estate_sets_the_early_minutes(login, in_db, gap, now):
    lead = login("supervisor")
    page = lead.get("/patrol/schedules")
    assert "提前打卡" in page.text and 'value="10"' in page.text
    refused = lead.post("/patrol/schedules", data={"early_minutes": "90"})
    assert refused.status_code == 422 and "应在 0 到 60 分钟之间" in refused.text
    saved = lead.post("/patrol/schedules", data={"early_minutes": "40"},
                      follow_redirects=True)
    assert "开始前 40 分钟内的打卡计入该轮" in saved.text
    guard = login("guard")
    page = guard.get(f"/c/{gap['token']}")
    assert "计划外" not in page.text and "提前" in page.text
    done = guard.post(f"/c/{gap['token']}", data={"client_id": "early-0001"},
                      headers={"HX-Request": "true"})
    assert "提前打卡，计入" in done.text
    with in_db():
        scan = Scan.get(Scan.client_id == "early-0001")
        assert scan.flag_list == ["提前"] and scan.round_id is not None


def test_the_patrol_day_pdf_lists_off_round_scans_apart(app, in_db, now):
    with in_db():
        estate = Estate.get(name="示范花园")
        day = estate.today(now) - timedelta(days=1)
        points = records.patrol_day(estate, day)
        off, _, _ = make.scan(estate, points["北门"], make.local(estate, day, 7, 15),
                        user=User.get(username="guard"))
        assert off.round_id is None and off.flag_list == ["计划外"]
        doc = archive.file_document("patrol_day", estate, date.isoformat(day))
    reader = PdfReader(f"{app.config['DATA_DIR']}/archive/{doc.path}")
    text = "".join("".join(page.extract_text() for page in reader.pages).split())
    section = text.split("计划外打卡")[-1].split("巡更异常")[0]
    assert "07:15" in section and "北门" in section and "计划外" in section
    png = f"{app.config['DATA_DIR']}/archive/{doc.path}"
    ARTIFACTS.mkdir(exist_ok=True)  # looked at by eye
    subprocess.run(["pdftoppm", "-png", "-r", "60", png,
                    str(ARTIFACTS / "patrol_day_off_round")], check=True)


def test_reissuing_a_label_in_use_asks_first(login, in_db, gap):
    """Issue 17: 重新发放标签 retired a label glued to a wall with one tap. Now the tap shows
    a confirmation page (no JS needed); only its confirm retires the old label."""
    with in_db():
        estate = Estate.get(name="示范花园")
        checkpoint = current_label("checkpoint", make.checkpoint(estate, "北门岗").id)
        meter = factory.meter(estate, "测试电表", "电")
        equipment = factory.equipment(estate, "DT-01")
        issue_label(estate, "meter", meter.id)
        issue_label(estate, "equipment", equipment.id)
    lead = login("supervisor")
    for kind, target, url, back in (
            ("checkpoint", checkpoint.target_id,
             f"/patrol/checkpoints/{checkpoint.target_id}/reissue",
             f"/patrol/checkpoints/{checkpoint.target_id}"),
            ("meter", meter.id, f"/inspection/meters/{meter.id}/label",
             f"/inspection/meters/{meter.id}"),
            ("equipment", equipment.id, f"/inspection/equipment/{equipment.id}/label",
             f"/inspection/equipment/{equipment.id}")):
        with in_db():
            before = current_label(kind, target).token
        asked = lead.post(url)
        assert asked.status_code == 200 and "重新发放标签？" in asked.text, kind
        assert 'name="confirm" value="yes"' in asked.text and f'href="{back}"' in asked.text
        with in_db():
            assert current_label(kind, target).token == before  # nothing retired yet
        done = lead.post(url, data={"confirm": "yes"})
        assert done.status_code == 302, kind
        with in_db():
            assert current_label(kind, target).token != before
    with in_db():
        fresh = factory.meter(Estate.get(name="示范花园"), "无标签电表", "电")
    first = lead.post(f"/inspection/meters/{fresh.id}/label")  # a first label: no question
    assert first.status_code == 302
