"""Patrol through HTTP: scanning a label, supervisor set-up, incidents, reports, roles.

The rounds are open at the test's `now` (one route walked all day, one whose window opened
ten minutes ago, across the estate's midnight at 00:05): the module is marked `clock`."""
import io
import re
from datetime import timedelta
from urllib.parse import quote_from_bytes, urlencode

import pytest
from PIL import Image
from pypdf import PdfReader

from tests.factories import patrol as make
from wyapp.db import db
from wyapp.labels import Label, current_label, issue_label, label_and_estate, new_token
from wyapp.models import Estate, User
from wyapp.patrol.models import (
    Checkpoint,
    Incident,
    PatrolStructure,
    Route,
    RouteStop,
    Scan,
    Schedule,
)

pytestmark = pytest.mark.clock
HOSTILE = ["", "长" * 10000, "<script>alert('x')</script>", "'; DROP TABLE scan; --",
           b"\xff\xfe\x00bad"]
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def post_hostile(client, url, field, data):
    """Post each hostile value into `field`: never a 500, always Chinese, never raw HTML."""
    for value in HOSTILE:
        if isinstance(value, bytes):
            body = urlencode(data, doseq=True) + f"&{field}=" + quote_from_bytes(value)
            response = client.post(url, data=body, follow_redirects=True,
                                   content_type="application/x-www-form-urlencoded")
        else:
            response = client.post(url, data={**data, field: value}, follow_redirects=True)
        assert response.status_code < 500, (field, value)
        assert CHINESE.search(response.text), (field, value)
        assert "<script>alert" not in response.text
    return response


NIGHT = ["东门岗亭", "1号楼大堂", "2号楼大堂", "儿童游乐场"]
GARAGE = ["地库A区配电房", "地库B区水泵房"]


@pytest.fixture
def demo(app, now):
    """A patrol set-up like the demo's, made by the factories: six checkpoints on an ordered
    night route (its window opened 10 minutes ago) and an unordered garage route (walked all
    day, by the guard alone), one scan by the guard and one by the supervisor a few minutes
    ago (client ids demo-…), one pending incident. Returns {name: (id, label token)}."""
    with app.app_context(), db.connection_context():
        estate = Estate.get(name="示范花园")
        guard, lead = User.get(username="guard"), User.get(username="supervisor")
        points = {n: make.checkpoint(estate, n) for n in NIGHT + GARAGE}
        night = make.route(estate, [points[n] for n in NIGHT], "夜间巡逻路线")
        garage = make.route(estate, [points[n] for n in GARAGE], "地库巡逻路线",
                            enforce_order=False, min_seconds=30)
        make.around_now(night, now)
        make.schedule(garage, guards=[guard])
        make.scan(estate, points["东门岗亭"], now - timedelta(minutes=5), user=guard,
                  key="demo-guard-1")
        make.scan(estate, points["1号楼大堂"], now - timedelta(minutes=4), user=lead,
                  key="demo-lead-1")
        make.incident(estate, checkpoint=points["地库B区水泵房"])
        return {c.name: (c.id, current_label("checkpoint", c.id).token)
                for c in Checkpoint.select()}


def scans(app):
    with app.app_context(), db.connection_context():
        return Scan.select().where(~Scan.client_id.startswith("demo-")).count()


