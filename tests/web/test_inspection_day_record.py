"""设备日检记录表 on a day when nobody did the rounds (issue 15): it is filed all the same,
listing every sheet that was due that day and its state, 漏检 included. Both databases."""
from datetime import datetime, time, timedelta

import pytest
from pypdf import PdfReader

from tests.factories import inspection as factory
from wyapp.archive import services as archive
from wyapp.db import utcnow
from wyapp.models import Estate

pytestmark = pytest.mark.clock


@pytest.fixture
def yesterday(in_db, now):
    with in_db():
        return Estate.get(name="示范花园").today(utcnow()) - timedelta(days=1)


def _plans(estate):
    """PD-01 每班 (白班, 夜班), DT-01 每日, SB-01 每周 — the office's engineering plans."""
    return {code: factory.plan_for(estate, code, frequency)
            for code, frequency in (("PD-01", "每班"), ("DT-01", "每日"), ("SB-01", "每周"))}


def _text(app, doc):
    reader = PdfReader(f"{app.config['DATA_DIR']}/archive/{doc.path}")
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


def test_a_day_without_a_submitted_sheet_is_filed_with_every_due_sheet_missed(
        app, in_db, yesterday):
    with in_db():
        estate = Estate.get(name="示范花园")
        plans = _plans(estate)
        factory.sheet(plans["DT-01"], yesterday)  # started, never submitted
        doc = archive.file_document("inspection_day", estate, yesterday.isoformat())
        assert doc is not None
        data = archive.kinds()["inspection_day"].collect(estate, yesterday.isoformat())
    assert data["sheets"] == [] and data["abnormal"] == 0
    states = {(row["code"], row["shift"]): row["state"] for row in data["due"]}
    # the night shift that began the day before ends at 08:00 this day; the day shift at 20:00
    assert states[("PD-01", "夜班")] == "漏检" and states[("PD-01", "白班")] == "漏检"
    assert states[("DT-01", "")] == "漏检（已开始未提交）"
    assert ("SB-01", "") in states if yesterday.weekday() == 6 else ("SB-01", "") not in states
    assert {row["code"] for row in data["missing"]} >= {"PD-01", "DT-01"}
    text = _text(app, doc)
    assert "设备日检记录表" in text and "当日没有提交的设备日检记录" in text
    assert "应检记录" in text and "漏检" in text and "漏检（已开始未提交）" in text
    assert "PD-01" in text and "DT-01" in text and f"漏检{len(data['missing'])}份" in text


def test_due_sheets_states_submitted_abnormal_late_and_missed(app, in_db, yesterday):
    with in_db():
        estate = Estate.get(name="示范花园")
        plans = _plans(estate)

        def at(hour, minute=0, day=yesterday):
            return estate.utc(datetime.combine(day, time(hour, minute)))
        factory.sheet(plans["PD-01"], yesterday, "白班", submit_at=at(10))
        factory.sheet(plans["DT-01"], yesterday, values={"轿厢照明与通风": "异常"},
                      notes={"轿厢照明与通风": "灯管闪烁"}, submit_at=at(23, 30))
        # yesterday's night shift of the day before was submitted after its 08:00 deadline
        factory.sheet(plans["PD-01"], yesterday - timedelta(days=1), "夜班",
                      submit_at=at(9, 15))
        data = archive.kinds()["inspection_day"].collect(estate, yesterday.isoformat())
    states = {(row["code"], row["shift"]): row["state"] for row in data["due"]}
    assert states[("PD-01", "白班")] == "已完成"
    assert states[("PD-01", "夜班")] == "已完成（逾期提交）"
    assert states[("DT-01", "")] == "有异常"
    assert [row["code"] for row in data["missing"]] == [
        code for code, shift in states if states[(code, shift)].startswith("漏检")]
    assert len(data["sheets"]) == 3


def test_nothing_due_and_nothing_submitted_files_nothing(app, in_db):
    with in_db():
        estate = Estate.get(name="示范花园")
        plans = _plans(estate)
        # a plan made after the day: none of its sheets was due then
        day = plans["DT-01"].created_at.date() - timedelta(days=3)
        assert archive.kinds()["inspection_day"].collect(estate, day.isoformat()) is None
