"""Working days follow the official 2022 calendar, including make-up workdays."""
from datetime import date

from duban.workdays import add_workdays, covered, is_workday, workdays_between


def test_national_day_and_make_up_days_2022():
    assert not is_workday(date(2022, 10, 3))   # 国庆节
    assert is_workday(date(2022, 10, 8))       # 调休上班 (Saturday)
    assert not is_workday(date(2022, 9, 10))   # 中秋节 (Saturday anyway)


def test_counting():
    # Friday 2022-09-30 + 1 working day skips the National Day week to the make-up Saturday 10-08.
    assert add_workdays(date(2022, 9, 30), 1) == date(2022, 10, 8)
    assert workdays_between(date(2022, 9, 30), date(2022, 10, 8)) == 1
    assert workdays_between(date(2022, 10, 8), date(2022, 9, 30)) == -1
    assert add_workdays(date(2022, 10, 10), -1) == date(2022, 10, 9)  # Sunday 10-09 was a make-up workday


def test_coverage_is_reported():
    assert covered(2022) and not covered(1999)
