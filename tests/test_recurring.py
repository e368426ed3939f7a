"""Deadline rules: recurring (monthly, quarterly, a list of days) expanded within the campaign's period,
working days, the day before an official holiday, and their YAML."""
from datetime import date

import pytest

from duban.campaigns.deadlines import expand, holiday_start, resolve_deadline
from duban.campaigns.types import DeadlineRule, FormField, MonthDay
from duban.campaigns.yaml_parts import deadline_from_yaml, rollup_from_yaml

PERIOD = (date(2022, 3, 21), date(2022, 6, 30))
WINTER = (date(2018, 11, 15), date(2019, 2, 28))


def dues(rule, year=2022, phase=PERIOD, period=PERIOD):
    return [(o.key, o.due_on, o.label) for o in expand(rule, year, phase, period)]


def test_monthly_on_day_n_within_the_campaign():
    assert dues(DeadlineRule("monthly", day=10)) == [
        ("2022-04", date(2022, 4, 10), "2022年4月"), ("2022-05", date(2022, 5, 10), "2022年5月"),
        ("2022-06", date(2022, 6, 10), "2022年6月")]
    # The 25th of March is inside the period (from the 21st); the last day of a month is clamped.
    assert [k for k, _, _ in dues(DeadlineRule("monthly", day=25))] == ["2022-03", "2022-04", "2022-05", "2022-06"]
    assert [d for _, d, _ in dues(DeadlineRule("monthly", day=31))][:2] == [date(2022, 3, 31), date(2022, 4, 30)]
    assert [d for _, d, _ in dues(DeadlineRule("monthly", day=0))][-1] == date(2022, 6, 30)


def test_monthly_across_the_new_year():
    keys = [k for k, _, _ in dues(DeadlineRule("monthly", day=0), 2018, WINTER, WINTER)]
    assert keys == ["2018-11", "2018-12", "2019-01", "2019-02"]


def test_window_of_the_phase_and_explicit_bounds():
    phase = (date(2022, 4, 1), date(2022, 5, 31))
    assert [k for k, _, _ in dues(DeadlineRule("monthly", day=10, window="phase"), phase=phase)] == ["2022-04", "2022-05"]
    narrowed = DeadlineRule("monthly", day=10, start=MonthDay(5, 1), until=MonthDay(12, 31))
    assert [k for k, _, _ in dues(narrowed)] == ["2022-05", "2022-06"]


def test_quarterly():
    year = (date(2023, 6, 1), date(2023, 12, 31))
    assert dues(DeadlineRule("quarterly"), 2023, year, year) == [
        ("2023-Q2", date(2023, 6, 30), "2023年第二季度"), ("2023-Q3", date(2023, 9, 30), "2023年第三季度"),
        ("2023-Q4", date(2023, 12, 31), "2023年第四季度")]
    # Day 10 of the month after each quarter: the second quarter is reported on 10 July.
    assert [(k, d) for k, d, _ in dues(DeadlineRule("quarterly", day=10), 2023, year, year)] == [
        ("2023-Q2", date(2023, 7, 10)), ("2023-Q3", date(2023, 10, 10))]


def test_a_list_of_dates_is_taken_as_written():
    rule = DeadlineRule("dates", dates=(MonthDay(12, 31), MonthDay(11, 30), MonthDay(1, 31, 1)), labels=("", "", "1月"))
    assert dues(rule, 2018, WINTER, WINTER) == [
        ("2018-11-30", date(2018, 11, 30), "2018年11月30日"), ("2018-12-31", date(2018, 12, 31), "2018年12月31日"),
        ("2019-01-31", date(2019, 1, 31), "1月")]


def test_working_days_after_publication_skip_holidays_and_count_make_up_days():
    rule = DeadlineRule("workdays", days=3)
    # Published Friday 30 September 2022: the National Day week is off; Saturday 8 and Sunday 9
    # October were make-up workdays, so the third working day is Monday 10 October.
    assert resolve_deadline(rule, 2022, date(2022, 12, 31), date(2022, 9, 30)) == date(2022, 10, 10)
    assert rule.describe() == "发布后3个工作日内"


def test_before_a_holiday_follows_the_official_calendar():
    rule = DeadlineRule("before_holiday", holiday="spring_festival", on=MonthDay(1, 31, 1))
    assert resolve_deadline(rule, 2018, date(2019, 2, 28), date(2018, 11, 20), WINTER) == date(2019, 2, 3)
    assert holiday_start("new_years_day", date(2018, 11, 15)) == date(2018, 12, 30)
    # A year the calendar does not know yet falls back to the plan's day.
    assert resolve_deadline(rule, 2090, date(2091, 2, 28), date(2090, 11, 20),
                            (date(2090, 11, 15), date(2091, 2, 28))) == date(2091, 1, 31)
    assert rule.describe() == "春节前"


def test_a_deadline_on_a_holiday_stays_where_the_plan_put_it():
    # 1 October 2022 is National Day; a fixed deadline is not moved.
    assert resolve_deadline(DeadlineRule("fixed", on=MonthDay(10, 1)), 2022, date(2022, 12, 31),
                            date(2022, 7, 1)) == date(2022, 10, 1)


def test_yaml_forms_of_the_rules():
    assert deadline_from_yaml({"every": "month", "day": 10}) == DeadlineRule("monthly", day=10)
    assert deadline_from_yaml({"every": "month", "day": "last", "within": "phase"}).window == "phase"
    q = deadline_from_yaml({"every": "quarter", "from": "07-01", "until": "01-31", "until_year_offset": 1})
    assert (q.kind, q.day, q.start, q.until) == ("quarterly", 0, MonthDay(7, 1), MonthDay(1, 31, 1))
    d = deadline_from_yaml({"dates": ["11-30", {"date": "01-31", "year_offset": 1, "label": "1月"}]})
    assert d.dates == (MonthDay(11, 30), MonthDay(1, 31, 1)) and d.labels == ("", "1月")
    assert deadline_from_yaml({"workdays_after_publish": 5}) == DeadlineRule("workdays", days=5)
    h = deadline_from_yaml({"before_holiday": "spring_festival", "fallback": "01-31", "year_offset": 1})
    assert (h.holiday, h.on) == ("spring_festival", MonthDay(1, 31, 1))
    for bad in ({"every": "week"}, {"every": "month"}, {"every": "month", "day": 40}, {"dates": []},
                {"before_holiday": "christmas"}, {"every": "month", "day": 1, "within": "year"}, {"nope": 1}):
        with pytest.raises(ValueError):
            deadline_from_yaml(bad)


def test_rollup_yaml_checks_its_fields():
    fields = (FormField("a", "甲"), FormField("b", "乙", type="decimal"), FormField("t", "说明", type="text"))
    assert rollup_from_yaml("f", True, fields).fields == ("a", "b")
    with pytest.raises(ValueError, match="'t'"):
        rollup_from_yaml("f", {"fields": ["a", "t"]}, fields)
    r = rollup_from_yaml("f", {"metrics": [{"key": "r", "label": "比", "sum": ["a"], "per": "b", "percent": True,
                                            "band": [4, 5]}]}, fields)
    assert r.fields == ("a", "b") and r.metrics[0].band == (4.0, 5.0)
