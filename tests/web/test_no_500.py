"""No 500, whatever is typed, pasted, scanned or sent: every route of the URL map, as each
role, with generated hostile values in its path, its query and every field of its forms.

Hypothesis draws the values (the kinds that once gave 500 first: ids past 2^63, non-ASCII
digits, calendar edges, NUL bytes, text longer than its column, a file where text belongs,
markup) and the role; each example sends them to every route of one blueprint — as a GET with
the query names the views read, as a form POST of every field the route's page shows, and as
a multipart POST with a file in each of those fields. On SQLite and on PostgreSQL.
"""
import re
from io import BytesIO
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories

ROLES = [None, "admin", "manager", "supervisor", "guard", "gate", "engineer", "desk"]
HUGE_IDS = [2**63, 2**64 + 1, 10**30]
HOSTILE = [
    "", " ", "\x00", "a\x00b", "²", "٢٠٢٤-05", "２０２６-05", "٣", "9999-12-31", "0001-01-01",
    "9999-12", "0001-01", "0000-00-00", "2026-02-30", "24:61", "-1", "0", str(2**63),
    str(2**64), "1e309", "NaN", "-inf", "1,250", "12,345.6", "1" * 40, "İ" * 40,
    "x" * 5000, "厨房漏水💧", "满意👍", "\u202a13912345678\u202c", "0086 139 1234 5678",
    "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "'; DROP TABLE unit; --",
    "../../etc/passwd", "%00", "\ud800", "1-101", "使014578", "WJ0112345",
]
QUERY_NAMES = ["ids", "toggle", "visit", "estate", "day", "date", "month", "year", "q", "tab",
               "page", "shift", "period", "next", "code", "unit", "phone", "status", "kind",
               "plan", "equipment", "checkpoint", "route", "user", "from", "to"]
MARKUP = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
FIELD = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')
SKIP_ENDPOINTS = {"static", "accounts.logout"}

values = st.one_of(st.sampled_from(HOSTILE),
                   st.text(max_size=60),
                   st.integers(min_value=-(2**70), max_value=2**70).map(str))


def _blueprints(app):
    return sorted({rule.endpoint.split(".")[0] for rule in app.url_map.iter_rules()
                   if rule.endpoint not in SKIP_ENDPOINTS})


BLUEPRINTS = ["shell", "photos", "labels", "offline", "accounts", "admin", "archive", "gate",
              "patrol", "inspection", "service"]


def _path(rule, value, number):
    """The rule's URL with `number` in every int slot and `value` in every other one."""
    parts = {}
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        if kind == "IntegerConverter":
            parts[name] = str(number)
        elif kind == "AnyConverter":
            parts[name] = sorted(converter.items)[0] if hasattr(converter, "items") else "up"
        else:
            parts[name] = quote(value.encode("utf-8", "surrogatepass"), safe="") or "x"
    url = rule.rule
    for name, part in parts.items():
        url = re.sub(rf"<(?:[^:<>]+:)?{name}>", part, url)
    return url


class Probe:
    """Sends one value to every route of a blueprint as one role; counts what it sent."""

    def __init__(self, app, client):
        self.app, self.client, self.role, self.fields, self.sent = app, client, "", {}, 0

    def as_role(self, role):
        if role == self.role:
            return
        self.client.post("/logout")
        if role:
            response = self.client.post("/login", data={"username": role,
                                                        "password": factories.PASSWORD})
            assert response.status_code == 302
        self.role = role

    def check(self, response, what):
        self.sent += 1
        assert response.status_code < 500, (self.role, what, response.status_code)
        if response.mimetype == "text/html":
            text = response.get_data(as_text=True)
            for markup in MARKUP:
                assert markup not in text, (self.role, what, "unescaped markup")

    def form_fields(self, url):
        key = (self.role, url)
        if key not in self.fields:
            response = self.client.get(url)
            self.check(response, ("GET", url))
            html = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
            self.fields[key] = sorted(set(FIELD.findall(html)) - {"csrf_token"})
        return self.fields[key]

    def send(self, blueprint, role, value, number):
        self.as_role(role)
        encoded = value.encode("utf-8", "surrogatepass")
        query = "&".join(f"{n}={quote(encoded, safe='')}" for n in QUERY_NAMES)
        for rule in self.app.url_map.iter_rules():
            if rule.endpoint.split(".")[0] != blueprint or rule.endpoint in SKIP_ENDPOINTS:
                continue
            for id_value in (number, 1):
                url = _path(rule, value, id_value)
                if "GET" in rule.methods:
                    self.check(self.client.get(f"{url}?{query}"), ("GET", url, value))
                if "POST" in rule.methods:
                    names = self.form_fields(url) if "GET" in rule.methods else QUERY_NAMES
                    names = names or QUERY_NAMES
                    body = "&".join(f"{quote(n)}={quote(encoded, safe='')}" for n in names)
                    self.check(self.client.post(
                        url, data=body, content_type="application/x-www-form-urlencoded"),
                        ("POST", url, value))
                    files = {n: (BytesIO(encoded or b"x"), "x.txt") for n in names}
                    self.check(self.client.post(url, data=files,
                                                content_type="multipart/form-data"),
                               ("POST multipart", url, value))
            if self.role != role:  # a request (e.g. a password change) ended the session
                self.as_role(role)


@pytest.fixture
def probe(app, client, in_db):
    """The office, a second estate with a guard, and a probe logged out."""
    with in_db():
        other = factories.estate("别的小区", buildings=1, floors=1)
        factories.user("other_guard", roles=["guard"], estates=[other])
    return Probe(app, client)


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(role=st.sampled_from(ROLES), value=values, number=st.sampled_from(HUGE_IDS))
def test_no_route_answers_5xx(probe, blueprint, role, value, number):
    probe.send(blueprint, role, value, number)


def test_every_blueprint_is_probed(app):
    assert set(_blueprints(app)) <= set(BLUEPRINTS)
