"""Saving reviewed drafts as tenant-owned templates; only a bureau's admins may, and only for their tenant."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock
from ..audit.services import record
from ..campaigns.models import Campaign
from ..campaigns.registry import DefinitionError, definition, forget_tenant_types
from ..errors import ValidationError
from ..tenancy.models import OrgUnit, User
from ..tenancy.permissions import Role
from .models import TenantTemplate
from .validate import clean

PLUGIN_KEY = "tenant{tenant}_{id}"


def admin_unit(user: User) -> OrgUnit | None:
    """The highest bureau the user administers (templates belong to the tenant; this is the owner unit)."""
    units = [m.org_unit for m in user.memberships if m.role == Role.BUREAU_ADMIN and m.org_unit.kind == "bureau"]
    return min(units, key=lambda u: (u.depth, u.id)) if units else None


def require_admin(user: User) -> OrgUnit:
    unit = admin_unit(user)
    if unit is None:
        raise PermissionError("只有局管理员可以管理本单位的方案模板")
    return unit


def templates(session: Session) -> list[TenantTemplate]:
    """The session tenant's templates, newest first."""
    return list(session.scalars(select(TenantTemplate).where(TenantTemplate.deleted_at.is_(None)).order_by(TenantTemplate.id.desc())))


def usage(session: Session, template: TenantTemplate) -> int:
    return session.scalar(select(func.count()).select_from(Campaign).where(Campaign.type_key == template.key)) or 0


def _check_assembles(template: TenantTemplate) -> None:
    """Assemble the template through the plugin, as a launch would; refuse what the core would reject."""
    forget_tenant_types()
    try:
        definition(template.key)
    except (LookupError, DefinitionError) as e:
        raise ValidationError(f"模板无法作为专项行动模板使用（{e}）。请检查阶段与任务的对应关系。") from None
    finally:
        forget_tenant_types()


def save(session: Session, user: User, rows: dict, text: str, filename: str = "") -> TenantTemplate:
    """Create a template from the reviewed rows. All or nothing; raises ValidationError."""
    owner = require_admin(user)
    data = clean(rows, text)
    template = TenantTemplate(key=f"pending-{uuid.uuid4().hex[:20]}", name=data["name"], issuer=data["issuer"],
                              doc_number=data["doc_number"], year=data["year"], data=data, source_text=text or "",
                              source_filename=(filename or "")[:200], owner_unit=owner, created_by=user,
                              tenant_id=owner.tenant_id)
    session.add(template)
    session.flush()
    template.key = PLUGIN_KEY.format(tenant=template.tenant_id, id=template.id)
    session.flush()
    _check_assembles(template)
    record(session, user, "plandraft.template_saved", object_type="tenant_template", object_id=template.id,
           org_unit=owner, new={"name": template.name, "key": template.key, "phases": len(data["phases"]),
                                "tasks": len(data["tasks"]), "deadlines": len(data["deadlines"])})
    return template


def update(session: Session, user: User, template: TenantTemplate, rows: dict) -> None:
    """Replace a template's reviewed content (its source text stays). Campaigns already launched keep
    the phases and deadlines they were drafted with; new drafts use the new content."""
    require_admin(user)
    data = clean(rows, template.source_text)
    old = {"name": template.name, "phases": len(template.data.get("phases", [])),
           "tasks": len(template.data.get("tasks", []))}
    template.name, template.issuer, template.doc_number, template.year = (
        data["name"], data["issuer"], data["doc_number"], data["year"])
    template.data = data
    template.updated_at = clock.now()
    session.flush()
    _check_assembles(template)
    record(session, user, "plandraft.template_updated", object_type="tenant_template", object_id=template.id,
           org_unit=template.owner_unit, old=old,
           new={"name": template.name, "phases": len(data["phases"]), "tasks": len(data["tasks"])})


def delete(session: Session, user: User, template: TenantTemplate) -> None:
    require_admin(user)
    used = usage(session, template)
    if used:
        raise ValidationError(f"已有 {used} 个专项行动使用该模板，不能删除（删除会使这些专项行动失去依据）。")
    record(session, user, "plandraft.template_deleted", object_type="tenant_template", object_id=template.id,
           org_unit=template.owner_unit, old={"name": template.name, "key": template.key})
    template.deleted_at = clock.now()
    session.flush()
    forget_tenant_types()
