"""Meter readings (抄表): consumption across replacements, flags, the month report.

Consumption of a month = (this reading − the last one) × multiplier. When the meter was
replaced in between, it is (old meter's final − last) + (this − new meter's start), times
the multiplier, so the series continues. A reading below its base, or a consumption more
than 50 % away from the mean of the last three months, is flagged and needs a note.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from peewee import IntegrityError

from ..db import db
from ..errors import DomainError
from ..inputs import fits_column
from .models import Meter, MeterReading, MeterReplacement


class NeedsConfirmation(DomainError):
    """The reading is flagged: saving it takes a confirmation note (field "note"); `flags`
    lists why. Callers may offer to save it with a note instead of refusing."""

    def __init__(self, flags):
        super().__init__("；".join(flags) + "。请核对读数，确认无误请填写说明后再保存。", "note")
        self.flags = flags


def month_start(day):
    """The first day (a date) of `day`'s month."""
    return day.replace(day=1)


def previous_month(month, n=1):
    """The first day of the month `n` months before `month` (a month's first; n < 0: after)."""
    index = month.year * 12 + month.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)


@dataclass
class Assessment:
    """A new reading's consumption (Decimal × multiplier; None for a meter's first reading)
    and its flags (Chinese sentences)."""
    consumption: Decimal | None
    flags: list


def assess(meter, month, value):
    """The consumption of a new reading and its flags (nothing is written)."""
    last = (MeterReading.select().where(MeterReading.meter == meter, MeterReading.month < month)
            .order_by(MeterReading.month.desc()).first())
    replacements = meter.replacements.order_by(MeterReplacement.recorded_at,
                                               MeterReplacement.id)
    if last is not None:  # those made since the last reading was taken
        replacements = replacements.where(MeterReplacement.recorded_at > last.read_at)
    replacements = list(replacements)
    flags = []
    if replacements:
        old_part = (replacements[0].old_final - last.value) if last else Decimal(0)
        base = replacements[-1].new_start
        raw = old_part + (value - base)
    elif last is not None:
        base, raw = last.value, value - last.value
    else:
        return Assessment(None, [])  # the first reading of a meter starts its series
    if value < base:
        flags.append(f"读数 {value} 小于上次 {base}")
    consumption = raw * meter.multiplier
    history = [r.consumption for r in MeterReading.select().where(
        MeterReading.meter == meter, MeterReading.month < month,
        MeterReading.month >= previous_month(month, 3),
        MeterReading.consumption.is_null(False))]
    if len(history) >= 1 and consumption >= 0:
        mean = sum(history) / len(history)
        if mean > 0 and abs(consumption - mean) > mean / 2:
            flags.append(f"用量 {consumption.normalize():f} 偏离近三个月均值 "
                         f"{mean.quantize(Decimal('0.01'))} 超过 50%")
    return Assessment(consumption, flags)


def record_reading(meter, month, value, user, note=""):
    """Save `meter`'s reading `value` (Decimal) of `month` (any date in it) by `user`; a
    flagged one only with a confirmation `note`. Returns the MeterReading.

    Raises NeedsConfirmation (field "note") for a flagged reading without a note, and
    DomainError for a negative value, a month already read or one before a later reading."""
    month = month_start(month)
    if value < 0:
        raise DomainError("读数不能为负数。", "value")
    fits_column(MeterReading.value, value, "value")
    if MeterReading.select().where(MeterReading.meter == meter,
                                   MeterReading.month == month).exists():
        raise DomainError(f"{month:%Y年%m月} 已经抄过这块表。", "value")
    later = MeterReading.select().where(MeterReading.meter == meter, MeterReading.month > month)
    if later.exists():
        raise DomainError("之后的月份已有读数，不能补录更早的月份。", "month")
    assessment = assess(meter, month, value)
    if assessment.consumption is not None:
        fits_column(MeterReading.consumption, assessment.consumption, "value")
    if assessment.flags and not note.strip():
        raise NeedsConfirmation(assessment.flags)
    try:
        with db.atomic():
            return MeterReading.create(meter=meter, month=month, value=value, read_by=user,
                                       consumption=assessment.consumption,
                                       flags="；".join(assessment.flags), note=note.strip())
    except IntegrityError:  # read at the same moment by another request: (meter, month) unique
        raise DomainError(f"{month:%Y年%m月} 已经抄过这块表。", "value") from None


def replace_meter(meter, user, replaced_on, old_final, new_serial, new_start):
    """Record a replacement on `replaced_on` (a date): the old meter's final reading, the new
    one's serial and start (Decimals). Returns the MeterReplacement. Raises DomainError
    (field "old_final" or "new_start") for a final below the last reading or a negative one."""
    last = meter.readings.order_by(MeterReading.month.desc()).first()
    if last is not None and old_final < last.value:
        raise DomainError(f"旧表止码不能小于上次读数 {last.value}。", "old_final")
    if new_start < 0 or old_final < 0:
        raise DomainError("读数不能为负数。", "new_start")
    fits_column(MeterReplacement.old_final, old_final, "old_final")
    fits_column(MeterReplacement.new_start, new_start, "new_start")
    with db.atomic():
        replacement = MeterReplacement.create(meter=meter, replaced_on=replaced_on,
                                              old_serial=meter.serial, old_final=old_final,
                                              new_serial=new_serial, new_start=new_start,
                                              recorded_by=user)
        meter.serial = new_serial
        meter.save()
    return replacement


def month_report(estate, month):
    """Every active meter's reading of a month, and public totals against earlier months.

    The data of 抄表月报 (the archive prints it) and of the month page.
    """
    month = month_start(month)
    meters = list(Meter.select().where(Meter.estate == estate, Meter.active)
                  .order_by(Meter.kind, Meter.unit.is_null(False), Meter.name))
    readings = {r.meter_id: r for r in MeterReading.select().where(
        MeterReading.meter.in_([m.id for m in meters]), MeterReading.month == month)}
    rows = [{"meter": m, "reading": readings.get(m.id)} for m in meters]

    def totals(of_month):
        query = (MeterReading.select(Meter.kind, MeterReading.consumption).join(Meter)
                 .where(Meter.estate == estate, Meter.unit.is_null(),
                        MeterReading.month == of_month,
                        MeterReading.consumption.is_null(False)).tuples())
        result = {"水": Decimal(0), "电": Decimal(0)}
        for kind, consumption in query:
            result[kind] += consumption
        return result

    return {"month": month, "rows": rows,
            "missing": [r["meter"] for r in rows if r["reading"] is None],
            "flagged": [r for r in rows if r["reading"] and r["reading"].flags],
            "public": {"本月": totals(month), "上月": totals(previous_month(month)),
                       "去年同月": totals(previous_month(month, 12))}}
