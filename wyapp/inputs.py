"""One reader for each kind of value a person types or a request carries: record ids, days,
months, numbers and mobile phone numbers.

Every view and form reads these through here, so that no route can meet one of the kinds
that once gave a 500: an id past what a column holds (OverflowError in the driver), a digit
that is not ASCII ('²' passes `str.isdigit()` and fails `int()`; `\\d` matches '٢'), a year
outside what `datetime` can shift by a time zone, a comma read the wrong way. Full-width
digits (１２３, typed on a Chinese keyboard) are read as the digits they show (NFKC); other
scripts' digits are not numbers here.
"""
import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import request

from .errors import DomainError

MAX_ID = 2**63 - 1  # BIGINT / SQLite INTEGER
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a report, a reading or a plan may be about
DAY = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})", re.ASCII)
MONTH = re.compile(r"(\d{4})[-/.](\d{1,2})", re.ASCII)
# Characters a copy from a contact card or a chat carries that no one sees: bidi marks and
# embeddings (U+200E/F, U+202A…U+202E, U+2066…U+2069), zero-width space/joiners, BOM.
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad]")


def typed(text):
    """What a person typed, as the characters it shows: NFKC (full-width digits, letters and
    punctuation → ASCII; '²' → '2' is NOT done for a lone superscript: see below), invisible
    format marks removed, outer spaces stripped. Not a string (a posted file, None) → ''."""
    if not isinstance(text, str):
        return ""
    # NFKC maps '²' to '2' as well; a superscript in an id or a reading is a slip, not a
    # digit, so it is refused before normalising rather than silently read as another number.
    if any(unicodedata.category(c) == "No" for c in text):
        return INVISIBLE.sub("", text).strip()
    return INVISIBLE.sub("", unicodedata.normalize("NFKC", text)).strip()


def posted_id(value):
    """A record id from a form or a query (text) → int in 1 … 2^63 − 1, or None when it is
    not ASCII digits (after NFKC) or no database column can hold it. An id that cannot
    exist is simply not found: callers treat None as "no such record"."""
    value = typed(value)
    if not value.isascii() or not value.isdigit() or len(value) > 19:
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def id_arg(name):
    """`posted_id` of the query argument `name` (None when absent or impossible)."""
    return posted_id(request.args.get(name))


def ids_arg(name, limit=500):
    """Every valid id among the query's repeated `name` arguments (at most `limit`)."""
    return [i for i in map(posted_id, request.args.getlist(name)) if i is not None][:limit]


def _sane(year, month, day=1):
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_day(text):
    """'2026-03-10' (also 2026/3/10, full-width digits) → date, or None when it is not a day
    of the years FIRST_YEAR … LAST_YEAR (0001-01-01, 9999-12-31, 2026-02-30, '٢٠٢٦-…')."""
    match = DAY.fullmatch(typed(text)[:10])
    return _sane(*map(int, match.groups())) if match else None


def parse_month(text):
    """'2026-03' (also 2026/3) → the month's first day, or None when it is not a month of the
    years FIRST_YEAR … LAST_YEAR."""
    match = MONTH.fullmatch(typed(text)[:7])
    return _sane(*map(int, match.groups())) if match else None


def day_arg(name, default):
    """The query's day `name` (see parse_day), else `default` (e.g. the estate's today)."""
    return parse_day(request.args.get(name, "")) or default


def month_arg(name, default):
    """The query's month `name` as its first day (see parse_month), else `default`."""
    return parse_month(request.args.get(name, "")) or default


def require_day(text, field=None, message="请填写日期，如 2026-03-10。"):
    """parse_day, or a DomainError (Chinese message, beside `field`) when it is not a day."""
    day = parse_day(text)
    if day is None:
        raise DomainError(message if typed(text) else "请填写日期。", field)
    return day


def require_month(text, field=None):
    """parse_month, or a DomainError beside `field` when it is not a month."""
    month = parse_month(text)
    if month is None:
        raise DomainError(f"月份格式应为 2026-03（{FIRST_YEAR}–{LAST_YEAR} 年）。", field)
    return month


NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)", re.ASCII)
THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2}(,\d{3})+(\.\d+)?", re.ASCII)
DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d{1,2}", re.ASCII)


