"""No 500, whatever is typed, pasted, scanned or sent: every route of the URL map, as each
role, with hostile values in its path, its query and every field of its forms.

Two parts, on SQLite and on PostgreSQL:
- the sweep (of every blueprint but those PROBED_ELSEWHERE, swept with their own records by
  test_office_no_500.py and test_renovation_no_500.py): each value of ONE_OF_EACH_KIND (one
  of each kind that once gave a 500; all of HOSTILE with WYAPP_TEST_DEEP=1, as CI runs it)
  goes once to every route, as one of the roles the route lets in (taken in turn) — a GET
  carrying it in every query name the views read, and a form POST carrying it in every
  field the route's page shows. Every route also gets the ids past 2^63 in its path, and,
  as each role, a multipart POST with a file in each of its fields.
- hypothesis: generated text and integers, the same way (3 examples per blueprint in the
  normal run; 200 with WYAPP_TEST_DEEP=1).

A (role, route, method) whose bare request is refused (401/403, or a redirect to the login)
is refused before any value is read, so it gets that one request. Each test adds what it
sent to a tally: the totals per database (routes × roles × values, triples, requests) are
written to tests/artifacts/no_500_<database>.txt.
"""
import os
import re
from collections import defaultdict
from io import BytesIO
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.factories import gate as gate_factories
from tests.factories import inspection as inspection_factories
from tests.factories import patrol as patrol_factories
from tests.factories import service as service_factories
from wyapp.db import db
from wyapp.sessions import LoginThrottle

DEEP = bool(os.environ.get("WYAPP_TEST_DEEP"))
ROLES = [None, "admin", "manager", "supervisor", "guard", "gate", "engineer", "desk"]
HUGE_IDS = [2**63, 2**64 + 1, 10**30]
HOSTILE = [
    "", " ", "\x00", "a\x00b", "%00", "²", "٢٠٢٤-05", "２０２６-05", "٣", "１２", "9999-12-31",
    "0001-01-01", "9999-12", "0001-01", "0000-00-00", "2026-02-30", "24:61", "-1", "0",
    str(2**63), str(2**64), "-" + str(2**63), "1e309", "NaN", "-inf", "1,250", "12,345.6",
    "1" * 40, "İ" * 40, "x" * 5000, "厨房漏水💧", "满意👍", "\u202a13912345678\u202c",
    "0086 139 1234 5678", "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>",
    "'; DROP TABLE unit; --", "../../etc/passwd", "\ud800", "1-101", "使014578", "WJ0112345",
    "100000000", "1000000000000", "2026-06", "2026-06-15", "1",
]
# The normal run sends one value of each kind; CI (WYAPP_TEST_DEEP=1) sends all of HOSTILE.
ONE_OF_EACH_KIND = [
    "", "\x00", "²", "٢٠٢٤-05", "２０２６-05", "9999-12-31", "0001-01-01", "9999-12", "0001-01",
    str(2**63), "-" + str(2**63), "1e309", "1,250", "İ" * 40, "x" * 5000, "厨房漏水💧",
    "\u202a13912345678\u202c", "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>",
    "\ud800", "使014578", "100000000", "1000000000000", "1", "2026-06-15",
]
SWEPT = HOSTILE if DEEP else ONE_OF_EACH_KIND
QUERY_NAMES = ["ids", "toggle", "visit", "estate", "day", "date", "month", "year", "q", "tab",
               "page", "shift", "period", "next", "code", "unit", "phone", "status", "kind",
               "plan", "equipment", "checkpoint", "route", "user", "from", "to", "state"]
PDF_VALUES = {"", "٢٠٢٤-05", "9999-12-31", "0001-01-01", "9999-12", "0001-01", str(2**63),
              "厨房漏水💧", "<script>alert(1)</script>"}
MARKUP = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
FIELD = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')
SKIP_ENDPOINTS = {"static", "accounts.logout"}
REFUSED = {401, 403}
BLUEPRINTS = ["shell", "photos", "labels", "offline", "accounts", "admin", "archive", "gate",
              "patrol", "inspection", "service", "alerts", "staff", "exports", "dashboard",
              "renovation"]
