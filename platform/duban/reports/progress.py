"""Progress figures: completion, overdue counts, warning lights, 序时进度 and the league table.

Lights: "done" when every task is approved; "red" when a task is overdue (open past its due
day, which counts as on time); "yellow" when an open task is due within the campaign's N
*working* days (Campaign.due_soon_days, default DUBAN_DUE_SOON_DAYS = 3), or when a unit is
behind its 序时进度 by more than the campaign's margin; otherwise "green". A submitted task
awaiting review is never overdue: the wait is the reviewer's.

Why working days: staff do not work through the 国庆 week, so a task due the first day after
a long holiday is as urgent on the eve of the holiday as one due in three days. The official
调休 calendar (duban.workdays) decides; a task due today, or on the weekend right ahead, is
always yellow.

序时进度 (time-elapsed progress) of a phase on day D is the share of the phase's calendar days
elapsed by the end of D: before the phase 0%, from its last day on 100%. A unit's actual
progress in the phase is the share of its tasks there that are reported (approved or
submitted, again because review is the reviewer's wait). Actual below expected by more than
Campaign.pace_margin percentage points turns the unit yellow even before any deadline.

On-time completion (the league table): of the tasks whose deadline has passed or that are
already reported, the share reported (submitted) by their due day.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..campaigns.models import Campaign
from ..clock import TZ
from ..tasks.models import OPEN_STATUSES, Task
from ..tenancy.models import OrgUnit
from ..tenancy.tree import children, path_range
from ..workdays import workdays_between

LIGHT_ORDER = {"red": 0, "yellow": 1, "green": 2, "done": 3, "none": 4}
REPORTED = ("approved", "submitted")
LEAGUE_SIZE = 3


def due_soon_days(campaign: Campaign | None = None) -> int:
    """N of the warning light: the campaign's own, else the deployment's default."""
    if campaign is not None and getattr(campaign, "due_soon_days", None) is not None:
        return int(campaign.due_soon_days)
    return int(current_app.config.get("DUBAN_DUE_SOON_DAYS", 3))


@lru_cache(maxsize=8192)
def workdays_left(today: date, due_on: date) -> int:
    """Working days after today up to and including due_on (cached: lights are computed in bulk)."""
    return workdays_between(today, due_on)


def task_light(status: str, due_on: date, today: date, soon: int) -> str:
    if status == "approved":
        return "done"
    if status in OPEN_STATUSES:
        if due_on < today:
            return "red"
        if workdays_left(today, due_on) <= soon:
            return "yellow"
    return "green"


def local_day(value: datetime | None) -> date | None:
    """The Asia/Shanghai date of a stored timestamp (SQLite gives it back without a zone)."""
    if value is None:
        return None
    return (value.astimezone(TZ) if value.tzinfo else value).date()


def expected_pct(starts_on: date, ends_on: date, today: date) -> int:
    """序时进度: the share (0-100) of the phase's calendar days elapsed by the end of today."""
    if today < starts_on:
        return 0
    if today >= ends_on:
        return 100
    return round(100 * ((today - starts_on).days + 1) / ((ends_on - starts_on).days + 1))


@dataclass
class Tally:
    total: int = 0
    done: int = 0
    submitted: int = 0
    overdue: int = 0
    due_soon: int = 0
    due_past: int = 0  # deadline passed, or already reported (the on-time denominator)
    on_time: int = 0  # reported by the due day
    expected: int | None = None  # 序时进度 % (per phase; overall: the phases' weighted by their tasks)
    behind: bool = False  # actual progress below 序时进度 by more than the campaign's margin

    def add(self, status: str, due_on: date, today: date, soon: int, submitted_on: date | None = None) -> None:
        self.total += 1
        light = task_light(status, due_on, today, soon)
        self.done += light == "done"
        self.submitted += status == "submitted"
        self.overdue += light == "red"
        self.due_soon += light == "yellow"
        reported = status in REPORTED
        if due_on < today or reported:
            self.due_past += 1
            self.on_time += reported and submitted_on is not None and submitted_on <= due_on

    @property
    def pct(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def reported_pct(self) -> int:
        """实际进度: approved or submitted, in percent."""
        return round(100 * (self.done + self.submitted) / self.total) if self.total else 0

    @property
    def on_time_pct(self) -> int | None:
        return round(100 * self.on_time / self.due_past) if self.due_past else None

    @property
    def light(self) -> str:
        if not self.total:
            return "none"
        if self.overdue:
            return "red"
        if self.due_soon or self.behind:
            return "yellow"
        if self.done == self.total:
            return "done"
        return "green"


@dataclass
class UnitRow:
    unit: OrgUnit
    overall: Tally = field(default_factory=Tally)
    phases: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))

    @property
    def behind_phases(self) -> list[str]:
        return [key for key, t in self.phases.items() if t.behind]


