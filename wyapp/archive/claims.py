"""One worker files each document, however many hosts and workers run the queue.

Before rendering, a worker inserts a FilingClaim for (kind, estate, period, version): the
unique index lets exactly one insert succeed on SQLite and PostgreSQL alike. The loser
finds the claim and stops. A worker that dies after claiming leaves a claim without a
document; after CLAIM_EXPIRES another worker takes it over with a conditional UPDATE (only
one wins) and files under a name of its own, since the dead worker may have written a file.
"""
import uuid
from datetime import timedelta

from peewee import IntegrityError

from ..db import db
from .models import Document, FilingClaim

CLAIM_EXPIRES = timedelta(minutes=15)  # far longer than rendering the longest document


def claim_filing(kind_code, estate, period, version, now):
    """Claim the filing of one version at `now` (naive UTC). Returns the claim's token (a
    fresh claim) or "taken-over:<token>" (an expired claim taken over), or None when
    another worker holds it or the document is filed already."""
    token = uuid.uuid4().hex
    try:
        with db.atomic():  # a savepoint: PostgreSQL's transaction survives the conflict
            FilingClaim.create(kind=kind_code, estate=estate, period=period, version=version,
                               token=token, claimed_at=now)
        return token
    except IntegrityError:
        pass
    held = FilingClaim.get_or_none(FilingClaim.kind == kind_code, FilingClaim.estate == estate,
                                   FilingClaim.period == period, FilingClaim.version == version)
    if held is None or held.claimed_at > now - CLAIM_EXPIRES or _filed(
            kind_code, estate, period, version):
        return None
    won = (FilingClaim.update(token=token, claimed_at=now)
           .where(FilingClaim.id == held.id, FilingClaim.token == held.token).execute())
    return f"taken-over:{token}" if won else None


def _filed(kind_code, estate, period, version):
    return Document.select().where(Document.kind == kind_code, Document.estate == estate,
                                   Document.period == period,
                                   Document.version == version).exists()


def holds_filing(token):
    """True while the claim is still this token's: a worker whose claim was taken over
    (it outlived CLAIM_EXPIRES) must store and index nothing."""
    return FilingClaim.select().where(
        FilingClaim.token == token.removeprefix("taken-over:")).exists()


def release_filing(token):
    """Give up a claim (rendering or storing failed before any file was stored), so that the
    queue's retry, or another worker, may file this version at once."""
    FilingClaim.delete().where(FilingClaim.token == token.removeprefix("taken-over:")).execute()
