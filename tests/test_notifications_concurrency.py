"""Reminders are created once per (task, recipient, kind, day) even when two workers run the job
at the same moment: two threads with their own connections, and two real rq worker processes.

Both need PostgreSQL (SQLite serialises writers; the embedded default runs one job at a time
from cron); the rq test needs Redis too. Each test forces the overlap: the runs wait for each
other right before their first insert (threads) or before they start (rq workers).
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from duban.extensions import db
from duban.notifications import reminders
from duban.notifications.models import Notification

from . import factories

REPO = Path(__file__).resolve().parents[1]
needs_pg = pytest.mark.skipif("postgresql" not in os.environ.get("DATABASE_URL", ""),
                              reason="needs DATABASE_URL (PostgreSQL)")
needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")


@pytest.fixture
def campaign(district):
    return factories.launch(district["units"]["湖里区民政局"], district["users"]["admin"])


def _counts():
    db.session.expire_all()
    total = db.session.scalar(select(func.count()).select_from(Notification).execution_options(all_tenants=True))
    dups = db.session.execute(
        select(Notification.task_id, Notification.recipient_id, Notification.kind, Notification.day, func.count())
        .group_by(Notification.task_id, Notification.recipient_id, Notification.kind, Notification.day)
        .having(func.count() > 1).execution_options(all_tenants=True)).all()
    return total, dups


def test_a_rerun_creates_nothing(app, campaign):
    first = reminders.daily("2022-07-01")
    assert first > 0 and reminders.daily("2022-07-01") == 0
    assert _counts() == (first, [])


@needs_pg
def test_two_threads_at_the_same_moment(app, campaign, monkeypatch):
    barrier = threading.Barrier(2, timeout=60)
    real = reminders.insert_ignoring_duplicates
    arrived = threading.local()

    def racing(session, rows):
        if not getattr(arrived, "done", False):
            arrived.done = True
            barrier.wait()  # both runs have read the same tasks and now insert together
        return real(session, rows)

    monkeypatch.setattr(reminders, "insert_ignoring_duplicates", racing)
    results, errors = [], []

    def run():
        with app.app_context():  # its own session and connection
            try:
                results.append(reminders.daily("2022-07-01"))
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    total, dups = _counts()
    assert dups == [] and total > 0 and sum(results) == total


@needs_pg
@needs_redis
def test_two_rq_workers_at_the_same_moment(app, campaign, tmp_path):
    from redis import Redis
    from rq import Queue
    from rq.job import Job

    from duban.jobs import run_in_worker

    url = app.config["REDIS_URL"]
    name, key = f"duban-race-{uuid.uuid4().hex[:8]}", f"duban-race-barrier-{uuid.uuid4().hex}"
    conn = Redis.from_url(url)
    queue = Queue(name, connection=conn)
    jobs = [queue.enqueue(run_in_worker, "tests.reminder_race:remind_after_barrier", key, "2022-07-01",
                          job_timeout=300) for _ in range(2)]
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": url,
           "DUBAN_QUEUE": name, "SECRET_KEY": "test-workers", "DUBAN_TODAY": "2022-07-01",
           "DUBAN_INSTANCE": str(tmp_path)}
    workers = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "jobs", "worker", "--burst"],
                                cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
               for _ in range(2)]
    try:
        outputs = [w.communicate(timeout=300)[0].decode(errors="replace") for w in workers]
        fetched = [Job.fetch(j.id, connection=conn) for j in jobs]
        assert [j.get_status() for j in fetched] == ["finished", "finished"], outputs
        assert int(conn.get(key)) == 2  # both were running when either inserted
        total, dups = _counts()
        assert dups == [] and total > 0
        assert sum(j.return_value() for j in fetched) == total  # each row was inserted by exactly one worker
        assert reminders.daily("2022-07-01") == 0
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
        for registry in (queue.finished_job_registry, queue.failed_job_registry, queue.started_job_registry):
            for job_id in registry.get_job_ids():
                registry.remove(job_id, delete_job=True)
        queue.delete(delete_jobs=True)
        conn.delete(key)
        conn.close()
