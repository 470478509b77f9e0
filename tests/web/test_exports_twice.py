"""Two taps of 导出 Excel on a long list: one queued export, not two. While the first is
queued or being written, the same list with the same filters asked again by the same user
(a double tap, two tabs at once) gets that export; the database settles two at once, on
SQLite and PostgreSQL."""
import http.client
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from datetime import timedelta

import pytest
from playhouse.migrate import migrate as run_steps

from tests import factories
from tests.factories import service as desk
from tests.web.test_service_desk_fields import _migrator
from wyapp.cli import migration_groups
from wyapp.db import SchemaMigration, db, migrate
from wyapp.exports import files
from wyapp.exports import tasks as export_tasks
from wyapp.exports.models import ExportFile

LIST = "/exports/work_orders.xlsx?tab=all"


@pytest.fixture
def queued(app, monkeypatch):
    """Long exports queued and left waiting (no worker runs them): the ids handed to the
    queue, in order."""
    app.config["EXPORTS_QUEUE_ROWS"] = 0
    handed = []
    monkeypatch.setattr(export_tasks, "write_export_task", handed.append)
    with app.app_context(), db.connection_context():
        desk.work_order()
    return handed


def _get(port, cookie, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={"Cookie": cookie})
        response = connection.getresponse()
        return response.status, response.getheader("Location"), response.read().decode()
    finally:
        connection.close()


def _login(port, username):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", "/login", f"username={username}&password={factories.PASSWORD}",
                           {"Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        assert response.status == 302
        return "; ".join(h.split(";", 1)[0] for k, h in response.getheaders()
                         if k.lower() == "set-cookie")
    finally:
        connection.close()


def test_two_taps_at_the_same_moment_queue_one_export(app, served, queued, monkeypatch):
    """Both requests pass every check before either writes (each waits for the other just
    before its INSERT, up to 2 s): one export is queued, both answers lead to it."""
    twins = threading.Barrier(2, timeout=2)
    create = ExportFile.create

    def create_with_the_twin(**fields):
        with suppress(threading.BrokenBarrierError):  # SQLite: the twin waits for the lock
            twins.wait()
        return create(**fields)
    monkeypatch.setattr(ExportFile, "create", create_with_the_twin)
    cookie = _login(served, "manager")
    start = threading.Barrier(2)

    def tap(_):
        start.wait()
        return _get(served, cookie, LIST)
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(tap, range(2)))
    assert [(status, location) for status, location, _ in answers] == [(302, "/exports/")] * 2
    with app.app_context(), db.connection_context():
        exports = list(ExportFile.select())
    assert len(exports) == 1 and exports[0].status == "排队中"
    assert queued == [exports[0].id]


def test_asking_again_while_queued_gets_it_and_after_it_is_written_a_new_one(
        app, client, login, queued, now):
    login("manager")
    client.get(LIST)
    client.get(LIST)
    assert "正在后台生成" in client.get("/exports/").text
    with app.app_context(), db.connection_context():
        first = ExportFile.get()
        assert ExportFile.select().count() == 1 and queued == [first.id]
        files.write_export(first)
        assert ExportFile.get_by_id(first.id).status == "已完成"
    client.get(LIST)  # the first is written: this is a new export of the list as it is now
    client.get(LIST.replace("all", "open"))  # other filters: another export
    login("supervisor")
    client.get(LIST)  # another user: their own
    with app.app_context(), db.connection_context():
        assert ExportFile.select().count() == 4 and len(queued) == 4
        assert [e.status for e in ExportFile.select().order_by(ExportFile.id)] == \
            ["已完成", "排队中", "排队中", "排队中"]


def test_a_queued_export_never_written_is_asked_afresh_after_an_hour(app, client, login,
                                                                     queued, now):
    login("manager")
    client.get(LIST)
    with app.app_context(), db.connection_context():
        ExportFile.update(asked_at=now - timedelta(minutes=61)).execute()
    client.get(LIST)
    with app.app_context(), db.connection_context():
        old, new = ExportFile.select().order_by(ExportFile.id)
        assert (old.status, new.status) == ("失败", "排队中") and old.claim is None
    assert "排队超时" in client.get("/exports/").text


def test_the_migration_adds_the_claim_to_an_older_database(make_app, database_url, now):
    app = make_app(database_url)
    with app.app_context(), db.connection_context():
        factories.office()
        migrator = _migrator()
        run_steps(migrator.drop_index("export_file", "export_file_claim"),
                  migrator.drop_column("export_file", "claim"))
        SchemaMigration.delete().where(
            SchemaMigration.name == "exports:0002_export_claim").execute()
        assert migrate(migration_groups()) == ["exports:0002_export_claim"]
        estate, user = desk.home(), desk.staff("manager")
        ExportFile.create(estate=estate, user=user, name="work_orders", claim="x" * 64)
        with pytest.raises(Exception, match="(?i)unique"), db.atomic():
            ExportFile.create(estate=estate, user=user, name="work_orders", claim="x" * 64)
