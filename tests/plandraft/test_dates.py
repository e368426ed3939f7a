"""Date expressions of Chinese plans: month-only, 上旬/中旬/下旬, 月底, ranges, new-year crossings."""
from datetime import date

import pytest
from duban.plandraft import dates
from duban.plandraft.text import fold


def period(text, year=2022, window=None):
    exprs = dates.find(fold(text))
    assert exprs, f"no date in {text!r}"
    return dates.period(exprs[0], year, window)


@pytest.mark.parametrize("text, start, end", [
    ("6月", date(2022, 6, 1), date(2022, 6, 30)),
    ("6月份", date(2022, 6, 1), date(2022, 6, 30)),
    ("2月", date(2022, 2, 1), date(2022, 2, 28)),
    ("6月上旬", date(2022, 6, 1), date(2022, 6, 10)),
    ("6月中旬", date(2022, 6, 11), date(2022, 6, 20)),
    ("6月下旬", date(2022, 6, 21), date(2022, 6, 30)),
    ("6月上中旬", date(2022, 6, 1), date(2022, 6, 20)),
    ("6月中下旬", date(2022, 6, 11), date(2022, 6, 30)),
    ("9月底", date(2022, 9, 21), date(2022, 9, 30)),
    ("9月初", date(2022, 9, 1), date(2022, 9, 10)),
    ("6-8月", date(2022, 6, 1), date(2022, 8, 31)),
    ("9－10月", date(2022, 9, 1), date(2022, 10, 31)),
    ("4月至5月", date(2022, 4, 1), date(2022, 5, 31)),
    ("7月—11月", date(2022, 7, 1), date(2022, 11, 30)),
    ("7月下旬-8月上旬", date(2022, 7, 21), date(2022, 8, 10)),
    ("3月1日至3月15日", date(2022, 3, 1), date(2022, 3, 15)),
    ("十一月二十日", date(2022, 11, 20), date(2022, 11, 20)),
    ("２０２３年１月５日", date(2023, 1, 5), date(2023, 1, 5)),
])
def test_periods_resolve_against_the_documents_year(text, start, end):
    assert period(text) == (start, end)


def test_a_range_that_wraps_ends_next_year():
    assert period("11月-2月", 2018) == (date(2018, 11, 1), date(2019, 2, 28))
    assert period("11月中旬至次年2月底", 2018) == (date(2018, 11, 11), date(2019, 2, 28))
    assert period("2019年2月底", 2018) == (date(2019, 2, 21), date(2019, 2, 28))


def test_a_year_less_date_falls_in_the_campaign_window():
    window = (date(2018, 11, 11), date(2019, 2, 28))
    assert period("2月20日", 2018, window) == (date(2019, 2, 20), date(2019, 2, 20))
    assert period("12月31日", 2018, window) == (date(2018, 12, 31), date(2018, 12, 31))
    # Outside any window the document's year stands (a deadline before the campaign started).
    assert period("4月30日", 2023, (date(2023, 6, 1), date(2023, 12, 31))) == (date(2023, 4, 30), date(2023, 4, 30))


def test_year_end_and_festivals():
    assert dates.due_date(dates.find("年底前")[0], 2018) == date(2018, 12, 31)
    assert dates.due_date(dates.find("今年底前")[0], 2018) == date(2018, 12, 31)
    # 2019's Spring Festival holiday began on 4 February (除夕): the last day before it.
    window = (date(2018, 11, 11), date(2019, 2, 28))
    assert dates.due_date(dates.find("春节之前")[0], 2018, window) == date(2019, 2, 3)
    assert dates.due_date(dates.find("元旦前")[0], 2023) == date(2022, 12, 31)


def test_garbled_month_day_without_the_month_character():
    assert period("于930日前报送") == (date(2022, 9, 30), date(2022, 9, 30))
    assert dates.find("于111日前") == []            # 1月11日 or 11月1日: ambiguous, not guessed
    assert period("对5月30前未退缴") == (date(2022, 5, 30), date(2022, 5, 30))


@pytest.mark.parametrize("text", ["每月10日前", "2021年以来", "初步建成", "4.2万元以上", "12个月", "3次"])
def test_things_that_are_not_dates(text):
    assert dates.find(fold(text)) == []


def test_chinese_numerals():
    assert [dates.cn_int(t) for t in ("六", "十", "十一", "二十", "三十一", "12")] == [6, 10, 11, 20, 31, 12]
