"""The daily reminder job: tasks due soon and overdue, to the assignees and their superiors.

For every published campaign of every tenant, on day D:

* an open task due within the campaign's N working days → "due_soon" to its assignees;
* an open task past its due day → "overdue" to its assignees and "overdue_below" to the
  superiors of its unit.

Assignees are the active users with a membership at exactly the task's unit whose role does the
work there (a village worker, a street operator, a bureau admin at the bureau). Superiors are
the active users who review that unit's work: the members of the nearest unit above it that
has reviewers. The same lights as everywhere (reports.progress.task_light) decide.

Each reminder exists once per (task, recipient, kind, day) — the insert ignores duplicates —
so reruns and concurrent workers are harmless. Scheduling: `flask supervision remind` (cron, or
by hand) runs it now; `flask supervision scheduler` runs it daily through rq's cron scheduler.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..campaigns.models import Campaign
from ..extensions import db
from ..reports.progress import due_soon_days, task_light, workdays_left
from ..tasks.models import OPEN_STATUSES, Task
from ..tenancy.models import Membership, OrgUnit, Tenant, User
from ..tenancy.permissions import ROLE_PERMISSIONS, Permission
from ..tenancy.scoping import set_tenant
from ..workdays import add_workdays
from .services import insert_ignoring_duplicates

log = logging.getLogger(__name__)
JOB = "duban.notifications.reminders:daily"


@dataclass
class Summary:
    day: date
    tasks: int = 0
    created: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class People:
    """Who works at and who reviews each unit of one tenant (active users only)."""

    def __init__(self, session: Session):
        self.work: dict[int, set[int]] = {}
        self.review: dict[int, set[int]] = {}
        rows = session.execute(select(Membership.org_unit_id, Membership.role, Membership.user_id)
                               .join(User, User.id == Membership.user_id).where(User.active.is_(True))).all()
        for unit_id, role, user_id in rows:
            rights = ROLE_PERMISSIONS.get(role, ())
            if Permission.TASK_WORK in rights:
                self.work.setdefault(unit_id, set()).add(user_id)
            if Permission.TASK_REVIEW in rights:
                self.review.setdefault(unit_id, set()).add(user_id)

    def assignees(self, unit: OrgUnit) -> set[int]:
        return self.work.get(unit.id, set())

    def superiors(self, unit: OrgUnit) -> set[int]:
        for ancestor_id in reversed(unit.ancestor_ids[:-1]):
            if self.review.get(ancestor_id):
                return self.review[ancestor_id]
        return set()


def _title(kind: str, task: Task, day: date) -> tuple[str, str]:
    due = f"{task.due_on.month}月{task.due_on.day}日"
    late = (day - task.due_on).days
    if kind == "due_soon":
        left = "今天" if task.due_on == day else f"{due}（还有{workdays_left(day, task.due_on)}个工作日）"
        return f"“{task.title}”将于{left}截止", f"{task.org_unit.name}：请在{due}前完成并提交。"
    if kind == "overdue":
        return f"“{task.title}”已逾期{late}天", f"{task.org_unit.name}：截止日期为{due}，请尽快办理并提交。"
    return (f"{task.org_unit.name}“{task.title}”已逾期{late}天",
            f"截止日期为{due}，该单位尚未提交，请督促办理。")


def remind_tenant(session: Session, tenant_id: int, day: date) -> Summary:
    """Create the day's reminders for one tenant in the caller's transaction."""
    set_tenant(session, tenant_id)
    summary = Summary(day)
    people = None
    for campaign in session.scalars(select(Campaign).where(Campaign.status == "published").order_by(Campaign.id)):
        soon = due_soon_days(campaign)
        horizon = add_workdays(day, soon + 1)  # the light decides exactly; this only bounds the query
        tasks = session.scalars(select(Task).where(
            Task.campaign_id == campaign.id, Task.status.in_(OPEN_STATUSES), Task.due_on < horizon)
            .order_by(Task.due_on, Task.id))
        for task in tasks:
            light = task_light(task.status, task.due_on, day, soon)
            if light not in ("yellow", "red"):
                continue
            people = people or People(session)
            summary.tasks += 1
            sends = [("due_soon" if light == "yellow" else "overdue", people.assignees(task.org_unit))]
            if light == "red":
                sends.append(("overdue_below", people.superiors(task.org_unit)))
            for kind, recipients in sends:
                title, body = _title(kind, task, day)
                rows = [dict(tenant_id=tenant_id, recipient_id=uid, kind=kind, title=title, body=body,
                             task_id=task.id, campaign_id=campaign.id, org_unit_id=task.org_unit_id,
                             subject_type="", subject_id=None, actor_id=None, day=day, created_at=clock.now())
                        for uid in sorted(recipients)]
                created = len(insert_ignoring_duplicates(session, rows))
                summary.created += created
                summary.by_kind[kind] = summary.by_kind.get(kind, 0) + created
    return summary


def run_reminders(session: Session, day: date | None = None) -> list[tuple[Tenant, Summary]]:
    """Remind every tenant, one transaction each (a failing tenant does not stop the others)."""
    day = day or clock.today()
    set_tenant(session, None)
    tenants = list(session.scalars(select(Tenant).order_by(Tenant.id)))
    done, failed = [], []
    for tenant in tenants:
        try:
            summary = remind_tenant(session, tenant.id, day)
            session.commit()
            done.append((tenant, summary))
        except Exception:
            session.rollback()
            log.exception("reminders for tenant %s on %s failed", tenant.id, day)
            failed.append(tenant.id)
        finally:
            set_tenant(session, None)
    if failed:
        raise RuntimeError(f"reminders failed for tenants {failed} (the others were sent)")
    return done


def daily(day: str | None = None) -> int:
    """Job entry point (rq or inline): run the reminders for day (ISO date; default today).

    Returns the number of notifications created."""
    results = run_reminders(db.session, date.fromisoformat(day) if day else None)
    return sum(s.created for _, s in results)
