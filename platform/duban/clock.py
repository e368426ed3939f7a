"""The platform's notion of "now" and "today", always in Asia/Shanghai.

A deployment may pin "today" with DUBAN_TODAY (demo and tests); production leaves it unset
and the real clock is read. Nothing else in the code calls date.today().
"""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

TZ = ZoneInfo("Asia/Shanghai")


def _pinned() -> date | None:
    if has_app_context():
        pinned = current_app.config.get("DUBAN_TODAY")
        if pinned:
            return pinned if isinstance(pinned, date) else date.fromisoformat(str(pinned))
    return None


def now() -> datetime:
    """Return the current time as an aware datetime in Asia/Shanghai.

    With DUBAN_TODAY pinned, the date is the pinned day and the time of day is real, so what users
    do in a demo is stamped on the demo's day.
    """
    real = datetime.now(TZ)
    pinned = _pinned()
    return real.replace(year=pinned.year, month=pinned.month, day=pinned.day) if pinned else real


def today() -> date:
    """Return today's date in Asia/Shanghai, or the configured DUBAN_TODAY."""
    return _pinned() or datetime.now(TZ).date()
