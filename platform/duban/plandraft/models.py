"""A campaign template a bureau saved from its own plan: tenant-owned, declarative (JSON)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import TenantOwned, created_at_column
from ..tenancy.models import OrgUnit, User

KEY_PREFIX = "tenant"


class TenantTemplate(TenantOwned, db.Model):
    """One saved template. ``key`` is its campaign type key: "tenant<tenant id>_<token>"; ``data``
    holds the reviewed draft (phases, tasks, deadlines, recurring, screening, ledgers; see
    docs/template-draft.md) and ``source_text`` the plan's text the items point into."""

    __tablename__ = "tenant_templates"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True, index=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(100), default="")
    doc_number: Mapped[str] = mapped_column(String(60), default="")
    year: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    source_text: Mapped[str] = mapped_column(Text, default="")
    source_filename: Mapped[str] = mapped_column(String(200), default="")
    owner_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Deleting a template only marks it; the row and its plan text are kept (nothing is hard-deleted).
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    owner_unit: Mapped[OrgUnit] = relationship()
    created_by: Mapped[User] = relationship()
