"""Administering a tenant: the org-unit tree, users and their roles, and bootstrapping a tenant.

Every function takes the session and the acting user explicitly, validates all input first and
raises ValidationError (Chinese messages, keyed by form field) before anything is written.
Actors act only on units inside the subtrees where they hold Permission.ORG_MANAGE.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..audit.services import record
from ..errors import ValidationError
from .access import can, roots, visible_filter
from .models import LEVEL_NAMES, Membership, OrgUnit, Tenant, User
from .passwords import hash_password, set_password
from .permissions import ROLE_LABELS, Permission, Role
from .tree import add_unit, children

# Which kinds of unit may be added under which: bureau → street/township or a bureau department;
# township → village/community. Villages and departments are leaves.
CHILD_KINDS: dict[str, tuple[str, ...]] = {
    "bureau": ("township", "department"),
    "township": ("village",),
    "village": (),
    "department": (),
}
# Which roles a membership at each kind of unit may carry.
UNIT_ROLES: dict[str, tuple[str, ...]] = {
    "bureau": (Role.BUREAU_ADMIN, Role.INSPECTOR),
    "department": (Role.DEPARTMENT_STAFF, Role.INSPECTOR),
    "township": (Role.TOWNSHIP_OPERATOR, Role.INSPECTOR),
    "village": (Role.VILLAGE_WORKER,),
}

USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{2,59}$")
SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
DIVISION_CODE_RE = re.compile(r"^[0-9]{12}$")
PASSWORD_MIN, PASSWORD_MAX = 8, 128
NAME_MAX = 100
DISPLAY_NAME_MAX = 60


# --- Reading ---------------------------------------------------------------------------------

@dataclass
class TreeRow:
    unit: OrgUnit
    level: int  # indentation below the root the row belongs to
    user_count: int = 0


def managed_roots(actor: User) -> list[OrgUnit]:
    """The units whose subtrees actor administers (outermost only)."""
    units = roots(actor, Permission.ORG_MANAGE)
    return [u for u in units if not any(o.id != u.id and u.is_within(o) for o in units)]


def unit_tree(session: Session, actor: User) -> list[TreeRow]:
    """Every unit actor administers, in tree order (depth first, siblings by sort order)."""
    units = list(session.scalars(select(OrgUnit).where(visible_filter(actor, OrgUnit.path, Permission.ORG_MANAGE))))
    counts = dict(session.execute(
        select(Membership.org_unit_id, func.count(func.distinct(Membership.user_id)))
        .where(Membership.org_unit_id.in_([u.id for u in units] or [0]))
        .group_by(Membership.org_unit_id)).all())
    by_parent: dict[int | None, list[OrgUnit]] = {}
    for u in units:
        by_parent.setdefault(u.parent_id, []).append(u)
    for siblings in by_parent.values():
        siblings.sort(key=lambda u: (u.sort_order, u.id))
    rows: list[TreeRow] = []

    def walk(unit: OrgUnit, level: int) -> None:
        rows.append(TreeRow(unit, level, counts.get(unit.id, 0)))
        for child in by_parent.get(unit.id, ()):
            walk(child, level + 1)

    for root in sorted(managed_roots(actor), key=lambda u: u.path):
        walk(root, 0)
    return rows


def managed_users(session: Session, actor: User) -> list[User]:
    """Users holding at least one membership inside actor's administered subtrees."""
    ids = select(Membership.user_id).join(OrgUnit, Membership.org_unit_id == OrgUnit.id).where(
        visible_filter(actor, OrgUnit.path, Permission.ORG_MANAGE))
    return list(session.scalars(select(User).where(User.id.in_(ids)).order_by(User.username)))


def manages(actor: User, unit: OrgUnit) -> bool:
    return unit.tenant_id == actor.tenant_id and can(actor, Permission.ORG_MANAGE, unit)


def manages_user(actor: User, target: User) -> bool:
    """True when every membership of target lies in actor's administered subtrees."""
    return (target.tenant_id == actor.tenant_id and bool(target.memberships)
            and all(manages(actor, m.org_unit) for m in target.memberships))


def kind_choices(parent: OrgUnit) -> list[tuple[str, str]]:
    return [(k, LEVEL_NAMES[k]) for k in CHILD_KINDS.get(parent.kind, ())]


def role_choices(unit: OrgUnit | None = None) -> list[tuple[str, str]]:
    roles = UNIT_ROLES.get(unit.kind, ()) if unit is not None else tuple(Role)
    return [(str(r), ROLE_LABELS[r]) for r in roles]


# --- Validation helpers ----------------------------------------------------------------------

