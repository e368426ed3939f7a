"""Ledger rows a unit keeps for a campaign, and remembered column mappings for imports."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import TenantOwned, created_at_column
from ..tenancy.models import OrgUnit, PathString, User


class LedgerRow(TenantOwned, db.Model):
    """One row of a declared ledger (LedgerDefinition) at one unit; values keyed by column key."""

    __tablename__ = "ledger_rows"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    ledger_key: Mapped[str] = mapped_column(String(60))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    row_hash: Mapped[str] = mapped_column(String(32))  # of the values: an identical re-import adds nothing
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])


class ColumnMapping(TenantOwned, db.Model):
    """The header each field was mapped to the last time a unit imported into one scope
    ("source:medical", "ledger:precision_100days:recipients"), offered again next time."""

    __tablename__ = "column_mappings"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    scope: Mapped[str] = mapped_column(String(120))
    mapping: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = created_at_column()

    __table_args__ = (UniqueConstraint("org_unit_id", "scope", name="uq_column_mappings_unit_scope"),)


def remembered(session, unit: OrgUnit, scope: str) -> dict:
    from sqlalchemy import select

    row = session.scalar(select(ColumnMapping).where(ColumnMapping.org_unit_id == unit.id,
                                                     ColumnMapping.scope == scope))
    return dict(row.mapping) if row else {}


def remember(session, user: User, unit: OrgUnit, scope: str, mapping: dict) -> None:
    from sqlalchemy import select

    from .. import clock

    row = session.scalar(select(ColumnMapping).where(ColumnMapping.org_unit_id == unit.id,
                                                     ColumnMapping.scope == scope))
    if row is None:
        session.add(ColumnMapping(org_unit_id=unit.id, scope=scope, mapping=dict(mapping), updated_by_id=user.id,
                                  tenant_id=unit.tenant_id))
    else:
        row.mapping, row.updated_by_id, row.updated_at = dict(mapping), user.id, clock.now()
