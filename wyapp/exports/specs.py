"""What a feature declares for each list it exports, and the helpers its builders share.

A feature's `exports = {name: ExportSpec(...)}`; `/exports/<name>.xlsx?<the list's query
string>` checks the roles, calls `build(estate, user, args, now)` and sends or queues the
Table it returns. Builders run the list's own query (same estate, same filters) and give
cell values as Python types: the writer makes them Excel dates and numbers.
"""
from dataclasses import dataclass, field

from .writer import Column


@dataclass(frozen=True)
class ExportSpec:
    """One exportable list.

    `label`: what the list is called ("报修工单"); `roles`: who may export it (the list's
    own roles or fewer); `build(estate, user, args, now) -> Table` with `args` the request's
    query arguments (a MultiDict) and `now` naive UTC. `build` raises nothing for odd
    arguments: it reads them as the list page does (a bad day is today…).
    """
    label: str
    roles: tuple
    build: object


@dataclass
class Table:
    """What a builder returns: the rows (any iterable; a generator over a query's
    .iterator() for long lists) and how many there are, known before writing."""
    title: str  # the first row: estate, list and period
    columns: list
    rows: object
    count: int
    subtitle: str = ""  # the second row: the filters
    filename: str = "export.xlsx"
    extra: dict = field(default_factory=dict)


def local(estate, moment):
    """A stored naive-UTC datetime as the estate's wall time (naive), for a date cell."""
    return estate.local(moment) if moment is not None else None


def name_of(user):
    """A user's display name, or "" for none."""
    return user.display_name if user is not None else ""


def columns(*titles):
    """Columns from header strings, or (header, width) / (header, width, num_format)."""
    return [Column(*t) if isinstance(t, tuple) else Column(t) for t in titles]
