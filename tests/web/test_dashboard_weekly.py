"""周报: the Monday draft from the data (each figure beside the week before's), the manager's
重点说明 and 下周工作计划, sign-off filed in the archive (the PDF's text read back), the
plan marked on the next week's report, a correction filed as a new version."""
import json
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader

from tests.factories import dashboard as df
from tests.factories import gate as gf
from tests.factories import patrol as pf
from tests.factories import service as sf
from wyapp.archive.models import Document
from wyapp.dashboard.models import PlanItem, WeeklyReport
from wyapp.dashboard.weekly import draft, draft_due, week_key, week_label
from wyapp.models import Estate, Notification, User
from wyapp.service.models import Complaint

PLAN = {"text": "更换地库B区照明灯", "owner": "陈工"}


def home():
    return Estate.get(Estate.name == "示范花园")


def pdf_text(app, document):
    reader = PdfReader(app.config["DATA_DIR"] + "/archive/" + document.path)
    return "\n".join(page.extract_text() for page in reader.pages), json.loads(
        reader.attachments["source-data.json"][0])


def last_week_records(now):
    """Two orders, a major complaint about 环境卫生 and a visitor last week; one order the
    week before. Returns (estate, the report's id, the major complaint's number)."""
    estate = df.aged(home(), now, days=30)
    tuesday = pf.local(estate, df.last_week(estate, now) + timedelta(days=1), 10)
    sf.work_order(now=tuesday)
    sf.work_order(now=tuesday + timedelta(hours=1))
    sf.work_order(now=tuesday - timedelta(days=7))
    major = sf.complaint(now=tuesday)
    Complaint.update(cause=sf.cause(estate, "环境卫生"), major=True).where(
        Complaint.id == major.id).execute()
    gf.visit(estate, at=tuesday)
    return estate, major.code


def row(label, this, prev):
    return f'<th scope="row">{label}</th><td>{this}</td><td>{prev}</td>'


@pytest.mark.clock
def test_the_monday_job_drafts_last_week_against_the_week_before(login, in_db, now):
    with in_db():
        estate, major = last_week_records(now)
        assert draft_due(now) == 1
        assert draft_due(now + timedelta(minutes=1)) == 0  # once
        report = WeeklyReport.get(estate=estate)
        assert report.week == df.last_week(estate, now) and report.status == "草稿"
        alert = Notification.get(Notification.kind == "weekly_report")
        assert alert.user.username == "manager" and "周报草稿已生成" in alert.title
        assert alert.link == f"/dashboard/weekly/{report.id}"
        report_id, label = report.id, week_label(report.week)
    page = login("manager").get(f"/dashboard/weekly/{report_id}").text
    assert "本周工作总结" in page and label in page
    assert row("新报修", 2, 1) in page and row("访客登记", 1, 0) in page
    assert row("新投诉", 1, 0) in page and row("重大投诉", 1, 0) in page
    assert "环境卫生" in page and major in page and "<svg" in page
    assert "审核并归档" in page
    read = login("supervisor").get(f"/dashboard/weekly/{report_id}")
    assert read.status_code == 200 and "审核并归档" not in read.text
    assert label in login("supervisor").get("/dashboard/weekly").text


def test_no_report_for_a_week_before_the_estate_existed(in_db, now):
    with in_db():
        assert draft_due(now) == 0  # the office's estate was made today
        assert WeeklyReport.select().count() == 0


@pytest.mark.clock
def test_the_manager_completes_signs_and_the_archived_pdf_reads_back(app, login, in_db, now):
    with in_db():
        estate, _ = last_week_records(now)
        report = df.weekly_report(estate, now)
        report_id, monday = report.id, report.week
    due = (monday + timedelta(days=11)).isoformat()  # the Friday of the week after
    plan = {**PLAN, "due": due}
    manager = login("manager")
    base = f"/dashboard/weekly/{report_id}"
    assert manager.post(base + "/highlights", data={
        "highlights": "本周完成消防演练；地库照明已报修。"}).status_code == 302
    bad = manager.post(base + "/plan", data={**plan, "due": "明天"})
    assert bad.status_code == 422 and "请填写完成日期" in bad.text
    assert "更换地库B区照明灯" in bad.text  # what was typed stays
    early = manager.post(base + "/plan", data={
        **plan, "due": (monday + timedelta(days=2)).isoformat()})
    assert early.status_code == 422 and "完成日期应在下周或以后" in early.text
    for _ in range(2):  # sent twice with its form key: one item
        assert manager.post(base + "/plan", data={**plan, "idempotency_key": "plan-key-0001"}
                            ).status_code == 302
    with in_db():
        assert PlanItem.select().count() == 1
    assert login("supervisor").post(base + "/sign").status_code == 403
    manager = login("manager")
    assert manager.post(base + "/sign").status_code == 302
    with in_db():
        document = Document.get(Document.kind == "weekly_report")
        text, data = pdf_text(app, document)
        signed_alert = Notification.get(Notification.kind == "weekly_report",
                                        Notification.user == User.get(username="supervisor"))
    assert document.period == week_key(monday) and "周报已审核" in signed_alert.title
    for words in ("周报", week_label(monday), "本周工作总结", "巡更", "设备日检", "门岗",
                  "报修工单", "投诉", "回访", "抄表", "环境卫生", "本周趋势",
                  "本周重点工作说明", "本周完成消防演练", "下周工作计划", "更换地库B区照明灯",
                  "陈工", due, "编制人", "审核人", "王经理"):
        assert words in text, words
    assert re.search(r"新报修\s*2\s*1", text)
    assert data["plan"] == [{"text": "更换地库B区照明灯", "owner": "陈工", "due": due,
                             "done": None}]
    locked = manager.post(base + "/highlights", data={"highlights": "改一下"})
    assert locked.status_code == 422 and "周报已审核" in locked.text
    # a correction after sign-off: reopened, changed, signed again → a new archive version
    assert manager.post(base + "/reopen").status_code == 302
    manager.post(base + "/highlights", data={"highlights": "本周完成消防演练（更正：两次）。"})
    manager.post(base + "/sign")
    with in_db():
        second = (Document.select().where(Document.kind == "weekly_report")
                  .order_by(Document.version.desc()).first())
        text, _ = pdf_text(app, second)
    assert second.version == 2 and "本周重点工作说明" in second.reason
    assert "替代第 1 版" in text and "更正：两次" in text


