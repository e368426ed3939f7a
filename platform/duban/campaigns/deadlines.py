"""Turn a type's month-day dates and deadline rules into real dates for one campaign.

Every date is a day in Asia/Shanghai and inclusive ("6月25日前" means the 25th still counts). A
deadline the plan puts on a weekend or a public holiday stays there; only the "workdays" and
"before_holiday" rules read the official calendar (:mod:`duban.workdays`, chinese-calendar).
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar

from .. import workdays
from .types import DeadlineRule, MonthDay, Phase


def resolve_day(md: MonthDay, year: int) -> date:
    """Return the date of md in the campaign year (clamped to the month's last day)."""
    y = year + md.year_offset
    last = calendar.monthrange(y, md.month)[1]
    return date(y, md.month, min(md.day, last))


def phase_dates(phase: Phase, year: int) -> tuple[date, date]:
    return resolve_day(phase.start, year), resolve_day(phase.end, year)


def resolve_deadline(rule: DeadlineRule, year: int, phase_end: date, published_on: date,
                     period: tuple[date, date] | None = None) -> date:
    """Return the due date of a one-off task: inclusive, in Asia/Shanghai.

    period is the campaign's (first phase start, last phase end); "before_holiday" looks for the
    holiday inside it.
    """
    if rule.kind == "fixed" and rule.on is not None:
        return resolve_day(rule.on, year)
    if rule.kind == "phase_end":
        return phase_end
    if rule.kind == "relative":
        return published_on + timedelta(days=rule.days)
    if rule.kind == "workdays":
        return workdays.add_workdays(published_on, rule.days)
    if rule.kind == "before_holiday":
        start = period[0] if period else date(year, 1, 1)
        first = holiday_start(rule.holiday, start)
        if first is not None:
            return first - timedelta(days=1)
        if rule.on is not None:
            return resolve_day(rule.on, year)
        raise ValueError(f"{rule.holiday} after {start} is not in the official calendar and the rule has no fallback")
    raise ValueError(f"unknown deadline rule {rule!r}")


def holiday_start(name: str, after: date, horizon: int = 400) -> date | None:
    """The first day of the official holiday name (e.g. "spring_festival") on or after ``after``,
    or None when the calendar does not cover those days yet."""
    wanted = chinese_calendar.Holiday[name].value
    for i in range(horizon):
        day = after + timedelta(days=i)
        try:
            on_holiday, which = chinese_calendar.get_holiday_detail(day)
        except NotImplementedError:
            return None
        if on_holiday and which == wanted:
            return day
    return None


@dataclass(frozen=True)
class Occurrence:
    """One period of a recurring rule: its due day, key ("2022-04", "2023-Q3", "2019-01-31") and label."""

    due_on: date
    key: str
    label: str


def window(rule: DeadlineRule, year: int, phase: tuple[date, date], period: tuple[date, date]) -> tuple[date, date]:
    """The days a recurring rule runs in: the campaign's period (or the task's phase), narrowed by
    the rule's own start/until."""
    start, end = phase if rule.window == "phase" else period
    if rule.start is not None:
        start = max(start, resolve_day(rule.start, year))
    if rule.until is not None:
        end = min(end, resolve_day(rule.until, year))
    return start, end


def _months(start: date, end: date):
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        yield y, m
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def _day_of(y: int, m: int, day: int) -> date:
    last = calendar.monthrange(y, m)[1]
    return date(y, m, min(day, last) if day else last)


def expand(rule: DeadlineRule, year: int, phase: tuple[date, date], period: tuple[date, date]) -> list[Occurrence]:
    """Return every occurrence of a recurring rule, in date order.

    monthly: day N (0: last day) of each month whose due day lies in the window;
    quarterly: each quarter's last day (or day N of the month after it) lying in the window;
    dates: each listed day (not clipped: the plan named them).
    """
    if rule.kind == "dates":
        found = []
        for i, md in enumerate(rule.dates):
            due = resolve_day(md, year)
            label = rule.labels[i] if i < len(rule.labels) and rule.labels[i] else f"{due.year}年{due.month}月{due.day}日"
            found.append(Occurrence(due, due.isoformat(), label))
        return sorted(found, key=lambda o: o.due_on)
    start, end = window(rule, year, phase, period)
    found = []
    if rule.kind == "monthly":
        for y, m in _months(start, end):
            due = _day_of(y, m, rule.day)
            if start <= due <= end:
                found.append(Occurrence(due, f"{y}-{m:02d}", f"{y}年{m}月"))
    elif rule.kind == "quarterly":
        # Every quarter that ends no earlier than a quarter before the window (its report may fall inside).
        for y, m in _months(start - timedelta(days=92), end):
            if m % 3:
                continue
            q = m // 3
            if rule.day:
                ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
                due = _day_of(ny, nm, rule.day)
            else:
                due = _day_of(y, m, 0)
            if start <= due <= end:
                found.append(Occurrence(due, f"{y}-Q{q}", f"{y}年第{'一二三四'[q - 1]}季度"))
    else:
        raise ValueError(f"{rule.kind!r} is not a recurring rule")
    return found
