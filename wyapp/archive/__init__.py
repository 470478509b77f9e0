"""Archive (档案): immutable PDF/A-3 documents with their data embedded, in a hash chain.

The archive knows no feature: features hand it DocumentKind entries (features.py).
"""
from ..db import MigrationGroup
from ..features import Feature, NavItem
from .cli import archive_cli
from .models import Document, FilingClaim, SweepMark, add_filing_claims
from .services import sweep_if_due
from .views import bp

STAFF = frozenset({"guard", "gate", "engineer", "desk", "supervisor", "manager"})

feature = Feature(
    name="archive",
    blueprint=bp,
    migrations=MigrationGroup("archive", [Document, SweepMark, FilingClaim],
                              [("0002_filing_claims", add_filing_claims)]),
    nav=[NavItem("档案", "archive.index", STAFF, "archive", order=70)],
    periodic=[sweep_if_due],
    cli=[archive_cli],
)
