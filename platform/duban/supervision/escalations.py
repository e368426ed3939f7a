"""Escalation records: 约谈 / 通报 / 挂牌督办 against a unit, with a follow-up deadline and resolution."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit.services import record
from ..campaigns.models import Campaign
from ..errors import ValidationError
from ..lists.models import Problem
from ..notifications.services import notify
from ..tasks.models import Task
from ..tenancy.access import visible_filter
from ..tenancy.models import OrgUnit, User
from ..tenancy.tree import path_range
from . import common
from .access import require_supervisor
from .models import ESCALATION_KINDS, Escalation, EscalationLink

REASON_MAX = 2000


def _ids(raw) -> list[int]:
    if raw is None:
        return []
    values = raw if isinstance(raw, (list, tuple, set)) else [raw]
    out = []
    for v in values:
        try:
            out.append(int(str(v).strip()))
        except ValueError:
            raise ValidationError("所选任务或问题无效，请刷新页面后重试") from None
    return sorted(set(out))


def _linked(session: Session, model, ids: list[int], campaign: Campaign, unit: OrgUnit, what: str) -> list:
    if not ids:
        return []
    low, high = path_range(unit.path)
    found = list(session.scalars(select(model).where(model.id.in_(ids), model.campaign_id == campaign.id,
                                                     model.unit_path >= low, model.unit_path < high)))
    if len(found) != len(ids):
        raise ValidationError(f"所选{what}不属于该单位在本专项行动中的{what}")
    return found


def create(session: Session, user: User, campaign: Campaign, unit: OrgUnit, form: dict) -> Escalation:
    """Record an escalation against unit. form: kind, reason, on_date, follow_up_by, task_ids, problem_ids."""
    require_supervisor(user, unit)
    common.check_campaign(campaign, unit)
    errors: dict[str, str] = {}
    kind = (form.get("kind") or "").strip()
    if kind not in ESCALATION_KINDS:
        errors["kind"] = "请选择督办方式：约谈、通报或挂牌督办"
    reason = common.text(form.get("reason"), "督办事由", errors, "reason", max_length=REASON_MAX)
    on_date = common.day(form.get("on_date"), "督办日期", errors, "on_date", not_future=True)
    follow = common.day(form.get("follow_up_by"), "整改期限", errors, "follow_up_by")
    if on_date and follow and follow < on_date:
        errors["follow_up_by"] = "整改期限不能早于督办日期"
    tasks = _linked(session, Task, _ids(form.get("task_ids")), campaign, unit, "任务")
    problems = _linked(session, Problem, _ids(form.get("problem_ids")), campaign, unit, "问题")
    if errors:
        raise ValidationError(fields=errors)
    esc = Escalation(campaign_id=campaign.id, org_unit_id=unit.id, unit_path=unit.path, kind=kind, reason=reason,
                     on_date=on_date, follow_up_by=follow, status="open", created_by_id=user.id,
                     tenant_id=unit.tenant_id)
    session.add(esc)
    session.flush()
    for t in tasks:
        session.add(EscalationLink(escalation_id=esc.id, task_id=t.id, tenant_id=esc.tenant_id))
        common.task_event(session, t, user, "escalated", f"{ESCALATION_KINDS[kind]}：{reason}")
    for p in problems:
        session.add(EscalationLink(escalation_id=esc.id, problem_id=p.id, tenant_id=esc.tenant_id))
    label = ESCALATION_KINDS[kind]
    notify(session, common.members_of(session, unit), kind="escalation",
           title=f"{unit.name}被{label}：请于{follow.month}月{follow.day}日前完成整改", body=reason,
           tenant_id=unit.tenant_id, campaign_id=campaign.id, org_unit_id=unit.id, subject_type="escalation",
           subject_id=esc.id, actor_id=user.id)
    record(session, user, "escalation.created", object_type="escalation", object_id=esc.id, org_unit=unit,
           campaign_id=campaign.id, new={"kind": kind, "reason": reason, "on_date": on_date,
                                         "follow_up_by": follow, "task_ids": [t.id for t in tasks],
                                         "problem_ids": [p.id for p in problems], "status": "open"})
    return esc


def resolve(session: Session, user: User, esc: Escalation, *, resolution: str, resolved_on) -> None:
    """Close an escalation with what the unit did (办结)."""
    require_supervisor(user, esc.org_unit)
    if esc.status != "open":
        raise ValidationError("该督办事项已办结")
    errors: dict[str, str] = {}
    resolution = common.text(resolution, "办结情况", errors, "resolution", max_length=REASON_MAX)
    when = common.day(resolved_on, "办结日期", errors, "resolved_on", not_future=True)
    if when and when < esc.on_date:
        errors["resolved_on"] = "办结日期不能早于督办日期"
    if errors:
        raise ValidationError(fields=errors)
    esc.status, esc.resolution, esc.resolved_on, esc.resolved_by_id = "resolved", resolution, when, user.id
    notify(session, common.members_of(session, esc.org_unit), kind="escalation_resolved",
           title=f"{esc.kind_label}事项已办结", body=resolution, tenant_id=esc.tenant_id,
           campaign_id=esc.campaign_id, org_unit_id=esc.org_unit_id, subject_type="escalation", subject_id=esc.id,
           actor_id=user.id)
    record(session, user, "escalation.resolved", object_type="escalation", object_id=esc.id, org_unit=esc.org_unit,
           campaign_id=esc.campaign_id, old={"status": "open"},
           new={"status": "resolved", "resolution": resolution, "resolved_on": when})


def for_unit(session: Session, campaign: Campaign, unit: OrgUnit) -> list[Escalation]:
    """Escalations in unit's subtree: open ones first, then by date, newest first."""
    low, high = path_range(unit.path)
    rows = session.scalars(select(Escalation).where(
        Escalation.campaign_id == campaign.id, Escalation.unit_path >= low, Escalation.unit_path < high)
        .order_by(Escalation.on_date.desc(), Escalation.id.desc()))
    return sorted(rows, key=lambda e: e.status != "open")


def open_supervised(session: Session, user: User) -> list[Escalation]:
    """Units under 挂牌督办 that the user sees, until resolved (for the dashboard)."""
    return list(session.scalars(select(Escalation).where(
        Escalation.kind == "supervised", Escalation.status == "open", visible_filter(user, Escalation.unit_path))
        .order_by(Escalation.follow_up_by, Escalation.id)))
