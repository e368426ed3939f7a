"""The three lists: problems found, their rectifications, and results."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import TenantOwned, created_at_column
from ..tenancy.models import OrgUnit, PathString, User

PROBLEM_SOURCES = {
    "self_check": "自查", "spot_check": "抽查", "petition": "信访", "audit": "审计", "inspection": "督导检查",
}
PROBLEM_STATUS = {"open": "待整改", "rectifying": "整改中", "closed": "已整改"}
RECTIFICATION_STATUS = {"planned": "未开始", "in_progress": "整改中", "done": "已完成"}


class _ListEntry(TenantOwned):
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    # Values of the plugin's extra columns (lists.yaml keys that are not core fields).
    extra: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()


class Problem(_ListEntry, db.Model):
    __tablename__ = "problems"
    source: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    found_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="open")

    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship()
    rectifications: Mapped[list[Rectification]] = relationship(back_populates="problem", order_by="Rectification.id")

    @property
    def source_label(self) -> str:
        return PROBLEM_SOURCES.get(self.source, self.source)

    @property
    def status_label(self) -> str:
        return PROBLEM_STATUS.get(self.status, self.status)


class Rectification(_ListEntry, db.Model):
    __tablename__ = "rectifications"
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), index=True)
    measure: Mapped[str] = mapped_column(Text)
    responsible_person: Mapped[str] = mapped_column(String(60))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="planned")
    completed_on: Mapped[date | None] = mapped_column(Date)

    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")
    problem: Mapped[Problem] = relationship(back_populates="rectifications")

    @property
    def status_label(self) -> str:
        return RECTIFICATION_STATUS.get(self.status, self.status)


class Result(_ListEntry, db.Model):
    __tablename__ = "results"
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    achieved_on: Mapped[date] = mapped_column(Date)
    people: Mapped[int] = mapped_column(Integer, default=0)

    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")
    problem: Mapped[Problem | None] = relationship()
