"""Imported department data, the 摸排对象清单 of a campaign, and the visits recorded against it."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON, BigInteger, Boolean, Date, DateTime, Float, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import TenantOwned, created_at_column
from ..tenancy.models import OrgUnit, PathString, User

OUTCOMES = {
    "included": "符合条件，已纳入保障",
    "covered": "已在保，保障到位",
    "monitored": "不符合条件，备案并纳入监测预警",
    "exited": "不再符合条件，已退出保障",
}


class ImportBatch(TenantOwned, db.Model):
    """One uploaded file of one data source (kind "medical", …) or of a ledger (kind "ledger:<key>",
    with its campaign): its mapping, and what importing it did."""

    __tablename__ = "screening_import_batches"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)  # the importing unit
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    kind: Mapped[str] = mapped_column(String(80))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="mapping")  # mapping | done | duplicate
    header_row: Mapped[int] = mapped_column(Integer, default=1)
    headers: Mapped[list] = mapped_column(JSON, default=list)
    mapping: Mapped[dict | None] = mapped_column(JSON)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    # A roster imported as the whole list of the unit's subtree: who was on it before and is not now
    # is marked as having left (SourceRecord.retired_batch_id); retired counts them.
    replace: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    retired: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rejects_sample: Mapped[list | None] = mapped_column(JSON)  # the first rejected rows, for the page
    rejects_sha256: Mapped[str | None] = mapped_column(String(64))  # the xlsx of every rejected row
    seconds: Mapped[float | None] = mapped_column(Float)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    org_unit: Mapped[OrgUnit] = relationship()
    created_by: Mapped[User] = relationship()


class SourceRecord(TenantOwned, db.Model):
    """One row of department data about one person (see sources.py for which field is which column).

    Bulk-loaded a hundred thousand rows at a time, this table has no foreign-key constraints: on
    PostgreSQL each one is a trigger per inserted row, and the four of them tripled the time of a
    100k-row COPY. The importer writes only ids it has just read in the same transaction (the
    tenant, the importing batch, the units of the tree), and the platform never deletes any of them.
    """

    __tablename__ = "screening_records"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Not TenantOwned's indexed foreign key: the unique index below starts with tenant_id.
    tenant_id: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(20))
    natural_key: Mapped[str] = mapped_column(String(100))
    row_hash: Mapped[str] = mapped_column(String(32))
    batch_id: Mapped[int] = mapped_column(Integer)  # the last batch that wrote it (ImportBatch.id)
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(60))
    org_unit_id: Mapped[int] = mapped_column(Integer)  # OrgUnit.id
    unit_path: Mapped[str] = mapped_column(PathString)
    programme: Mapped[str | None] = mapped_column(String(60))
    grade: Mapped[str | None] = mapped_column(String(10))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    amount2: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    on_date: Mapped[date | None] = mapped_column(Date)
    year: Mapped[int | None] = mapped_column(Integer)
    household_id: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    extra: Mapped[dict | None] = mapped_column(JSON)
    # Set when a later full roster of the unit no longer lists this row: kept, but not matched.
    retired_batch_id: Mapped[int | None] = mapped_column(Integer)  # ImportBatch.id

    # One index serves both the upsert (by natural key, which starts with the ID number) and the
    # matching's look-ups of a person in another source; each index more slows the bulk load.
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "id_number", "natural_key", name="uq_screening_records_person_key"),
    )


class Subject(TenantOwned, db.Model):
    """One person on a campaign's 摸排对象清单, assigned to the village of residence."""

    __tablename__ = "screening_subjects"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(60))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"), index=True)
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    household_id: Mapped[str | None] = mapped_column(String(18))
    phone: Mapped[str | None] = mapped_column(String(20))
    categories: Mapped[list] = mapped_column(JSON, default=list)  # category keys, in the plan's order
    evidence: Mapped[list] = mapped_column(JSON, default=list)  # [{category, rule, source, text}]
    origin: Mapped[str] = mapped_column(String(10), default="matched")  # matched | manual
    status: Mapped[str] = mapped_column(String(12), default="listed")  # listed | withdrawn
    last_outcome: Mapped[str | None] = mapped_column(String(20))
    last_visited_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = created_at_column()
    matched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")
    __table_args__ = (UniqueConstraint("campaign_id", "id_number", name="uq_screening_subjects_person"),)

    @property
    def outcome_label(self) -> str:
        return OUTCOMES.get(self.last_outcome or "", "未走访")


class Visit(TenantOwned, db.Model):
    """A household visit to a subject: when, by whom, and what came of it."""

    __tablename__ = "screening_visits"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("screening_subjects.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    visited_on: Mapped[date] = mapped_column(Date)
    visitor: Mapped[str] = mapped_column(String(60))
    outcome: Mapped[str] = mapped_column(String(20))
    programme: Mapped[str | None] = mapped_column(String(30))
    included_on: Mapped[date | None] = mapped_column(Date)
    temp_aid_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    checks: Mapped[dict] = mapped_column(JSON, default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()

    subject: Mapped[Subject] = relationship()
    created_by: Mapped[User] = relationship(lazy="joined")
    photos: Mapped[list[VisitPhoto]] = relationship(order_by="VisitPhoto.id", back_populates="visit")

    @property
    def outcome_label(self) -> str:
        return OUTCOMES.get(self.outcome, self.outcome)


class VisitPhoto(TenantOwned, db.Model):
    """A photo of a visit: the original as uploaded (with EXIF), a copy without EXIF shown to
    others, a thumbnail, the EXIF time and GPS, a perceptual hash and the integrity flags."""

    __tablename__ = "screening_visit_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("screening_visits.id"), index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("screening_subjects.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    filename: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(BigInteger)
    original_sha256: Mapped[str] = mapped_column(String(64))
    display_sha256: Mapped[str] = mapped_column(String(64))
    thumb_sha256: Mapped[str] = mapped_column(String(64))
    taken_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))  # EXIF local time
    lat: Mapped[float | None] = mapped_column(Float)  # WGS-84, as the phone recorded it
    lon: Mapped[float | None] = mapped_column(Float)
    dhash: Mapped[str] = mapped_column(String(16), index=True)
    flags: Mapped[list] = mapped_column(JSON, default=list)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = created_at_column()

    visit: Mapped[Visit] = relationship(back_populates="photos")
