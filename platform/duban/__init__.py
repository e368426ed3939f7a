"""duban (督办): the core of the civil-affairs campaign platform.

Plugins import :data:`hookimpl` from here.
"""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from .hookspecs import hookimpl

__all__ = ["create_app", "hookimpl"]

REPO_ROOT = Path(__file__).resolve().parents[2]


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the app. test_config overrides every other source of configuration."""
    from . import all_models, config, extensions  # noqa: F401

    app = Flask(__name__, instance_path=os.environ.get("DUBAN_INSTANCE", str(REPO_ROOT / "instance")),
                template_folder=str(REPO_ROOT / "templates"))
    app.config.from_mapping(config.defaults(app.instance_path))
    # DUBAN_* variables keep their prefix as config keys (Flask's from_prefixed_env would strip it).
    app.config.update({k: _loads(v) for k, v in os.environ.items() if k.startswith("DUBAN_")})
    if test_config:
        app.config.update(test_config)
    _refuse_default_secret(app, config.DEFAULT_SECRET_KEY)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    extensions.db.init_app(app)
    extensions.migrate.init_app(app, extensions.db, directory=str(Path(__file__).parent / "migrations"))
    extensions.csrf.init_app(app)
    extensions.limiter.init_app(app)
    _init_plugins(app)

    from . import cli, jobs, notifications, tenancy, web
    tenancy.init_app(app)
    jobs.init_app(app)
    notifications.init_app(app)
    web.init_app(app)
    cli.init_app(app)
    return app


def _loads(value: str):
    import json

    try:
        return json.loads(value)
    except ValueError:
        return value


def _refuse_default_secret(app: Flask, default: str) -> None:
    if app.config["SECRET_KEY"] == default and not (app.debug or app.testing or app.config.get("DUBAN_DEMO")):
        raise RuntimeError("SECRET_KEY 未设置：生产环境必须设置环境变量 SECRET_KEY（演示环境请设置 DUBAN_DEMO=1）")


def _init_plugins(app: Flask) -> None:
    from .campaigns.registry import build_registry
    from .plugins import make_plugin_manager

    pm = make_plugin_manager(app.config.get("DUBAN_PLUGINS"), extra=app.config.get("DUBAN_EXTRA_PLUGINS"),
                             trace=bool(app.config.get("TRACE_HOOKS")))
    app.extensions["duban"] = {"pm": pm}
    app.extensions["duban"]["types"] = build_registry(pm, app)
