"""来访登记: a visitor comes in (with the watchlist checked), stays, signs out.

Time-dependent functions take `now` (naive UTC); the estate's date comes from Estate.today.
"""
from datetime import timedelta

from peewee import JOIN, IntegrityError

from ..db import db, utcnow
from ..errors import DomainError
from ..models import Building, Unit
from .invitations import USED_TODAY, check_invitation
from .models import PURPOSES, GateSettings, VehicleEntry, Visit
from .validators import mask_id, mask_phone
from .vehicles import inside_message
from .vehicles import on_site as plate_on_site
from .watchlist import alert_watch_hit, watch_matches


def duration_text(delta):
    """A stay as the booth says it: 2小时5分, or 40分钟 under an hour."""
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours}小时{minutes}分" if hours else f"{minutes}分钟"


def register_visit(estate, user, data, *, now=None, idempotency_key=None, photos=()):
    """Record a visitor entering at `now` (naive UTC; default: the current instant); returns
    (visit, created, watchlist hits).

    `data` holds cleaned form values: name, phone, unit (text), host, purpose, party_size,
    plate, id_number, note, invitation (code). A repeated Idempotency-Key returns the visit
    it first made, so a retried request never registers twice. Raises DomainError on the
    field: no unit or host, an unknown unit, an unusable invitation code, a plate on site.
    """
    now = now or utcnow()
    if idempotency_key:
        earlier = Visit.get_or_none(Visit.idempotency_key == idempotency_key)
        if earlier is not None:
            if earlier.estate_id != estate.id:
                raise DomainError("这个请求标识已被使用。")
            return earlier, False, []
    if data["purpose"] not in PURPOSES:
        raise DomainError("请选择来访事由。", "purpose")
    unit = Unit.find(estate, data.get("unit"))
    if unit is None and not data.get("host"):
        raise DomainError("请填写被访房号或被访人。", "unit")
    invitation = check_invitation(estate, data["invitation"], now) \
        if data.get("invitation") else None
    if data.get("plate") and plate_on_site(estate, data["plate"]):
        raise DomainError(inside_message(data["plate"]), "plate")
    settings = GateSettings.of(estate)
    id_number = data.get("id_number", "")
    hits = watch_matches(estate, name=data["name"], phone=data["phone"], id_number=id_number,
                         plate=data.get("plate", ""))
    try:
        with db.atomic():
            visit = Visit.create(
                estate=estate, name=data["name"], phone=data["phone"], unit=unit,
                host=data.get("host", ""), purpose=data["purpose"],
                party_size=data.get("party_size") or 1, plate=data.get("plate", ""),
                id_masked=mask_id(id_number),
                id_number=id_number if settings.store_full_id and id_number else None,
                note=data.get("note", ""), photo=photos[0] if photos else None,
                invitation=invitation, time_in=now, registered_by=user,
                invitation_day=estate.today(now) if invitation else None,
                watch_hit=bool(hits), idempotency_key=idempotency_key or None)
            if visit.plate:
                VehicleEntry.create(estate=estate, plate=visit.plate, kind="访客", visit=visit,
                                    time_in=now, registered_by=user, watch_hit=bool(hits))
            if hits:
                alert_watch_hit(estate, hits, "来访登记",
                                f"{visit.name} {mask_phone(visit.phone)}")
    except IntegrityError:  # a concurrent twin: same key, or the code used a moment ago
        earlier = idempotency_key and Visit.get_or_none(Visit.idempotency_key == idempotency_key)
        if earlier:
            return earlier, False, []
        if data.get("plate") and plate_on_site(estate, data["plate"]):
            raise DomainError(inside_message(data["plate"]), "plate") from None
        if invitation:
            raise DomainError(USED_TODAY, "invitation") from None
        raise
    return visit, True, hits


def sign_out(visit, user, now=None):
    """签离: the visit and its vehicle, if still on site, leave at `now` (naive UTC).
    Raises DomainError when the visitor already left."""
    if visit.time_out is not None:
        raise DomainError("这位访客已经签离。")
    now = now or utcnow()
    with db.atomic():
        visit.time_out, visit.signed_out_by = now, user
        visit.save()
        (VehicleEntry.update(time_out=now)
         .where(VehicleEntry.visit == visit, VehicleEntry.time_out.is_null()).execute())
    return visit


def on_site(estate):
    """The estate's visitors not signed out yet, earliest first (a query)."""
    return (Visit.select(Visit, Unit, Building).join(Unit, on=(Visit.unit == Unit.id),
                                                     join_type=JOIN.LEFT_OUTER)
            .join(Building, join_type=JOIN.LEFT_OUTER)
            .where(Visit.estate == estate, Visit.time_out.is_null())
            .order_by(Visit.time_in, Visit.id))


def long_stays(estate, now):
    """Visitors on site at `now` (naive UTC) longer than the estate's long-stay hours."""
    hours = GateSettings.of(estate).long_stay_hours
    return on_site(estate).where(Visit.time_in < now - timedelta(hours=hours))


def phone_history(estate, phone, limit=5):
    """That visitor's earlier entries, newest first, one per distinct unit/name/plate."""
    if len(phone) < 7:
        return []
    rows = (Visit.select().where(Visit.estate == estate, Visit.phone == phone,
                                 Visit.purged_at.is_null())
            .order_by(Visit.time_in.desc(), Visit.id.desc()).limit(50))
    seen, result = set(), []
    for visit in rows:
        key = (visit.name, visit.unit_id, visit.host, visit.plate, visit.purpose)
        if key not in seen:
            seen.add(key)
            result.append(visit)
        if len(result) == limit:
            break
    return result


def prefill_from_visit(visit):
    """Form values for a returning visitor (never the ID number: it is asked again)."""
    return {"name": visit.name, "phone": visit.phone, "unit": visit.unit.label if visit.unit
            else "", "host": visit.host, "purpose": visit.purpose,
            "party_size": visit.party_size, "plate": visit.plate}
