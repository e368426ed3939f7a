"""Uploaded evidence: content-addressed blobs and the attachments that point at them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import TenantOwned, created_at_column
from ..tenancy.models import User


class Attachment(TenantOwned, db.Model):
    """A file a user attached to a task or a list entry. The bytes live at sha256 in the store."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), index=True)
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id"), index=True)
    rectification_id: Mapped[int | None] = mapped_column(ForeignKey("rectifications.id"), index=True)
    result_id: Mapped[int | None] = mapped_column(ForeignKey("results.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = created_at_column()
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)

    uploaded_by: Mapped[User] = relationship(lazy="joined")
    org_unit = relationship("OrgUnit")
