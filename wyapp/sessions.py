"""Who is logged in where, and who may try again: the login throttle (per username and per
address) and the sessions kept on the server, with the core group's migration 0002 that made
them. The core's other tables are in models.py; cli.CORE assembles the group from both."""
import hashlib
import secrets
from datetime import timedelta

from peewee import Case, CharField, DateTimeField, ForeignKeyField, IntegerField, SqliteDatabase

from .db import BaseModel, db, utcnow
from .models import User


class LoginThrottle(BaseModel):
    """Login attempts per key: a username (any, known or not) or "ip:<address>".

    Every attempt is counted *before* its password is checked, under a row lock, so a burst
    of parallel guesses cannot all slip in between one check and its count: after a key's
    free tries in a row (FREE_TRIES per username, FREE_TRIES_PER_ADDRESS per address), it
    waits 30 s, doubling to 15 min, and every attempt inside the wait is refused unchecked.
    A right password takes its own count back; a key left alone for FORGET_AFTER starts
    afresh (an office's occasional typos never add up to a lock).

    Why the per-address limit lives here and not in Flask-Limiter: Flask-Limiter keeps its
    counts in memory, Redis, Memcached or MongoDB. wyapp's default installation is one
    gunicorn with several workers on an embedded database and no Redis; in-memory counts
    would be per worker (each worker grants its own twenty), and the database is the one
    store every worker already shares, with the row lock this check needs. One mechanism for
    both limits: the same table, the same lock, the same answer (429, "N 秒后再试").
    """
    username = CharField(max_length=80, primary_key=True)  # the key (named so since 0001)
    failures = IntegerField(default=0)
    last_failure = DateTimeField(default=utcnow)
    locked_until = DateTimeField(null=True)

    FREE_TRIES = 5  # per username
    FREE_TRIES_PER_ADDRESS = 20  # one address (a gate PC, an office NAT) serves many staff
    FORGET_AFTER = timedelta(hours=1)  # counts older than this (and not locked) start afresh

    @staticmethod
    def address_key(address):
        """The key of a client address (request.remote_addr, after ProxyFix): "ip:<address>"."""
        return f"ip:{address or '-'}"[:80]

    @classmethod
    def begin(cls, keys, now):
        """Count one login attempt against each key (with its free tries) and return 0 when
        it may go ahead, else the seconds to wait (nothing counted then).

        `keys`: [(key, free_tries)]; `now`: naive UTC. Keys are taken in a fixed order, each
        row locked (SELECT … FOR UPDATE on PostgreSQL; SQLite's write lock, taken by the
        first INSERT), so parallel attempts queue instead of all reading the same count."""
        keys = sorted((key.lower()[:80], free) for key, free in keys)
        with db.atomic():
            rows = {}
            for key, _ in keys:
                cls.insert(username=key, failures=0, last_failure=now) \
                    .on_conflict_ignore().execute()
                query = cls.select().where(cls.username == key)
                rows[key] = (query.for_update() if db.for_update else query).get()
            waits = [row.locked_until - now for row in rows.values()
                     if row.locked_until and row.locked_until > now]
            if waits:
                return int(max(waits).total_seconds()) + 1
            for key, free in keys:
                row = rows[key]
                if row.last_failure < now - cls.FORGET_AFTER:
                    row.failures, row.locked_until = 0, None
                row.failures += 1
                row.last_failure = now
                if row.failures >= free:
                    delay = min(30 * 2 ** (row.failures - free), 900)
                    row.locked_until = now + timedelta(seconds=delay)
                row.save()
        return 0

    @classmethod
    def succeeded(cls, username, address_key=None):
        """A right password: the username starts afresh; the address takes back this attempt
        (and the wait it started, when this attempt was the one that reached the limit)."""
        cls.delete().where(cls.username == username.lower()[:80]).execute()
        if address_key:
            cls.update(failures=cls.failures - 1,
                       locked_until=Case(None, [(cls.failures <= cls.FREE_TRIES_PER_ADDRESS,
                                                 None)], cls.locked_until)).where(
                cls.username == address_key.lower()[:80], cls.failures > 0).execute()

    @classmethod
    def failures_of(cls, username):
        """Attempts counted against a key since it last started afresh (0 for none)."""
        row = cls.get_or_none(cls.username == username.lower()[:80])
        return row.failures if row else 0


class UserSession(BaseModel):
    """One logged-in device of a user: what flask-login's session carries (as a random token
    whose SHA-256 is stored here) and what logging out, a password change or an admin reset
    ends on the server. A cookie copied before its session ended is worth nothing after."""
    user = ForeignKeyField(User, backref="sessions", on_delete="CASCADE")
    token_hash = CharField(max_length=64, unique=True)
    device = CharField(max_length=200, default="")
    address = CharField(max_length=64, default="")
    created_at = DateTimeField(default=utcnow)
    last_seen = DateTimeField(default=utcnow)
    ended_at = DateTimeField(null=True, index=True)

    SEEN_EVERY = timedelta(minutes=5)  # last_seen is written at most this often

    @staticmethod
    def hash(token):
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def start(cls, user, now, device="", address=""):
        """A new session for `user`; returns the token the cookie carries (43 characters)."""
        token = secrets.token_urlsafe(32)
        cls.create(user=user, token_hash=cls.hash(token), device=(device or "")[:200],
                   address=(address or "")[:64], created_at=now, last_seen=now)
        return token

    @classmethod
    def open_ones(cls, user):
        """The user's sessions that have not ended, most recently seen first."""
        return (cls.select().where(cls.user == user, cls.ended_at.is_null())
                .order_by(cls.last_seen.desc(), cls.id.desc()))

    @classmethod
    def end(cls, token, now):
        """End the session a token names (logging out). Returns how many ended (0 or 1)."""
        return cls.update(ended_at=now).where(cls.token_hash == cls.hash(token),
                                              cls.ended_at.is_null()).execute()

    @classmethod
    def end_all(cls, user, now, keep_token=None):
        """End every open session of `user`, except the one `keep_token` names (a password
        change keeps the device it was made on). Returns how many ended."""
        query = cls.update(ended_at=now).where(cls.user == user, cls.ended_at.is_null())
        if keep_token:
            query = query.where(cls.token_hash != cls.hash(keep_token))
        return query.execute()


def add_sessions_and_throttle_lock(migrator):
    """Core migration 0002_sessions: the user_session table; the throttle's lock time and
    longer keys (80 characters, for "ip:<address>"). `migrator`: playhouse's SQLite or
    PostgreSQL migrator, inside migrate()'s transaction."""
    from playhouse.migrate import migrate as run

    migrator.database.create_tables([UserSession], safe=True)
    run(migrator.add_column("login_throttle", "locked_until", DateTimeField(null=True)))
    if not isinstance(migrator.database, SqliteDatabase):
        run(migrator.alter_column_type("login_throttle", "username", CharField(max_length=80)))

