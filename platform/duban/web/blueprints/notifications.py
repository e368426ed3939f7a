"""The notification inbox: list, open (marks read), mark all read, channel settings."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ...extensions import db
from ...notifications import services, smtp
from ...notifications.channels import link_path
from ..forms import one_transaction

bp = Blueprint("notifications", __name__)
PER_PAGE = 50


@bp.app_context_processor
def _unread():
    """unread_notifications() for the header: counted only when a page shows the header."""
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return services.unread_count(db.session, current_user)
    return {"unread_notifications": unread_notifications}


@bp.before_request
@login_required
def _login():
    pass


@bp.route("/notifications")
def inbox():
    unread_only = request.args.get("show") == "unread"
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    total, items = services.inbox(db.session, current_user, unread_only=unread_only, limit=PER_PAGE,
                                  offset=(page - 1) * PER_PAGE)
    return render_template("notifications/inbox.html", items=items, total=total, page=page,
                           pages=max(1, -(-total // PER_PAGE)), unread_only=unread_only,
                           unread=services.unread_count(db.session, current_user), link_path=link_path,
                           settings=services.settings_for(db.session, current_user),
                           email_on=smtp.enabled(current_app.config), errors={})


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
def open_one(notification_id: int):
    n = services.get_own(db.session, current_user, notification_id)
    if n is None:
        abort(404)
    with one_transaction():
        services.mark_read(db.session, current_user, n)
    return redirect(link_path(n))


@bp.route("/notifications/read-all", methods=["POST"])
def read_all():
    with one_transaction() as ok:
        count = services.mark_all_read(db.session, current_user)
    if ok:
        flash(f"已将{count}条通知标为已读" if count else "没有未读通知", "success")
    return redirect(url_for(".inbox"))


@bp.route("/notifications/settings", methods=["POST"])
def settings():
    if not smtp.enabled(current_app.config):
        abort(404)
    with one_transaction() as ok:
        services.save_settings(db.session, current_user, email=request.form.get("email", ""),
                               email_enabled=request.form.get("email_enabled") == "1")
    if ok:
        flash("通知设置已保存", "success")
    return redirect(url_for(".inbox"))
