"""Launching a campaign: draft from a type, edit dates, publish (fan the tasks out)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..errors import ValidationError
from ..tasks.models import Task, TaskEvent
from ..tenancy.models import LEVELS, OrgUnit, User
from ..tenancy.tree import path_range
from .deadlines import phase_dates, resolve_deadline
from .models import Campaign, CampaignPhase, TaskSpec
from .registry import definition, plugin_manager

DOC_NUMBER_MAX = 60


def create_draft(session: Session, user: User, *, type_key: str, root_unit: OrgUnit, year: int | str,
                 title: str, doc_number: str = "") -> Campaign:
    """Create a draft campaign of type_key at root_unit with the type's phases and deadlines resolved."""
    errors = {}
    try:
        d = definition(type_key)
    except LookupError:
        d = None
        errors["type_key"] = "请选择已安装的专项行动模板"
    try:
        year = int(year)
        if not 2000 <= year <= 2100:
            raise ValueError
    except (TypeError, ValueError):
        errors["year"] = "年度应为2000至2100之间的四位数字"
    title = (title or "").strip()
    if not title:
        errors["title"] = "请填写专项行动名称"
    elif len(title) > 200:
        errors["title"] = "名称不能超过200个字"
    doc_number = (doc_number or "").strip()
    if len(doc_number) > DOC_NUMBER_MAX:
        errors["doc_number"] = f"文号不能超过{DOC_NUMBER_MAX}个字"
    if errors:
        raise ValidationError(fields=errors)

    campaign = Campaign(type_key=type_key, root_unit=root_unit, title=title, year=year,
                        doc_number=doc_number, created_by=user, tenant_id=root_unit.tenant_id)
    session.add(campaign)
    ends = {}
    for seq, phase in enumerate(d.phases):
        start, end = phase_dates(phase, year)
        ends[phase.key] = end
        campaign.phases.append(CampaignPhase(
            key=phase.key, name=phase.name, seq=seq, starts_on=start, ends_on=end,
            description=phase.description, source=phase.source, tenant_id=campaign.tenant_id))
    for seq, t in enumerate(d.tasks):
        campaign.specs.append(TaskSpec(
            template_key=t.key, seq=seq, title=t.title, description=t.description, phase_key=t.phase,
            level=t.level, due_on=resolve_deadline(t.deadline, year, ends[t.phase], clock.today()),
            deadline_rule=t.deadline.describe(), checklist_key=t.checklist, form_key=t.form,
            evidence_required=t.evidence_required, source=t.source, tenant_id=campaign.tenant_id))
    session.flush()
    return campaign


def _parse_date(raw: str | None, label: str, errors: dict, key: str) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        errors[key] = f"{label}：日期格式应为 年-月-日，例如 2022-06-17"
        return None


def update_draft(session: Session, user: User, campaign: Campaign, form: dict) -> None:
    """Apply edited title, document number, phase dates and task deadlines from a form.

    Keys: title, doc_number, phase-<id>-start, phase-<id>-end, spec-<id>-due. All or nothing.
    """
    if campaign.status != "draft":
        raise ValidationError("专项行动已发布，不能再修改草稿")
    errors: dict[str, str] = {}
    title = (form.get("title") or "").strip()
    if not title:
        errors["title"] = "请填写专项行动名称"
    elif len(title) > 200:
        errors["title"] = "名称不能超过200个字"
    doc_number = (form.get("doc_number") or "").strip()
    if len(doc_number) > DOC_NUMBER_MAX:
        errors["doc_number"] = f"文号不能超过{DOC_NUMBER_MAX}个字"
    phase_updates = {}
    for phase in campaign.phases:
        start = _parse_date(form.get(f"phase-{phase.id}-start", phase.starts_on.isoformat()),
                            f"{phase.name}开始日期", errors, f"phase-{phase.id}-start")
        end = _parse_date(form.get(f"phase-{phase.id}-end", phase.ends_on.isoformat()),
                          f"{phase.name}结束日期", errors, f"phase-{phase.id}-end")
        if start and end and end < start:
            errors[f"phase-{phase.id}-end"] = f"{phase.name}的结束日期不能早于开始日期"
        phase_updates[phase] = (start, end)
    spec_updates = {}
    for spec in campaign.specs:
        due = _parse_date(form.get(f"spec-{spec.id}-due", spec.due_on.isoformat()),
                          f"“{spec.title}”截止日期", errors, f"spec-{spec.id}-due")
        if due and not (campaign.year - 1 <= due.year <= campaign.year + 1):
            errors[f"spec-{spec.id}-due"] = f"“{spec.title}”的截止日期应在{campaign.year}年前后"
        spec_updates[spec] = due
    if errors:
        raise ValidationError(fields=errors)
    campaign.title, campaign.doc_number = title, doc_number
    for phase, (start, end) in phase_updates.items():
        phase.starts_on, phase.ends_on = start, end
    for spec, due in spec_updates.items():
        spec.due_on = due


def target_units(session: Session, root: OrgUnit, level: str) -> list[OrgUnit]:
    """Return the units of the given level in root's subtree; root itself for levels at or above it."""
    if LEVELS.get(level, 0) <= LEVELS.get(root.kind, 0):
        return [root]
    low, high = path_range(root.path)
    return list(session.scalars(
        select(OrgUnit).where(OrgUnit.path >= low, OrgUnit.path < high, OrgUnit.kind == level)
        .order_by(OrgUnit.path)))


def publish(session: Session, user: User, campaign: Campaign) -> int:
    """Publish a draft: create every task for every unit in scope, in the caller's transaction.

    Returns the number of tasks created.
    """
    if campaign.status != "draft":
        raise ValidationError("该专项行动已发布")
    units_by_level = {lvl: target_units(session, campaign.root_unit, lvl) for lvl in LEVELS}
    if not any(u.id != campaign.root_unit.id for units in units_by_level.values() for u in units):
        raise ValidationError("发布范围内没有下级单位，请先在“组织机构”中添加镇(街道)和村(社区)")
    tasks = []
    for spec in campaign.specs:
        for unit in units_by_level[spec.level]:
            tasks.append(Task(campaign_id=campaign.id, spec_id=spec.id, org_unit_id=unit.id,
                              unit_path=unit.path, title=spec.title, phase_key=spec.phase_key,
                              due_on=spec.due_on, status="todo", tenant_id=campaign.tenant_id))
    session.add_all(tasks)
    campaign.status = "published"
    campaign.published_at = clock.now()
    campaign.published_on = clock.today()
    session.flush()
    session.add_all([TaskEvent(task_id=t.id, actor_id=user.id, kind="created", to_status="todo",
                               tenant_id=t.tenant_id) for t in tasks])
    session.flush()
    plugin_manager().hook.campaign_published(campaign=campaign, actor=user)
    return len(tasks)
