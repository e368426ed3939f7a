"""Tasks fanned out to org units, with their checklist ticks, form entries and history."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import TenantOwned, created_at_column
from ..tenancy.models import OrgUnit, PathString, User

STATUS_LABELS = {
    "todo": "未开始", "in_progress": "办理中", "submitted": "待审核", "approved": "已完成", "returned": "已退回",
}
OPEN_STATUSES = ("todo", "in_progress", "returned")


class Task(TenantOwned, db.Model):
    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    spec_id: Mapped[int] = mapped_column(ForeignKey("task_specs.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    # Copy of the unit's path, so "tasks in a subtree" is one index range on this table.
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    title: Mapped[str] = mapped_column(String(200))
    phase_key: Mapped[str] = mapped_column(String(60))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="todo")
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_on: Mapped[date | None] = mapped_column(Date)

    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")
    spec = relationship("TaskSpec", lazy="joined")
    campaign = relationship("Campaign")
    events: Mapped[list[TaskEvent]] = relationship(order_by="TaskEvent.id", back_populates="task")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def is_done(self) -> bool:
        return self.status == "approved"


class TaskEvent(TenantOwned, db.Model):
    """Append-only history of a task: every tick, save, upload, submission and review."""

    __tablename__ = "task_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = created_at_column()

    task: Mapped[Task] = relationship(back_populates="events")
    actor: Mapped[User] = relationship(lazy="joined")


class ChecklistTick(TenantOwned, db.Model):
    __tablename__ = "checklist_ticks"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(60))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = created_at_column()
    __table_args__ = (UniqueConstraint("task_id", "item_key", name="uq_checklist_ticks_task_item"),)


class FormEntry(TenantOwned, db.Model):
    """One saved version of a task's form; every save is kept, the newest is current."""

    __tablename__ = "form_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    form_key: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)
    saved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    saved_at: Mapped[datetime] = created_at_column()
    __table_args__ = (UniqueConstraint("task_id", "version", name="uq_form_entries_task_version"),)
