"""Notifications: the in-app inbox, the daily reminder job, and forwarding to other channels."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the built-in e-mail channel when DUBAN_SMTP_HOST is set (off by default)."""
    from . import channels  # noqa: F401  (session listeners that hand new notifications on)
    from . import smtp

    pm = app.extensions["duban"]["pm"]
    if smtp.enabled(app.config) and not pm.has_plugin(smtp.PLUGIN_NAME):
        pm.register(smtp, name=smtp.PLUGIN_NAME)