# Blueprints whose sweep runs elsewhere, over a database that also holds their own records
# (a weekly report, an export file, a renovation in each state, as well as _records below):
# sweeping them here too sent the same values to the same routes a second time.
# blueprint -> (module under tests/web, test function); test_every_blueprint_is_probed checks
# that each test exists and probes that blueprint.
PROBED_ELSEWHERE = {
    "dashboard": ("test_office_no_500", "test_every_hostile_value_reaches_every_office_route"),
    "exports": ("test_office_no_500", "test_every_hostile_value_reaches_every_office_route"),
    "renovation": ("test_renovation_no_500",
                   "test_every_hostile_value_reaches_every_renovation_route"),
}
SWEPT_HERE = [b for b in BLUEPRINTS if b not in PROBED_ELSEWHERE]
TALLY = Path(__file__).parents[1] / "artifacts"

generated = st.one_of(st.text(max_size=60),
                      st.integers(min_value=-(2**70), max_value=2**70).map(str))


def _blueprints(app):
    return sorted({rule.endpoint.split(".")[0] for rule in app.url_map.iter_rules()
                   if rule.endpoint not in SKIP_ENDPOINTS})


def _quoted(value):
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def _path(rule, value, number):
    """The rule's URL with `number` in every int slot and `value` in every other one."""
    url = rule.rule
    for name, converter in rule._converters.items():
        kind = type(converter).__name__
        if kind == "IdConverter":
            part = str(number)
        elif kind == "AnyConverter":
            part = sorted(converter.items)[0] if hasattr(converter, "items") else "up"
        else:
            part = _quoted(value) or "x"
        url = re.sub(rf"<(?:[^:<>]+:)?{name}>", lambda _m, p=part: p, url)
    return url


