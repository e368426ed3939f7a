"""Periodic report forms summed up the org tree: one table of units × periods per form.

A form with ``rollup`` in its definition is a periodic report: every task spec that uses it is a
period (a recurring task's period, or a one-off report such as the final table by 2/20). For a
unit, the figures of a period are the sums of the latest saved version of every *reported*
(submitted or approved) task of that period in the unit's subtree; derived metrics (a sum, or a
ratio such as recipients per registered population with its 4%–5% band) are computed from those
sums, never averaged from the units' ratios. Sums are taken per task spec, and a spec's tasks all
sit at one level, so nothing is counted twice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ..campaigns.models import Campaign, TaskSpec
from ..campaigns.registry import definition
from ..campaigns.types import FormDefinition, RollupMetric
from ..tasks.models import FormEntry, Task
from ..tenancy.models import OrgUnit
from ..tenancy.tree import children, path_range

REPORTED = ("submitted", "approved")
BAND_LABELS = {"below": "偏低", "inside": "适度", "above": "偏高"}


@dataclass(frozen=True)
class Period:
    spec_id: int
    key: str
    label: str
    due_on: object
    level: str


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    metric: RollupMetric | None = None
    decimal: bool = False

    @property
    def band_text(self) -> str:
        if self.metric is None or self.metric.band is None:
            return ""
        low, high = self.metric.band
        unit = "%" if self.metric.percent else ""
        return f"{low:g}{unit}–{high:g}{unit}"


@dataclass
class Figures:
    sums: dict[str, Decimal] = field(default_factory=dict)
    reported: int = 0
    expected: int = 0

    def add(self, data: dict, keys: tuple[str, ...]) -> None:
        self.reported += 1
        for k in keys:
            v = (data or {}).get(k)
            if v is None or isinstance(v, bool):
                continue
            self.sums[k] = self.sums.get(k, Decimal(0)) + Decimal(str(v))


@dataclass(frozen=True)
class Cell:
    value: Decimal | None
    band: str | None
    reported: int
    expected: int
    percent: bool = False
    decimal: bool = False

    @property
    def text(self) -> str:
        if self.value is None:
            return "—"
        if self.percent:
            return f"{self.value:.2f}%"
        if self.decimal:
            return f"{self.value:,.2f}"
        return f"{int(self.value):,}"

    @property
    def band_label(self) -> str:
        return BAND_LABELS.get(self.band or "", "")


@dataclass
class UnitFigures:
    unit: OrgUnit
    by_spec: dict[int, Figures] = field(default_factory=dict)


@dataclass
class PeriodicTable:
    form: FormDefinition
    periods: list[Period]
    columns: list[Column]
    total: dict[int, Figures]
    rows: list[UnitFigures]

    def cell(self, figures: Figures | None, column: Column) -> Cell:
        figures = figures or Figures()
        if not figures.reported:
            return Cell(None, None, 0, figures.expected)
        if column.metric is None:
            value = figures.sums.get(column.key, Decimal(0))
            return Cell(value, None, figures.reported, figures.expected, decimal=column.decimal)
        value = column.metric.value(figures.sums)
        return Cell(value, column.metric.band_of(value), figures.reported, figures.expected,
                    percent=column.metric.percent, decimal=column.decimal)

    def column(self, key: str | None) -> Column:
        """The column named key, else the first banded metric (the one to watch), else the first."""
        default = self.banded[0] if self.banded else self.columns[0]
        return next((c for c in self.columns if c.key == key), default)

    @property
    def headline(self) -> list[Column]:
        """The columns shown as units × periods in the summary PDF: the derived metrics, or the
        first summed field of a form without any."""
        metrics = [c for c in self.columns if c.metric is not None]
        return metrics or self.columns[:1]

    @property
    def banded(self) -> list[Column]:
        return [c for c in self.columns if c.metric is not None and c.metric.band is not None]

    def latest_period(self) -> Period | None:
        """The newest period with at least one report in the table's subtree."""
        done = [p for p in self.periods if self.total.get(p.spec_id, Figures()).reported]
        return done[-1] if done else None


def rollup_forms(campaign: Campaign) -> list[FormDefinition]:
    """The campaign's periodic forms (those with a roll-up) that at least one task uses."""
    d = definition(campaign.type_key)
    used = {s.form_key for s in campaign.specs if s.form_key}
    return [f for k, f in d.forms.items() if f.rollup is not None and k in used]