def _clean_name(raw, errors: dict, key: str = "name", label: str = "单位名称") -> str:
    name = " ".join((raw or "").split())
    if not name:
        errors[key] = f"请填写{label}"
    elif len(name) > NAME_MAX:
        errors[key] = f"{label}不能超过{NAME_MAX}个字"
    return name


def _clean_code(raw, errors: dict) -> str | None:
    code = (raw or "").strip()
    if code and not DIVISION_CODE_RE.match(code):
        errors["division_code"] = "统计区划代码应为12位数字"
    return code or None


def _sibling_taken(session: Session, parent_id: int | None, name: str, tenant_id: int,
                   exclude_id: int | None = None) -> bool:
    stmt = select(OrgUnit.id).where(OrgUnit.parent_id == parent_id, OrgUnit.name == name,
                                    OrgUnit.tenant_id == tenant_id)
    if exclude_id is not None:
        stmt = stmt.where(OrgUnit.id != exclude_id)
    return session.scalar(stmt.limit(1)) is not None


def _check_password(password: str, errors: dict, key: str = "password") -> None:
    if len(password or "") < PASSWORD_MIN:
        errors[key] = f"密码至少{PASSWORD_MIN}位"
    elif len(password) > PASSWORD_MAX:
        errors[key] = f"密码不能超过{PASSWORD_MAX}位"
    elif not password.strip():
        errors[key] = "密码不能全是空格"


def _check_username(session: Session, raw, errors: dict) -> str:
    username = (raw or "").strip()
    if not USERNAME_RE.match(username):
        errors["username"] = "用户名应为3至60位字母、数字、下划线、点或短横线，并以字母或数字开头"
    elif session.scalar(select(User.id).where(func.lower(User.username) == username.lower())
                        .execution_options(all_tenants=True).limit(1)) is not None:
        errors["username"] = f"用户名“{username}”已被使用"
    return username


def _check_display_name(raw, errors: dict) -> str:
    name = " ".join((raw or "").split())
    if not name:
        errors["display_name"] = "请填写姓名"
    elif len(name) > DISPLAY_NAME_MAX:
        errors["display_name"] = f"姓名不能超过{DISPLAY_NAME_MAX}个字"
    return name


def _require_manage(actor: User, unit: OrgUnit | None) -> OrgUnit:
    if unit is None or not manages(actor, unit):
        raise ValidationError("您无权管理该单位", fields={"unit_id": "请选择您管理范围内的单位"})
    return unit


# --- Org units -------------------------------------------------------------------------------

def add_child_unit(session: Session, actor: User, parent: OrgUnit, *, name: str, kind: str,
                   division_code: str = "") -> OrgUnit:
    """Add a unit of kind under parent (name unique among its siblings)."""
    _require_manage(actor, parent)
    errors: dict[str, str] = {}
    name = _clean_name(name, errors)
    code = _clean_code(division_code, errors)
    allowed = CHILD_KINDS.get(parent.kind, ())
    if not allowed:
        errors["kind"] = f"“{parent.name}”是{parent.kind_label}，不能再添加下级单位"
    elif kind not in allowed:
        errors["kind"] = f"“{parent.name}”下只能添加" + "或".join(LEVEL_NAMES[k] for k in allowed)
    if "name" not in errors and _sibling_taken(session, parent.id, name, parent.tenant_id):
        errors["name"] = f"“{parent.name}”下已有名为“{name}”的单位"
    if errors:
        raise ValidationError(fields=errors)
    siblings = children(session, parent)
    order = max((s.sort_order for s in siblings), default=-1) + 1
    unit = add_unit(session, tenant_id=parent.tenant_id, name=name, kind=kind, parent=parent,
                    division_code=code, sort_order=order)
    record(session, actor, "org_unit.created", object_type="org_unit", object_id=unit.id, org_unit=unit,
           new={"name": name, "kind": kind, "division_code": code, "parent": parent.name})
    return unit


def update_unit(session: Session, actor: User, unit: OrgUnit, *, name: str, division_code: str = "") -> OrgUnit:
    """Rename unit and set its statistical division code."""
    _require_manage(actor, unit)
    errors: dict[str, str] = {}
    name = _clean_name(name, errors)
    code = _clean_code(division_code, errors)
    if "name" not in errors and _sibling_taken(session, unit.parent_id, name, unit.tenant_id, exclude_id=unit.id):
        errors["name"] = f"同一上级单位下已有名为“{name}”的单位"
    if errors:
        raise ValidationError(fields=errors)
    old = {"name": unit.name, "division_code": unit.division_code}
    unit.name, unit.division_code = name, code
    session.flush()
    if old != {"name": name, "division_code": code}:
        record(session, actor, "org_unit.updated", object_type="org_unit", object_id=unit.id, org_unit=unit,
               old=old, new={"name": name, "division_code": code})
    return unit


