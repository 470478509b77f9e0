from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from ..db import BaseModel, utcnow
from ..models import Estate

GENESIS = "0" * 64


class Document(BaseModel):
    """One archived PDF, immutable, and one link of the index's hash chain.

    entry_hash = SHA-256 over the previous entry's hash, the file's SHA-256 and this row's
    identifying fields, so editing, deleting or reordering rows breaks the chain.
    """
    kind = CharField(max_length=40)
    estate = ForeignKeyField(Estate, on_delete="RESTRICT")
    period = CharField(max_length=40)
    version = IntegerField(default=1)
    archive_no = CharField(max_length=80, unique=True)
    replaces = ForeignKeyField("self", null=True, on_delete="RESTRICT")
    reason = TextField(default="")
    path = CharField(max_length=255)  # under archive/ in the store (storage.py)
    size = IntegerField()
    sha256 = CharField(max_length=64)
    data_sha256 = CharField(max_length=64)
    sections = TextField(default="{}")  # JSON {section: sha256}, to say what an amendment changed
    created_at = DateTimeField(default=utcnow)
    prev_hash = CharField(max_length=64)
    entry_hash = CharField(max_length=64, unique=True)

    class Meta:
        indexes = ((("kind", "estate", "period", "version"), True),)

    def chain_fields(self):
        return "|".join([self.prev_hash, self.sha256, self.kind, str(self.estate_id),
                         self.period, str(self.version), self.archive_no, self.data_sha256,
                         self.created_at.isoformat(timespec="microseconds")])


class SweepMark(BaseModel):
    """When the periodic archive sweep last ran (it runs hourly, whatever calls tick)."""
    name = CharField(max_length=40, primary_key=True)
    at = DateTimeField()


class FilingClaim(BaseModel):
    """A worker's claim on filing one version of one document, taken BEFORE anything is
    rendered or written: the unique (kind, estate, period, version) lets one worker of many
    file it; the others find the claim and stop. A claim older than CLAIM_EXPIRES whose
    document never appeared (its worker died) may be taken over (claims.py)."""
    kind = CharField(max_length=40)
    estate = ForeignKeyField(Estate, on_delete="RESTRICT")
    period = CharField(max_length=40)
    version = IntegerField()
    token = CharField(max_length=32)
    claimed_at = DateTimeField()

    class Meta:
        indexes = ((("kind", "estate", "period", "version"), True),)


def add_filing_claims(migrator):
    """0002: the filing claims table (one worker files a document, however many run)."""
    FilingClaim.create_table(safe=True)