def _columns(form: FormDefinition) -> list[Column]:
    by_key = {f.key: f for f in form.fields}
    cols = [Column(k, by_key[k].label, decimal=by_key[k].type == "decimal") for k in form.rollup.fields]
    return cols + [Column(m.key, m.label, metric=m, decimal=m.per is not None or any(
        by_key[k].type == "decimal" for k in m.sum)) for m in form.rollup.metrics]


def tables(session: Session, campaign: Campaign, node: OrgUnit, form_key: str | None = None) -> list[PeriodicTable]:
    """One table per periodic form (or just form_key): node's subtree totals per period, and a
    row per child unit (departments included) that has tasks of the form."""
    forms = [f for f in rollup_forms(campaign) if form_key is None or f.key == form_key]
    if not forms:
        return []
    specs = [s for s in campaign.specs if s.form_key in {f.key for f in forms}]
    spec_form = {s.id: s.form_key for s in specs}
    keys = {f.key: tuple({*f.rollup.fields, *(k for m in f.rollup.metrics
                                               for k in (*m.sum, *([m.per] if m.per else [])))})
            for f in forms}
    low, high = path_range(node.path)
    in_scope = (Task.campaign_id == campaign.id, Task.spec_id.in_(list(spec_form)),
                Task.unit_path >= low, Task.unit_path < high)
    depth = node.depth + 1
    kids = {k.id: UnitFigures(k) for k in children(session, node)}
    own = UnitFigures(node)  # the node's own tasks (e.g. a street's final report over its villages)
    total: dict[int, Figures] = {}

    def credit(unit_path: str, spec_id: int):
        """The figures of spec_id that a task at unit_path counts towards: node's, and its child's."""
        found = [total.setdefault(spec_id, Figures())]
        segments = unit_path.strip("/").split("/")
        if len(segments) > depth:
            if int(segments[depth]) in kids:
                found.append(kids[int(segments[depth])].by_spec.setdefault(spec_id, Figures()))
        else:
            found.append(own.by_spec.setdefault(spec_id, Figures()))
        return found

    for spec_id, unit_path in session.execute(select(Task.spec_id, Task.unit_path).where(*in_scope)):
        for figs in credit(unit_path, spec_id):
            figs.expected += 1
    latest = (select(FormEntry.task_id, func.max(FormEntry.version).label("v"))
              .join(Task, Task.id == FormEntry.task_id)
              .where(*in_scope, Task.status.in_(REPORTED)).group_by(FormEntry.task_id).subquery())
    entries = session.execute(
        select(Task.spec_id, Task.unit_path, FormEntry.data)
        .join(latest, latest.c.task_id == Task.id)
        .join(FormEntry, and_(FormEntry.task_id == latest.c.task_id, FormEntry.version == latest.c.v)))
    for spec_id, unit_path, data in entries:
        for figs in credit(unit_path, spec_id):
            figs.add(data, keys[spec_form[spec_id]])
    result = []
    for form in forms:
        periods = [Period(s.id, s.period_key or s.template_key, s.period_label or s.title, s.due_on, s.level)
                   for s in sorted((s for s in specs if s.form_key == form.key), key=_order)
                   if total.get(s.id, Figures()).expected]
        if not periods:
            continue
        ids = {p.spec_id for p in periods}
        rows = [r for r in kids.values() if any(k in ids for k in r.by_spec)]
        rows.sort(key=lambda r: (r.unit.kind == "department", r.unit.sort_order, r.unit.id))
        if rows and any(k in ids for k in own.by_spec):
            rows.insert(0, own)
        result.append(PeriodicTable(form, periods, _columns(form), total, rows))
    return result


def _order(spec: TaskSpec):
    return spec.due_on, spec.seq


@dataclass(frozen=True)
class BandRow:
    unit: OrgUnit
    cell: Cell


@dataclass(frozen=True)
class BandSummary:
    """A banded metric (e.g. coverage 4%–5%) per child unit in the latest reported period."""

    form: FormDefinition
    column: Column
    period: Period
    total: Cell
    rows: list[BandRow]


def band_summaries(session: Session, campaign: Campaign, node: OrgUnit) -> list[BandSummary]:
    """For the dashboard: every banded metric of every periodic form, in its latest reported period."""
    found = []
    for table in tables(session, campaign, node):
        period = table.latest_period()
        if period is None:
            continue
        for col in table.banded:
            rows = [BandRow(r.unit, table.cell(r.by_spec.get(period.spec_id), col)) for r in table.rows
                    if period.spec_id in r.by_spec]
            found.append(BandSummary(table.form, col, period, table.cell(table.total.get(period.spec_id), col), rows))
    return found
