"""Progress figures: completion, overdue counts and warning lights, per unit and phase.

Lights: "done" when every task is approved; "red" when a task is overdue (open past its due
day, which counts as on time); "yellow" when an open task is due within DUBAN_DUE_SOON_DAYS;
otherwise "green". A submitted task awaiting review is never overdue: the wait is the reviewer's.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..campaigns.models import Campaign
from ..tasks.models import OPEN_STATUSES, Task
from ..tenancy.models import OrgUnit
from ..tenancy.tree import children, path_range

LIGHT_ORDER = {"red": 0, "yellow": 1, "green": 2, "done": 3, "none": 4}


def due_soon_days() -> int:
    return int(current_app.config.get("DUBAN_DUE_SOON_DAYS", 3))


def task_light(status: str, due_on: date, today: date, soon: int) -> str:
    if status == "approved":
        return "done"
    if status in OPEN_STATUSES:
        if due_on < today:
            return "red"
        if (due_on - today).days <= soon:
            return "yellow"
    return "green"


@dataclass
class Tally:
    total: int = 0
    done: int = 0
    submitted: int = 0
    overdue: int = 0
    due_soon: int = 0

    def add(self, status: str, due_on: date, today: date, soon: int) -> None:
        self.total += 1
        light = task_light(status, due_on, today, soon)
        self.done += light == "done"
        self.submitted += status == "submitted"
        self.overdue += light == "red"
        self.due_soon += light == "yellow"

    @property
    def pct(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def light(self) -> str:
        if not self.total:
            return "none"
        if self.overdue:
            return "red"
        if self.due_soon:
            return "yellow"
        if self.done == self.total:
            return "done"
        return "green"


@dataclass
class UnitRow:
    unit: OrgUnit
    overall: Tally = field(default_factory=Tally)
    phases: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))


def _task_rows(session: Session, campaign: Campaign, under: OrgUnit):
    low, high = path_range(under.path)
    return session.execute(
        select(Task.unit_path, Task.phase_key, Task.status, Task.due_on)
        .where(Task.campaign_id == campaign.id, Task.unit_path >= low, Task.unit_path < high)
    ).all()


def breakdown(session: Session, campaign: Campaign, node: OrgUnit, today: date) -> tuple[UnitRow, list[UnitRow]]:
    """Return (node's own totals over its subtree, one row per child unit with its subtree's totals).

    Child rows are sorted worst-first: red, yellow, green, done; then by completion.
    """
    soon = due_soon_days()
    kids = children(session, node)
    by_id = {k.id: UnitRow(k) for k in kids}
    total = UnitRow(node)
    depth = node.depth + 1  # path segment index of the child below node
    for unit_path, phase_key, status, due_on in _task_rows(session, campaign, node):
        total.overall.add(status, due_on, today, soon)
        total.phases[phase_key].add(status, due_on, today, soon)
        segments = unit_path.strip("/").split("/")
        if len(segments) > depth:
            row = by_id.get(int(segments[depth]))
            if row:
                row.overall.add(status, due_on, today, soon)
                row.phases[phase_key].add(status, due_on, today, soon)
    rows = sorted(by_id.values(), key=lambda r: (LIGHT_ORDER[r.overall.light], r.overall.pct, r.unit.sort_order))
    return total, rows


def overdue_tasks(session: Session, campaign: Campaign, node: OrgUnit, today: date, limit: int = 200) -> list[Task]:
    low, high = path_range(node.path)
    return list(session.scalars(
        select(Task).where(Task.campaign_id == campaign.id, Task.unit_path >= low, Task.unit_path < high,
                           Task.status.in_(OPEN_STATUSES), Task.due_on < today)
        .order_by(Task.due_on, Task.unit_path).limit(limit)))
