"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""
from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from duban import create_app
from duban.extensions import db

MIGRATIONS = Path(__file__).resolve().parents[1] / "platform" / "duban" / "migrations"


def _app(tmp_path, uri: str):
    return create_app({
        "TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": uri,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"), "REPORT_FOLDER": str(tmp_path / "reports"),
        "RATELIMIT_STORAGE_URI": "memory://",
    })


def _differences(app) -> list:
    with app.app_context():
        with db.engine.connect() as conn:
            mc = MigrationContext.configure(conn, opts={"compare_type": True})
            return compare_metadata(mc, db.metadata)


def _check_upgrade_matches_models(app):
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        version = db.session.execute(text("select version_num from alembic_version")).scalar_one()
        db.session.remove()
    assert set(db.metadata.tables) <= tables
    assert version
    assert _differences(app) == []
    return version


def test_migration_files_exist():
    assert (MIGRATIONS / "env.py").is_file()
    assert list((MIGRATIONS / "versions").glob("*.py")), "no migration revision"


def test_sqlite_upgrade_to_head_matches_models(tmp_path):
    app = _app(tmp_path, f"sqlite:///{tmp_path / 'migrated.sqlite3'}")
    try:
        _check_upgrade_matches_models(app)
        with app.app_context():
            downgrade(revision="base")
            left = set(inspect(db.engine).get_table_names()) - {"alembic_version"}
            db.session.remove()
        assert left == set()
    finally:
        with app.app_context():
            db.engine.dispose()


def test_path_column_is_byte_ordered_on_postgresql():
    """The subtree range query relies on collation "C" for the path columns on PostgreSQL."""
    source = "".join(p.read_text(encoding="utf-8") for p in (MIGRATIONS / "versions").glob("*.py"))
    assert "collation='C'" in source


@pytest.fixture
def pg_database():
    """A throw-away PostgreSQL database next to DATABASE_URL's, dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("DATABASE_URL is not PostgreSQL")
    base = make_url(url)
    name = f"duban_migr_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_postgresql_upgrade_to_head_matches_models(tmp_path, pg_database):
    app = _app(tmp_path, pg_database)
    try:
        _check_upgrade_matches_models(app)
        with app.app_context():
            collations = dict(db.session.execute(text(
                "select table_name || '.' || column_name, collation_name from information_schema.columns "
                "where column_name in ('path', 'unit_path')")).all())
            db.session.remove()
        assert collations and set(collations.values()) == {"C"}, collations
    finally:
        with app.app_context():
            db.engine.dispose()
