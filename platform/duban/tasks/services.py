"""The work on a task: ticking, filling the form, submitting, and the superior's review."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from .. import clock
from ..audit.services import record
from ..campaigns.models import Campaign, CampaignPhase
from ..campaigns.registry import definition, plugin_manager
from ..errors import ValidationError
from ..evidence.models import Attachment
from ..evidence.services import attach, clean_filename, soft_delete
from ..reports.progress import task_light
from ..tenancy.access import can, roots
from ..tenancy.models import OrgUnit, User
from ..tenancy.permissions import ROLE_PERMISSIONS, Permission, Role
from ..tenancy.tree import path_range
from .forms import validate_form
from .models import ChecklistTick, FormEntry, Task, TaskEvent

EDITABLE = ("todo", "in_progress", "returned")
# Tasks of these campaigns can be seen; only those of a published campaign can be worked on.
VIEWABLE_CAMPAIGNS = ("published", "closed")

EVENT_LABELS = {
    "created": "任务下达", "started": "开始办理", "checklist": "更新检查清单", "form_saved": "保存填报表单",
    "evidence_added": "上传佐证材料", "evidence_deleted": "删除佐证材料", "submitted": "提交审核",
    "completed": "办结", "approved": "审核通过", "returned": "退回修改", "commented": "发表意见",
    "urged": "催办", "escalated": "督办",
}


def _event(session: Session, task: Task, user: User, kind: str, comment: str = "",
           from_status: str | None = None, to_status: str | None = None) -> TaskEvent:
    ev = TaskEvent(task_id=task.id, actor_id=user.id, kind=kind, comment=comment,
                   from_status=from_status, to_status=to_status, tenant_id=task.tenant_id)
    session.add(ev)
    return ev


def _audit(session: Session, user: User, task: Task, action: str, *, old: dict | None = None,
           new: dict | None = None, note: str = "") -> None:
    """Put the change on the audit trail (audit/) beside the task's own history."""
    record(session, user, action, object_type="task", object_id=task.id, org_unit=task.org_unit,
           campaign_id=task.campaign_id, old=old, new=new, note=note)


def _ensure_open_campaign(task: Task) -> None:
    if task.campaign.status != "published":
        raise ValidationError("该专项行动不在进行中，任务不能再办理")


def _ensure_editable(task: Task) -> None:
    _ensure_open_campaign(task)
    if task.status not in EDITABLE:
        raise ValidationError(f"任务当前状态为“{task.status_label}”，不能修改")


def _start(session: Session, task: Task, user: User) -> None:
    if task.status == "todo":
        _event(session, task, user, "started", from_status="todo", to_status="in_progress")
        task.status = "in_progress"
        _audit(session, user, task, "task.started", old={"status": "todo"}, new={"status": "in_progress"})


def checklist_for(task: Task):
    if not task.spec.checklist_key:
        return None
    return definition(task.campaign.type_key).checklists[task.spec.checklist_key]


def form_for(task: Task):
    if not task.spec.form_key:
        return None
    return definition(task.campaign.type_key).forms[task.spec.form_key]


def ticks(session: Session, task: Task) -> dict[str, bool]:
    return {t.item_key: t.done for t in session.scalars(select(ChecklistTick).where(ChecklistTick.task_id == task.id))}


def set_ticks(session: Session, user: User, task: Task, done_keys: set[str]) -> None:
    """Record which checklist items are done (the others are not)."""
    _ensure_editable(task)
    checklist = checklist_for(task)
    if checklist is None:
        raise ValidationError("该任务没有检查清单")
    known = {i.key for i in checklist.items}
    unknown = set(done_keys) - known
    if unknown:
        raise ValidationError("检查清单中没有所选的事项，请刷新页面后重试")
    current = {t.item_key: t for t in session.scalars(select(ChecklistTick).where(ChecklistTick.task_id == task.id))}
    changed = []
    for item in checklist.items:
        done = item.key in done_keys
        tick = current.get(item.key)
        if tick is None:
            if not done:
                continue
            session.add(ChecklistTick(task_id=task.id, item_key=item.key, done=True, by_id=user.id,
                                      tenant_id=task.tenant_id))
        elif tick.done == done:
            continue
        else:
            tick.done, tick.by_id, tick.at = done, user.id, clock.now()
        changed.append(("☑ " if done else "☐ ") + item.text)
    if changed:
        _start(session, task, user)
        _event(session, task, user, "checklist", comment="\n".join(changed))
        _audit(session, user, task, "task.checklist", new={"changed": changed})


