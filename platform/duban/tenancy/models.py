"""Tenants, the org-unit tree, users and memberships."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import TenantOwned, created_at_column

# The path column compares byte-wise on PostgreSQL too, so a subtree is a plain index range.
PathString = String(400).with_variant(String(400, collation="C"), "postgresql")

LEVELS = {"bureau": 1, "township": 2, "village": 3}
LEVEL_NAMES = {"bureau": "区县民政局", "township": "镇(街道)", "village": "村(社区)", "department": "局内股室/中心"}


class Tenant(db.Model):
    """A customer account (one bureau and everything below it), isolated from every other."""

    __tablename__ = "tenants"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = created_at_column()


class OrgUnit(TenantOwned, db.Model):
    """A node of the tenant's tree: bureau → township/street → village/community.

    ``path`` holds the ids from the root, "/1/5/23/", so a subtree is the index range
    [path, path[:-1] + "0") — see :func:`duban.tenancy.tree.subtree_filter`.
    """

    __tablename__ = "org_units"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))  # bureau | township | village | department
    division_code: Mapped[str | None] = mapped_column(String(12))
    path: Mapped[str] = mapped_column(PathString, index=True, default="")
    depth: Mapped[int] = mapped_column(Integer, default=0)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)

    parent: Mapped[OrgUnit | None] = relationship(remote_side=[id])

    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_org_units_parent_name"),)

    @property
    def kind_label(self) -> str:
        return LEVEL_NAMES.get(self.kind, self.kind)

    def is_within(self, other: OrgUnit) -> bool:
        """True when self is other or lies below it."""
        return self.tenant_id == other.tenant_id and self.path.startswith(other.path)

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]

    def __repr__(self) -> str:
        return f"<OrgUnit {self.id} {self.name}>"


class User(UserMixin, TenantOwned, db.Model):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(60))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped on password change or forced logout; part of the session id, so old cookies stop working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = created_at_column()

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:
        return self.active


class Membership(TenantOwned, db.Model):
    """A user's role at one org unit; it reaches that unit's whole subtree."""

    __tablename__ = "memberships"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    role: Mapped[str] = mapped_column(String(30))

    user: Mapped[User] = relationship(back_populates="memberships")
    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("user_id", "org_unit_id", "role", name="uq_memberships_user_unit_role"),)
