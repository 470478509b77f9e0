"""The installable shell: manifest, service worker, offline page, health check."""
from tests.factories import patrol
from wyapp import create_app
from wyapp.models import Estate


def test_manifest(client):
    response = client.get("/manifest.webmanifest")
    assert response.mimetype == "application/manifest+json"
    data = response.get_json()
    assert data["name"] == "物业工作台" and data["display"] == "standalone"
    assert data["start_url"] == "/"
    assert {i["sizes"] for i in data["icons"]} == {"192x192", "512x512"}
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_service_worker_from_root_caches_shell_and_offline_page(client):
    response = client.get("/sw.js")
    assert response.mimetype == "text/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert '"/offline"' in response.text and "/static/vendor/htmx.min.js" in response.text
    offline = client.get("/offline")
    assert offline.status_code == 200 and "当前没有网络" in offline.text


def test_shell_files_exist(client):
    for path in ("/static/css/app.css", "/static/js/app.js", "/static/vendor/htmx.min.js"):
        assert client.get(path).status_code == 200, path


def test_healthz(client, app):
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok",
                                                 "queue": "ok"}


def test_healthz_reports_a_broken_database(tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "x",
                      "DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir/x.db"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_csrf_token_for_replay(client, login):
    from urllib.parse import unquote

    refused = client.get("/csrf-token")
    assert refused.status_code == 401
    assert unquote(refused.headers["X-Reject-Reason"]).startswith("登录已过期")
    data = login("guard").get("/csrf-token").get_json()
    assert data["username"] == "guard" and len(data["token"]) > 20


def test_offline_pages_of_a_guard_and_a_gate(login, in_db):
    with in_db():
        estate = Estate.get()
        for name in ("东门岗亭", "北门", "地库B区水泵房"):
            patrol.checkpoint(estate, name)
        patrol.checkpoint(estate, "已停用的点", active=False)
    guard = login("guard").get("/offline/pages").get_json()["urls"]
    assert "/scan" in guard and "/patrol/" in guard and "/patrol/incidents/new" in guard
    assert sum(u.startswith("/c/") for u in guard) == 3  # every active checkpoint's label
    assert "/queue" in guard  # the page 待上传 opens, without signal too (issue 17)
    assert login("gate").get("/offline/pages").get_json()["urls"] == ["/queue"]


def test_action_meta_reads_key_and_clocks(app):
    from datetime import datetime

    from wyapp.offline import action_meta

    headers = {"Idempotency-Key": "k-abc-123456", "X-Device-Time": "2026-11-25T02:00:00+08:00",
               "X-Device-Now": "2026-11-24T18:10:00Z", "X-Queued": "1"}
    with app.test_request_context("/", method="POST", headers=headers):
        meta = action_meta(now=datetime(2026, 11, 24, 18, 20))
    assert meta.key == "k-abc-123456" and meta.queued
    assert meta.device_time == datetime(2026, 11, 24, 18, 0)
    assert meta.clock_skew.total_seconds() == 600 and meta.clock_suspect
    with app.test_request_context("/", method="POST", headers={"Idempotency-Key": "x y"}):
        assert action_meta().key is None and not action_meta().queued