class Probe:
    """Sends values to the routes of one blueprint as each role; counts what it sent."""

    def __init__(self, app, client, blueprint):
        self.app, self.client, self.role = app, client, ""
        self.rules = [rule for rule in app.url_map.iter_rules()
                      if rule.endpoint.split(".")[0] == blueprint
                      and rule.endpoint not in SKIP_ENDPOINTS]
        self.fields, self.refused = {}, {}
        self.requests, self.tried = 0, set()  # tried: (endpoint, role, value)
        self.failures = []

    def as_role(self, role):
        """Log in as `role` (None: logged out), unless already."""
        if role == self.role:
            return
        self.client.post("/logout")
        if role:
            login = {"username": role, "password": factories.PASSWORD}
            response = self.client.post("/login", data=login)
            if response.status_code == 429:  # the values sent to /login used the free tries
                with self.app.app_context(), db.connection_context():
                    LoginThrottle.delete().execute()
                response = self.client.post("/login", data=login)
            assert response.status_code == 302, role
        self.role = role

    def check(self, response, what):
        """Note a 5xx or unescaped markup in the answer to `what`; return the response."""
        self.requests += 1
        if response.status_code >= 500:
            self.failures.append((self.role, what, response.status_code))
        if response.mimetype == "text/html":
            text = response.get_data(as_text=True)
            for markup in MARKUP:
                if markup in text:
                    self.failures.append((self.role, what, "unescaped markup"))
        return response

    def is_refused(self, rule, method, role=""):
        """Whether `role` (default: the current one) is refused `method` on the route before
        any value is read: 401/403, or a redirect to the login page."""
        key = (self.role if role == "" else role, rule.endpoint, method)
        if key not in self.refused:
            assert key[0] == self.role
            url = _path(rule, "x", 1)
            bare = self.client.get(url) if method == "GET" else self.client.post(url)
            self.check(bare, (method, url))
            if method == "GET" and bare.mimetype == "text/html":  # the page's form fields
                names = set(FIELD.findall(bare.get_data(as_text=True))) - {"csrf_token"}
                self.fields[(key[0], rule.endpoint)] = sorted(names) or QUERY_NAMES
            location = bare.headers.get("Location", "")
            self.refused[key] = bare.status_code in REFUSED or (
                bare.status_code in (301, 302, 303) and "/login" in location)
        return self.refused[key]

    def form_fields(self, rule):
        """The field names the route's page shows this role (the query names if none)."""
        key = (self.role, rule.endpoint)
        if key not in self.fields:
            names = set()
            if "GET" in rule.methods:
                response = self.client.get(_path(rule, "x", 1))
                if response.mimetype == "text/html":
                    names = set(FIELD.findall(response.get_data(as_text=True)))
            self.fields[key] = sorted(names - {"csrf_token"}) or QUERY_NAMES
        return self.fields[key]

    def survey(self, roles):
        """As each role: which routes refuse it; a file part in every field of every form it
        may post. Logged out: ids past 2^63 in every id slot are 404 (the router's answer,
        the same for every role)."""
        for role in roles:
            self.as_role(role)
            for rule in self.rules:
                methods = [m for m in ("GET", "POST") if m in rule.methods]
                open_methods = [m for m in methods if not self.is_refused(rule, m)]
                if role is None and any(type(c).__name__ == "IdConverter"
                                        for c in rule._converters.values()):
                    for number in HUGE_IDS:
                        url = _path(rule, "x", number)
                        answer = self.client.get(url) if "GET" in methods \
                            else self.client.post(url)
                        if self.check(answer, ("huge id", url)).status_code != 404:
                            self.failures.append((role, ("huge id", url), "not 404"))
                if "POST" in open_methods:
                    url = _path(rule, "x", 1)
                    files = {n: (BytesIO("文本".encode()), "x.txt")
                             for n in self.form_fields(rule)}
                    self.check(self.client.post(url, data=files,
                                                content_type="multipart/form-data"),
                               ("POST multipart", url))

    def send(self, rule, value, number=1):
        """`value` in every query name (GET) and every form field (POST) of the route, as the
        current role, by the methods it is not refused."""
        url = _path(rule, value, number)
        if "GET" in rule.methods and not self.is_refused(rule, "GET"):
            query = "&".join(f"{n}={_quoted(value)}" for n in QUERY_NAMES)
            self.check(self.client.get(f"{url}?{query}"), ("GET", url, value))
        if "POST" in rule.methods and not self.is_refused(rule, "POST"):
            body = "&".join(f"{quote(n)}={_quoted(value)}" for n in self.form_fields(rule))
            self.check(self.client.post(
                url, data=body, content_type="application/x-www-form-urlencoded"),
                ("POST", url, value))
        self.tried.add((rule.endpoint, self.role, value))

    def sweep(self, roles, values):
        """Each value to each route once, as one of the roles the route lets in (taken in
        turn, so every such role gets its share); a PDF route gets the PDF_VALUES only (each
        of those renders a document)."""
        let_in = {rule.endpoint: [r for r in roles
                                  if not all(self.is_refused(rule, m, r)
                                             for m in ("GET", "POST") if m in rule.methods)]
                  for rule in self.rules}
        for role in roles:
            self.as_role(role)
            for index, value in enumerate(values):
                for rule in self.rules:
                    allowed = let_in[rule.endpoint]
                    if not allowed or allowed[index % len(allowed)] != role:
                        continue
                    if rule.rule.endswith((".pdf", ".csv")) and value not in PDF_VALUES:
                        continue
                    self.send(rule, value)


_totals = defaultdict(lambda: {"routes": set(), "roles": set(), "values": set(),
                               "tried": 0, "requests": 0})


def _distinct(failures):
    """One failure per (route, method, kind of answer), the first value that gave it."""
    seen = {}
    for role, what, answer in failures:
        key = (what[0], re.sub(r"\d+", "#", what[1]) if len(what) > 1 else "", answer)
        seen.setdefault(key, (role, what, answer))
    return list(seen.values())