def _task_rows(session: Session, campaign: Campaign, under: OrgUnit):
    low, high = path_range(under.path)
    return session.execute(
        select(Task.unit_path, Task.phase_key, Task.status, Task.due_on, Task.submitted_at)
        .where(Task.campaign_id == campaign.id, Task.unit_path >= low, Task.unit_path < high)
    ).all()


def apply_pace(campaign: Campaign, row: UnitRow, today: date) -> None:
    """Set 序时进度 on row's phase tallies and mark the phases (and the row) that lag behind."""
    margin = getattr(campaign, "pace_margin", None) or 20
    weighted = counted = 0
    for phase in campaign.phases:
        tally = row.phases.get(phase.key)
        if tally is None or not tally.total:
            continue
        tally.expected = expected_pct(phase.starts_on, phase.ends_on, today)
        tally.behind = tally.expected - tally.reported_pct > margin
        row.overall.behind = row.overall.behind or tally.behind
        weighted += tally.expected * tally.total
        counted += tally.total
    # The unit's overall 序时进度: each phase's, weighted by its number of tasks (compare reported_pct).
    row.overall.expected = round(weighted / counted) if counted else None


def breakdown(session: Session, campaign: Campaign, node: OrgUnit, today: date) -> tuple[UnitRow, list[UnitRow]]:
    """Return (node's own totals over its subtree, one row per child unit with its subtree's totals).

    Child rows are the geographic children only — bureau departments (股室/中心) are not
    townships; :func:`breakdown_with_departments` gives them their own rows. Rows are sorted
    worst-first: red, yellow, green, done; then by completion.
    """
    total, rows, _ = breakdown_with_departments(session, campaign, node, today)
    return total, rows


def breakdown_with_departments(session: Session, campaign: Campaign, node: OrgUnit, today: date
                               ) -> tuple[UnitRow, list[UnitRow], list[UnitRow]]:
    """Like :func:`breakdown`, plus one row per bureau department under node that has tasks."""
    soon = due_soon_days(campaign)
    kids = children(session, node)
    by_id = {k.id: UnitRow(k) for k in kids}
    total = UnitRow(node)
    depth = node.depth + 1  # path segment index of the child below node
    for unit_path, phase_key, status, due_on, submitted_at in _task_rows(session, campaign, node):
        sub = local_day(submitted_at)
        total.overall.add(status, due_on, today, soon, sub)
        total.phases[phase_key].add(status, due_on, today, soon, sub)
        segments = unit_path.strip("/").split("/")
        if len(segments) > depth:
            row = by_id.get(int(segments[depth]))
            if row:
                row.overall.add(status, due_on, today, soon, sub)
                row.phases[phase_key].add(status, due_on, today, soon, sub)
    for row in (total, *by_id.values()):
        apply_pace(campaign, row, today)
    order = lambda r: (LIGHT_ORDER[r.overall.light], r.overall.pct, r.unit.sort_order)  # noqa: E731
    rows = sorted((r for r in by_id.values() if r.unit.kind != "department"), key=order)
    departments = sorted((r for r in by_id.values() if r.unit.kind == "department" and r.overall.total), key=order)
    return total, rows, departments


@dataclass
class League:
    """Units ranked by on-time completion: the first and last few, as bureaus publish monthly."""

    ranked: list[UnitRow]  # best first
    unranked: list[UnitRow]  # nothing due yet
    size: int = LEAGUE_SIZE

    @property
    def complete(self) -> bool:
        """Few enough units to show the whole ranking instead of first and last."""
        return len(self.ranked) <= 2 * self.size

    @property
    def first(self) -> list[tuple[int, UnitRow]]:
        return list(enumerate(self.ranked if self.complete else self.ranked[:self.size], start=1))

    @property
    def last(self) -> list[tuple[int, UnitRow]]:
        if self.complete:
            return []
        start = len(self.ranked) - self.size + 1
        return list(enumerate(self.ranked[-self.size:], start=start))


def league(rows: list[UnitRow], size: int = LEAGUE_SIZE) -> League:
    """Rank rows by on-time completion, then completion, then fewest overdue."""
    ranked = [r for r in rows if r.overall.due_past]
    ranked.sort(key=lambda r: (-(r.overall.on_time_pct or 0), -r.overall.pct, r.overall.overdue, r.unit.sort_order))
    return League(ranked, [r for r in rows if not r.overall.due_past], size)


def overdue_tasks(session: Session, campaign: Campaign, node: OrgUnit, today: date, limit: int = 200) -> list[Task]:
    low, high = path_range(node.path)
    return list(session.scalars(
        select(Task).where(Task.campaign_id == campaign.id, Task.unit_path >= low, Task.unit_path < high,
                           Task.status.in_(OPEN_STATUSES), Task.due_on < today)
        .order_by(Task.due_on, Task.unit_path).limit(limit)))