def current_form(session: Session, task: Task) -> FormEntry | None:
    return session.scalars(select(FormEntry).where(FormEntry.task_id == task.id)
                           .order_by(FormEntry.version.desc()).limit(1)).first()


def save_form(session: Session, user: User, task: Task, raw: dict) -> FormEntry:
    """Validate and store a new version of the task's form; earlier versions are kept."""
    _ensure_editable(task)
    form = form_for(task)
    if form is None:
        raise ValidationError("该任务没有需要填报的表单")
    data, errors = validate_form(form, raw)
    if not errors:
        extra = plugin_manager().hook.validate_submission(
            campaign=task.campaign, org_unit=task.org_unit, form_key=form.key, data=data)
        messages = [m for msgs in extra for m in (msgs or [])]
        if messages:
            raise ValidationError(*messages)
    if errors:
        raise ValidationError(fields=errors)
    version = (session.scalar(select(func.max(FormEntry.version)).where(FormEntry.task_id == task.id)) or 0) + 1
    entry = FormEntry(task_id=task.id, form_key=form.key, version=version, data=data, saved_by_id=user.id,
                      tenant_id=task.tenant_id)
    session.add(entry)
    _start(session, task, user)
    _event(session, task, user, "form_saved", comment=f"保存《{form.title}》第{version}版")
    _audit(session, user, task, "task.form_saved", new={"form": form.key, "version": version, "data": data})
    return entry


def evidence_count(session: Session, task: Task) -> int:
    return session.scalar(select(func.count()).select_from(Attachment)
                          .where(Attachment.task_id == task.id, Attachment.deleted.is_(False))) or 0


def missing_for_submit(session: Session, task: Task) -> list[str]:
    """What still has to be done before the task can be submitted (Chinese, for the user)."""
    missing = []
    checklist = checklist_for(task)
    if checklist:
        done = ticks(session, task)
        left = [i.text for i in checklist.items if not done.get(i.key)]
        if left:
            missing.append(f"检查清单还有{len(left)}项未完成")
    if form_for(task) and current_form(session, task) is None:
        missing.append(f"请先填报《{form_for(task).title}》")
    if task.spec.evidence_required and evidence_count(session, task) == 0:
        missing.append("请上传至少一份佐证材料")
    return missing


def is_top_level(task: Task) -> bool:
    """A task of the campaign's launching unit has no superior inside the tenant to review it."""
    return task.org_unit_id == task.campaign.root_unit_id


def submit(session: Session, user: User, task: Task, comment: str = "") -> None:
    """Submit the task for review (or complete it, at the launching unit)."""
    _ensure_editable(task)
    comment = (comment or "").strip()
    if len(comment) > 1000:
        raise ValidationError("说明不能超过1000个字")
    missing = missing_for_submit(session, task)
    if missing:
        raise ValidationError(*missing)
    previous = task.status
    task.submitted_at = clock.now()
    if is_top_level(task):
        _complete(task)
        _event(session, task, user, "completed", comment, previous, task.status)
    else:
        task.status = "submitted"
        _event(session, task, user, "submitted", comment, previous, task.status)
    _audit(session, user, task, "task.completed" if task.status == "approved" else "task.submitted",
           old={"status": previous}, new={"status": task.status}, note=comment)
    session.flush()
    plugin_manager().hook.task_status_changed(task=task, previous=previous, actor=user)


def _complete(task: Task) -> None:
    task.status = "approved"
    task.completed_at = clock.now()
    task.completed_on = clock.today()


def review(session: Session, user: User, task: Task, *, approve: bool, comment: str = "") -> None:
    """Approve a submitted task, or return it with a comment saying what to fix."""
    _ensure_open_campaign(task)
    if task.status != "submitted":
        raise ValidationError("只能审核“待审核”状态的任务")
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError("退回时请填写退回原因")
    if len(comment) > 1000:
        raise ValidationError("审核意见不能超过1000个字")
    previous = task.status
    if approve:
        _complete(task)
    else:
        task.status = "returned"
    _event(session, task, user, "approved" if approve else "returned", comment, previous, task.status)
    _audit(session, user, task, "task.approved" if approve else "task.returned", old={"status": previous},
           new={"status": task.status}, note=comment)
    session.flush()
    plugin_manager().hook.task_status_changed(task=task, previous=previous, actor=user)


