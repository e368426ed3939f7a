"""ID numbers (GB 11643), masking, and cell conversion of imported values."""
from datetime import date
from decimal import Decimal

import pytest

from duban.ledgers import idnumber
from duban.ledgers.cells import NUMBER_AS_ID, Field, converter


def test_check_digit_follows_gb11643():
    # The standard's own example, and the weights/table from the issue.
    assert idnumber.check_char("11010519491231002") == "X"
    assert idnumber.problem("11010519491231002X") is None
    assert idnumber.problem("110105194912310021") == "身份证号校验位不正确，请核对号码"
    assert idnumber.problem("11010519491331002X") == "身份证号中的出生日期无效"
    assert "18位" in idnumber.problem("1101051949123100")
    assert idnumber.normalize(" 11010519491231002x ") == "11010519491231002X"


def test_check_digit_shortcut_equals_the_weighted_sum():
    """check_char reads the digits in base 13 instead of weighting them: the same for every prefix."""
    import random

    rng = random.Random(11643)
    for _ in range(20000):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        weighted = sum(int(d) * w for d, w in zip(first17, idnumber.WEIGHTS)) % 11
        assert idnumber.check_char(first17) == idnumber.CHECK_CHARS[weighted]


def test_masks():
    assert idnumber.mask_id("11010519491231002X") == "110105********002X"
    assert idnumber.mask_phone("13812345678") == "138****5678"
    assert idnumber.mask_id("") == "" and idnumber.mask_phone(None) == ""


def test_an_id_stored_as_a_number_is_rejected_with_advice():
    convert = converter(Field("id", "身份证号", "id_number", required=True))
    value, error = convert(3.50206196001010e17)
    assert value is None and error == NUMBER_AS_ID and "文本" in error
    assert convert(350206196001010011)[1] == NUMBER_AS_ID


@pytest.mark.parametrize("raw,expected", [
    ("2021-03-05", date(2021, 3, 5)), ("2021/3/5", date(2021, 3, 5)), ("2021年3月5日", date(2021, 3, 5)),
    ("20210305", date(2021, 3, 5)), (20210305, date(2021, 3, 5)), (date(2021, 3, 5), date(2021, 3, 5)),
])
def test_dates(raw, expected):
    assert converter(Field("d", "发证日期", "date"))(raw) == (expected, None)


def test_bad_values_say_why():
    assert converter(Field("d", "发证日期", "date"))("2021-02-30")[1] == "“发证日期”不是有效日期（应如 2021-03-05）"
    assert converter(Field("m", "自付费用", "decimal", min=0))("-1")[1] == "“自付费用”不能小于0"
    assert converter(Field("m", "自付费用", "decimal"))("一万")[1] == "“自付费用”应填写金额或数字"
    assert converter(Field("y", "年度", "year", True))("21")[1] == "“年度”应为四位年份（如2021）"
    assert "一级、二级" in converter(Field("g", "等级", "choice", choices=("一级", "二级")))("五级")[1]
    assert converter(Field("n", "姓名", required=True))("  ")[1] == "缺少“姓名”"


def test_amounts_and_years():
    assert converter(Field("m", "金额", "decimal"))("12,345.5元") == (Decimal("12345.50"), None)
    assert converter(Field("m", "金额", "decimal"))(1.1) == (Decimal("1.10"), None)
    assert converter(Field("y", "年度", "year"))(2021.0) == (2021, None)
    assert converter(Field("y", "年度", "year"))("2021年") == (2021, None)
    assert converter(Field("p", "电话", "phone"))(13812345678.0) == ("13812345678", None)
