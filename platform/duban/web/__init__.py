"""The web layer: blueprints, error pages and template helpers."""
from __future__ import annotations

from importlib import import_module

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError

from .. import clock
from ..extensions import db
from ..tenancy.permissions import ROLE_LABELS

BLUEPRINTS = ("auth", "home", "campaigns", "tasks", "evidence", "lists", "reports", "admin", "surveys",
              "survey_public", "screening_data", "screening", "ledgers",
              "periodic", "evaluations", "departments", "notifications", "supervision", "audit",
              "plandraft")


def init_app(app: Flask) -> None:
    app.static_folder = str(__import__("pathlib").Path(__file__).parent.parent / "static")
    for name in BLUEPRINTS:
        module = import_module(f"{__name__}.blueprints.{name}")
        app.register_blueprint(module.bp)

    @app.context_processor
    def helpers():
        return {"today": clock.today(), "ROLE_LABELS": ROLE_LABELS, "manages_org": _manages_org}

    app.jinja_env.globals["user_can"] = _user_can  # a global, so imported macros see it too

    @app.template_filter("cn_date")
    def cn_date(value):
        if value is None:
            return ""
        return f"{value.year}年{value.month}月{value.day}日"

    @app.template_filter("cn_datetime")
    def cn_datetime(value):
        if value is None:
            return ""
        value = value.astimezone(clock.TZ) if value.tzinfo else value
        return value.strftime("%Y-%m-%d %H:%M")

    @app.errorhandler(CSRFError)
    def csrf_error(e):
        db.session.rollback()
        return render_template("errors/error.html", code=400, message="页面已过期或表单来源无效，请刷新页面后重试。"), 400

    for code, message in ((403, "您没有执行此操作的权限。"), (404, "页面不存在，或您无权查看。"),
                          (413, "上传的文件过大。"), (429, "操作过于频繁，请稍后再试。")):
        app.register_error_handler(code, _handler(code, message))


def _manages_org() -> bool:
    """Whether the logged-in user may open the organisation pages (for the menu)."""
    from flask_login import current_user

    from ..tenancy.access import roots
    from ..tenancy.permissions import Permission

    return current_user.is_authenticated and bool(roots(current_user, Permission.ORG_MANAGE))


def _user_can(permission: str, unit) -> bool:
    """Whether the logged-in user holds permission (a Permission value) at unit."""
    from flask_login import current_user

    from ..tenancy.access import can
    from ..tenancy.permissions import Permission

    return current_user.is_authenticated and can(current_user, Permission(permission), unit)


def _handler(code: int, message: str):
    def handle(e):
        db.session.rollback()
        return render_template("errors/error.html", code=code, message=message), code
    return handle
