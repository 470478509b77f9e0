"""An export too long to send at once: queued, written by the worker, kept for its requester."""
import hashlib

from peewee import CharField, DateTimeField, ForeignKeyField, IntegerField, TextField

from ..db import BaseModel, MigrationGroup, utcnow
from ..models import Estate, User

QUEUED, READY, FAILED = "排队中", "已完成", "失败"


class ExportFile(BaseModel):
    """One queued export: what was asked (the list's name and query string, at `asked_at`
    naive UTC), by whom in which estate, and the file once written (`key` in the store)."""
    estate = ForeignKeyField(Estate, on_delete="CASCADE")
    user = ForeignKeyField(User, on_delete="CASCADE")
    name = CharField(max_length=40)  # the ExportSpec's name, e.g. "work_orders"
    query = TextField(default="")  # the list's query string as asked
    title = CharField(max_length=200, default="")
    filename = CharField(max_length=200, default="")
    status = CharField(max_length=4, default=QUEUED, index=True)
    rows = IntegerField(null=True)
    size = IntegerField(null=True)  # bytes
    key = CharField(max_length=200, default="")  # the file's key under exports/
    error = CharField(max_length=200, default="")
    asked_at = DateTimeField(default=utcnow, index=True)
    finished_at = DateTimeField(null=True)
    # while 排队中: what was asked (claim_of), unique, so a second tap of the same export
    # finds this row instead of queuing a twin; NULL once written or failed (NULLs repeat)
    claim = CharField(max_length=64, null=True, unique=True)

    @classmethod
    def of_user(cls, user, estate):
        """The user's exports in the estate, newest first (a query)."""
        return (cls.select().where(cls.user == user, cls.estate == estate)
                .order_by(cls.asked_at.desc(), cls.id.desc()))


def claim_of(estate, user, name, query):
    """The claim of a queued export: SHA-256 (hex) of estate, user, list name and query
    string; one export of the same list and filters per user and estate waits at a time."""
    return hashlib.sha256(f"{estate.id}\n{user.id}\n{name}\n{query}".encode()).hexdigest()


def _add_claim(migrator):
    """0002_export_claim: ExportFile.claim (nullable: one plain ALTER on both databases)
    and its unique index; rows queued before it have none."""
    migrator.database.execute_sql('ALTER TABLE "export_file" ADD COLUMN "claim" VARCHAR(64)')
    ExportFile._schema.create_indexes(safe=True)


MIGRATIONS = MigrationGroup("exports", [ExportFile], [("0002_export_claim", _add_claim)])