def test_scan_page_after_login_and_get_never_writes(client, login, demo, app):
    _, token = demo["地库B区水泵房"]
    response = client.get(f"/c/{token}")
    assert response.status_code == 302 and f"next=/c/{token}" in response.headers["Location"]
    guard = login("guard")
    page = guard.get(f"/c/{token}")
    assert page.status_code == 200 and "地库B区水泵房" in page.text
    assert re.search(r'<button type="submit" class="primary block scan-button">打卡</button>',
                     page.text)
    fragment = guard.get(f"/c/{token}", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="scan-box"' in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    assert scans(app) == 0


def test_tap_records_once_and_shows_success(login, demo, app):
    _, token = demo["地库B区水泵房"]
    guard = login("guard")
    first = guard.post(f"/c/{token}", headers={"Idempotency-Key": "k-1234567890"},
                       data={"latitude": "31.23", "longitude": "121.47", "accuracy": "12",
                             "device_time": "2026-01-01T00:00:00Z"})
    assert first.status_code == 200 and "打卡成功" in first.text and "地库B区水泵房" in first.text
    assert re.search(r"打卡时间 <strong>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d</strong>", first.text)
    again = guard.post(f"/c/{token}", headers={"Idempotency-Key": "k-1234567890"})
    assert again.status_code == 200 and "打卡成功" in again.text and "已记录过" in again.text
    fragment = guard.post(f"/c/{token}", data={"client_id": "k-abcdefghij"},
                          headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "打卡成功" in fragment.text
    assert scans(app) == 2
    with app.app_context(), db.connection_context():
        row = Scan.get(Scan.client_id == "k-1234567890")
        assert (row.latitude, row.longitude, row.accuracy_m) == (31.23, 121.47, 12)
        # the device's clock is kept, but one that is weeks off does not set the scan's time
        assert row.device_at.isoformat() == "2026-01-01T00:00:00"
        assert row.scanned_at == row.server_at and "离线补传" not in row.flags


def test_scan_refusals(login, demo, app):
    cp_id, token = demo["儿童游乐场"]
    guard = login("guard")
    assert guard.post(f"/c/{token}", data={"client_id": "<b>x</b>"}).status_code == 409
    assert "打卡编号无效" in guard.post(f"/c/{token}", data={}).text
    with app.app_context(), db.connection_context():
        Checkpoint.update(active=False).where(Checkpoint.id == cp_id).execute()
        other = Estate.create(name="别的小区")
        foreign = Checkpoint.create(estate=other, name="外面的点")
        foreign_label = issue_label(other, "checkpoint", foreign.id)
        # a label of this estate whose target is another estate's checkpoint: the target is
        # read only within the label's estate, so the scan finds no checkpoint
        crossed = Label.create(token=new_token(), estate=Checkpoint.get_by_id(cp_id).estate,
                               kind="checkpoint", target_id=foreign.id)
    inactive = guard.post(f"/c/{token}", data={"client_id": "k-inactive-1"})
    assert inactive.status_code == 410 and "已停用" in inactive.text
    crossed_scan = guard.post(f"/c/{crossed.token}", data={"client_id": "k-crossed-1"})
    assert crossed_scan.status_code == 410 and "外面的点" not in crossed_scan.text
    refused = guard.post(f"/c/{foreign_label.token}", data={"client_id": "k-foreign-1"})
    assert refused.status_code == 404 and "无法识别的标签" in refused.text
    assert login("gate").get(f"/c/{demo['东门岗亭'][1]}").status_code == 403
    assert scans(app) == 0


def test_checkpoint_label_reads_its_checkpoint_and_setup_version(app, demo):
    """One read gives the label, its estate, the checkpoint and the patrol set-up version
    (Feature.label_targets), which the round of the scan then needs."""
    cp_id, token = demo["东门岗亭"]
    with app.test_request_context(), db.connection_context():
        label, estate = label_and_estate(token, User.get(User.username == "guard"))
        assert (label.target.id, label.target.name) == (cp_id, "东门岗亭")
        assert label.target.structure_version == PatrolStructure.get_by_id(1).version
        assert estate.id == label.estate_id == label.target.estate_id


def test_reissue_retires_the_old_label(login, demo, app):
    cp_id, old = demo["东门岗亭"]
    supervisor = login("supervisor")
    asked = supervisor.post(f"/patrol/checkpoints/{cp_id}/reissue")  # one tap only asks
    assert asked.status_code == 200 and "重新发放标签？" in asked.text
    with app.app_context(), db.connection_context():
        assert current_label("checkpoint", cp_id).token == old
    response = supervisor.post(f"/patrol/checkpoints/{cp_id}/reissue",
                               data={"confirm": "yes"}, follow_redirects=True)
    assert "已为 东门岗亭 重新发放标签" in response.text
    with app.app_context(), db.connection_context():
        new = current_label("checkpoint", cp_id).token
    assert new != old and f"/c/{new}" in response.text
    guard = login("guard")
    stale = guard.post(f"/c/{old}", data={"client_id": "k-stale-label"})
    assert stale.status_code == 410 and "标签已作废" in stale.text
    assert "打卡" in guard.get(f"/c/{new}").text and scans(app) == 0


def test_supervisor_pages_are_for_leads_and_own_estate(login, app):
    guard = login("guard")
    for path in ("/patrol/checkpoints", "/patrol/checkpoints/new", "/patrol/routes",
                 "/patrol/schedules", "/patrol/schedules/new", "/patrol/checkpoints/labels.pdf"):
        assert guard.get(path).status_code == 403, path
    with app.app_context(), db.connection_context():
        other = Estate.create(name="别的小区")
        cp = Checkpoint.create(estate=other, name="外面的点")
        route = Route.create(estate=other, name="外面的路线")
        schedule = Schedule.create(estate=other, route=route, name="外面的计划",
                                   start_times="08:00")
        incident = Incident.create(estate=other, reported_by=User.get(username="guard"),
                                   category="其他", text="x")
    supervisor = login("supervisor")
    for path in (f"/patrol/checkpoints/{cp.id}", f"/patrol/routes/{route.id}",
                 f"/patrol/schedules/{schedule.id}", f"/patrol/incidents/{incident.id}"):
        assert supervisor.get(path).status_code == 404, path
    assert supervisor.post(f"/patrol/checkpoints/{cp.id}/reissue").status_code == 404
    for path in ("/patrol/", "/patrol/checkpoints", "/patrol/routes", "/patrol/schedules",
                 "/patrol/incidents", "/patrol/reports/day", "/patrol/reports/month"):
        assert supervisor.get(path).status_code == 200, path
    assert login("gate").get("/patrol/").status_code == 403


def test_create_checkpoint_gets_a_label(login, app):
    supervisor = login("supervisor")
    response = supervisor.post("/patrol/checkpoints/new", follow_redirects=True, data={
        "name": "5号楼屋顶", "location": "楼梯间出口", "latitude": "31.2", "longitude": "121.4",
        "radius_m": "", "active": "y"})
    assert "已保存巡更点 5号楼屋顶" in response.text
    with app.app_context(), db.connection_context():
        cp = Checkpoint.get(name="5号楼屋顶")
        token = current_label("checkpoint", cp.id).token
        assert cp.radius_m == 50 and len(token) >= 22
    assert f"/c/{token}" in response.text
    dup = supervisor.post("/patrol/checkpoints/new", data={"name": "5号楼屋顶"})
    assert "已有同名巡更点" in dup.text
    half = supervisor.post("/patrol/checkpoints/new", data={"name": "6号楼", "latitude": "31"})
    assert "纬度和经度要一起填写" in half.text and 'value="6号楼"' in half.text
    bad = supervisor.post("/patrol/checkpoints/new", data={"name": "7号楼", "latitude": "北纬"})
    assert "请填写数字" in bad.text


def test_checkpoint_form_hostile_values(login):
    supervisor = login("supervisor")
    post_hostile(supervisor, "/patrol/checkpoints/new", "name", {"location": ""})
    post_hostile(supervisor, "/patrol/checkpoints/new", "location", {"name": "屋顶A"})
    post_hostile(supervisor, "/patrol/checkpoints/new", "radius_m", {"name": "屋顶B"})


def test_labels_pdf(login, demo):
    supervisor = login("supervisor")
    cp_id, token = demo["地库A区配电房"]
    response = supervisor.get(f"/patrol/checkpoints/labels.pdf?ids={cp_id}")
    assert response.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "示范花园" in text and "地库A区配电房" in text and f"XG{cp_id:03d}" in text
    assert "巡更点标签" in text and "东门岗亭" not in text
    everything = PdfReader(io.BytesIO(supervisor.get("/patrol/checkpoints/labels.pdf").data))
    assert "东门岗亭" in "".join(p.extract_text() for p in everything.pages)
    assert b"<svg" not in response.data  # the QR is drawn as vector paths, not embedded text


def test_route_settings_and_stops(login, app, demo):
    supervisor = login("supervisor")
    created = supervisor.post("/patrol/routes", data={"name": "消防通道路线", "enforce_order": "y",
                                                      "min_seconds": "45", "active": "y"})
    assert created.status_code == 302
    with app.app_context(), db.connection_context():
        route = Route.get(name="消防通道路线")
    url = f"/patrol/routes/{route.id}/stops"
    a, b = demo["1号楼大堂"][0], demo["2号楼大堂"][0]
    assert supervisor.post(url, data={"action": "add", "checkpoint": a}).status_code == 302
    fragment = supervisor.post(url, data={"action": "add", "checkpoint": b},
                               headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="stops"' in fragment.text
    assert fragment.text.index("1号楼大堂") < fragment.text.index("2号楼大堂")
    with app.app_context(), db.connection_context():
        second = RouteStop.get(route=route, checkpoint=b)
    moved = supervisor.post(url, data={"action": "up", "stop": second.id},
                            headers={"HX-Request": "true"})
    assert moved.text.index("2号楼大堂") < moved.text.index("1号楼大堂")
    full = supervisor.get(f"/patrol/routes/{route.id}")
    assert "<html" in full.text and full.text.index("2号楼大堂") < full.text.index("1号楼大堂")
    supervisor.post(url, data={"action": "remove", "stop": second.id})
    with app.app_context(), db.connection_context():
        assert [c.name for c in route.checkpoints()] == ["1号楼大堂"]
    bad = supervisor.post(url, data={"action": "add", "checkpoint": "abc"})
    assert bad.status_code == 422 and CHINESE.search(bad.text)
    assert supervisor.post(url, data={"action": "explode"}).status_code == 400
    for stop in ("9" * 30, "²", "-1"):  # no such stop can exist: refused, never a 500
        assert supervisor.post(url, data={"action": "up", "stop": stop}).status_code == 400
    nonsense = supervisor.get("/patrol/checkpoints/labels.pdf?ids=" + "9" * 30)
    assert nonsense.status_code == 200  # no id given that can exist: every active label
    edit = supervisor.post(f"/patrol/routes/{route.id}", data={"name": "地库巡逻路线",
                                                               "min_seconds": "30"})
    assert "已有同名路线" in edit.text


def test_route_form_hostile_values(login):
    supervisor = login("supervisor")
    post_hostile(supervisor, "/patrol/routes", "name", {"min_seconds": "30"})
    post_hostile(supervisor, "/patrol/routes", "min_seconds", {"name": "新路线"})


def test_schedule_create_fixed_and_interval(login, app, demo):
    supervisor = login("supervisor")
    with app.app_context(), db.connection_context():
        route = Route.get(name="夜间巡逻路线")
        guard = User.get(username="guard")
    base = {"route": route.id, "weekdays": ["1", "2", "3", "4", "5"], "window_minutes": "60",
            "active": "y"}
    fixed = supervisor.post("/patrol/schedules/new", follow_redirects=True, data={
        **base, "name": "工作日白班", "mode": "fixed", "start_times": "14:00，08:00",
        "guards": [guard.id]})
    assert "已保存巡更计划 工作日白班" in fixed.text and "08:00, 14:00" in fixed.text
    interval = supervisor.post("/patrol/schedules/new", follow_redirects=True, data={
        **base, "name": "周末夜班", "mode": "interval", "span_start": "20:00",
        "span_end": "06:00", "every_minutes": "120", "any_guard": "y"})
    assert "20:00–06:00 每 120 分钟" in interval.text
    with app.app_context(), db.connection_context():
        saved = Schedule.get(name="工作日白班")
        assert saved.weekdays == "12345" and not saved.any_guard
        assert [g.user.username for g in saved.guard_rows] == ["guard"]
    bad = supervisor.post("/patrol/schedules/new", data={**base, "name": "坏计划", "mode": "fixed",
                                                         "start_times": "25:00"})
    assert "不是有效的时间" in bad.text and 'value="坏计划"' in bad.text
    no_days = supervisor.post("/patrol/schedules/new", data={
        **base, "weekdays": [], "name": "无日", "mode": "fixed", "start_times": "08:00",
        "any_guard": "y"})
    assert "请至少选择一天" in no_days.text
    no_every = supervisor.post("/patrol/schedules/new", data={
        **base, "name": "无间隔", "mode": "interval", "span_start": "20:00", "span_end": "06:00"})
    assert "请填写间隔分钟数" in no_every.text


def test_schedule_form_hostile_values(login, app, demo):
    supervisor = login("supervisor")
    with app.app_context(), db.connection_context():
        route = Route.get(name="夜间巡逻路线")
    base = {"name": "计划", "route": route.id, "weekdays": ["1"], "mode": "fixed",
            "start_times": "08:00", "window_minutes": "60", "any_guard": "y"}
    for field in ("name", "start_times", "span_start", "window_minutes", "route", "mode"):
        post_hostile(supervisor, "/patrol/schedules/new",
                     field, {k: v for k, v in base.items() if k != field})


def _jpeg():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "JPEG")
    out.seek(0)
    return out


def test_incident_report_comment_close(login, app, demo):
    cp_id, _ = demo["地库B区水泵房"]
    guard = login("guard")
    form = guard.get(f"/patrol/incidents/new?checkpoint={cp_id}")
    assert "巡更点：地库B区水泵房" in form.text and 'for="category"' in form.text
    for nonsense in ("9223372036854775808", "²", "abc"):  # names no checkpoint
        other = guard.get(f"/patrol/incidents/new?checkpoint={nonsense}")
        assert other.status_code == 200 and "巡更点：" not in other.text
    response = guard.post("/patrol/incidents/new", content_type="multipart/form-data",
                          follow_redirects=True, data={
                              "category": "设施损坏", "text": "排水沟盖板断裂",
                              "checkpoint_id": str(cp_id), "photos": [(_jpeg(), "a.jpg")]})
    assert "已上报巡更异常" in response.text and "排水沟盖板断裂" in response.text
    with app.app_context(), db.connection_context():
        incident = Incident.get(text="排水沟盖板断裂")
        assert incident.checkpoint_id == cp_id and len(incident.photo_rows) == 1
    assert f"/photos/{incident.photo_rows[0].photo_id}.jpg" in response.text
    too_many = guard.post("/patrol/incidents/new", content_type="multipart/form-data", data={
        "category": "其他", "text": "多图", "photos": [(_jpeg(), f"{i}.jpg") for i in range(7)]})
    assert "最多上传 6 张照片" in too_many.text and "多图" in too_many.text
    not_photo = guard.post("/patrol/incidents/new", content_type="multipart/form-data", data={
        "category": "其他", "text": "假图", "photos": [(io.BytesIO(b"%PDF-1.4"), "x.jpg")]})
    assert "只能上传照片" in not_photo.text
    assert guard.post(f"/patrol/incidents/{incident.id}", data={"text": "x"}).status_code == 403
    assert guard.post(f"/patrol/incidents/{incident.id}/close").status_code == 403
    supervisor = login("supervisor")
    listed = supervisor.get("/patrol/incidents")
    assert "排水沟盖板断裂" in listed.text
    commented = supervisor.post(f"/patrol/incidents/{incident.id}", data={"text": "已通知工程部"},
                                follow_redirects=True)
    assert "已通知工程部" in commented.text
    closed = supervisor.post(f"/patrol/incidents/{incident.id}/close", follow_redirects=True)
    assert "已关闭这条异常" in closed.text
    again = supervisor.post(f"/patrol/incidents/{incident.id}/close")
    assert again.status_code == 409 and "已经处理过了" in again.text


def test_guard_sees_only_own_incidents(login, app, demo):
    with app.app_context(), db.connection_context():
        mine = Incident.get(text="水泵房门锁损坏，门无法锁闭。")
        other = Incident.create(estate=mine.estate, reported_by=User.get(username="supervisor"),
                                category="其他", text="主管发现的问题")
    guard = login("guard")
    listed = guard.get("/patrol/incidents").text
    assert "水泵房门锁损坏" in listed and "主管发现的问题" not in listed
    assert guard.get(f"/patrol/incidents/{other.id}").status_code == 404


def test_incident_forms_hostile_values(login, app, demo):
    guard = login("guard")
    post_hostile(guard, "/patrol/incidents/new", "text", {"category": "其他"})
    post_hostile(guard, "/patrol/incidents/new", "category", {"text": "有情况"})
    post_hostile(guard, "/patrol/incidents/new", "checkpoint_id",
                 {"category": "其他", "text": "有情况"})
    with app.app_context(), db.connection_context():
        incident = Incident.get(text="水泵房门锁损坏，门无法锁闭。")
    post_hostile(login("supervisor"), f"/patrol/incidents/{incident.id}", "text", {})


def test_guard_home_shows_rounds_with_progress(login, demo):
    page = login("guard").get("/").text
    assert "巡更任务" in page and re.search(r"已巡 <strong>\d+/\d+</strong>", page)
    assert "地库巡逻路线" in page or "夜间巡逻路线" in page
    lead = login("supervisor").get("/").text
    assert "今日巡更" in lead and "完成率" in lead


def test_day_report_full_and_fragment(login, demo, app, now):
    supervisor = login("supervisor")
    full = supervisor.get("/patrol/reports/day")
    assert "<html" in full.text and "巡更日报" in full.text and "按人员" in full.text
    assert "张保安" in full.text and "李主管" in full.text
    with app.app_context():
        before = (Estate.get(name="示范花园").today(now) - timedelta(days=30)).isoformat()
    fragment = supervisor.get(f"/patrol/reports/day?date={before}",
                              headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="report"' in fragment.text
    assert before in fragment.text and "这一天没有巡更任务" in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    assert supervisor.get("/patrol/reports/day?date=<script>").status_code == 200
    month = supervisor.get("/patrol/reports/month?month=2026-13")
    assert month.status_code == 200 and "巡更月报" in month.text and "按路线" in month.text
    for edge in ("date=0001-01-01", "date=9999-12-31"):  # no neighbour day: today's report
        assert supervisor.get(f"/patrol/reports/day?{edge}").status_code == 200
    for edge in ("month=0001-01", "month=9999-12"):
        assert supervisor.get(f"/patrol/reports/month?{edge}").status_code == 200


def test_guard_reports_show_only_their_own_scans(login, demo):
    guard_view = login("guard").get("/patrol/reports/month").text
    assert "张保安" in guard_view and "李主管" not in guard_view


def test_tick_command_closes_rounds(app, demo):
    from wyapp.cli import cli

    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["tick"])
    assert result.exit_code == 0 and "patrol.periodic_close" in result.output
    again = runner.invoke(cli, ["patrol", "close-rounds"])
    assert "已关闭 0 个巡更任务" in again.output
    day = runner.invoke(cli, ["patrol", "day"])
    assert "示范花园" in day.output and "完成率" in day.output


def test_incident_becomes_a_work_order_that_links_back(login, app, demo):
    from wyapp.service.models import WorkOrder

    cp_id, _ = demo["地库B区水泵房"]
    guard = login("guard")
    guard.post("/patrol/incidents/new", content_type="multipart/form-data", data={
        "category": "设施损坏", "text": "水泵漏水", "checkpoint_id": str(cp_id),
        "photos": [(_jpeg(), "leak.jpg")]})
    with app.app_context(), db.connection_context():
        incident = Incident.get(text="水泵漏水")
    assert guard.post(f"/patrol/incidents/{incident.id}/work-order").status_code == 403
    supervisor = login("supervisor")
    page = supervisor.post(f"/patrol/incidents/{incident.id}/work-order", follow_redirects=True)
    with app.app_context(), db.connection_context():
        order = WorkOrder.get(WorkOrder.origin_kind == "patrol_incident",
                              WorkOrder.origin_id == incident.id)
        assert (order.source, order.category) == ("巡更异常", "公共设施")
        assert order.place == "地库B区水泵房"
        assert "水泵漏水" in order.description and len(order.photo_rows) == 1
        assert Incident.get_by_id(incident.id).status == "已转工单"
    assert f"已转为维修工单 {order.code}" in page.text  # BX000006, as everywhere
    again = supervisor.post(f"/patrol/incidents/{incident.id}/work-order")
    assert again.status_code == 409 and "已经处理过了" in again.text
    with app.app_context(), db.connection_context():
        assert WorkOrder.select().where(WorkOrder.origin_id == incident.id).count() == 1
    order_page = supervisor.get(page.text.split('已转维修工单 <a href="')[1].split('"')[0])
    assert order_page.status_code == 200 and "巡更异常" in order_page.text
    assert f'<a href="/patrol/incidents/{incident.id}">巡更异常记录 {incident.code}</a>' \
        in order_page.text  # the order links back to its incident, by its number (YC…)
    assert incident.code == f"YC{incident.id:06d}"
    assert f'<a href="/service/orders/{order.id}">{order.code}</a>' in \
        supervisor.get(f"/patrol/incidents/{incident.id}").text  # and the incident to it


def test_scan_form_hostile_values(login, demo, app):
    _, token = demo["1号楼大堂"]
    guard = login("guard")
    for field in ("client_id", "device_time", "latitude", "longitude", "accuracy"):
        post_hostile(guard, f"/c/{token}", field,
                     {} if field == "client_id" else {"client_id": f"k-hostile-{field}"})
    with app.app_context(), db.connection_context():
        rows = list(Scan.select().where(~Scan.client_id.startswith("demo-")))
    assert {r.client_id for r in rows} == {f"k-hostile-{f}" for f in
                                           ("device_time", "latitude", "longitude", "accuracy")}
    assert all(r.latitude is None and r.device_at is None for r in rows)


def test_a_scan_takes_four_statements(login, demo, app, monkeypatch):
    """The hot path stays lean: a scan in a round that already has its row reads the user,
    the label (with its estate, checkpoint and set-up version), the round with its marks,
    and inserts the scan — the cached set-up is not read again while its version holds."""
    _, token = demo["1号楼大堂"]
    guard = login("guard")
    guard.post(f"/c/{token}", data={"client_id": "k-warm-up-1"})  # caches the set-up
    with app.app_context():
        database = type(db.obj)
    statements, real = [], database.execute_sql

    def counting(self, sql, params=None, *args, **kwargs):
        statements.append(sql)
        return real(self, sql, params, *args, **kwargs)

    monkeypatch.setattr(database, "execute_sql", counting)
    response = guard.post(f"/c/{token}", data={"client_id": "k-counted-1", "latitude": "31.2",
                                               "longitude": "121.4"},
                          headers={"HX-Request": "true"})
    assert response.status_code == 200 and "打卡成功" in response.text
    assert len(statements) == 4, statements
