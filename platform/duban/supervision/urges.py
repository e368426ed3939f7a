"""催办: a superior urges a unit, or one of its tasks, with a message; the unit is notified."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit.services import record
from ..campaigns.models import Campaign
from ..errors import ValidationError
from ..notifications.services import notify
from ..tasks.models import OPEN_STATUSES, Task
from ..tenancy.models import OrgUnit, User
from ..tenancy.tree import path_range
from . import common
from .access import require_urge
from .models import Urge

MESSAGE_MAX = 500


def urge(session: Session, user: User, campaign: Campaign, unit: OrgUnit, message: str,
         task: Task | None = None) -> Urge:
    """Urge unit (or task, which must be unit's) in campaign. Recorded on the task history of the
    task, or of each of the unit's own open tasks; the unit's people are notified."""
    if task is not None:
        unit = task.org_unit
        if task.campaign_id != campaign.id:
            raise ValidationError("该任务不属于本专项行动")
    require_urge(user, unit)
    common.check_campaign(campaign, unit)
    errors: dict[str, str] = {}
    message = common.text(message, "催办内容", errors, "message", max_length=MESSAGE_MAX)
    if task is not None and task.status not in OPEN_STATUSES:
        errors.setdefault("message", f"任务当前状态为“{task.status_label}”，无需催办")
    if errors:
        raise ValidationError(fields=errors)
    u = Urge(campaign_id=campaign.id, org_unit_id=unit.id, unit_path=unit.path, task_id=task.id if task else None,
             message=message, created_by_id=user.id, tenant_id=unit.tenant_id)
    session.add(u)
    session.flush()
    tasks = [task] if task is not None else list(session.scalars(select(Task).where(
        Task.campaign_id == campaign.id, Task.org_unit_id == unit.id, Task.status.in_(OPEN_STATUSES))))
    for t in tasks:
        common.task_event(session, t, user, "urged", message)
    who = common.unit_label(user)
    subject = f"“{task.title}”" if task is not None else f"《{campaign.title}》"
    notify(session, common.members_of(session, unit), kind="urge", title=f"{who}催办{subject}",
           body=message, tenant_id=unit.tenant_id, task_id=task.id if task else None, campaign_id=campaign.id,
           org_unit_id=unit.id, subject_type="urge", subject_id=u.id, actor_id=user.id)
    record(session, user, "urge.created", object_type="urge", object_id=u.id, org_unit=unit,
           campaign_id=campaign.id, new={"task_id": u.task_id, "message": message})
    return u


def urges_for(session: Session, campaign: Campaign, unit: OrgUnit, limit: int = 50) -> list[Urge]:
    """The urges in unit's subtree, newest first."""
    low, high = path_range(unit.path)
    return list(session.scalars(select(Urge).where(Urge.campaign_id == campaign.id, Urge.unit_path >= low,
                                                   Urge.unit_path < high)
                                .order_by(Urge.created_at.desc(), Urge.id.desc()).limit(limit)))