@pytest.mark.clock
def test_last_weeks_plan_is_marked_on_the_next_report(app, login, in_db, now):
    with in_db():
        estate = df.aged(home(), now, days=30)
        before = df.weekly_report(estate, now, df.last_week(estate, now) - timedelta(days=7))
        item = PlanItem.create(report=before, text="清洗二次供水水箱", owner="陈工",
                               due=before.week + timedelta(days=10))
        report_id, item_id = df.weekly_report(estate, now).id, item.id
    manager = login("manager")
    base = f"/dashboard/weekly/{report_id}"
    page = manager.get(base).text
    assert "上周计划完成情况" in page and "清洗二次供水水箱" in page
    assert manager.post(f"{base}/previous/{item_id}", data={"done": "1"}).status_code == 302
    assert 'value="1" checked' in manager.get(base).text
    manager.post(base + "/sign")
    with in_db():
        text, data = pdf_text(app, Document.get(Document.kind == "weekly_report"))
    assert data["previous_plan"][0]["done"] is True
    assert re.search(r"清洗二次供水水箱\s*陈工\s*\S+\s*完成", text)


def test_a_plan_item_of_another_week_cannot_be_marked_here(login, in_db, now):
    with in_db():
        estate = df.aged(home(), now, days=60)
        old = df.weekly_report(estate, now, df.last_week(estate, now) - timedelta(days=21))
        item = PlanItem.create(report=old, text="旧计划", owner="陈工", due=old.week)
        report_id, item_id = df.weekly_report(estate, now).id, item.id
    refused = login("manager").post(f"/dashboard/weekly/{report_id}/previous/{item_id}",
                                    data={"done": "1"})
    assert refused.status_code == 422 and "不属于上周的工作计划" in refused.text


def test_the_draft_is_made_once_per_week(in_db, now):
    with in_db():
        estate = df.aged(home(), now)
        monday = df.last_week(estate, now)
        first, made = draft(estate, monday, now)
        again, made_again = draft(estate, monday, now)
        assert made and not made_again and first.id == again.id
        assert WeeklyReport.select().count() == 1


def test_other_estates_reports_are_not_found(login, in_db, now):
    from tests import factories

    with in_db():
        other = df.aged(factories.estate("东区花园"), now)
        report_id = df.weekly_report(other, now).id
    assert login("manager").get(f"/dashboard/weekly/{report_id}").status_code == 404
    assert login("manager").post(f"/dashboard/weekly/{report_id}/sign").status_code == 404


def test_the_archive_lists_the_signed_report(login, in_db, now):
    with in_db():
        estate = df.aged(home(), now)
        report = df.weekly_report(estate, now)
        report_id, label = report.id, week_label(report.week)
    manager = login("manager")
    manager.post(f"/dashboard/weekly/{report_id}/sign")
    listing = manager.get("/archive").text
    assert "周报" in listing and label in listing


def test_signing_twice_signs_once(login, in_db, now):
    with in_db():
        estate = df.aged(home(), now)
        report_id = df.weekly_report(estate, now).id
    manager = login("manager")
    assert manager.post(f"/dashboard/weekly/{report_id}/sign").status_code == 302
    again = manager.post(f"/dashboard/weekly/{report_id}/sign")
    assert again.status_code == 422 and "周报已审核" in again.text
    with in_db():
        report = WeeklyReport.get_by_id(report_id)
        assert report.revision == 1 and report.signed_by.username == "manager"
        assert Document.select().where(Document.kind == "weekly_report").count() == 1


@pytest.mark.clock
def test_the_demo_has_rollups_of_its_past_days_and_last_weeks_draft(in_db, now):
    from wyapp.dashboard.demo import create_demo
    from wyapp.dashboard.models import DailyRollup

    with in_db():
        estate = home()
        users = {u.username: u for u in User.select()}
        yesterday = estate.today(now) - timedelta(days=1)
        gf.visit(estate, at=pf.local(estate, yesterday - timedelta(days=4), 9))
        gf.visit(estate, at=pf.local(estate, yesterday, 9), phone="13700000000")
        create_demo(estate, users, now)
        create_demo(estate, users, now)  # idempotent
        rows = DailyRollup.select().where(DailyRollup.estate == estate)
        # the days since the oldest record, and the two weeks the draft compares
        monday = df.last_week(estate, now) + timedelta(days=7)
        expected = {yesterday - timedelta(days=n) for n in range(5)} | {
            monday - timedelta(days=n) for n in range(1, 15)}
        assert {r.day for r in rows} == expected
        assert DailyRollup.get(estate=estate, day=yesterday).visits == 1
        [report] = WeeklyReport.select()
        assert report.week == df.last_week(estate, now) and report.status == "草稿"
