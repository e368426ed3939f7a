"""Organisation and user administration for bureau admins (Permission.ORG_MANAGE).

Everyone else gets 403. Units and users are loaded by id and checked against the admin's
subtree: outside it the answer is 404, as everywhere else.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from ...errors import ValidationError
from ...extensions import db, login_manager
from ...tenancy import access
from ...tenancy import services as org
from ...tenancy.models import LEVEL_NAMES, Membership, OrgUnit, User
from ...tenancy.tree import children
from ...tenancy.permissions import ROLE_LABELS, Permission
from ..forms import one_transaction

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def require_admin():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not org.managed_roots(current_user):
        abort(403)
    return None


def _unit(unit_id: int) -> OrgUnit:
    unit = db.session.get(OrgUnit, unit_id)
    access.require(current_user, Permission.ORG_MANAGE, access.require_visible(current_user, unit))
    return unit


def _user(user_id: int) -> User:
    target = db.session.get(User, user_id)
    if target is None or not any(access.sees(current_user, m.org_unit) for m in target.memberships):
        abort(404)
    if not org.manages_user(current_user, target):
        abort(403)
    return target


def _unit_from_form(field: str = "unit_id") -> OrgUnit | None:
    """The unit named by a form field, when it exists and the admin manages it; else None."""
    raw = (request.form.get(field) or "").strip()
    unit = db.session.get(OrgUnit, int(raw)) if raw.isdigit() else None
    return unit if unit is not None and org.manages(current_user, unit) else None


# --- Units -----------------------------------------------------------------------------------

def _render_units(errors=None, form=None, status=200):
    rows = org.unit_tree(db.session, current_user)
    parents = [r for r in rows if org.CHILD_KINDS.get(r.unit.kind)]
    return render_template("admin/units.html", rows=rows, parents=parents, kinds=LEVEL_NAMES,
                           errors=errors or {}, form=form or {}), status


@bp.route("/units")
def units():
    return _render_units()


@bp.route("/units", methods=["POST"])
def add_unit():
    parent = _unit_from_form("parent_id")
    with one_transaction() as ok:
        if parent is None:
            raise ValidationError(fields={"parent_id": "请选择上级单位"})
        unit = org.add_child_unit(db.session, current_user, parent, name=request.form.get("name", ""),
                                  kind=request.form.get("kind", ""),
                                  division_code=request.form.get("division_code", ""))
    if not ok:
        return _render_units(ok.errors, request.form, 400)
    flash(f"已添加“{unit.name}”", "success")
    return redirect(url_for("admin.units"))


def _render_unit(unit: OrgUnit, errors=None, form=None, status=200):
    kids = children(db.session, unit)
    members = [(m, m.user) for m in _memberships_at(unit)]
    return render_template("admin/unit.html", unit=unit, kids=kids, members=members,
                           kind_choices=org.kind_choices(unit), errors=errors or {}, form=form or {},
                           action=request.form.get("action") if form else None), status


def _memberships_at(unit: OrgUnit):
    return db.session.scalars(select(Membership).where(Membership.org_unit_id == unit.id)
                              .order_by(Membership.user_id)).all()


@bp.route("/units/<int:unit_id>")
def unit(unit_id: int):
    return _render_unit(_unit(unit_id))


@bp.route("/units/<int:unit_id>", methods=["POST"])
def update_unit(unit_id: int):
    unit = _unit(unit_id)
    with one_transaction() as ok:
        org.update_unit(db.session, current_user, unit, name=request.form.get("name", ""),
                        division_code=request.form.get("division_code", ""))
    if not ok:
        db.session.refresh(unit)
        return _render_unit(unit, ok.errors, request.form, 400)
    flash("已保存", "success")
    return redirect(url_for("admin.unit", unit_id=unit.id))


@bp.route("/units/<int:unit_id>/children", methods=["POST"])
def add_child(unit_id: int):
    parent = _unit(unit_id)
    with one_transaction() as ok:
        child = org.add_child_unit(db.session, current_user, parent, name=request.form.get("name", ""),
                                   kind=request.form.get("kind", ""),
                                   division_code=request.form.get("division_code", ""))
    if not ok:
        return _render_unit(parent, ok.errors, request.form, 400)
    flash(f"已添加“{child.name}”", "success")
    return redirect(url_for("admin.unit", unit_id=parent.id))


# --- Users -----------------------------------------------------------------------------------

def _render_users(errors=None, form=None, status=200, target_id=None):
    rows = org.unit_tree(db.session, current_user)
    position = {r.unit.id: i for i, r in enumerate(rows)}
    users = sorted(org.managed_users(db.session, current_user), key=lambda u: (
        min((position.get(m.org_unit_id, len(rows)) for m in u.memberships), default=len(rows)), u.username))
    return render_template("admin/users.html", users=users, rows=rows,
                           roles=ROLE_LABELS, unit_roles=org.UNIT_ROLES, errors=errors or {}, form=form or {},
                           target_id=target_id, password_min=org.PASSWORD_MIN), status


@bp.route("/users")
def users():
    return _render_users()


@bp.route("/users", methods=["POST"])
def create_user():
    f = request.form
    with one_transaction() as ok:
        user = org.create_user(db.session, current_user, username=f.get("username", ""),
                               display_name=f.get("display_name", ""), password=f.get("password", ""),
                               role=f.get("role", ""), unit=_unit_from_form())
    if not ok:
        return _render_users(ok.errors, {k: v for k, v in f.items() if k != "password"}, 400)
    flash(f"已创建用户“{user.username}”", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/password", methods=["POST"])
def reset_password(user_id: int):
    target = _user(user_id)
    with one_transaction() as ok:
        org.reset_password(db.session, current_user, target, request.form.get("password", ""))
    if not ok:
        return _render_users(ok.errors, status=400, target_id=user_id)
    if target.id == current_user.id:
        flash("密码已修改，请用新密码重新登录", "success")
        return redirect(url_for("auth.login"))
    flash(f"已重置“{target.username}”的密码，该用户需用新密码重新登录", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def set_active(user_id: int):
    target = _user(user_id)
    active = request.form.get("active") == "1"
    with one_transaction() as ok:
        org.set_active(db.session, current_user, target, active)
    if not ok:
        return _render_users(status=400, target_id=user_id)
    flash(f"已{'启用' if active else '停用'}“{target.username}”", "success")
    return redirect(url_for("admin.users"))
