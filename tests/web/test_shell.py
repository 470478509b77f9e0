"""The installable shell: manifest, service worker, offline page, health check."""
from wyapp import create_app


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
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_a_broken_database(tmp_path):
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "x",
                      "DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir/x.db"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"
