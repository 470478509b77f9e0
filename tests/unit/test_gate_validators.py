"""Gate validators, table-driven: mobiles, plates (incl. new-energy), ID numbers, masking."""
import pytest

from wyapp.errors import DomainError
from wyapp.gate.goods import parse_items
from wyapp.gate.validators import (
    clean_id_number,
    clean_mobile,
    clean_plate,
    mask_id,
    mask_phone,
)

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
    ("０１３８", None),         # full-width digits
    ("<script>", None),
]


@pytest.mark.parametrize(("typed", "expected"), MOBILES)
def test_mobile(typed, expected):
    if expected is None:
        with pytest.raises(DomainError, match="手机号应为 11 位数字"):
            clean_mobile(typed)
    else:
        assert clean_mobile(typed) == expected


PLATES = [
    ("粤B12345", "粤B12345"),
    ("粤b 12345", "粤B12345"),
    ("京A·8K2M1", "京A8K2M1"),
    ("沪C-1234挂", "沪C1234挂"),
    ("粤B1234学", "粤B1234学"),
    ("粤BD12345", "粤BD12345"),   # new-energy small car, 8 characters
    ("粤BFA1234", "粤BFA1234"),
    ("粤B12345D", "粤B12345D"),   # new-energy large vehicle
    ("湘C2N7L5", "湘C2N7L5"),
    ("", ""),
    ("B12345", None),            # no province
    ("粤12345", None),
    ("粤B1234", None),            # too short
    ("粤BI2345", None),           # I is never used
    ("粤B123456", None),          # 8 characters but not a new-energy pattern
    ("粤BD123456", None),        # 9 characters
    ("港B12345", None),
    ("' OR 1=1 --", None),
]


@pytest.mark.parametrize(("typed", "expected"), PLATES)
def test_plate(typed, expected):
    if expected is None:
        with pytest.raises(DomainError, match="车牌号格式不对"):
            clean_plate(typed)
    else:
        assert clean_plate(typed) == expected


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