# --- Users -----------------------------------------------------------------------------------

def create_user(session: Session, actor: User, *, username: str, display_name: str, password: str,
                role: str, unit: OrgUnit | None) -> User:
    """Create a user with one role at unit, which must lie in actor's administered subtrees."""
    errors: dict[str, str] = {}
    if unit is None or not manages(actor, unit):
        errors["unit_id"] = "请选择您管理范围内的单位"
    username = _check_username(session, username, errors)
    display_name = _check_display_name(display_name, errors)
    _check_password(password, errors)
    if role not in ROLE_LABELS:
        errors["role"] = "请选择角色"
    elif unit is not None and "unit_id" not in errors and role not in UNIT_ROLES.get(unit.kind, ()):
        allowed = "、".join(ROLE_LABELS[r] for r in UNIT_ROLES.get(unit.kind, ()))
        errors["role"] = f"{unit.kind_label}“{unit.name}”的用户只能是：{allowed}"
    if errors:
        raise ValidationError(fields=errors)
    user = User(username=username, display_name=display_name, password_hash=hash_password(password),
                tenant_id=unit.tenant_id)
    user.memberships.append(Membership(org_unit=unit, role=role, tenant_id=unit.tenant_id))
    session.add(user)
    session.flush()
    record(session, actor, "user.created", object_type="user", object_id=user.id, org_unit=unit,
           new={"username": username, "display_name": display_name, "role": str(role), "unit": unit.name})
    return user


def _require_manage_user(actor: User, target: User) -> None:
    if not manages_user(actor, target):
        raise ValidationError("您无权管理该用户")


def reset_password(session: Session, actor: User, target: User, password: str) -> None:
    """Give target a new password; every session of target ends."""
    _require_manage_user(actor, target)
    errors: dict[str, str] = {}
    _check_password(password, errors)
    if errors:
        raise ValidationError(fields=errors)
    set_password(target, password)
    session.flush()
    record(session, actor, "user.password_reset", object_type="user", object_id=target.id,
           org_unit=_home(target), new={"username": target.username})


def set_active(session: Session, actor: User, target: User, active: bool) -> None:
    """Deactivate (sessions end, login refused) or reactivate target."""
    _require_manage_user(actor, target)
    if target.id == actor.id and not active:
        raise ValidationError("不能停用自己的账号")
    if target.active == active:
        raise ValidationError("该账号已经是启用状态" if active else "该账号已经停用")
    target.active = active
    target.session_version = (target.session_version or 0) + 1
    session.flush()
    record(session, actor, "user.activated" if active else "user.deactivated", object_type="user",
           object_id=target.id, org_unit=_home(target), old={"active": not active}, new={"active": active})


def _home(user: User) -> OrgUnit | None:
    """The unit an audit event about a user is filed under: their highest membership."""
    units = sorted((m.org_unit for m in user.memberships), key=lambda u: (u.depth, u.id))
    return units[0] if units else None


# --- A new tenant (command line, no acting user) ----------------------------------------------

def create_tenant(session: Session, *, name: str, slug: str, bureau_name: str = "", division_code: str = "",
                  username: str, display_name: str, password: str) -> tuple[Tenant, OrgUnit, User]:
    """Create a tenant with its bureau as root unit and a bureau admin there."""
    errors: dict[str, str] = {}
    name = _clean_name(name, errors, "name", "租户（单位）名称")
    bureau = _clean_name(bureau_name or name, errors, "bureau_name", "局机关单位名称")
    slug = (slug or "").strip()
    if not SLUG_RE.match(slug):
        errors["slug"] = "租户标识应为2至40位小写字母、数字或短横线，并以字母开头"
    elif session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        errors["slug"] = f"租户标识“{slug}”已被使用"
    if "name" not in errors and session.scalar(select(Tenant.id).where(Tenant.name == name)) is not None:
        errors["name"] = f"租户“{name}”已存在"
    code = _clean_code(division_code, errors)
    username = _check_username(session, username, errors)
    display_name = _check_display_name(display_name, errors)
    _check_password(password, errors)
    if errors:
        raise ValidationError(fields=errors)
    tenant = Tenant(name=name, slug=slug)
    session.add(tenant)
    session.flush()
    root = add_unit(session, tenant_id=tenant.id, name=bureau, kind="bureau", division_code=code)
    user = User(username=username, display_name=display_name, password_hash=hash_password(password),
                tenant_id=tenant.id)
    user.memberships.append(Membership(org_unit=root, role=Role.BUREAU_ADMIN, tenant_id=tenant.id))
    session.add(user)
    session.flush()
    return tenant, root, user
