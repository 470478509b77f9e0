"""How a feature plugs into the core: its blueprint, tables, navigation, home panels, demo data.

The core never imports a feature by name except in ENABLED, the composition root read by
create_app() and the CLI. Each feature module defines `feature = Feature(...)`.
"""
from dataclasses import dataclass, field
from importlib import import_module

ENABLED = (
    "wyapp.shell",
    "wyapp.photos",
    "wyapp.labels",
    "wyapp.accounts",
    "wyapp.admin",
    "wyapp.inspection",
    "wyapp.service",
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
class Feature:
    name: str
    blueprint: object = None
    migrations: object = None  # a db.MigrationGroup
    nav: list = field(default_factory=list)
    home_panels: list = field(default_factory=list)
    demo: object = None  # callable(estate, users_by_name), idempotent
    cli: list = field(default_factory=list)  # click commands added to `wyapp`
    periodic: list = field(default_factory=list)  # callables(now_utc) run by `tick`
    label_kinds: dict = field(default_factory=dict)  # {kind: view(label)} for /c/<token>


def enabled():
    return [import_module(path).feature for path in ENABLED]


def nav_for(features, user):
    items = [i for f in features for i in f.nav if user.has_role(*i.roles)]
    return sorted(items, key=lambda i: i.order)


def panels_for(features, user):
    panels = [p for f in features for p in f.home_panels if user.has_role(*p.roles)]
    return sorted(panels, key=lambda p: p.order)
