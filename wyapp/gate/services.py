"""Gate rules shared by the views, the CLI, the periodic job and the tests.

Time-dependent functions take `now` (naive UTC); day boundaries use the estate's zone.
"""
import csv
import hashlib
import io
import re
import secrets
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import has_request_context, url_for
from peewee import JOIN, IntegrityError

from ..db import db, utcnow
from ..models import Building, Unit, User, notify
from .models import (
    PURPOSES,
    GateSettings,
    Invitation,
    VehicleEntry,
    Visit,
    WatchEntry,
)
from .validators import GateError, mask_id, mask_phone

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at the gate
USED_TODAY = "这个预约码今天已经使用过，一天只能使用一次。"


# ── time ──────────────────────────────────────────────────────────────────────

def local_day(estate, now):
    return now.replace(tzinfo=UTC).astimezone(ZoneInfo(estate.timezone)).date()


def day_bounds(estate, day):
    """The naive-UTC start and end of a local calendar day."""
    zone = ZoneInfo(estate.timezone)
    start = datetime.combine(day, time(), zone).astimezone(UTC).replace(tzinfo=None)
    end = datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)
    return start, end.replace(tzinfo=None)


def local_hour(estate, moment):
    return moment.replace(tzinfo=UTC).astimezone(ZoneInfo(estate.timezone)).hour


def duration_text(delta):
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours}小时{minutes}分" if hours else f"{minutes}分钟"


def new_code(model):
    """A short code no row of `model` has yet (6 of 32 characters: about 10⁹ codes)."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if not model.select().where(model.code == code).exists():
            return code


# ── units ─────────────────────────────────────────────────────────────────────

def find_unit(estate, text, field="unit"):
    """A unit of the estate from what the guard typed: 1-101, 1号楼-101, 1#101, 1栋101."""
    text = re.sub(r"\s", "", text or "")
    match = re.fullmatch(r"(.+?)(?:号楼|栋|幢|#|-|/)+(.+)", text)
    if not match:
        raise GateError("请按“楼栋-房号”填写被访房号，例如 1-101。", field)
    building, number = match.groups()
    names = {building, f"{building}号楼", f"{building}栋", f"{building}幢"}
    unit = (Unit.select(Unit, Building).join(Building)
            .where(Unit.estate == estate, Building.name.in_(names), Unit.number == number)
            .first())
    if unit is None:
        raise GateError(f"本小区没有房号“{text[:30]}”，请核对楼栋和房号。", field)
    return unit


# ── watchlist ─────────────────────────────────────────────────────────────────

def hash_id(number):
    return hashlib.sha256(number.encode()).hexdigest() if number else ""


def add_watch(estate, user, *, name="", phone="", id_number="", plate="", reason):
    if not (name or phone or id_number or plate):
        raise GateError("姓名、手机号、身份证号、车牌号至少填写一项。", "name")
    with db.atomic():
        return WatchEntry.create(estate=estate, name=name, phone=phone, plate=plate,
                                 id_hash=hash_id(id_number), id_masked=mask_id(id_number),
                                 reason=reason, created_by=user)


def watch_matches(estate, *, name="", phone="", id_number="", plate=""):
    """Active watchlist entries matching any of the given values."""
    conditions = [(WatchEntry.name, name), (WatchEntry.phone, phone),
                  (WatchEntry.id_hash, hash_id(id_number)), (WatchEntry.plate, plate)]
    clause = None
    for column, value in conditions:
        if value:
            clause = (column == value) if clause is None else (clause | (column == value))
    if clause is None:
        return []
    return list(WatchEntry.select().where(WatchEntry.estate == estate, WatchEntry.active,
                                          clause))


def alert_watch_hit(estate, hits, where, who):
    """Tell the estate's supervisors and managers; `who` is already masked."""
    reasons = "；".join(h.reason for h in hits)
    notify(User.with_role(estate, "supervisor", "manager"), estate, "watchlist",
           f"关注名单提醒：{where} {who}", f"原因：{reasons}",
           url_for("gate.on_site") if has_request_context() else "")


def describe_watch(hits):
    return "；".join(h.reason for h in hits)


# ── visits ────────────────────────────────────────────────────────────────────

