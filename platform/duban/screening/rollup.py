"""A progress form's figures counted from the visit ledger (and the three lists) of a unit's subtree.

The campaign type names, in rules.yaml ``rollup``, which form it fills and how each field is
counted. The task page shows these figures marked “来自台账”, fills an unsaved form with them and
lets the operator take them over into the form; saving the form is the operator's confirmation.
Counting uses the latest outcome of every listed person (Subject.last_outcome) and every visit's
temporary aid.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..campaigns.models import Campaign
from ..lists.models import Problem
from ..tenancy.models import OrgUnit
from ..tenancy.tree import path_range
from .matching import rules_for
from .models import Subject, Visit

MEASURE_LABELS = {
    "subjects": "清单人数", "visited": "已走访人数", "included": "走访结果为已纳入保障", "covered": "已在保",
    "monitored": "备案监测", "exited": "退出保障", "temp_aid_count": "临时救助人次", "temp_aid_amount": "临时救助金额",
    "check": "核查事项为“是”", "problems": "问题清单条数", "problems_closed": "已整改问题",
}


@dataclass
class LedgerFigures:
    form_key: str
    values: dict[str, str]  # field key -> the figure, as a form value
    unit: OrgUnit
    explain: dict[str, str]

    def differs(self, saved: dict) -> dict[str, bool]:
        return {k: str(saved.get(k, "")) != v for k, v in self.values.items()}


def figures(session: Session, campaign: Campaign, unit: OrgUnit) -> LedgerFigures | None:
    rules = rules_for(campaign.type_key)
    if not rules.rollup_form or not rules.rollup:
        return None
    low, high = path_range(unit.path)
    in_subtree = (Subject.campaign_id == campaign.id, Subject.status == "listed",
                  Subject.unit_path >= low, Subject.unit_path < high)
    outcomes = dict(session.execute(select(Subject.last_outcome, func.count()).where(*in_subtree)
                                    .group_by(Subject.last_outcome)).all())
    total = sum(outcomes.values())
    latest = _latest_visits(session, campaign, low, high)
    aid_count, aid_sum = session.execute(
        select(func.count(Visit.id), func.coalesce(func.sum(Visit.temp_aid_amount), 0))
        .join(Subject, Subject.id == Visit.subject_id)
        .where(*in_subtree, Visit.temp_aid_amount > 0)).one()
    problems = closed = None
    values, explain = {}, {}
    for f in rules.rollup:
        m = f.measure
        if m == "subjects":
            v = total
        elif m == "visited":
            v = total - outcomes.get(None, 0)
        elif m in ("covered", "monitored", "exited"):
            v = outcomes.get(m, 0)
        elif m == "included":
            v = sum(1 for visit in latest if visit.outcome == "included" and visit.programme in f.values)
        elif m == "temp_aid_count":
            v = aid_count
        elif m == "temp_aid_amount":
            v = Decimal(aid_sum or 0).quantize(Decimal("0.01"))
        elif m == "check":
            v = sum(1 for visit in latest if any((visit.checks or {}).get(k) == "yes" for k in f.values))
        else:
            if problems is None:
                problems, closed = _problems(session, campaign, low, high)
            v = problems if m == "problems" else closed
        values[f.field] = str(v)
        explain[f.field] = MEASURE_LABELS[m] + (f"（{'、'.join(f.values)}）" if f.values and m == "included" else "")
    return LedgerFigures(rules.rollup_form, values, unit, explain)


def _latest_visits(session: Session, campaign: Campaign, low: str, high: str) -> list[Visit]:
    """The latest visit (by visit date, then by recording order) of every listed person in the subtree."""
    latest: dict[int, Visit] = {}
    for v in session.scalars(select(Visit).join(Subject, Subject.id == Visit.subject_id).where(
            Subject.campaign_id == campaign.id, Subject.status == "listed",
            Subject.unit_path >= low, Subject.unit_path < high).order_by(Visit.visited_on, Visit.id)):
        latest[v.subject_id] = v
    return list(latest.values())


def _problems(session: Session, campaign: Campaign, low: str, high: str) -> tuple[int, int]:
    rows = session.execute(select(Problem.status, func.count()).where(
        Problem.campaign_id == campaign.id, Problem.unit_path >= low, Problem.unit_path < high)
        .group_by(Problem.status)).all()
    total = sum(n for _, n in rows)
    closed = sum(n for status, n in rows if status == "closed")
    return total, closed


def for_task(session: Session, task) -> LedgerFigures | None:
    """The ledger figures for a task whose form is the campaign type's rollup form, else None."""
    if not task.spec.form_key:
        return None
    rules = rules_for(task.campaign.type_key)
    if rules.rollup_form != task.spec.form_key:
        return None
    return figures(session, task.campaign, task.org_unit)
