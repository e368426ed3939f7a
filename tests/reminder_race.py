"""A job for the concurrency test, run by real rq workers: wait until every worker has started
its copy (a barrier in Redis), then run the daily reminders — so the runs really overlap."""
from __future__ import annotations

import time

from flask import current_app
from redis import Redis

from duban.notifications import reminders


def remind_after_barrier(key: str, day: str, parties: int = 2, timeout: float = 90) -> int:
    redis = Redis.from_url(current_app.config["REDIS_URL"])
    redis.incr(key)
    redis.expire(key, 600)
    deadline = time.monotonic() + timeout
    while int(redis.get(key) or 0) < parties:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {redis.get(key)} of {parties} workers arrived")
        time.sleep(0.01)
    return reminders.daily(day)
