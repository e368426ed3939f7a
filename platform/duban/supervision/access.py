"""Who supervises whom.

* 催办 (urge): anyone who may comment on a unit's work from above it (TASK_COMMENT strictly
  above): bureau admins, inspectors, and a street's operator over its communities.
* Escalations, spot checks and circulars: supervisors — bureau admins and inspectors — strictly
  above the unit (a circular: at or above the campaign's launching unit).
* Violation clues: only bureau admins and inspectors whose unit contains the clue's unit; a
  street or community never sees one, not even about itself.
* Escalation records are read by everyone who sees the unit (the unit must know it is under
  挂牌督办); spot checks by supervisors and by the checked unit's own subtree.
"""
from __future__ import annotations

from flask import abort

from ..tenancy.access import can, require_visible
from ..tenancy.models import OrgUnit, User
from ..tenancy.permissions import Permission, Role

SUPERVISOR_ROLES = (Role.BUREAU_ADMIN, Role.INSPECTOR)


def supervises(user: User, unit: OrgUnit, *, strictly_above: bool = True) -> bool:
    """True when a bureau-admin or inspector membership of user sits above (or at) unit."""
    return any(m.role in SUPERVISOR_ROLES and unit.is_within(m.org_unit)
               and not (strictly_above and m.org_unit_id == unit.id) for m in user.memberships)


def is_supervisor(user: User) -> bool:
    return any(m.role in SUPERVISOR_ROLES for m in user.memberships)


def may_urge(user: User, unit: OrgUnit) -> bool:
    return can(user, Permission.TASK_COMMENT, unit, strictly_above=True)


def may_see_clues(user: User, unit: OrgUnit) -> bool:
    return supervises(user, unit, strictly_above=False)


def require_supervisor(user: User, unit: OrgUnit, *, strictly_above: bool = True) -> None:
    """404 outside the user's subtree, 403 inside it for anyone but a supervisor."""
    require_visible(user, unit)
    if not supervises(user, unit, strictly_above=strictly_above):
        abort(403)


def require_urge(user: User, unit: OrgUnit) -> None:
    require_visible(user, unit)
    if not may_urge(user, unit):
        abort(403)
