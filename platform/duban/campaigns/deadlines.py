"""Turn a type's month-day dates and deadline rules into real dates for one campaign."""
from __future__ import annotations

import calendar
from datetime import date, timedelta

from .types import DeadlineRule, MonthDay, Phase


def resolve_day(md: MonthDay, year: int) -> date:
    """Return the date of md in the campaign year (clamped to the month's last day)."""
    y = year + md.year_offset
    last = calendar.monthrange(y, md.month)[1]
    return date(y, md.month, min(md.day, last))


def phase_dates(phase: Phase, year: int) -> tuple[date, date]:
    return resolve_day(phase.start, year), resolve_day(phase.end, year)


def resolve_deadline(rule: DeadlineRule, year: int, phase_end: date, published_on: date) -> date:
    """Return the due date of a task: inclusive, in Asia/Shanghai."""
    if rule.kind == "fixed" and rule.on is not None:
        return resolve_day(rule.on, year)
    if rule.kind == "phase_end":
        return phase_end
    if rule.kind == "relative":
        return published_on + timedelta(days=rule.days)
    raise ValueError(f"unknown deadline rule {rule!r}")
