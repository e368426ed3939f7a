"""Record audit events. Call inside the action's transaction, so the record and the change commit together."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from ..tenancy.models import OrgUnit, User
from .models import AuditEvent


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def record(session: Session, actor: User | None, action: str, *, object_type: str, object_id: int | None = None,
           org_unit: OrgUnit | None = None, campaign_id: int | None = None, old: dict | None = None,
           new: dict | None = None, note: str = "", tenant_id: int | None = None) -> AuditEvent:
    """Add one audit event: actor did action to (object_type, object_id) at org_unit."""
    ev = AuditEvent(
        actor_id=actor.id if actor else None, action=action, object_type=object_type, object_id=object_id,
        campaign_id=campaign_id, org_unit_id=org_unit.id if org_unit else None,
        unit_path=org_unit.path if org_unit else "", old=_plain(old) if old is not None else None,
        new=_plain(new) if new is not None else None, note=note,
        tenant_id=tenant_id or (org_unit.tenant_id if org_unit else actor.tenant_id if actor else None))
    session.add(ev)
    return ev
