"""The work on a task: ticking, filling the form, submitting, and the superior's review."""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock
from ..campaigns.registry import definition, plugin_manager
from ..errors import ValidationError
from ..evidence.models import Attachment
from ..tenancy.models import User
from .forms import validate_form
from .models import ChecklistTick, FormEntry, Task, TaskEvent

EDITABLE = ("todo", "in_progress", "returned")


def _event(session: Session, task: Task, user: User, kind: str, comment: str = "",
           from_status: str | None = None, to_status: str | None = None) -> TaskEvent:
    ev = TaskEvent(task_id=task.id, actor_id=user.id, kind=kind, comment=comment,
                   from_status=from_status, to_status=to_status, tenant_id=task.tenant_id)
    session.add(ev)
    return ev


def _ensure_editable(task: Task) -> None:
    if task.status not in EDITABLE:
        raise ValidationError(f"任务当前状态为“{task.status_label}”，不能修改")


def _start(session: Session, task: Task, user: User) -> None:
    if task.status == "todo":
        _event(session, task, user, "started", from_status="todo", to_status="in_progress")
        task.status = "in_progress"


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
    session.flush()
    plugin_manager().hook.task_status_changed(task=task, previous=previous, actor=user)


def _complete(task: Task) -> None:
    task.status = "approved"
    task.completed_at = clock.now()
    task.completed_on = clock.today()


def review(session: Session, user: User, task: Task, *, approve: bool, comment: str = "") -> None:
    """Approve a submitted task, or return it with a comment saying what to fix."""
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
    session.flush()
    plugin_manager().hook.task_status_changed(task=task, previous=previous, actor=user)


def comment_on(session: Session, user: User, task: Task, text: str) -> None:
    text = (text or "").strip()
    if not text:
        raise ValidationError("请填写意见内容")
    if len(text) > 1000:
        raise ValidationError("意见不能超过1000个字")
    _event(session, task, user, "commented", text)