def _record(database, probe):
    total = _totals[database]
    total["routes"] |= {endpoint for endpoint, _, _ in probe.tried}
    total["roles"] |= {role for _, role, _ in probe.tried}
    total["values"] |= {value for _, _, value in probe.tried}
    total["tried"] += len(probe.tried)
    total["requests"] += probe.requests
    TALLY.mkdir(exist_ok=True)
    (TALLY / f"no_500_{database}.txt").write_text(
        f"{database}: {len(total['routes'])} routes × {len(total['roles'])} roles × "
        f"{len(total['values'])} values; {total['tried']} (route, role, value) triples tried "
        f"in {total['requests']} requests\n", encoding="utf-8")


def _records(estate, now):
    """One of each record the routes open by id, each numbered 1 (a fresh database)."""
    route = patrol_factories.route(estate, [patrol_factories.checkpoint(estate)])
    patrol_factories.schedule(route)
    patrol_factories.incident(estate)
    plan = inspection_factories.plan_for(estate)
    inspection_factories.sheet(plan, estate.today(now))
    inspection_factories.meter(estate)
    inspection_factories.duty_shift(estate)
    service_factories.work_order(estate, now=now)
    service_factories.complaint(estate, now=now)
    gate_factories.visit(estate)
    gate_factories.vehicle(estate)
    gate_factories.slip(estate)
    gate_factories.invitation(estate)
    gate_factories.watch(estate)


@pytest.fixture
def database(app):
    return "postgres" if "postgres" in app.config["DATABASE_URL"] else "sqlite"


@pytest.fixture
def office(app, in_db, now):
    """The office with one record of each kind, and a second estate with a guard."""
    with in_db():
        from wyapp.models import Estate
        _records(Estate.get(), now)
        other = factories.estate("别的小区", buildings=1, floors=1)
        factories.user("other_guard", roles=["guard"], estates=[other])
        factories.user("no_estate", roles=["engineer", "desk", "guard"], estates=[])
    return app


@pytest.mark.parametrize("blueprint", SWEPT_HERE)
def test_every_hostile_value_reaches_every_route(office, client, database, blueprint):
    probe = Probe(office, client, blueprint)
    roles = [*ROLES, "no_estate"]
    probe.survey(roles)
    probe.sweep(roles, SWEPT)
    _record(database, probe)
    assert not probe.failures, "\n".join(map(repr, _distinct(probe.failures)))


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
@settings(max_examples=200 if DEEP else 3, deadline=None, derandomize=not DEEP,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(role=st.sampled_from(ROLES), value=generated)
def test_generated_values_reach_every_route(office, client, database, blueprint, role, value):
    probe = Probe(office, client, blueprint)
    probe.as_role(role)
    for rule in probe.rules:
        if not rule.rule.endswith((".pdf", ".csv")) or DEEP:
            probe.send(rule, value)
    _record(database, probe)
    assert not probe.failures, "\n".join(map(repr, _distinct(probe.failures)))


def test_every_blueprint_is_probed(app):
    """Every blueprint is swept: here, or by the test PROBED_ELSEWHERE names (which must
    exist and parametrize or call the probe with that blueprint)."""
    import importlib
    import inspect

    assert set(_blueprints(app)) <= set(BLUEPRINTS)
    assert set(PROBED_ELSEWHERE) <= set(BLUEPRINTS)
    assert set(SWEPT_HERE) | set(PROBED_ELSEWHERE) == set(BLUEPRINTS)
    for blueprint, (module, name) in PROBED_ELSEWHERE.items():
        test = getattr(importlib.import_module(f"tests.web.{module}"), name, None)
        assert callable(test), f"{blueprint}: {module}.{name} does not exist"
        marks = [m for m in getattr(test, "pytestmark", []) if m.name == "parametrize"]
        probed = {v for m in marks if m.args[0] == "blueprint" for v in m.args[1]}
        source = inspect.getsource(test)
        assert blueprint in probed or re.search(rf'Probe\([^)]*"{blueprint}"\)', source), \
            f"{module}.{name} does not probe {blueprint}"
        assert "probe.sweep(" in source and "probe.survey(" in source, \
            f"{module}.{name} does not sweep"
