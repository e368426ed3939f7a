"""`flask supervision remind` and `flask supervision scheduler`: the daily reminder job.

* ``remind [--date D] [--enqueue]`` runs the job now for day D (default today): inline, which is
  what a cron line on an embedded install calls (``0 8 * * * flask --app wsgi supervision remind``),
  or put on the rq queue with --enqueue.
* ``scheduler [--at HH:MM]`` (needs REDIS_URL) runs rq's cron scheduler (rq >= 2.5), which puts
  the job on the queue every day at HH:MM Beijing time; the rq workers run it. The job is
  idempotent, so running two schedulers, rerunning it, or running it by hand as well is harmless.
"""
from __future__ import annotations

import os
import time
from datetime import date

import click
from flask import current_app
from flask.cli import with_appcontext

from .reminders import JOB, daily, run_reminders


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("日期格式应为 YYYY-MM-DD") from None


@click.command("remind")
@click.option("--date", "day", default=None, help="提醒日期 YYYY-MM-DD（默认今天，北京时间；演示可用 DUBAN_TODAY）")
@click.option("--enqueue", is_flag=True, help="放入 rq 队列，由 worker 执行（需要 REDIS_URL）")
@with_appcontext
def remind(day: str | None, enqueue: bool):
    """Create today's reminders (due soon, overdue) once per task, recipient and day."""
    from .. import jobs
    from ..extensions import db

    when = _day(day)
    if enqueue:
        if not current_app.config.get("REDIS_URL"):
            raise click.ClickException("未设置 REDIS_URL，无法放入队列；去掉 --enqueue 直接执行。")
        job_id = jobs.enqueue(JOB, when.isoformat() if when else None)
        click.echo(f"已放入队列：{job_id}")
        return
    for tenant, summary in run_reminders(db.session, when):
        kinds = "，".join(f"{k} {v}" for k, v in sorted(summary.by_kind.items())) or "无"
        click.echo(f"{tenant.name}：{summary.day.isoformat()} 需提醒任务 {summary.tasks} 项，"
                   f"新建通知 {summary.created} 条（{kinds}）")


@click.command("scheduler")
@click.option("--at", "at", default="08:00", show_default=True, help="每天几点（北京时间）放入队列")
@with_appcontext
def scheduler(at: str):
    """Run rq's cron scheduler: enqueue the reminder job every day at --at (needs REDIS_URL)."""
    from redis import Redis
    from rq.cron import CronScheduler

    from ..jobs import queue_name, run_in_worker

    url = current_app.config.get("REDIS_URL")
    if not url:
        raise click.ClickException("未设置 REDIS_URL：嵌入式部署请用 cron 每天执行 `flask supervision remind`。")
    try:
        hour, minute = (int(x) for x in at.split(":"))
        assert 0 <= hour < 24 and 0 <= minute < 60
    except (ValueError, AssertionError):
        raise click.BadParameter("时间格式应为 HH:MM，例如 08:00") from None
    # rq matches cron fields against the process's local time: make that Beijing time.
    os.environ["TZ"] = current_app.config.get("DUBAN_TIMEZONE") or "Asia/Shanghai"
    time.tzset()
    cron = CronScheduler(connection=Redis.from_url(url))
    cron.register(run_in_worker, queue_name(), args=(JOB,), cron=f"{minute} {hour} * * *",
                  name="duban.daily_reminders", job_timeout=1800)
    click.echo(f"每天 {hour:02d}:{minute:02d}（北京时间）将提醒任务放入队列 {queue_name()}；按 Ctrl+C 停止。")
    cron.start()


COMMANDS = (remind, scheduler)
__all__ = ["COMMANDS", "daily"]
