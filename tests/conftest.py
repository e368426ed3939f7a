"""Fixtures: an app per test session on DATABASE_URL (or in-memory SQLite), a clean database per test."""
from __future__ import annotations

import logging
import os
import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from duban import create_app
from duban.extensions import db
from duban.tenancy.scoping import set_tenant

from . import factories


def _config(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("instance")
    return {
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'test.sqlite3'}",
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "UPLOAD_FOLDER": str(tmp / "uploads"),
        "REPORT_FOLDER": str(tmp / "reports"),
        "DUBAN_TODAY": "2022-07-01",
        "RATELIMIT_STORAGE_URI": "memory://",
        "DUBAN_LOGIN_LIMIT": "1000 per minute",
    }


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    app = create_app(_config(tmp_path_factory))
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def _wipe():
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("TRUNCATE " + ", ".join(t.name for t in tables) + " RESTART IDENTITY CASCADE"))
    else:
        for t in tables:
            db.session.execute(t.delete())
    db.session.commit()


@pytest.fixture(autouse=True)
def _db(app):
    """Every test starts with empty tables and an app context."""
    with app.app_context():
        yield
        db.session.rollback()
        set_tenant(db.session, None)
        _wipe()
        db.session.remove()


class Client(FlaskClient):
    """A test client that logs in through the real form and sends the CSRF token with every POST."""

    def open(self, *args, **kwargs):
        # Tests hold one app context that every request shares; drop what Flask-Login and
        # Flask-WTF cache on g, so each request loads its own user (and tenant) and token.
        from flask import g

        from duban.tenancy.scoping import set_tenant

        for key in list(vars(g)):
            g.pop(key, None)
        # Like production, where each request has a fresh session: no tenant, nothing cached.
        set_tenant(db.session, None)
        db.session.expire_all()
        return super().open(*args, **kwargs)

    def login(self, username: str, password: str = factories.PASSWORD):
        page = self.get("/login")
        token = _token(page.get_data(as_text=True))
        return self.post("/login", data={"username": username, "password": password, "csrf_token": token})

    def csrf_token(self) -> str:
        return _token(self.get("/login" if not self._logged_in() else "/").get_data(as_text=True))

    def _logged_in(self) -> bool:
        with self.session_transaction() as s:
            return "_user_id" in s

    def post_form(self, url: str, data: dict | None = None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.post(url, data=data, **kw)


def _token(html: str) -> str:
    import re

    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


@pytest.fixture
def client(app):
    app.test_client_class = Client
    return app.test_client()


@pytest.fixture
def login_as(app):
    """login_as(user) -> a logged-in client for that user (through the real login form)."""
    def make(user):
        from sqlalchemy import inspect, select

        from duban.tenancy.models import User

        app.test_client_class = Client
        c = app.test_client()
        # Read the username without refreshing user under whatever tenant the session has now.
        username = db.session.execute(select(User.username).where(User.id == inspect(user).identity[0])
                                      .execution_options(all_tenants=True)).scalar_one()
        r = c.login(username)
        assert r.status_code == 302, r.get_data(as_text=True)
        return c
    return make


@pytest.fixture
def district():
    """The demo-shaped tree: a bureau, two streets, two communities each, plus one user per role."""
    units = factories.make_tree({"湖里区民政局": {"湖里街道": ["金湖社区", "湖边社区"], "殿前街道": ["高殿社区", "兴隆社区"]}})
    set_tenant(db.session, units["湖里区民政局"].tenant_id)
    users = {
        "admin": factories.make_user(units["湖里区民政局"], "bureau_admin", "admin"),
        "inspector": factories.make_user(units["湖里区民政局"], "inspector", "inspector"),
        "township": factories.make_user(units["湖里街道"], "township_operator", "hl_op"),
        "sibling": factories.make_user(units["殿前街道"], "township_operator", "dq_op"),
        "village": factories.make_user(units["金湖社区"], "village_worker", "jh_worker"),
    }
    db.session.commit()
    return {"units": units, "users": users}


# --- PDFs and jobs ----------------------------------------------------------------------------

class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def glyph_problems(records) -> list[str]:
    """WeasyPrint warnings that mean text would not show: a missing glyph (".notdef glyph
    rendered…"/"No glyph…") or a font that could not be loaded."""
    bad = ("glyph", "font-face", "cannot be loaded", "failed to load")
    return [r.getMessage() for r in records if any(b in r.getMessage().lower() for b in bad)]


@pytest.fixture(autouse=True)
def glyph_guard():
    """Fail the test when WeasyPrint reports a missing glyph or an unloadable font."""
    handler = _Collect()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
    problems = glyph_problems(handler.records)
    assert not problems, "WeasyPrint could not render some text:\n" + "\n".join(problems[:20])


@pytest.fixture
def rq_queue(app):
    """With REDIS_URL: a queue of this test's own (other suites share the Redis), emptied before
    and after; yields a function that runs every queued job in-process (rq's SimpleWorker).
    Without REDIS_URL jobs run inline and the function does nothing."""
    url = app.config.get("REDIS_URL")
    if not url:
        yield lambda: None
        return
    from redis import Redis
    from rq import Queue, SimpleWorker

    name = f"duban-test-{uuid.uuid4().hex[:8]}"
    old = app.config.get("DUBAN_QUEUE")
    app.config["DUBAN_QUEUE"] = name
    conn = Redis.from_url(url)
    queue = Queue(name, connection=conn)
    queue.empty()

    def drain():
        SimpleWorker([queue], connection=conn).work(burst=True)

    try:
        yield drain
    finally:
        queue.empty()
        for registry in (queue.failed_job_registry, queue.finished_job_registry, queue.started_job_registry):
            for job_id in registry.get_job_ids():
                registry.remove(job_id, delete_job=True)
        queue.delete(delete_jobs=True)
        conn.close()
        app.config["DUBAN_QUEUE"] = old