def comment_on(session: Session, user: User, task: Task, text: str) -> None:
    _ensure_open_campaign(task)
    text = (text or "").strip()
    if not text:
        raise ValidationError("请填写意见内容")
    if len(text) > 1000:
        raise ValidationError("意见不能超过1000个字")
    _event(session, task, user, "commented", text)
    _audit(session, user, task, "task.commented", note=text)


# --- Who may do what on a task ---------------------------------------------------------------

def _is_admin_over(user: User, unit: OrgUnit) -> bool:
    return any(m.role == Role.BUREAU_ADMIN and unit.is_within(m.org_unit) for m in user.memberships)


def works_at(user: User, unit: OrgUnit, permission: Permission = Permission.TASK_WORK) -> bool:
    """True when the user does unit's own work: a member of exactly that unit whose role grants
    permission, or a bureau admin above it. A township operator reviews a village's task; they do
    not tick, fill or submit it for the village."""
    if not can(user, permission, unit):
        return False
    return _is_admin_over(user, unit) or any(
        m.org_unit_id == unit.id and permission in ROLE_PERMISSIONS.get(m.role, ()) for m in user.memberships)


def may_work(user: User, task: Task) -> bool:
    return task.campaign.status == "published" and works_at(user, task.org_unit)


def may_review(user: User, task: Task) -> bool:
    """A superior with the review right above the task's unit (never the unit itself)."""
    return task.campaign.status == "published" and can(user, Permission.TASK_REVIEW, task.org_unit,
                                                        strictly_above=True)


def may_comment(user: User, task: Task) -> bool:
    return task.campaign.status == "published" and can(user, Permission.TASK_COMMENT, task.org_unit)


# --- "My tasks": the user's own work and what waits for their review ---------------------------

@dataclass
class TaskRow:
    task: Task
    campaign: Campaign
    phase: CampaignPhase | None
    light: str


@dataclass
class PhaseGroup:
    campaign: Campaign
    phase: CampaignPhase | None
    rows: list[TaskRow] = field(default_factory=list)


@dataclass
class MyTasks:
    overdue: list[TaskRow]
    due_soon: list[TaskRow]
    phases: list[PhaseGroup]
    to_review: list[TaskRow]
    works: bool  # whether the user has any unit whose tasks they do
    reviews: bool  # whether the user reviews anything below them

    @property
    def own_count(self) -> int:
        return sum(len(g.rows) for g in self.phases)


def campaign_choices(session: Session, user: User) -> list[Campaign]:
    """Published campaigns that reach the user: launched at, above or below one of their units."""
    units = roots(user)
    stmt = select(Campaign).where(Campaign.status == "published").order_by(Campaign.year.desc(), Campaign.id.desc())
    return [c for c in session.scalars(stmt)
            if any(u.is_within(c.root_unit) or c.root_unit.is_within(u) for u in units)]


def pick_campaign(choices: list[Campaign], raw: str | None) -> Campaign | None:
    """The campaign named by a filter value (an id), or None for all; anything else is rejected."""
    if raw in (None, ""):
        return None
    found = next((c for c in choices if str(c.id) == str(raw).strip()), None)
    if found is None:
        raise ValidationError("所选专项行动不存在或未发布，已显示全部任务")
    return found


def _rows(session: Session, stmt, today, soon) -> list[TaskRow]:
    pairs = session.execute(stmt).all()
    campaign_ids = {c.id for _, c in pairs}
    phases = {}
    if campaign_ids:
        for p in session.scalars(select(CampaignPhase).where(CampaignPhase.campaign_id.in_(campaign_ids))):
            phases[(p.campaign_id, p.key)] = p
    # Each campaign's own N (Campaign.due_soon_days); soon is the default for one without.
    return [TaskRow(t, c, phases.get((c.id, t.phase_key)),
                    task_light(t.status, t.due_on, today, soon if c.due_soon_days is None else c.due_soon_days))
            for t, c in pairs]


