"""A launched campaign: its phases and its per-task deadlines, editable while in draft."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import TenantOwned, created_at_column
from ..tenancy.models import OrgUnit, User

STATUS_LABELS = {"draft": "草稿", "published": "进行中", "closed": "已结束"}


class Campaign(TenantOwned, db.Model):
    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(primary_key=True)
    type_key: Mapped[str] = mapped_column(String(60))
    # The launching unit: the campaign reaches this unit's whole subtree.
    root_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    doc_number: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_on: Mapped[date | None] = mapped_column(Date)
    # Warning lights (reports/progress.py): an open task due within this many working days is
    # yellow; a unit this many percentage points behind a phase's 序时进度 is yellow too.
    due_soon_days: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    pace_margin: Mapped[int] = mapped_column(Integer, default=20, server_default="20")

    root_unit: Mapped[OrgUnit] = relationship()
    created_by: Mapped[User] = relationship()
    phases: Mapped[list[CampaignPhase]] = relationship(
        back_populates="campaign", order_by="CampaignPhase.seq", cascade="all, delete-orphan")
    specs: Mapped[list[TaskSpec]] = relationship(
        back_populates="campaign", order_by="TaskSpec.seq", cascade="all, delete-orphan")

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)


class CampaignPhase(TenantOwned, db.Model):
    __tablename__ = "campaign_phases"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    key: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(100))
    seq: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")

    campaign: Mapped[Campaign] = relationship(back_populates="phases")
    __table_args__ = (UniqueConstraint("campaign_id", "key", name="uq_campaign_phases_campaign_key"),)


class TaskSpec(TenantOwned, db.Model):
    """A task template as resolved for one campaign: the deadline the bureau confirmed."""

    __tablename__ = "task_specs"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    template_key: Mapped[str] = mapped_column(String(60))
    seq: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    phase_key: Mapped[str] = mapped_column(String(60))
    level: Mapped[str] = mapped_column(String(20))
    due_on: Mapped[date] = mapped_column(Date)
    deadline_rule: Mapped[str] = mapped_column(String(60), default="")
    checklist_key: Mapped[str | None] = mapped_column(String(60))
    form_key: Mapped[str | None] = mapped_column(String(60))
    evidence_required: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(Text, default="")
    # Bureau departments (股室/中心) by name that get this task besides the units of ``level``
    # ("department": only them). Names, so a draft can show ones the bureau has not set up yet.
    responsible: Mapped[list] = mapped_column(JSON, default=list)
    # One period of a recurring task ("2022-04", "2023-Q3"): template_key is "<template>@<period>".
    period_key: Mapped[str | None] = mapped_column(String(20))
    period_label: Mapped[str | None] = mapped_column(String(40))

    campaign: Mapped[Campaign] = relationship(back_populates="specs")

    @property
    def base_key(self) -> str:
        """The task template's key, without the period of a recurring task."""
        return self.template_key.split("@", 1)[0]
    __table_args__ = (UniqueConstraint("campaign_id", "template_key", name="uq_task_specs_campaign_key"),)
