"""Checks of what a guard types: plates, ID numbers (GB 11643); phones: wyapp.inputs.

Each `clean_*` returns the normalised value or raises DomainError (message in Chinese, on the
field it was given); an empty value is returned as "" (the form decides what is required).
"""
import re
from datetime import date, timedelta

from ..db import utcnow
from ..errors import DomainError
from ..inputs import typed

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
LETTER = "A-HJ-NP-Z"  # I and O are never used on plates
PLATE_PATTERNS = (
    # conventional 7 characters; the last may be 挂 学 警 港 澳 领 (consulate: 沪A1234领)
    re.compile(rf"^[{PROVINCES}][{LETTER}][{LETTER}0-9]{{4}}[{LETTER}0-9挂学警港澳领]$"),
    # emergency vehicles: 粤B1234应急
    re.compile(rf"^[{PROVINCES}][{LETTER}][{LETTER}0-9]{{4}}应急$"),
    # embassy: 使 + 6 digits (使014578)
    re.compile(r"^使[0-9]{6}$"),
    # armed police: WJ + 2-digit force + 5 (WJ0112345), the 5th may be 消/边/通/森/金/电/警
    re.compile(r"^WJ[0-9]{2}[0-9A-Z]?[0-9]{4}[0-9A-Z消边通森金电警]?$"),
    # Hong Kong / Macau cross-border: 粤Z1234港, 粤Z1234澳 (covered above); military: 2 letters
    re.compile(rf"^[{LETTER}]{{2}}[0-9]{{5}}$"),
    # new-energy small car: D/F (and the newer A–K series) then a letter or digit, 4 digits
    re.compile(rf"^[{PROVINCES}][{LETTER}][A-HJK][{LETTER}0-9][0-9]{{4}}$"),
    # new-energy large vehicle: 5 digits then D or F
    re.compile(rf"^[{PROVINCES}][{LETTER}][0-9]{{5}}[DF]$"),
)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


# 2–10 characters: the longest series (WJ0112345, 粤B1234应急) has 9; the columns hold 10
PLATE_CHARS = re.compile(r"[0-9A-Z\u4e00-\u9fff]{2,10}", re.ASCII)
PLATE_ODD = "这个车牌号不常见（已照录），请与车上的号牌核对。"


def clean_plate(value, field="plate"):
    """A plate as typed → its characters (NFKC, upper case, spaces, dots and dashes taken
    out); '' for nothing typed. Any plate a barrier sees can be recorded — the special
    series (使, 领, WJ, 警, 学, 挂, 港, 澳, 应急) and ones not listed here too: only text that
    cannot be a plate (punctuation, 1 or over 10 characters) raises DomainError beside
    `field`. Whether it looks odd is `plate_warning`."""
    plate = re.sub(r"[\s·.\-]", "", typed(value)).upper()
    if not plate:
        return ""
    if not PLATE_CHARS.fullmatch(plate):
        raise DomainError("车牌号格式不对：2 到 10 个汉字、字母或数字，例如 粤B12345。", field)
    return plate


def plate_warning(plate):
    """A gentle note for a cleaned plate that matches none of the known series (recorded
    all the same), or None."""
    if plate and not any(p.match(plate) for p in PLATE_PATTERNS):
        return PLATE_ODD
    return None


def id_check_digit(first17):
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def clean_id_number(value, field="id_number"):
    number = re.sub(r"\s", "", value or "").upper()
    if not number:
        return ""
    if not re.fullmatch(r"[1-9][0-9]{16}[0-9X]", number):
        raise DomainError("身份证号应为 18 位：17 位数字加 1 位数字或 X。", field)
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise DomainError("身份证号中的出生日期不存在，请核对。", field) from None
    # born after today anywhere on earth (UTC+14 at most): no estate is known here
    if born.year < 1900 or born > (utcnow() + timedelta(hours=14)).date():
        raise DomainError("身份证号中的出生日期不合理，请核对。", field)
    if id_check_digit(number[:17]) != number[17]:
        raise DomainError("身份证号校验位不对，请逐位核对。", field)
    return number


def mask_id(number):
    """110***********1234: the first 3 and the last 4 characters, the rest hidden."""
    if not number:
        return ""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def mask_phone(phone):
    """138****5678, for alerts and printed lists."""
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else phone
