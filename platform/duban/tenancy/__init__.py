"""Tenants, org units, users, roles. init_app wires login and the per-request tenant scope."""
from flask import Flask, g
from flask_login import current_user

from ..extensions import db, login_manager
from . import scoping  # noqa: F401  (registers the session events)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        from .models import User

        try:
            uid, version = (int(p) for p in user_id.split(":"))
        except ValueError:
            return None
        user = db.session.get(User, uid, execution_options={"all_tenants": True})
        if user is None or user.session_version != version or not user.active:
            return None
        scoping.set_tenant(db.session, user.tenant_id)
        return user

    @app.before_request
    def scope_to_tenant():
        # Touching current_user runs the loader, which scopes the session to the user's tenant.
        g.user = current_user if current_user.is_authenticated else None
