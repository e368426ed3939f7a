"""Background jobs behind one small interface.

With REDIS_URL set, jobs go to an rq queue (DUBAN_QUEUE, default "duban") and run in a worker
(`flask jobs worker` or `rq worker` with this app importable). Without it — the embedded default — they run inline,
right after the request's transaction commits, in a fresh app context. rq's own synchronous
mode is not used: it still needs Redis and swallows exceptions.
"""
from __future__ import annotations

import importlib
import logging
import os

from flask import Flask, current_app, has_app_context

log = logging.getLogger(__name__)
QUEUE_NAME = "duban"


def init_app(app: Flask) -> None:
    app.extensions.setdefault("duban", {})["jobs"] = {"redis_url": app.config.get("REDIS_URL") or ""}


def _resolve(path: str):
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def queue_name() -> str:
    return current_app.config.get("DUBAN_QUEUE") or QUEUE_NAME


def queue():
    """Return the rq Queue, or None in the embedded (inline) mode."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    from redis import Redis
    from rq import Queue

    return Queue(queue_name(), connection=Redis.from_url(url))


def enqueue(path: str, *args) -> str | None:
    """Run the job function at "module:function" with args (ids, never ORM objects).

    The caller commits before enqueueing, so the job sees what the request wrote.
    Returns the rq job id, or None when the job ran inline.
    """
    q = queue()
    if q is None:
        run(path, *args)
        return None
    job = q.enqueue(run_in_worker, path, *args, job_timeout=600)
    return job.id


def run(path: str, *args):
    """Run a job function in its own app context and database session."""
    app = current_app._get_current_object()
    with app.app_context():
        return _resolve(path)(*args)


_worker_app: Flask | None = None
# Set in a child process right after fork: its inherited database connections belong to the parent.
_forked = False


def _after_fork_in_child() -> None:
    global _forked
    _forked = True


os.register_at_fork(after_in_child=_after_fork_in_child)


def run_in_worker(path: str, *args):
    """Entry point for rq: run the job in a fresh app context of the worker's app.

    Which app: the one whose context is active when the job runs — `flask jobs worker` pushes
    it before starting rq, and tests that run rq's SimpleWorker in-process have their own —
    otherwise one built by create_app() from the environment, once per process (`rq worker`).

    A forked work-horse must not reuse the parent's database connections, so after a fork the
    pool is disposed (without closing the parent's sockets) before the job touches the
    database. In-process (SimpleWorker) nothing is disposed: the connections are our own.
    """
    global _worker_app, _forked
    from ..extensions import db

    if has_app_context():
        app = current_app._get_current_object()
    else:
        if _worker_app is None:
            from .. import create_app

            _worker_app = create_app()
        app = _worker_app
    with app.app_context():
        if _forked:
            db.engine.dispose(close=False)
            _forked = False
        return _resolve(path)(*args)
