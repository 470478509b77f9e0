"""登记报修 as the desk uses it: the caller (报修人, 联系电话), the appointment (预约上门时间),
the unit picker; every 完工 round's materials kept across a 返工; one id per element."""
import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from peewee import CharField, DateTimeField, TextField
from playhouse.migrate import migrate as run_steps

from tests import factories
from tests.factories import service as sf
from wyapp.cli import migration_groups
from wyapp.db import SchemaMigration, db, migrate
from wyapp.service.models import WorkOrder, WorkOrderStep


@pytest.fixture
def now(morning):
    """The appointments typed here are fixed hours (09:30 on 16 June): the tests run on that
    working morning (conftest.morning), not at WYAPP_TEST_NOW, so no `clock` mark."""
    return morning


NEW = "/service/orders/new"


def _form(**fields):
    data = {"source": "业主来电", "unit": "2-301", "category": "水", "priority": "普通",
            "paid": "无偿", "description": "卫生间地漏反水", "caller_name": "李先生",
            "caller_phone": "138 0013 8000", "appointment_at": "2026-06-16T09:30"}
    data.update(fields)
    return data


def test_caller_and_appointment_saved_and_shown(login, in_db, now):
    desk = login("desk")
    made = desk.post(NEW, data=_form())
    assert made.status_code == 302
    with in_db():
        order = WorkOrder.get()
        assert (order.caller_name, order.caller_phone) == ("李先生", "13800138000")
        # 09:30 in Asia/Shanghai is 01:30 UTC, stored naive
        assert order.appointment_at == now.replace(day=16, hour=1, minute=30)
        assert order.where == "2号楼-301"
    page = desk.get(made.headers["Location"]).text
    for text in ("报修人", "李先生", 'href="tel:13800138000"', "预约上门", "2026-06-16 09:30"):
        assert text in page
    listed = desk.get("/service/orders?tab=all").text
    assert "预约 06-16 09:30" in listed and "报修人 李先生 13800138000" in listed
    pdf = desk.get(f"/service/orders/{order.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_pdf_text_has_the_caller(login, in_db):
    pypdf = pytest.importorskip("pypdf")
    import io
    desk = login("desk")
    desk.post(NEW, data=_form())
    with in_db():
        order_id = WorkOrder.get().id
    reader = pypdf.PdfReader(io.BytesIO(desk.get(f"/service/orders/{order_id}.pdf").data))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "李先生" in text and "13800138000" in text and "2026-06-16 09:30" in text


@pytest.mark.parametrize("fields,field,message", [
    ({"caller_phone": "1380013800"}, "caller_phone", "电话应为 11 位手机号"),
    ({"caller_phone": "电话123"}, "caller_phone", "电话应为 11 位手机号"),
    ({"appointment_at": "明天上午"}, "appointment_at", "预约上门时间格式不对"),
    ({"appointment_at": "2026-06-14T09:30"}, "appointment_at", "预约上门时间不能早于现在"),
    ({"caller_name": "王" * 41}, "caller_name", "不能超过 40 个字"),
])
def test_bad_caller_or_appointment_beside_the_field(login, in_db, fields, field, message):
    desk = login("desk")
    refused = desk.post(NEW, data=_form(**fields))
    assert refused.status_code == 422
    beside = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', refused.text)
    assert beside and message in beside.group(1)
    for kept in ("卫生间地漏反水", "2-301"):
        assert kept in refused.text
    typed = _form(**fields)[field]
    assert f'value="{typed}"' in refused.text
    with in_db():
        assert WorkOrder.select().count() == 0


def test_landline_and_no_caller_are_fine(login, in_db):
    desk = login("desk")
    assert desk.post(NEW, data=_form(caller_phone="0755-1234 5678")).status_code == 302
    assert desk.post(NEW, data=_form(caller_name="", caller_phone="", appointment_at="",
                                     place="", unit="1-101")).status_code == 302
    with in_db():
        phones = [o.caller_phone for o in WorkOrder.select().order_by(WorkOrder.id)]
        assert phones == ["075512345678", ""]
        assert WorkOrder.select().order_by(WorkOrder.id.desc()).get().appointment_at is None


# ── the unit picker ──

def test_unit_search_lists_the_estates_units(login):
    desk = login("desk")
    htmx = {"HX-Request": "true"}
    found = desk.get("/service/units", query_string={"unit": "2-30"}, headers=htmx)
    assert found.status_code == 200 and "<html" not in found.text
    assert re.findall(r">(\d号楼-\d+)</button>", found.text) == ["2号楼-301", "2号楼-302"]
    by_building = desk.get("/service/units", query_string={"unit": "3号楼"}, headers=htmx)
    labels = re.findall(r">(\d号楼-\d+)</button>", by_building.text)
    assert len(labels) == 8 and all(label.startswith("3号楼-") for label in labels)
    typed = desk.get("/service/units", query_string={"unit": "３栋６０"}, headers=htmx)
    assert re.findall(r">(\d号楼-\d+)</button>", typed.text) == ["3号楼-601", "3号楼-602"]
    none = desk.get("/service/units", query_string={"unit": "9-999"}, headers=htmx)
    assert "没有找到这个房号" in none.text
    blank = desk.get("/service/units", query_string={"unit": " "}, headers=htmx)
    assert "button" not in blank.text and "没有找到" not in blank.text


def test_unit_search_keeps_to_the_estate(login, in_db):
    with in_db():
        other = factories.estate("别处", buildings=5)
    found = login("desk").get("/service/units", query_string={"unit": "5-1"},
                              headers={"HX-Request": "true"})
    assert "5号楼" not in found.text
    with in_db():
        assert other.buildings.count() == 5


def test_unit_pick_fills_the_field(login):
    desk = login("desk")
    picked = desk.get("/service/units/pick", query_string={"unit": "2号楼-302"},
                      headers={"HX-Request": "true"})
    assert picked.status_code == 200 and picked.text.lstrip().startswith('<div id="unit-picker"')
    assert 'name="unit"' in picked.text and 'value="2号楼-302"' in picked.text
    assert desk.post(NEW, data=_form(unit="2号楼-302")).status_code == 302


def test_new_order_page_offers_the_picker(login):
    page = login("desk").get(NEW).text
    assert 'hx-get="/service/units"' in page and 'id="unit-matches"' in page
    assert 'type="datetime-local"' in page and 'name="appointment_at"' in page
    assert 'type="tel"' in page and 'name="caller_phone"' in page


# ── materials across a rework ──

def _post(client, order_id, slug, **data):
    return client.post(f"/service/orders/{order_id}/{slug}", data=data)


def test_every_rounds_materials_kept_after_rework(login, in_db):
    with in_db():
        order_id = sf.work_order().id
        engineer_id = sf.staff("engineer").id
    _post(login("supervisor"), order_id, "assign", engineer=engineer_id)
    eng = login("engineer")
    for slug in ("accept", "start"):
        assert _post(eng, order_id, slug).status_code == 302
    first = _post(eng, order_id, "complete", note="更换阀芯", materials="阀芯 1 个")
    assert first.status_code == 302
    assert _post(login("desk"), order_id, "visit", satisfaction="不满意",
                 comment="还在漏").status_code == 302
    eng = login("engineer")
    for slug in ("accept", "start"):
        assert _post(eng, order_id, slug).status_code == 302
    assert _post(eng, order_id, "complete", note="重新缠生料带",
                 materials="生料带 1 卷").status_code == 302
    page = eng.get(f"/service/orders/{order_id}").text
    assert "材料：阀芯 1 个" in page and "材料：生料带 1 卷" in page
    assert "第 1 次完工：阀芯 1 个；第 2 次完工：生料带 1 卷" in page
    with in_db():
        rounds = (WorkOrderStep.select().where(WorkOrderStep.step == "完工")
                  .order_by(WorkOrderStep.id))
        assert [(s.note, s.materials) for s in rounds] == [("更换阀芯", "阀芯 1 个"),
                                                          ("重新缠生料带", "生料带 1 卷")]
        order = WorkOrder.get_by_id(order_id)
        assert order.materials == "第 1 次完工：阀芯 1 个；第 2 次完工：生料带 1 卷"
        from wyapp.service.documents import collect_order
        order.status = "关闭"
        order.save()
        archived = collect_order(order.estate, f"WO-{order_id}")
        done = [t["note"] for t in archived["timeline"] if t["step"] == "完工"]
        assert done == ["更换阀芯\n材料：阀芯 1 个", "重新缠生料带\n材料：生料带 1 卷"]


def test_one_round_reads_as_before(in_db, now):
    from wyapp.service import orders
    with in_db():
        order = sf.work_order(status="处理中", assignee=sf.staff("engineer"))
        orders.complete(order, sf.staff("engineer"), "换灯泡", "灯泡 1 个", now=now)
        assert WorkOrder.get_by_id(order.id).materials == "灯泡 1 个"


def test_migration_moves_old_materials_into_their_column(make_app, database_url, now):
    """A database from before 0002: the columns are added and a 完工 line's "\n材料：…"
    moves into its own column."""
    app = make_app(database_url)
    with app.app_context(), db.connection_context():
        factories.office()
        order = sf.work_order()
        migrator = _migrator()
        run_steps(migrator.drop_column("work_order_step", "materials"),
                  migrator.drop_column("work_order", "caller_name"),
                  migrator.drop_column("work_order", "caller_phone"),
                  migrator.drop_column("work_order", "appointment_at"))
        # written by the code before 0002 (SQLite rebuilds a table to drop a column, which
        # cascades to the steps: the old line is written after)
        db.execute_sql("INSERT INTO work_order_step (order_id, step, at, note) "
                       "VALUES (%s, '完工', %s, %s)" % ((db.param,) * 3),
                       (order.id, now, "换阀芯\n材料：阀芯 1 个"))
        SchemaMigration.delete().where(
            SchemaMigration.name == "service:0002_caller_and_round_materials").execute()

        assert migrate(migration_groups()) == ["service:0002_caller_and_round_materials"]

        line = WorkOrderStep.get(WorkOrderStep.step == "完工")
        assert (line.note, line.materials) == ("换阀芯", "阀芯 1 个")
        kept = WorkOrder.get_by_id(order.id)
        assert (kept.caller_name, kept.caller_phone, kept.appointment_at) == ("", "", None)
        assert isinstance(WorkOrder.caller_name, CharField)
        assert isinstance(WorkOrder.appointment_at, DateTimeField)
        assert isinstance(WorkOrderStep.materials, TextField)


def _migrator():
    from peewee import SqliteDatabase
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator
    database = db.obj
    return (SqliteMigrator if isinstance(database, SqliteDatabase) else PostgresqlMigrator)(
        database)


# ── one id per element ──

class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = []

    def handle_starttag(self, tag, attrs):
        self.ids += [value for name, value in attrs if name == "id"]


def duplicate_ids(html):
    """The ids that occur more than once in `html`."""
    parser = _Ids()
    parser.feed(html)
    return sorted({i for i in parser.ids if parser.ids.count(i) > 1})


def test_work_order_page_has_one_id_per_element(login, in_db):
    with in_db():
        order_id = sf.work_order(status="完工", assignee=sf.staff("engineer")).id
    for role in ("desk", "supervisor", "engineer", "manager"):
        page = login(role).get(f"/service/orders/{order_id}").text
        assert duplicate_ids(page) == [], role
    with in_db():
        WorkOrder.update(status="处理中").where(WorkOrder.id == order_id).execute()
    page = login("engineer").get(f"/service/orders/{order_id}").text
    assert 'id="complete-note"' in page and 'for="complete-note"' in page
    assert duplicate_ids(page) == []


def test_step_form_error_sits_beside_its_own_field(login, in_db):
    with in_db():
        order_id = sf.work_order(status="处理中", assignee=sf.staff("engineer")).id
    refused = _post(login("engineer"), order_id, "complete", note="")
    assert refused.status_code == 422
    assert re.search(r'<p class="error" id="complete-note-error">请填写处理结果', refused.text)
    assert duplicate_ids(refused.text) == []


ROLES = ("guard", "gate", "engineer", "desk", "supervisor", "manager", "admin")
LINK = re.compile(r'<a [^>]*href="(/[^"#]*)"')
SKIP = re.compile(r"\.(pdf|xlsx|csv|png|svg|jpg)$|^/(logout|static|c/)|/export|/download")


def pages_reached(client, start="/", limit=80):
    """The pages a logged-in client reaches by following links from `start`, breadth
    first, at most `limit` of them: {path: html}."""
    seen, queue, pages = {start}, [start], {}
    while queue and len(pages) < limit:
        path = queue.pop(0)
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        pages[path] = response.text
        for link in LINK.findall(response.text):
            link = link.replace("&amp;", "&")
            if link not in seen and not SKIP.search(link.split("?")[0]):
                seen.add(link)
                queue.append(link)
    return pages


@pytest.mark.parametrize("role", ROLES)
def test_no_page_a_role_reaches_repeats_an_id(login, in_db, role):
    with in_db():
        sf.work_order(status="处理中", assignee=sf.staff("engineer"))
        sf.complaint()
    pages = pages_reached(login(role))
    assert len(pages) > 3
    repeated = {path: ids for path, html in pages.items() if (ids := duplicate_ids(html))}
    assert repeated == {}


def test_appointment_before_now_only_by_minutes(in_db, now):
    from wyapp.errors import DomainError
    from wyapp.service.orders import create_work_order
    with in_db():
        estate, desk = sf.home(), sf.staff("desk")
        made = create_work_order(estate, source="业主来电", description="x", reported_by=desk,
                                 place="大堂", appointment_at=now - timedelta(minutes=5),
                                 now=now)
        assert made.appointment_at == now - timedelta(minutes=5)
        with pytest.raises(DomainError) as refused:
            create_work_order(estate, source="业主来电", description="x", reported_by=desk,
                              place="大堂", appointment_at=now - timedelta(hours=2), now=now)
        assert refused.value.field == "appointment_at"


HOSTILE = ["\x00", "a\x00b", "\ud800", "²", "x" * 5000, "İ" * 40, "%", "_", "1-%", "'; --",
           "<script>", "9999-12-31T23:59", "0001-01-01T00:00", "2026-02-30T10:00", "1e309"]


def _quoted(value):
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_never_give_500(login, value):
    desk = login("desk")
    for path in ("/service/units", "/service/units/pick"):
        for headers in ({}, {"HX-Request": "true"}):
            answer = desk.get(f"{path}?unit={_quoted(value)}", headers=headers)
            assert answer.status_code in (200, 400), (path, answer.status_code)
    for name in ("caller_name", "caller_phone", "appointment_at", "unit"):
        body = "&".join(f"{k}={_quoted(v)}" for k, v in _form(**{name: value}).items())
        answer = desk.post(NEW, data=body, content_type="application/x-www-form-urlencoded")
        assert answer.status_code in (302, 400, 422), (name, answer.status_code)


def test_unit_search_treats_like_signs_as_text(login):
    found = login("desk").get("/service/units", query_string={"unit": "1-%"},
                              headers={"HX-Request": "true"})
    assert "<button" not in found.text


def test_engineers_home_shows_the_appointment(login, in_db, now):
    with in_db():
        order = sf.work_order(status="派单", assignee=sf.staff("engineer"))
        WorkOrder.update(appointment_at=now.replace(day=16, hour=1, minute=30)).where(
            WorkOrder.id == order.id).execute()
    home = login("engineer").get("/").text
    assert "预约 06-16 09:30 上门" in home


@pytest.mark.parametrize("role", ROLES)
def test_no_demo_page_a_role_reaches_repeats_an_id(make_app, role):
    """The same over the full demo (lists with a form per row: 签离, 出场 …)."""
    from tests import factories as f
    app = make_app(with_demo=True)
    client = app.test_client()
    assert client.post("/login", data={"username": role,
                                       "password": f.PASSWORD}).status_code == 302
    pages = pages_reached(client, limit=120)
    repeated = {path: ids for path, html in pages.items()
                if (ids := [i for i in duplicate_ids(html) if not _known(path, i)])}
    assert repeated == {}


# Repeated ids left to their feature's owner, with the reason (reported to the lead).
KNOWN_REPEATS = {}  # (path prefix, id): why it may repeat


def _known(path, element_id):
    return any(path.startswith(prefix) and element_id == known
               for prefix, known in KNOWN_REPEATS)
