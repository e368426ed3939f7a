"""Bureau departments (股室/中心) as assignees of a campaign's tasks.

A task template may name departments (``responsible: [社会救助服务中心, 规划财务股]``). They are
org units of kind "department" directly under the launching bureau, matched by name. A plan's
names need not match how a bureau has set itself up, so while the campaign is a draft the admin
either creates each missing department or maps the plan's name onto an existing one; publishing
is refused, with the missing names in the message, until every name is resolved. A campaign
launched below a bureau (a township has no departments) gives those tasks to the launching unit.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit.services import record
from ..errors import ValidationError
from ..tenancy.models import OrgUnit, User
from ..tenancy.services import add_child_unit
from .models import Campaign

CREATE = "create"


def has_departments(root: OrgUnit) -> bool:
    return root.kind == "bureau"


def departments_of(session: Session, root: OrgUnit) -> dict[str, OrgUnit]:
    """The departments directly under root, by name."""
    if not has_departments(root):
        return {}
    return {u.name: u for u in session.scalars(
        select(OrgUnit).where(OrgUnit.parent_id == root.id, OrgUnit.kind == "department")
        .order_by(OrgUnit.sort_order, OrgUnit.id))}


def named_departments(campaign: Campaign) -> list[str]:
    """Every department name the campaign's tasks name, in first-use order."""
    seen: dict[str, None] = {}
    for spec in campaign.specs:
        for name in spec.responsible or ():
            seen.setdefault(name, None)
    return list(seen)


def missing_departments(session: Session, campaign: Campaign) -> list[str]:
    """Names the tasks use that are not departments of the launching bureau."""
    if not has_departments(campaign.root_unit):
        return []
    have = departments_of(session, campaign.root_unit)
    return [n for n in named_departments(campaign) if n not in have]


def assignees(session: Session, campaign: Campaign) -> dict[str, OrgUnit]:
    """Name → the unit that does the named department's tasks (the launching unit below a bureau)."""
    names = named_departments(campaign)
    if not has_departments(campaign.root_unit):
        return {n: campaign.root_unit for n in names}
    have = departments_of(session, campaign.root_unit)
    return {n: have[n] for n in names if n in have}


def require_resolved(session: Session, campaign: Campaign) -> None:
    missing = missing_departments(session, campaign)
    if missing:
        raise ValidationError(
            f"以下责任股室(中心)尚未在{campaign.root_unit.name}的组织机构中设立：{'、'.join(missing)}。"
            "请在草稿页“责任股室(中心)”中新建，或对应到本局现有的股室(中心)后再发布。")


def resolve(session: Session, user: User, campaign: Campaign, choices: dict[str, str]) -> list[str]:
    """Resolve missing department names: choices maps each missing name to "create" or the id of an
    existing department of the bureau. All or nothing; returns what was done (Chinese, for a message)."""
    if campaign.status != "draft":
        raise ValidationError("专项行动已发布，不能再调整责任股室")
    missing = missing_departments(session, campaign)
    if not missing:
        raise ValidationError("没有需要处理的责任股室(中心)")
    have = {str(u.id): u for u in departments_of(session, campaign.root_unit).values()}
    errors, plan = {}, {}
    for i, name in enumerate(missing):
        choice = (choices.get(name) or "").strip()
        if choice == CREATE:
            plan[name] = None
        elif choice in have:
            plan[name] = have[choice]
        else:
            errors[f"dept-{i}"] = f"请为“{name}”选择新建，或选择对应的现有股室(中心)"
    if errors:
        raise ValidationError(fields=errors)
    done = []
    for name, target in plan.items():
        if target is None:
            unit = add_child_unit(session, user, campaign.root_unit, name=name, kind="department")
            record(session, user, "org_unit.created", object_type="org_unit", object_id=unit.id, org_unit=unit,
                   campaign_id=campaign.id, new={"name": name, "kind": "department"}, note="发布前按方案新建责任股室")
            done.append(f"新建“{name}”")
        else:
            for spec in campaign.specs:
                if name in (spec.responsible or ()):
                    spec.responsible = list(dict.fromkeys(target.name if n == name else n for n in spec.responsible))
            record(session, user, "campaign.department_mapped", object_type="campaign", object_id=campaign.id,
                   org_unit=campaign.root_unit, campaign_id=campaign.id, old={"name": name}, new={"name": target.name})
            done.append(f"“{name}”由“{target.name}”承办")
    session.flush()
    return done
