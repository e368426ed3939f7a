"""One evaluation per campaign and evaluated unit; re-recording it keeps the history in the audit log."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import TenantOwned, created_at_column
from ..tenancy.models import OrgUnit, PathString, User


class Evaluation(TenantOwned, db.Model):
    __tablename__ = "evaluations"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)  # the unit evaluated
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    evaluator_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))  # the unit above that scored it
    # Score 0–100 with at most one decimal, stored in tenths (925 = 92.5) to stay exact on every database.
    score_tenths: Mapped[int | None] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    org_unit: Mapped[OrgUnit] = relationship(foreign_keys=[org_unit_id], lazy="joined")
    evaluator_unit: Mapped[OrgUnit] = relationship(foreign_keys=[evaluator_unit_id], lazy="joined")
    recorded_by: Mapped[User] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("campaign_id", "org_unit_id", name="uq_evaluations_campaign_unit"),)

    @property
    def score(self) -> Decimal | None:
        return None if self.score_tenths is None else Decimal(self.score_tenths) / 10

    @property
    def score_text(self) -> str:
        if self.score is None:
            return "—"
        return f"{self.score:.1f}".removesuffix(".0")
