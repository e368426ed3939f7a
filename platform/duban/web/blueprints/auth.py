"""Log in and out."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select

from ...extensions import db, limiter
from ...tenancy.passwords import verify_password
from ...tenancy.models import User

bp = Blueprint("auth", __name__)


def _login_limit():
    return current_app.config["DUBAN_LOGIN_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    username = ""
    if request.method == "POST":
        username = (request.form.get("username") or "").strip()
        password = request.form.get("password") or ""
        user = db.session.scalar(select(User).where(User.username == username)
                                 .execution_options(all_tenants=True)) if username else None
        if user is None or not user.active or not verify_password(user, password):
            flash("用户名或密码错误", "error")
            return render_template("auth/login.html", username=username), 401
        db.session.commit()  # a rehashed password is saved
        login_user(user)
        target = request.args.get("next") or ""
        if not target.startswith("/") or target.startswith("//"):
            target = url_for("home.index")
        return redirect(target)
    return render_template("auth/login.html", username=username)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    flash("已退出登录", "info")
    return redirect(url_for("auth.login"))