def parse_number(text, field=None):
    """A number as an office writes it → Decimal. '1,250' and '12,345.6' carry thousands
    separators (1250, 12345.6); '1,5' and '0,25' are a decimal comma (1.5, 0.25) — the only
    readings of them that make sense; anything else with a comma ('1,2345', '1,250,5') is
    ambiguous and refused, never read as another number. Full-width digits and '，' are read
    as typed; '²', '1e309', 'NaN', 'inf' are not numbers here.
    Raises DomainError (beside `field`)."""
    value = typed(text).replace(" ", "").replace("\u3000", "")
    if THOUSANDS.fullmatch(value):
        value = value.replace(",", "")
    elif DECIMAL_COMMA.fullmatch(value) and not THOUSANDS.fullmatch(value):
        value = value.replace(",", ".")
    if not NUMBER.fullmatch(value):
        raise DomainError("请填写数字，如 1250 或 12.5。" if "," not in value else
                          "这个数字看不明白：千位请用 1,250，小数请用 12.5。", field)
    try:
        return Decimal(value)
    except InvalidOperation:
        raise DomainError("请填写数字，如 1250 或 12.5。", field) from None


MOBILE = re.compile(r"1[3-9]\d{9}", re.ASCII)


def normalize_phone(text):
    """A phone number as pasted or typed → its digits: NFKC (full-width digits), invisible
    marks removed, spaces, dashes, dots and brackets dropped. China's country code (+86,
    0086, or 86 before a mobile number) is taken off: +86 138… → 138…, and a landline in
    international form gets its trunk 0 back (+86 755 1234 5678 → 075512345678). Another
    country's number keeps its + (+1 415 555 0100 → +14155550100), so `clean_mobile` and
    `clean_phone` refuse it instead of reading it as a mainland number. '' for nothing
    typed; landlines (0755-1234567) keep their digits."""
    value = re.sub(r"[\s\-\u2010-\u2015.()（）]", "", typed(text))
    international = (value[1:] if value.startswith("+")
                     else value[2:] if value.startswith("00") else None)
    if international is None:
        if value.startswith("86") and MOBILE.fullmatch(value[2:]):
            return value[2:]
        return value
    if not international.startswith("86"):
        return f"+{international}"
    national = international[2:]
    return national if MOBILE.fullmatch(national) else f"0{national.lstrip('0')}"


LANDLINE = re.compile(r"0[1-9]\d{1,2}\d{7,8}", re.ASCII)  # area code 0xx/0xxx + 7–8 digits
MOBILE_MESSAGE = "手机号应为 11 位数字，以 1 开头，例如 13812345678。"


def clean_mobile(text, field="phone"):
    """A mainland mobile number (11 digits, 1[3-9]…) after `normalize_phone` → the 11 digits;
    '' when nothing was typed (the form says whether it is required). Raises DomainError
    beside `field`."""
    value = normalize_phone(text)
    if value and not MOBILE.fullmatch(value):
        raise DomainError(MOBILE_MESSAGE, field)
    return value


def clean_phone(text, field="phone"):
    """A mobile number, or a landline with its area code (0755-12345678 → 075512345678),
    after `normalize_phone`; '' when nothing was typed. Raises DomainError beside `field`
    (10 digits starting with 1 is neither)."""
    value = normalize_phone(text)
    if value and not (MOBILE.fullmatch(value) or LANDLINE.fullmatch(value)):
        raise DomainError("电话应为 11 位手机号，或带区号的座机号，例如 13812345678、"
                          "0755-12345678。", field)
    return value


def fits_column(column, value, field=None):
    """`value` (Decimal or int) if the numeric `column` (a peewee DecimalField with
    max_digits/decimal_places, or an IntegerField/BigIntegerField) can store it; else a
    DomainError beside `field`. PostgreSQL refuses a NUMERIC(14,2) of 10^12 (a 500 before);
    SQLite stores anything: the limit is the column's, on both."""
    places = getattr(column, "decimal_places", None)
    digits = getattr(column, "max_digits", None)
    if digits is not None and places is not None:
        limit = Decimal(10) ** (digits - places)
        if not abs(Decimal(value)) < limit:
            raise DomainError(f"数字太大：整数部分最多 {digits - places} 位。", field)
    elif type(column).__name__ in ("IntegerField", "SmallIntegerField"):
        if not -(2**31) <= value < 2**31:
            raise DomainError("数字太大。", field)
    elif not -(2**63) <= value <= MAX_ID:
        raise DomainError("数字太大。", field)
    return value
