"""Reading the 摸排对象清单: counts per category and per child unit, pages of people, flagged photos."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Text, func, or_, select
from sqlalchemy.orm import Session

from ..campaigns.models import Campaign
from ..tenancy.models import OrgUnit
from ..tenancy.tree import children, path_range
from .models import OUTCOMES, Subject, VisitPhoto

STATES = {"todo": "未走访", "visited": "已走访", **OUTCOMES}


@dataclass
class Tally:
    subjects: int = 0
    visited: int = 0
    outcomes: dict = field(default_factory=dict)

    @property
    def pct(self) -> int:
        return round(100 * self.visited / self.subjects) if self.subjects else 0


@dataclass
class Overview:
    total: Tally
    rows: list[tuple[OrgUnit, Tally]]
    categories: dict[str, int]
    withdrawn: int
    flagged_photos: int


def _subtree(campaign: Campaign, unit: OrgUnit):
    low, high = path_range(unit.path)
    return (Subject.campaign_id == campaign.id, Subject.unit_path >= low, Subject.unit_path < high)


def overview(session: Session, campaign: Campaign, unit: OrgUnit) -> Overview:
    where = _subtree(campaign, unit)
    kids = children(session, unit)
    by_id = {k.id: k for k in kids}
    tallies = {k.id: Tally() for k in kids}
    total = Tally()
    depth = len(unit.ancestor_ids)
    rows = session.execute(select(Subject.unit_path, Subject.last_outcome, func.count())
                           .where(*where, Subject.status == "listed")
                           .group_by(Subject.unit_path, Subject.last_outcome)).all()
    for path, outcome, n in rows:
        ids = [int(p) for p in path.strip("/").split("/")]
        child = ids[depth] if len(ids) > depth else None
        for t in (total, tallies.get(child)):
            if t is None:
                continue
            t.subjects += n
            if outcome:
                t.visited += n
                t.outcomes[outcome] = t.outcomes.get(outcome, 0) + n
    categories: dict[str, int] = {}
    for (cats,) in session.execute(select(Subject.categories).where(*where, Subject.status == "listed")):
        for c in cats or ():
            categories[c] = categories.get(c, 0) + 1
    withdrawn = session.scalar(select(func.count()).select_from(Subject).where(*where, Subject.status == "withdrawn"))
    low, high = path_range(unit.path)
    flagged = sum(1 for (flags,) in session.execute(select(VisitPhoto.flags).where(
        VisitPhoto.campaign_id == campaign.id, VisitPhoto.unit_path >= low, VisitPhoto.unit_path < high)) if flags)
    return Overview(total, [(by_id[i], t) for i, t in tallies.items()], categories, withdrawn or 0, flagged)


def subjects(session: Session, campaign: Campaign, unit: OrgUnit, *, category: str = "", state: str = "",
             query: str = "", limit: int = 50, offset: int = 0) -> tuple[int, list[Subject]]:
    stmt = select(Subject).where(*_subtree(campaign, unit), Subject.status == "listed")
    if category:
        # JSON arrays are compared as text on both databases: ["a", "b"] contains "a".
        stmt = stmt.where(func.cast(Subject.categories, Text()).contains(f'"{category}"'))
    if state == "todo":
        stmt = stmt.where(Subject.last_outcome.is_(None))
    elif state == "visited":
        stmt = stmt.where(Subject.last_outcome.is_not(None))
    elif state in OUTCOMES:
        stmt = stmt.where(Subject.last_outcome == state)
    query = (query or "").strip()
    if query:
        like = f"%{query}%"
        stmt = stmt.where(or_(Subject.name.like(like), Subject.id_number.endswith(query.upper())))
    count = session.scalar(select(func.count()).select_from(stmt.subquery()))
    page = session.scalars(stmt.order_by(Subject.unit_path, Subject.last_outcome.is_not(None), Subject.id)
                           .limit(limit).offset(offset)).all()
    return count or 0, list(page)


def flagged_photos(session: Session, campaign: Campaign, unit: OrgUnit, limit: int = 200) -> list[VisitPhoto]:
    low, high = path_range(unit.path)
    photos = session.scalars(select(VisitPhoto).where(
        VisitPhoto.campaign_id == campaign.id, VisitPhoto.unit_path >= low, VisitPhoto.unit_path < high)
        .order_by(VisitPhoto.id.desc())).all()
    return [p for p in photos if p.flags][:limit]
