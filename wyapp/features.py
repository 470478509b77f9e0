"""How a feature plugs into the core: its blueprint, tables, navigation, home panels, demo data.

The core never imports a feature by name except in ENABLED, the composition root read by
create_app() and the CLI. Each feature module defines `feature = Feature(...)`.
"""
from dataclasses import dataclass, field
from importlib import import_module
from typing import NamedTuple

ENABLED = (
    "wyapp.shell",
    "wyapp.photos",
    "wyapp.idempotency",
    "wyapp.labels",
    "wyapp.offline",
    "wyapp.accounts",
    "wyapp.admin",
    "wyapp.archive",
    "wyapp.gate",
    "wyapp.patrol",
    "wyapp.inspection",
    "wyapp.service",
    "wyapp.alerts",
    "wyapp.exports",
    "wyapp.dashboard",
    "wyapp.staff",
    "wyapp.renovation",
)


@dataclass
class NavItem:
    """A bottom-navigation entry for the given roles (smaller `order` sits further left)."""
    label: str
    endpoint: str
    roles: frozenset
    icon: str
    order: int = 50
    badge: object = None  # callable(user, estate) -> int, shown when > 0


@dataclass
class HomePanel:
    """A section of the home page: `context(user, estate)` does the queries, the template shows."""
    roles: frozenset
    template: str
    context: object
    order: int = 50


@dataclass
class DocumentKind:
    """A kind of archived PDF a feature hands to the archive.

    `collect(estate, period)` returns the document's source data as a JSON-able dict (it is
    embedded in the PDF and compared to spot amendments), or None when there is nothing to
    file. `period` is "YYYY-MM-DD" for daily kinds, "YYYY-MM" for monthly ones, and a
    record key (e.g. "WO-12") for per-record kinds, whose `due(estate, now)` lists the keys
    to file and whose `label(key)` gives what people read for it (the record's number,
    BX000012): the key itself stays internal. The template under templates/pdf/ gets the
    data as `data`.
    """
    code: str
    title: str
    template: str
    collect: object
    cadence: str = "daily"  # daily | monthly | record
    roles: frozenset = frozenset({"manager", "supervisor"})
    signatures: tuple = ("制表人", "审核人", "日期")
    due: object = None  # record kinds: callable(estate, now_utc) -> [period keys]
    label: object = None  # record kinds: callable(period key) -> the record's number shown
    group: str = ""  # e.g. 重大投诉: filed as its own group
    sections: dict = field(default_factory=dict)  # {data key: 中文名}, to word amendments


@dataclass
class Feature:
    name: str
    blueprint: object = None
    migrations: object = None  # a db.MigrationGroup
    nav: list = field(default_factory=list)
    home_panels: list = field(default_factory=list)
    # callable(estate, users_by_name, now): the feature's demo records as of `now` (naive
    # UTC, given by wyapp.demo.create; never the machine's clock); idempotent
    demo: object = None
    cli: list = field(default_factory=list)  # click commands added to `wyapp`
    periodic: list = field(default_factory=list)  # callables(now_utc) run by `tick`
    label_kinds: dict = field(default_factory=dict)  # {kind: view(label)} for /c/<token>
    # {kind: (Model, {name: column()})}: the label's target (the row of Model in the label's
    # estate) read with the label, as label.target, with each extra column as an attribute.
    # Each kind joins its own Model into every label read: one kind per Model, not Label/Estate.
    label_targets: dict = field(default_factory=dict)
    documents: list = field(default_factory=list)  # DocumentKind handed to the archive
    offline_pages: object = None  # callable(user, estate) -> URLs kept for use without signal
    # {record kind: (endpoint, id argument, number prefix)}: where another feature links to one
    # of its records, and the number it shows (record_link)
    record_links: dict = field(default_factory=dict)
    exports: dict = field(default_factory=dict)  # {name: exports.ExportSpec}: 导出 Excel of a list


def enabled():
    return [import_module(path).feature for path in ENABLED]


def document_kinds(features):
    return {kind.code: kind for f in features for kind in f.documents}


class RecordLink(NamedTuple):
    url: str
    code: str  # the record's number as people see it (BX000006); "" when it has none


def record_link(kind, record_id, features=None):
    """The page and the number of a record another feature owns, e.g. a work order raised
    from an inspection item: `RecordLink(url, code)`, or None when no feature owns `kind`.

    The one way features link each other's records: the owner declares
    `record_links = {kind: (endpoint, id argument, number prefix)}` (the prefix as in
    models.Numbered, "" for records without a number); templates call it as `record_link`."""
    from flask import current_app, url_for

    from .models import record_number

    if record_id is None:
        return None
    for feature in features or current_app.extensions["wyapp.features"]:
        if kind in feature.record_links:
            endpoint, argument, *prefix = feature.record_links[kind]
            code = record_number(prefix[0], record_id) if prefix and prefix[0] else ""
            return RecordLink(url_for(endpoint, **{argument: record_id}), code)
    return None


def record_url(features, kind, record_id):
    """The page of a record another feature owns (e.g. a work order's origin), or None."""
    link = record_link(kind, record_id, features)
    return link.url if link else None


def nav_for(features, user):
    items = [i for f in features for i in f.nav if user.has_role(*i.roles)]
    return sorted(items, key=lambda i: i.order)


def panels_for(features, user):
    panels = [p for f in features for p in f.home_panels if user.has_role(*p.roles)]
    return sorted(panels, key=lambda p: p.order)
