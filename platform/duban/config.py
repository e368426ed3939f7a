"""Configuration defaults in one place.

Every key can be overridden by an environment variable with the ``DUBAN_`` prefix
(``DUBAN_TODAY=2022-07-01``) and the usual deployment variables are read directly:
``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY``.
"""
import os
from pathlib import Path

DEFAULT_SECRET_KEY = "dev-only-not-secret"


def defaults(instance_path: str) -> dict:
    """Return the default configuration for an app whose instance folder is instance_path."""
    instance = Path(instance_path)
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance / 'duban.sqlite3'}"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "UPLOAD_FOLDER": str(instance / "uploads"),
        "REPORT_FOLDER": str(instance / "reports"),
        "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
        "UPLOAD_MAX_BYTES": 20 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        # Entry-point names of the campaign plugins to load; None loads every installed one.
        "DUBAN_PLUGINS": None,
        # A fixed "today" (YYYY-MM-DD) for the demo and tests; never patch the system clock.
        "DUBAN_TODAY": None,
        "DUBAN_DEMO": False,
        "DUBAN_TIMEZONE": "Asia/Shanghai",
        "DUBAN_DUE_SOON_DAYS": 3,
        "DUBAN_LOGIN_LIMIT": "10 per minute",
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,
    }