def my_tasks(session: Session, user: User, today, soon: int, campaign: Campaign | None = None) -> MyTasks:
    """The tasks of the user's own units (overdue, due soon, and all of them by phase), and the
    submitted tasks of the units below them that wait for the user's review."""
    base = select(Task, Campaign).join(Campaign, Campaign.id == Task.campaign_id).where(Campaign.status == "published")
    if campaign is not None:
        base = base.where(Task.campaign_id == campaign.id)
    work_ids = [u.id for u in roots(user, Permission.TASK_WORK) if works_at(user, u)]
    own = _rows(session, base.where(Task.org_unit_id.in_(work_ids)).order_by(Task.due_on, Task.id), today, soon) \
        if work_ids else []
    review_roots = roots(user, Permission.TASK_REVIEW)
    to_review = []
    if review_roots:
        below = or_(*(and_(Task.unit_path > r.path, Task.unit_path < path_range(r.path)[1]) for r in review_roots))
        to_review = _rows(session, base.where(Task.status == "submitted", below)
                          .order_by(Task.submitted_at, Task.due_on, Task.id), today, soon)
    groups: dict[tuple, PhaseGroup] = {}
    for row in own:
        key = (row.campaign.id, row.phase.seq if row.phase else 999, row.task.phase_key)
        groups.setdefault(key, PhaseGroup(row.campaign, row.phase)).rows.append(row)
    return MyTasks(
        overdue=[r for r in own if r.light == "red"], due_soon=[r for r in own if r.light == "yellow"],
        phases=[groups[k] for k in sorted(groups, key=lambda k: (-k[0], k[1], k[2]))],
        to_review=to_review, works=bool(work_ids), reviews=bool(review_roots))


# --- Details shown on a task's page ----------------------------------------------------------

def form_versions(session: Session, task: Task) -> list[tuple[FormEntry, User]]:
    """Every saved version of the task's form, newest first, with who saved it."""
    return list(session.execute(
        select(FormEntry, User).join(User, User.id == FormEntry.saved_by_id)
        .where(FormEntry.task_id == task.id).order_by(FormEntry.version.desc())).all())


def form_values(entry: FormEntry | None) -> dict[str, str]:
    """A saved entry as the strings a form shows (a ticked bool is "1")."""
    if entry is None:
        return {}
    return {k: ("1" if v is True else "" if v is False or v is None else str(v)) for k, v in entry.data.items()}


def evidence_for(session: Session, task: Task) -> list[Attachment]:
    return list(session.scalars(select(Attachment).where(Attachment.task_id == task.id,
                                                         Attachment.deleted.is_(False)).order_by(Attachment.id)))


def phase_of(session: Session, task: Task) -> CampaignPhase | None:
    return session.scalar(select(CampaignPhase).where(CampaignPhase.campaign_id == task.campaign_id,
                                                      CampaignPhase.key == task.phase_key))


# --- Evidence on a task ----------------------------------------------------------------------

def add_evidence(session: Session, user: User, task: Task, files: list[tuple[str, object]]) -> list[Attachment]:
    """Store uploaded files (name, stream) as the task's evidence; all or nothing."""
    _ensure_editable(task)
    files = [(name, stream) for name, stream in files if name]
    if not files:
        raise ValidationError("请选择要上传的文件")
    added = []
    for name, stream in files:
        try:
            added.append(attach(session, user, org_unit=task.org_unit, filename=name, stream=stream,
                                task_id=task.id))
        except ValidationError as e:
            if len(files) == 1:
                raise
            raise ValidationError(*(f"“{clean_filename(name)}”：{m}" for m in e.messages)) from None
    _start(session, task, user)
    _event(session, task, user, "evidence_added", comment="\n".join(a.filename for a in added))
    _audit(session, user, task, "evidence.added",
           new={"files": [{"id": a.id, "filename": a.filename, "sha256": a.sha256} for a in added]})
    return added


def remove_evidence(session: Session, user: User, task: Task, attachment: Attachment) -> None:
    """Mark one of the task's files deleted (the stored bytes are kept) and record it."""
    _ensure_editable(task)
    if attachment.task_id != task.id:
        raise ValidationError("该文件不属于此任务")
    soft_delete(session, attachment, actor=user)
    _event(session, task, user, "evidence_deleted", comment=attachment.filename)
