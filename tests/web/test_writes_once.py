"""Create forms resent: each form that creates a record carries a key made when it is shown,
and posting it twice (a double tap, or the browser re-sending a POST whose answer was lost)
makes one record and answers the repeat with the first result. SQLite and PostgreSQL."""
import re

import pytest

from wyapp.idempotency import WriteOnce
from wyapp.service.models import Complaint, WorkOrder

KEY_FIELD = re.compile(r'name="idempotency_key"[^>]*value="([^"]+)"|'
                       r'value="([^"]+)"[^>]*name="idempotency_key"')


def shown_key(page):
    """The key the form was shown with (its hidden field)."""
    match = KEY_FIELD.search(page)
    assert match, "the form carries no idempotency_key"
    return match.group(1) or match.group(2)


def post_twice(client, form_url, data, post_url=None):
    """Show the form, post it twice with its key; both answers."""
    key = shown_key(client.get(form_url).text)
    answers = [client.post(post_url or form_url, data={**data, "idempotency_key": key})
               for _ in range(2)]
    return key, answers


def count(in_db, model, *where):
    with in_db():
        return model.select().where(*where).count() if where else model.select().count()


def same_answer(first, second):
    assert first.status_code == second.status_code == 302, (first.text, second.text)
    assert first.headers["Location"] == second.headers["Location"]


def test_work_order_resent_makes_one(login, in_db):
    desk = login("desk")
    key, (first, second) = post_twice(desk, "/service/orders/new", {
        "source": "业主来电", "unit": "1-101", "category": "水", "priority": "普通",
        "paid": "无偿", "description": "厨房漏水"})
    same_answer(first, second)
    assert count(in_db, WorkOrder) == 1
    page = desk.get(second.headers["Location"]).text
    assert "厨房漏水" in page
    with in_db():
        assert WriteOnce.get_by_id(key).row_id == WorkOrder.get().id


def test_work_order_new_form_new_key(login, in_db):
    desk = login("desk")
    data = {"source": "业主来电", "unit": "1-101", "category": "水", "priority": "普通",
            "paid": "无偿", "description": "厨房漏水"}
    for _ in range(2):
        post_twice(desk, "/service/orders/new", data)
    assert count(in_db, WorkOrder) == 2  # two forms shown: two repairs


def test_complaint_resent_makes_one(login, in_db):
    desk = login("desk")
    _, (first, second) = post_twice(desk, "/service/complaints/new", {
        "channel": "来电", "name": "王先生", "unit": "1-101", "phone": "13800000000",
        "content": "楼上噪音", "handling": "自行处理", "needs_followup": "y"})
    same_answer(first, second)
    assert count(in_db, Complaint) == 1
