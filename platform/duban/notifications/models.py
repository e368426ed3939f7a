"""In-app notifications and each user's choice of extra channels."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import TenantOwned, created_at_column
from ..tenancy.models import User

KIND_LABELS = {
    "due_soon": "临期提醒", "overdue": "逾期提醒", "overdue_below": "下级逾期", "urge": "催办",
    "escalation": "督办", "escalation_resolved": "督办办结", "circular": "通报", "spot_check": "抽查",
}
# Daily reminders: at most one per (task, recipient, kind, day) — see the unique constraint.
REMINDER_KINDS = ("due_soon", "overdue", "overdue_below")


class Notification(TenantOwned, db.Model):
    """One message to one user. Reminders carry the day they are for; every other kind has
    day NULL, and NULLs never collide in a unique constraint (SQLite and PostgreSQL alike)."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    # What the message is about when it is not a task: "escalation", "circular", "spot_check".
    subject_type: Mapped[str] = mapped_column(String(30), default="")
    subject_id: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    day: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = created_at_column()
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])

    __table_args__ = (
        UniqueConstraint("task_id", "recipient_id", "kind", "day", name="uq_notifications_task_recipient_kind_day"),
        Index("ix_notifications_recipient_read", "recipient_id", "read_at"),
    )

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


class NotificationSetting(TenantOwned, db.Model):
    """Where else a user wants their notifications (only e-mail so far, off by default)."""

    __tablename__ = "notification_settings"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
