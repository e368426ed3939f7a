"""A campaign's survey, its per-unit public links and the anonymous responses.

Anonymity: a response holds its unit, its day and its answers — no IP address, user agent,
cookie, time of day or anything else that could tell who answered. Repeat submissions are
refused through :class:`SurveyGuard`, a separate table of keyed hashes of per-browser random
tokens with no link to the response it allowed (no foreign key, no timestamp, no serial id).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import TenantOwned, created_at_column
from ..tenancy.models import OrgUnit, PathString, User
from .types import SurveyQuestion

STATUS_LABELS = {"draft": "未开启", "open": "已开启", "closed": "已结束"}


class Survey(TenantOwned, db.Model):
    __tablename__ = "surveys"
    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str] = mapped_column(Text, default="")
    # The questions as SurveyQuestion.to_dict() dicts, in order; frozen once the survey opens.
    questions: Mapped[list] = mapped_column(JSON, default=list)
    satisfaction_key: Mapped[str] = mapped_column(String(40))
    satisfied: Mapped[list] = mapped_column(JSON, default=list)
    level: Mapped[str] = mapped_column(String(20), default="village")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    opens_on: Mapped[date | None] = mapped_column(Date)
    closes_on: Mapped[date | None] = mapped_column(Date)
    threshold: Mapped[int] = mapped_column(Integer, default=80)  # percent
    min_responses: Mapped[int] = mapped_column(Integer, default=10)
    problem_fields: Mapped[dict] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    campaign = relationship("Campaign")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def question_list(self) -> list[SurveyQuestion]:
        return [SurveyQuestion.from_dict(q) for q in self.questions or ()]

    def question(self, key: str) -> SurveyQuestion | None:
        return next((q for q in self.question_list() if q.key == key), None)


class SurveyLink(TenantOwned, db.Model):
    """The public link of one unit: /s/<token>. The token is random, so links cannot be guessed."""

    __tablename__ = "survey_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    unit_path: Mapped[str] = mapped_column(PathString, index=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    # The 问题清单 entry recorded when the unit's satisfaction rate fell below the threshold.
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problems.id"))
    created_at: Mapped[datetime] = created_at_column()

    survey: Mapped[Survey] = relationship()
    org_unit: Mapped[OrgUnit] = relationship(lazy="joined")

    __table_args__ = (UniqueConstraint("survey_id", "org_unit_id", name="uq_survey_links_survey_unit"),)


class SurveyResponse(TenantOwned, db.Model):
    """One anonymous answer sheet: which unit's link, which day — nothing about who."""

    __tablename__ = "survey_responses"
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    link_id: Mapped[int] = mapped_column(ForeignKey("survey_links.id"), index=True)
    unit_path: Mapped[str] = mapped_column(PathString)
    submitted_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (Index("ix_survey_responses_survey_path", "survey_id", "unit_path"),)


class SurveyAnswer(TenantOwned, db.Model):
    """One value of a response: a chosen option, a score "1".."5", or free text (a multiple-choice
    question gives one row per option chosen)."""

    __tablename__ = "survey_answers"
    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"))
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id"), index=True)
    unit_path: Mapped[str] = mapped_column(PathString)
    question_key: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_survey_answers_survey_question_path", "survey_id", "question_key", "unit_path"),)


class SurveyGuard(TenantOwned, db.Model):
    """A keyed hash of a browser's random token per survey: that browser has answered."""

    __tablename__ = "survey_guards"
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