def register_visit(estate, user, data, *, now=None, idempotency_key=None, photos=()):
    """Record a visitor entering; returns (visit, created, watchlist hits).

    `data` holds cleaned form values: name, phone, unit (text), host, purpose, party_size,
    plate, id_number, note, invitation (code). A repeated Idempotency-Key returns the visit
    it first made, so a retried request never registers twice.
    """
    now = now or utcnow()
    if idempotency_key:
        earlier = Visit.get_or_none(Visit.idempotency_key == idempotency_key)
        if earlier is not None:
            if earlier.estate_id != estate.id:
                raise GateError("这个请求标识已被使用。")
            return earlier, False, []
    if data["purpose"] not in PURPOSES:
        raise GateError("请选择来访事由。", "purpose")
    unit = find_unit(estate, data["unit"]) if data.get("unit") else None
    if unit is None and not data.get("host"):
        raise GateError("请填写被访房号或被访人。", "unit")
    invitation = check_invitation(estate, data["invitation"], now) \
        if data.get("invitation") else None
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
                invitation_day=local_day(estate, now) if invitation else None,
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
        if invitation:
            raise GateError(USED_TODAY, "invitation") from None
        raise
    return visit, True, hits


def sign_out(visit, user, now=None):
    """签离: the visit and its vehicle, if still on site, leave now."""
    if visit.time_out is not None:
        raise GateError("这位访客已经签离。")
    now = now or utcnow()
    with db.atomic():
        visit.time_out, visit.signed_out_by = now, user
        visit.save()
        (VehicleEntry.update(time_out=now)
         .where(VehicleEntry.visit == visit, VehicleEntry.time_out.is_null()).execute())
    return visit


def on_site(estate):
    return (Visit.select(Visit, Unit, Building).join(Unit, on=(Visit.unit == Unit.id),
                                                     join_type=JOIN.LEFT_OUTER)
            .join(Building, join_type=JOIN.LEFT_OUTER)
            .where(Visit.estate == estate, Visit.time_out.is_null())
            .order_by(Visit.time_in))


def long_stays(estate, now):
    """Visitors on site longer than the estate's long-stay hours."""
    hours = GateSettings.of(estate).long_stay_hours
    return on_site(estate).where(Visit.time_in < now - timedelta(hours=hours))


def phone_history(estate, phone, limit=5):
    """That visitor's earlier entries, newest first, one per distinct unit/name/plate."""
    if len(phone) < 7:
        return []
    rows = (Visit.select().where(Visit.estate == estate, Visit.phone == phone,
                                 Visit.purged_at.is_null())
            .order_by(Visit.time_in.desc()).limit(50))
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


# ── invitations ───────────────────────────────────────────────────────────────

def create_invitation(estate, user, data):
    unit = find_unit(estate, data["unit"])
    if data["valid_to"] < data["valid_from"]:
        raise GateError("结束日期不能早于开始日期。", "valid_to")
    if (data["valid_to"] - data["valid_from"]).days > 30:
        raise GateError("预约最长 31 天。", "valid_to")
    with db.atomic():
        return Invitation.create(
            estate=estate, code=new_code(Invitation), token=secrets.token_urlsafe(16),
            name=data["name"], phone=data["phone"], unit=unit, purpose=data["purpose"],
            party_size=data.get("party_size") or 1, plate=data.get("plate", ""),
            valid_from=data["valid_from"], valid_to=data["valid_to"],
            note=data.get("note", ""), created_by=user)


def check_invitation(estate, code, now):
    """The invitation for a code, if usable now; otherwise GateError saying why."""
    code = re.sub(r"\s", "", code or "").upper()[:8]
    invitation = Invitation.get_or_none(Invitation.code == code, Invitation.estate == estate)
    if invitation is None:
        raise GateError("没有这个预约码，请核对。", "invitation")
    today = local_day(estate, now)
    if today < invitation.valid_from:
        raise GateError(f"预约码还未生效：有效日期从 {invitation.valid_from} 开始。",
                        "invitation")
    if today > invitation.valid_to:
        raise GateError(f"预约码已过期：有效期到 {invitation.valid_to}。", "invitation")
    start, end = day_bounds(estate, today)
    if Visit.select().where(Visit.invitation == invitation, Visit.time_in >= start,
                            Visit.time_in < end).exists():
        raise GateError(USED_TODAY, "invitation")
    return invitation


def prefill_from_invitation(invitation):
    return {"name": invitation.name, "phone": invitation.phone,
            "unit": invitation.unit.label if invitation.unit else "",
            "purpose": invitation.purpose, "party_size": invitation.party_size,
            "plate": invitation.plate, "invitation": invitation.code}


# ── vehicles ──────────────────────────────────────────────────────────────────

def vehicle_in(estate, user, plate, kind, now=None):
    now = now or utcnow()
    if VehicleEntry.select().where(VehicleEntry.estate == estate, VehicleEntry.plate == plate,
                                   VehicleEntry.time_out.is_null()).exists():
        raise GateError(f"{plate} 已在场内，请先登记出场。", "plate")
    hits = watch_matches(estate, plate=plate)
    with db.atomic():
        entry = VehicleEntry.create(estate=estate, plate=plate, kind=kind, time_in=now,
                                    registered_by=user, watch_hit=bool(hits))
        if hits:
            alert_watch_hit(estate, hits, "车辆入场", plate)
    return entry, hits


