"""Gate validators, table-driven: mobiles, plates (incl. new-energy), ID numbers, masking."""
import pytest

from wyapp.errors import DomainError
from wyapp.gate.goods import parse_items
from wyapp.gate.validators import (
    PLATE_ODD,
    clean_id_number,
    clean_plate,
    mask_id,
    mask_phone,
    plate_warning,
)
from wyapp.inputs import clean_mobile

MOBILES = [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("138-1234-5678", "13812345678"),
    ("+8613812345678", "13812345678"),
    ("19912345678", "19912345678"),
    ("", ""),
    ("1381234567", None),      # 10 digits
    ("138123456789", None),    # 12 digits
    ("23812345678", None),     # not starting with 1
    ("12812345678", None),     # 12x is not a mobile prefix
    ("1381234567a", None),
    ("０１３８", None),         # full-width digits, but 4 of them
    # pasted from a contact card or a chat (issue 15): the visible 11 digits are the number
    ("\u202a13912345678\u202c", "13912345678"),
    ("139\u200b1234\u200b5678", "13912345678"),
    ("１３９１２３４５６７８", "13912345678"),
    ("0086 139 1234 5678", "13912345678"),
    ("+86 139-1234-5678", "13912345678"),
    ("86 13912345678", "13912345678"),
    ("<script>", None),
]


@pytest.mark.parametrize(("typed", "expected"), MOBILES)
def test_mobile(typed, expected):
    if expected is None:
        with pytest.raises(DomainError, match="手机号应为 11 位数字"):
            clean_mobile(typed)
    else:
        assert clean_mobile(typed) == expected


PLATES = [  # (typed, recorded as, odd: a gentle warning)
    ("粤B12345", "粤B12345", False),
    ("粤b 12345", "粤B12345", False),
    ("京A·8K2M1", "京A8K2M1", False),
    ("沪C-1234挂", "沪C1234挂", False),
    ("粤B1234学", "粤B1234学", False),
    ("粤BD12345", "粤BD12345", False),   # new-energy small car, 8 characters
    ("粤BFA1234", "粤BFA1234", False),
    ("粤B12345D", "粤B12345D", False),   # new-energy large vehicle
    ("湘C2N7L5", "湘C2N7L5", False),
    ("", "", False),
    # the special series a barrier sees (issue 15): recorded, not refused
    ("使014578", "使014578", False),     # embassy
    ("沪A1234领", "沪A1234领", False),   # consulate
    ("WJ0112345", "WJ0112345", False),   # armed police
    ("粤B1234警", "粤B1234警", False),
    ("粤Z1234港", "粤Z1234港", False),
    ("粤Z1234澳", "粤Z1234澳", False),
    ("粤B1234应急", "粤B1234应急", False),
    ("ｗｊ０１１２３４５", "WJ0112345", False),  # typed full width
    # odd ones: recorded as seen, with a warning to check it against the car
    ("B12345", "B12345", True),            # no province
    ("粤12345", "粤12345", True),
    ("粤B1234", "粤B1234", True),           # too short
    ("粤BI2345", "粤BI2345", True),          # I is never used
    ("粤B123456", "粤B123456", True),
    ("港B12345", "港B12345", True),
    # not a plate at all
    ("' OR 1=1 --", None, None),
    ("粤", None, None),
    ("粤B1234567890123", None, None),
]


@pytest.mark.parametrize(("typed", "expected", "odd"), PLATES)
def test_plate(typed, expected, odd):
    if expected is None:
        with pytest.raises(DomainError, match="车牌号格式不对"):
            clean_plate(typed)
    else:
        assert clean_plate(typed) == expected
        assert plate_warning(expected) == (PLATE_ODD if odd else None)


IDS = [
    ("11010519491231002X", "11010519491231002X", None),
    ("11010519491231002x", "11010519491231002X", None),
    ("440306199003071232", "440306199003071232", None),
    ("110101200002290018", "110101200002290018", None),   # 29 February of a leap year
    ("", "", None),
    ("440306199003071233", None, "校验位不对"),
    ("110105194912310021", None, "校验位不对"),
    ("110101190002290012", None, "出生日期不存在"),       # 1900 was not a leap year
    ("110101199913320014", None, "出生日期不存在"),
    ("11010519491231002", None, "应为 18 位"),
    ("01010519491231002X", None, "应为 18 位"),
    ("1101051949123100XX", None, "应为 18 位"),
    ("<b>身份证</b>", None, "应为 18 位"),
]


@pytest.mark.parametrize(("typed", "expected", "message"), IDS)
def test_id_number(typed, expected, message):
    if message:
        with pytest.raises(DomainError, match=message):
            clean_id_number(typed)
    else:
        assert clean_id_number(typed) == expected


@pytest.mark.parametrize(("number", "masked"), [
    ("11010519491231002X", "110***********002X"),
    ("440306199003071232", "440***********1232"),
    ("", ""),
    ("12345", "*****"),
])
def test_mask_id_keeps_first_3_and_last_4(number, masked):
    assert mask_id(number) == masked


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"


@pytest.mark.parametrize(("text", "items"), [
    ("沙发 2\n冰箱×1\n书桌", [("沙发", 2), ("冰箱", 1), ("书桌", 1)]),
    ("纸箱 6 个\n\n  床垫x2  ", [("纸箱", 6), ("床垫", 2)]),
])
def test_parse_items(text, items):
    assert parse_items(text) == items


@pytest.mark.parametrize(("text", "message"), [
    ("", "请填写放行物品"), ("沙发 0", "数量应大于 0"), ("x" * 61, "不能超过 60 个字"),
    ("\n".join(["椅子 1"] * 51), "最多 50 行"),
])
def test_parse_items_refuses(text, message):
    with pytest.raises(DomainError, match=message):
        parse_items(text)
