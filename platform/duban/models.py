"""Shared model building blocks: the tenant-owned mixin and timestamps."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from .clock import now


class TenantOwned:
    """Every row of a tenant carries tenant_id; the session scopes queries by it (tenancy/scoping.py)."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("tenants.id"), index=True, nullable=False)


def created_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), default=now, nullable=False)