def vehicle_out(entry, now=None):
    if entry.time_out is not None:
        raise GateError("这辆车已经出场。")
    entry.time_out = now or utcnow()
    with db.atomic():
        entry.save()
    return entry


def vehicles_on_site(estate):
    return (VehicleEntry.select().where(VehicleEntry.estate == estate,
                                        VehicleEntry.time_out.is_null())
            .order_by(VehicleEntry.time_in))


# ── reports ───────────────────────────────────────────────────────────────────

def daily_visitor_log(estate, day):
    """The day's visitor log (来访登记日志): rows with personal data masked, and figures.

    Returns {"day", "visits": [dict], "total", "people", "by_purpose": [(purpose, n)],
    "by_hour": [(hour, n)] for 24 hours, "peak_hours": [(hour, n)] (top 3),
    "on_site_at_midnight": [dict], "vehicles": {...}}.
    """
    start, end = day_bounds(estate, day)
    visits = list(Visit.select(Visit, Unit, Building)
                  .join(Unit, on=(Visit.unit == Unit.id), join_type=JOIN.LEFT_OUTER)
                  .join(Building, join_type=JOIN.LEFT_OUTER)
                  .where(Visit.estate == estate, Visit.time_in >= start, Visit.time_in < end)
                  .order_by(Visit.time_in))
    rows = [_log_row(estate, v) for v in visits]
    hours = Counter(local_hour(estate, v.time_in) for v in visits)
    purposes = Counter(v.purpose for v in visits)
    staying = (Visit.select().where(Visit.estate == estate, Visit.time_in < end,
                                    Visit.time_out.is_null() | (Visit.time_out >= end))
               .order_by(Visit.time_in))
    return {
        "day": day, "visits": rows, "total": len(visits),
        "people": sum(v.party_size for v in visits),
        "by_purpose": [(p, purposes[p]) for p in PURPOSES],
        "by_hour": [(h, hours[h]) for h in range(24)],
        "peak_hours": sorted(((h, n) for h, n in hours.items()), key=lambda x: (-x[1], x[0]))[:3],
        "on_site_at_midnight": [_log_row(estate, v) for v in staying],
        "vehicles": vehicles_of_day(estate, day),
    }


def _log_row(estate, visit):
    zone = ZoneInfo(estate.timezone)

    def show(moment):
        return moment.replace(tzinfo=UTC).astimezone(zone).strftime("%m-%d %H:%M") \
            if moment else ""
    return {"id": visit.id, "time_in": show(visit.time_in), "time_out": show(visit.time_out),
            "name": visit.name if not visit.purged_at else "（已清除）",
            "phone": mask_phone(visit.phone), "id_number": visit.id_masked,
            "visited": visit.visited, "purpose": visit.purpose,
            "party_size": visit.party_size, "plate": visit.plate,
            "watch_hit": visit.watch_hit}


def vehicles_of_day(estate, day):
    start, end = day_bounds(estate, day)
    entries = list(VehicleEntry.select().where(VehicleEntry.estate == estate,
                                               VehicleEntry.time_in >= start,
                                               VehicleEntry.time_in < end))
    done = [e for e in entries if e.time_out]
    average = (sum((e.time_out - e.time_in for e in done), timedelta()) / len(done)) \
        if done else None
    kinds = Counter(e.kind for e in entries)
    return {"total": len(entries), "visitor": kinds["访客"], "resident": kinds["业主"],
            "still_in": len(entries) - len(done),
            "average_stay": duration_text(average) if average is not None else "—"}


def vehicles_per_day(estate, last_day, days=7):
    """[(day, vehicles of that day)] for the `days` days ending with `last_day`."""
    return [(d, vehicles_of_day(estate, d)) for d in
            (last_day - timedelta(days=i) for i in range(days - 1, -1, -1))]


LOG_COLUMNS = (("time_in", "进"), ("time_out", "出"), ("name", "姓名"), ("phone", "手机号"),
               ("id_number", "身份证号"), ("visited", "被访"), ("purpose", "事由"),
               ("party_size", "人数"), ("plate", "车牌"))


def visitor_log_csv(log):
    """The day's rows as CSV text (masked like the page; formulas defused for Excel)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in LOG_COLUMNS])
    for row in log["visits"]:
        writer.writerow([_cell(row[key]) for key, _ in LOG_COLUMNS])
    return out.getvalue()


def _cell(value):
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
