"""Small helpers shared by the supervision services: input checks, people, task history."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..campaigns.models import Campaign
from ..errors import ValidationError
from ..tasks.models import Task, TaskEvent
from ..tenancy.models import Membership, OrgUnit, User


def text(raw, label: str, errors: dict, key: str, *, max_length: int, required: bool = True) -> str:
    value = (raw or "").strip() if isinstance(raw, str) or raw is None else str(raw).strip()
    if required and not value:
        errors[key] = f"请填写{label}"
    elif len(value) > max_length:
        errors[key] = f"{label}不能超过{max_length}个字"
    return value


def day(raw, label: str, errors: dict, key: str, *, required: bool = True, not_future: bool = False) -> date | None:
    if isinstance(raw, date):
        value = raw
    else:
        raw = (raw or "").strip()
        if not raw:
            if required:
                errors[key] = f"请填写{label}"
            return None
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            errors[key] = f"{label}：日期格式应为 年-月-日，例如 2022-08-20"
            return None
    if not_future and value > clock.today():
        errors[key] = f"{label}不能晚于今天"
    return value


def check_campaign(campaign: Campaign, unit: OrgUnit) -> None:
    if campaign.status != "published":
        raise ValidationError("专项行动不在进行中")
    if unit.tenant_id != campaign.tenant_id or not unit.is_within(campaign.root_unit):
        raise ValidationError("该单位不在本专项行动的范围内")


def members_of(session: Session, unit: OrgUnit) -> list[int]:
    """Ids of the active users with a membership at exactly unit (the unit's own people)."""
    return list(session.scalars(select(Membership.user_id).join(User, User.id == Membership.user_id)
                                .where(Membership.org_unit_id == unit.id, User.active.is_(True)).distinct()))


def task_event(session: Session, task: Task, user: User, kind: str, comment: str) -> None:
    """Put a supervision step on a task's history (shown on the task page)."""
    session.add(TaskEvent(task_id=task.id, actor_id=user.id, kind=kind, comment=comment, tenant_id=task.tenant_id))


def unit_label(user: User) -> str:
    """The name a user acts under: their highest unit."""
    units = sorted((m.org_unit for m in user.memberships), key=lambda u: (u.depth, u.id))
    return units[0].name if units else ""
