"""Who may do what where: a user's rights reach the subtree of each of their memberships."""
from __future__ import annotations

from flask import abort

from .models import OrgUnit, User
from .permissions import ROLE_PERMISSIONS, Permission
from .tree import subtree_filter


def roots(user: User, permission: Permission | None = None) -> list[OrgUnit]:
    """Return the org units whose subtrees the user reaches (with permission, if given)."""
    return [m.org_unit for m in user.memberships
            if permission is None or permission in ROLE_PERMISSIONS.get(m.role, ())]


def visible_filter(user: User, path_column, permission: Permission | None = None):
    """SQL condition restricting path_column to the user's reachable subtrees."""
    return subtree_filter(path_column, roots(user, permission))


def sees(user: User, unit: OrgUnit) -> bool:
    """True when unit lies within one of the user's subtrees."""
    return any(unit.is_within(r) for r in roots(user))


def can(user: User, permission: Permission, unit: OrgUnit, *, strictly_above: bool = False) -> bool:
    """True when a membership granting permission reaches unit.

    strictly_above: the membership must sit above unit (a superior reviewing a unit's work).
    """
    for root in roots(user, permission):
        if unit.is_within(root) and not (strictly_above and root.id == unit.id):
            return True
    return False


def require_visible(user: User, unit: OrgUnit | None) -> OrgUnit:
    """Return unit, or answer 404 when the user may not see it (existence is not revealed)."""
    if unit is None or unit.tenant_id != user.tenant_id or not sees(user, unit):
        abort(404)
    return unit


def require(user: User, permission: Permission, unit: OrgUnit, *, strictly_above: bool = False) -> None:
    """Answer 404 outside the user's subtree and 403 inside it without the right."""
    require_visible(user, unit)
    if not can(user, permission, unit, strictly_above=strictly_above):
        abort(403)


def primary_unit(user: User) -> OrgUnit | None:
    """The highest unit the user belongs to (used for defaults such as the dashboard's root)."""
    units = roots(user)
    return min(units, key=lambda u: (u.depth, u.id)) if units else None
