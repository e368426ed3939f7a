"""Launching a campaign: draft from a type, edit dates, publish (fan the tasks out)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..audit.services import record
from ..errors import ValidationError
from ..tasks.models import Task, TaskEvent
from ..tenancy.models import LEVELS, OrgUnit, User
from ..tenancy.tree import path_range
from . import departments
from .deadlines import expand, phase_dates, resolve_deadline
from .models import Campaign, CampaignPhase, TaskSpec
from .registry import definition, plugin_manager
from .types import CampaignDefinition, TaskTemplate

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
    dates = {}
    for seq, phase in enumerate(d.phases):
        start, end = phase_dates(phase, year)
        dates[phase.key] = (start, end)
        campaign.phases.append(CampaignPhase(
            key=phase.key, name=phase.name, seq=seq, starts_on=start, ends_on=end,
            description=phase.description, source=phase.source, tenant_id=campaign.tenant_id))
    seq = 0
    for t in d.tasks:
        for inst in instances(d, t, year, dates, clock.today()):
            campaign.specs.append(TaskSpec(
                template_key=inst.key, seq=seq, title=inst.title, description=t.description, phase_key=inst.phase,
                level=t.level, due_on=inst.due_on, deadline_rule=t.deadline.describe(), checklist_key=t.checklist,
                form_key=t.form, evidence_required=t.evidence_required, source=t.source,
                responsible=list(t.responsible), period_key=inst.period_key, period_label=inst.period_label,
                tenant_id=campaign.tenant_id))
            seq += 1
    session.flush()
    record(session, user, "campaign.drafted", object_type="campaign", object_id=campaign.id, org_unit=root_unit,
           campaign_id=campaign.id, new={"type_key": type_key, "title": title, "year": year, "doc_number": doc_number})
    return campaign


@dataclass(frozen=True)
class Instance:
    """A task template resolved for one campaign: once, or once per period of a recurring rule."""

    key: str
    title: str
    phase: str
    due_on: date
    period_key: str | None = None
    period_label: str | None = None


def instances(d: CampaignDefinition, t: TaskTemplate, year: int, dates: dict[str, tuple[date, date]],
              today: date) -> Iterator[Instance]:
    """Yield the task specs a template makes: one, or for a recurring deadline one per period
    (key "<template>@<period>", title suffixed with the period, phase the one holding its due day)."""
    period = (min(s for s, _ in dates.values()), max(e for _, e in dates.values()))
    if not t.deadline.recurring:
        due = resolve_deadline(t.deadline, year, dates[t.phase][1], today, period)
        yield Instance(t.key, t.title, t.phase, due, period_label=t.period_label or None)
        return
    for occ in expand(t.deadline, year, dates[t.phase], period):
        yield Instance(f"{t.key}@{occ.key}", f"{t.title}（{occ.label}）", _phase_holding(d, t.phase, occ.due_on, dates),
                       occ.due_on, occ.key, occ.label)


def _phase_holding(d: CampaignDefinition, preferred: str, day: date, dates: dict[str, tuple[date, date]]) -> str:
    start, end = dates[preferred]
    if start <= day <= end:
        return preferred
    return next((p.key for p in d.phases if dates[p.key][0] <= day <= dates[p.key][1]), preferred)

def _parse_date(raw: str | None, label: str, errors: dict, key: str) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        errors[key] = f"{label}：日期格式应为 年-月-日，例如 2022-06-17"
        return None


def _parse_int(raw, low: int, high: int, label: str, errors: dict, key: str) -> int | None:
    try:
        value = int(str(raw if raw is not None else "").strip())
        if not low <= value <= high:
            raise ValueError
        return value
    except ValueError:
        errors[key] = f"{label}应为{low}至{high}之间的整数"
        return None


def update_draft(session: Session, user: User, campaign: Campaign, form: dict) -> None:
    """Apply edited title, document number, phase dates and task deadlines from a form.

    Keys: title, doc_number, due_soon_days, pace_margin, phase-<id>-start, phase-<id>-end,
    spec-<id>-due. All or nothing.
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
    soon = _parse_int(form.get("due_soon_days", campaign.due_soon_days), 0, 30, "临期提醒天数", errors, "due_soon_days")
    margin = _parse_int(form.get("pace_margin", campaign.pace_margin), 1, 100, "序时进度容差", errors, "pace_margin")
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
    old = {"title": campaign.title, "doc_number": campaign.doc_number, "due_soon_days": campaign.due_soon_days,
           "pace_margin": campaign.pace_margin,
           **{f"phase:{p.key}": [p.starts_on, p.ends_on] for p in phase_updates},
           **{f"task:{s.template_key}": s.due_on for s in spec_updates}}
    campaign.title, campaign.doc_number = title, doc_number
    campaign.due_soon_days, campaign.pace_margin = soon, margin
    for phase, (start, end) in phase_updates.items():
        phase.starts_on, phase.ends_on = start, end
    for spec, due in spec_updates.items():
        spec.due_on = due
    new = {"title": title, "doc_number": doc_number, "due_soon_days": soon, "pace_margin": margin,
           **{f"phase:{p.key}": [s, e] for p, (s, e) in phase_updates.items()},
           **{f"task:{s.template_key}": d for s, d in spec_updates.items()}}
    changed = [k for k in new if old.get(k) != new[k]]
    if changed:
        record(session, user, "campaign.draft_updated", object_type="campaign", object_id=campaign.id,
               org_unit=campaign.root_unit, campaign_id=campaign.id, old={k: old.get(k) for k in changed},
               new={k: new[k] for k in changed})


