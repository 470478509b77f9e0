"""The headers a browser needs: a CSP without inline scripts, no framing, nosniff, a
referrer policy, HSTS over https only, and `private, no-store` on everything personal."""
import io
import re
from pathlib import Path

import pytest
from PIL import Image

from wyapp.db import db
from wyapp.models import Estate
from wyapp.photos import save_photo

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def csp(response):
    """The Content-Security-Policy as {directive: value}."""
    return dict((part.strip().split(" ", 1) + [""])[:2]
                for part in response.headers["Content-Security-Policy"].split(";"))


def assert_protected(response):
    policy = csp(response)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self' 'wasm-unsafe-eval'"  # no 'unsafe-inline', no eval
    assert "unsafe-inline" not in policy["style-src"]
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # http: no HSTS


def assert_private(response):
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Expires" not in response.headers


def test_a_page_of_a_logged_in_user(login):
    for path in ("/", "/me", "/notifications"):
        page = login("guard").get(path)
        assert page.status_code == 200
        assert_protected(page)
        assert_private(page)
    users = login("admin").get("/admin/users")
    assert_protected(users)
    assert_private(users)


def test_a_pdf(login, app):
    with app.app_context(), db.connection_context():
        estate_id = Estate.get().id
    pdf = login("admin").get(f"/admin/estates/{estate_id}/units.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert_protected(pdf)
    assert_private(pdf)


def test_a_photo(login, app):
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(image, "JPEG")
    with app.app_context(), db.connection_context():
        photo = save_photo(Estate.get(), image.getvalue())
    response = login("guard").get(f"/photos/{photo.id}.jpg")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert_protected(response)
    assert_private(response)


def test_the_login_page_and_error_pages_are_protected_too(client):
    assert_protected(client.get("/login"))
    assert_private(client.get("/login"))
    missing = client.get("/no-such-page")
    assert missing.status_code == 404
    assert_protected(missing)


def test_static_files_and_the_shell_may_be_cached(client):
    css = client.get("/static/css/app.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("Cache-Control", "")
    assert css.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/sw.js").headers["Cache-Control"] == "no-cache"
    assert "no-store" not in client.get("/manifest.webmanifest").headers.get("Cache-Control", "")
    offline = client.get("/offline")
    assert "no-store" not in offline.headers.get("Cache-Control", "")
    assert "onclick" not in offline.text and "重新加载" in offline.text


def test_hsts_only_over_https_and_http_is_never_redirected(client, make_app):
    plain = client.get("/login")
    assert plain.status_code == 200 and "Strict-Transport-Security" not in plain.headers
    secure = client.get("/login", base_url="https://localhost")
    assert re.fullmatch(r"max-age=\d{8}", secure.headers["Strict-Transport-Security"])
    cookie = client.post("/login", data={"username": "guard", "password": "wyapp-demo"})
    assert "Secure" not in cookie.headers["Set-Cookie"]  # http: the cookie still works
    behind_proxy = make_app(TRUSTED_PROXIES=1).test_client()
    proxied = behind_proxy.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert proxied.status_code == 200 and "Strict-Transport-Security" in proxied.headers


def test_pages_use_the_htmx_config_that_keeps_htmx_from_injecting_styles(login):
    page = login("guard").get("/").text
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in page


@pytest.mark.parametrize("template", sorted(p.relative_to(TEMPLATES).as_posix()
                                            for p in TEMPLATES.rglob("*.html")
                                            if "pdf" not in p.parts))
def test_no_template_has_an_inline_script_or_handler(template):
    """The CSP refuses them: every script is a file under static/, every handler in it."""
    text = (TEMPLATES / template).read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", text), "an on*= handler attribute"
    assert "javascript:" not in text
