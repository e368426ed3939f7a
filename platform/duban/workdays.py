"""Working days in mainland China: the official holidays and make-up workdays (调休).

The calendar comes from the maintained chinese-calendar package. For a year it does not cover
yet (the State Council publishes each year's arrangement in the autumn before), weekends are
the only days off; :func:`covered` tells whether a year is known.
"""
from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar


def covered(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
        return True
    except NotImplementedError:
        return False


def is_workday(day: date) -> bool:
    """True on a working day: weekdays that are not public holidays, and make-up Saturdays/Sundays."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_workdays(start: date, n: int) -> date:
    """The day n working days after start (n < 0: before). start itself is not counted."""
    step = 1 if n >= 0 else -1
    day, left = start, abs(n)
    while left:
        day += timedelta(days=step)
        if is_workday(day):
            left -= 1
    return day


def workdays_between(start: date, end: date) -> int:
    """Working days after start up to and including end (negative when end is before start)."""
    if end < start:
        return -workdays_between(end, start)
    return sum(1 for i in range(1, (end - start).days + 1) if is_workday(start + timedelta(days=i)))
