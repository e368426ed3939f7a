"""Supervision records. None is ever deleted: each has a status, and every change is audited."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import TenantOwned, created_at_column
from ..tenancy.models import OrgUnit, PathString, User

ESCALATION_KINDS = {"summon": "约谈", "circular": "通报", "supervised": "挂牌督办"}
ESCALATION_STATUS = {"open": "督办中", "resolved": "已办结"}
CLUE_STATUS = {"recorded": "已登记", "transferred": "已移交纪检监察"}
CIRCULAR_STATUS = {"draft": "草稿", "issued": "已印发"}
FINDINGS = {"pending": "待核查", "ok": "无问题", "issue": "发现问题"}


class _AtUnit(TenantOwned):
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()


class Urge(_AtUnit, db.Model):
    """催办: a superior presses a unit (or one of its tasks) to get on with it."""

    __tablename__ = "urges"
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), index=True)
    message: Mapped[str] = mapped_column(Text)

    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship(lazy="joined")
    task = relationship("Task")


class Escalation(_AtUnit, db.Model):
    """约谈 / 通报 / 挂牌督办 against a unit, followed up by a deadline and closed by a resolution."""

    __tablename__ = "escalations"
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    on_date: Mapped[date] = mapped_column(Date)
    follow_up_by: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    resolution: Mapped[str] = mapped_column(Text, default="")
    resolved_on: Mapped[date | None] = mapped_column(Date)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship(foreign_keys="Escalation.created_by_id", lazy="joined")
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    campaign = relationship("Campaign")
    links: Mapped[list[EscalationLink]] = relationship(order_by="EscalationLink.id")

    @property
    def kind_label(self) -> str:
        return ESCALATION_KINDS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return ESCALATION_STATUS.get(self.status, self.status)


class EscalationLink(TenantOwned, db.Model):
    """A task or a problem an escalation is about."""

    __tablename__ = "escalation_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id"))

    task = relationship("Task", lazy="joined")
    problem = relationship("Problem", lazy="joined")


class Clue(_AtUnit, db.Model):
    """问题线索: a possible violation, recorded and transferred to 纪检监察.
    Only bureau admins and inspectors above the unit ever see one."""

    __tablename__ = "clues"
    summary: Mapped[str] = mapped_column(String(200))
    details: Mapped[str] = mapped_column(Text, default="")
    persons: Mapped[str] = mapped_column(String(200), default="")  # 涉及人员
    recorded_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="recorded")
    transferred_on: Mapped[date | None] = mapped_column(Date)
    transferred_to: Mapped[str] = mapped_column(String(100), default="")
    transfer_note: Mapped[str] = mapped_column(Text, default="")
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id"))

    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship(lazy="joined")

    @property
    def status_label(self) -> str:
        return CLUE_STATUS.get(self.status, self.status)


class Circular(_AtUnit, db.Model):
    """通报: drafted from the campaign's figures as of a day, edited, issued as a 公文-style PDF.
    org_unit is the issuing unit (the campaign's launching bureau)."""

    __tablename__ = "circulars"
    as_of: Mapped[date] = mapped_column(Date)
    doc_number: Mapped[str] = mapped_column(String(60), default="")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    issuer: Mapped[str] = mapped_column(String(100))
    issued_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship(foreign_keys="Circular.created_by_id", lazy="joined")
    campaign = relationship("Campaign")

    @property
    def status_label(self) -> str:
        return CIRCULAR_STATUS.get(self.status, self.status)


class SpotCheck(_AtUnit, db.Model):
    """抽查: a seeded random sample of a unit's tasks (or other rows), drawn reproducibly."""

    __tablename__ = "spot_checks"
    population: Mapped[str] = mapped_column(String(40))  # key in sampling.POPULATIONS
    population_size: Mapped[int] = mapped_column(Integer)
    sample_size: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    drawn_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")

    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship(lazy="joined")
    campaign = relationship("Campaign")
    items: Mapped[list[SpotCheckItem]] = relationship(order_by="SpotCheckItem.seq", back_populates="spot_check")


class SpotCheckItem(TenantOwned, db.Model):
    __tablename__ = "spot_check_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    spot_check_id: Mapped[int] = mapped_column(ForeignKey("spot_checks.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int] = mapped_column(Integer)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    label: Mapped[str] = mapped_column(String(300))  # what was drawn, as it read at the time
    finding: Mapped[str] = mapped_column(String(20), default="pending")
    note: Mapped[str] = mapped_column(Text, default="")
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id"))

    spot_check: Mapped[SpotCheck] = relationship(back_populates="items")
    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")
    __table_args__ = (UniqueConstraint("spot_check_id", "seq", name="uq_spot_check_items_check_seq"),)

    @property
    def finding_label(self) -> str:
        return FINDINGS.get(self.finding, self.finding)
