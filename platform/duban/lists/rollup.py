"""The three lists added up: per child unit, from village to street to district.

Each list is counted with one grouped query over the subtree's unit_path range; every unit path
is then credited to the child of the focus unit whose id follows the focus unit's in the path.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..campaigns.models import Campaign
from ..tenancy.models import OrgUnit
from ..tenancy.tree import children, path_range
from .models import Problem, Rectification, Result


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass
class ListTally:
    """The three lists of one unit's subtree, counted."""

    problems: int = 0
    problems_open: int = 0
    problems_closed: int = 0
    rectifications: int = 0
    rectifications_done: int = 0
    results: int = 0
    people: int = 0

    def add(self, other: ListTally) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def closed_pct(self) -> int:
        return round(100 * self.problems_closed / self.problems) if self.problems else 0

    @property
    def empty(self) -> bool:
        return not (self.problems or self.rectifications or self.results)


@dataclass
class RollupRow:
    unit: OrgUnit
    tally: ListTally
    own: bool = False  # entries recorded on the unit itself rather than on a child


def rollup(session: Session, campaign: Campaign, unit: OrgUnit, child_units: list[OrgUnit] | None = None
           ) -> tuple[ListTally, list[RollupRow]]:
    """Return (total, rows): the counts of unit's subtree, and per child unit (plus unit's own row).

    One grouped query per list over the subtree's path range; each unit path is then credited
    to the child whose id follows unit's in the path.
    """
    kids = child_units if child_units is not None else children(session, unit)
    tallies: dict[int, ListTally] = {k.id: ListTally() for k in kids}
    own = ListTally()
    low, high = path_range(unit.path)
    depth = len(unit.ancestor_ids)

    def bucket(path: str) -> ListTally | None:
        ids = [int(p) for p in path.strip("/").split("/") if p]
        if len(ids) <= depth:
            return own
        return tallies.get(ids[depth])

    def grouped(model, *cols):
        stmt = (select(model.unit_path, *cols)
                .where(model.campaign_id == campaign.id, model.unit_path >= low, model.unit_path < high)
                .group_by(model.unit_path))
        return session.execute(stmt).all()

    for path, total, closed in grouped(Problem, func.count(), _count_if(Problem.status == "closed")):
        if (t := bucket(path)) is not None:
            t.problems += total
            t.problems_closed += closed
            t.problems_open += total - closed
    for path, total, done in grouped(Rectification, func.count(),
                                     _count_if(Rectification.status == "done")):
        if (t := bucket(path)) is not None:
            t.rectifications += total
            t.rectifications_done += done
    for path, total, people in grouped(Result, func.count(), func.coalesce(func.sum(Result.people), 0)):
        if (t := bucket(path)) is not None:
            t.results += total
            t.people += int(people or 0)

    rows = [RollupRow(unit=unit, tally=own, own=True)] if not own.empty else []
    rows += [RollupRow(unit=k, tally=tallies[k.id]) for k in kids]
    total = ListTally()
    for r in rows:
        total.add(r.tally)
    return total, rows