def target_units(session: Session, root: OrgUnit, level: str) -> list[OrgUnit]:
    """Return the units of the given level in root's subtree; root itself for levels at or above it."""
    if LEVELS.get(level, 0) <= LEVELS.get(root.kind, 0):
        return [root]
    low, high = path_range(root.path)
    return list(session.scalars(
        select(OrgUnit).where(OrgUnit.path >= low, OrgUnit.path < high, OrgUnit.kind == level)
        .order_by(OrgUnit.path)))


def _refresh_publish_relative(campaign: Campaign) -> None:
    """Count "N (working) days after publication" from today, unless the admin changed the date."""
    d, today = definition(campaign.type_key), clock.today()
    created = campaign.created_at
    drafted_on = (created.astimezone(clock.TZ) if created.tzinfo else created).date() \
        if isinstance(created, datetime) else today
    rules = {t.key: t.deadline for t in d.tasks if t.deadline.kind in ("relative", "workdays")}
    for spec in campaign.specs:
        rule = rules.get(spec.template_key)
        if rule is not None and spec.due_on == resolve_deadline(rule, campaign.year, spec.due_on, drafted_on):
            spec.due_on = resolve_deadline(rule, campaign.year, spec.due_on, today)


def publish(session: Session, user: User, campaign: Campaign) -> int:
    """Publish a draft: create every task for every unit in scope, in the caller's transaction.

    Returns the number of tasks created.
    """
    if campaign.status != "draft":
        raise ValidationError("该专项行动已发布")
    departments.require_resolved(session, campaign)
    units_by_level = {lvl: target_units(session, campaign.root_unit, lvl) for lvl in LEVELS}
    by_name = departments.assignees(session, campaign)
    if not any(u.id != campaign.root_unit.id
               for units in (*units_by_level.values(), by_name.values()) for u in units):
        raise ValidationError("发布范围内没有下级单位，请先在“组织机构”中添加镇(街道)和村(社区)")
    _refresh_publish_relative(campaign)
    tasks = []
    for spec in campaign.specs:
        units = {u.id: u for u in units_by_level.get(spec.level, ())}
        units.update({by_name[n].id: by_name[n] for n in spec.responsible or ()})
        for unit in units.values():
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
    record(session, user, "campaign.published", object_type="campaign", object_id=campaign.id,
           org_unit=campaign.root_unit, campaign_id=campaign.id, old={"status": "draft"},
           new={"status": "published", "tasks": len(tasks)})
    plugin_manager().hook.campaign_published(campaign=campaign, actor=user)
    return len(tasks)
