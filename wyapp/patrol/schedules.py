"""When a schedule's windows fall: start times typed as HH:MM, the window starts of a local
day (fixed times, or every N minutes within a span that may cross midnight), and the windows
of a schedule overlapping a range of naive-UTC time.

Every time here is either the estate's local wall time (naive, named `local…`/`day`) or naive
UTC; the estate's clock (Estate.local / Estate.utc) converts between them.
"""
import re
from datetime import datetime, time, timedelta

from ..errors import DomainError

HHMM = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")


def parse_hhmm(value, field=None):
    """'8:05' or '20：00' (full-width colon too) → a `time`. Raises DomainError on `field`."""
    match = HHMM.match((value or "").strip())
    if not match:
        raise DomainError(f"“{(value or '')[:20]}”不是有效的时间，请写成 20:00 这样。", field)
    return time(int(match.group(1)), int(match.group(2)))


def parse_times(text, field="start_times"):
    """'08:00, 14:00，20:00' → the sorted distinct `time`s (at most 48).
    Raises DomainError on `field` when empty, too many, or one is not HH:MM."""
    parts = [p for p in re.split(r"[,，、\s]+", text or "") if p]
    if not parts:
        raise DomainError("请至少填写一个开始时间，例如 08:00, 20:00。", field)
    if len(parts) > 48:
        raise DomainError("开始时间最多 48 个。", field)
    return sorted({parse_hhmm(p, field) for p in parts})


def window_starts(schedule, day):
    """The local start times (naive wall time) of `schedule`'s windows whose span begins on
    the local date `day`: none on a weekday the schedule skips. An interval span whose end
    is not after its start runs into the next day (equal: all day)."""
    if str(day.isoweekday()) not in schedule.weekdays:
        return []
    if not schedule.interval_mode:
        return [datetime.combine(day, t) for t in parse_times(schedule.start_times)]
    start = datetime.combine(day, parse_hhmm(schedule.span_start))
    end = datetime.combine(day, parse_hhmm(schedule.span_end))
    if end <= start:  # the span crosses midnight (equal: all day)
        end += timedelta(days=1)
    step, starts = timedelta(minutes=schedule.every_minutes), []
    while start < end:
        starts.append(start)
        start += step
    return starts


def windows(schedule, estate, start_utc, end_utc, memo=None):
    """(starts_at, ends_at) in naive UTC of each window of `schedule` overlapping
    [start_utc, end_utc) and starting at or after schedule.valid_from, oldest first.
    The local day before the range is looked at too: its span may run past midnight.
    memo: a dict keeping each day's UTC window starts for the next call (rounds.Structure)."""
    length = timedelta(minutes=schedule.window_minutes)
    day = estate.local(start_utc).date() - timedelta(days=1)
    last = estate.local(end_utc).date()
    found = []
    while day <= last:
        starts = memo.get((schedule.id, day)) if memo is not None else None
        if starts is None:
            starts = [estate.utc(local_start) for local_start in window_starts(schedule, day)]
            if memo is not None:
                memo[(schedule.id, day)] = starts
        for begins in starts:
            if begins + length > start_utc and begins < end_utc \
                    and begins >= schedule.valid_from:
                found.append((begins, begins + length))
        day += timedelta(days=1)
    return found
