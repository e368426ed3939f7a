"""Recording the close-out evaluation: a superior scores (0–100) and/or grades each unit below it.

Who: a user with Permission.TASK_REVIEW strictly above the evaluated unit (the bureau admin for
its townships, a township operator for its villages), while the campaign is under way. Which
units: the direct children of the evaluating unit whose kind the campaign type's
EvaluationDefinition lists (bureau departments are never evaluated). A score without a grade
gets the grade of its band; a score and a grade that disagree are refused. All rows of a form are
validated before anything is written; every change is recorded in the audit log.
"""
from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..audit.services import record
from ..campaigns.models import Campaign
from ..campaigns.registry import definition
from ..campaigns.types import EvaluationDefinition
from ..errors import ValidationError
from ..tenancy.access import can
from ..tenancy.models import OrgUnit, User
from ..tenancy.permissions import Permission
from ..tenancy.tree import children, path_range
from .models import Evaluation

SCORE_RE = re.compile(r"^\d{1,3}(\.\d)?$")
COMMENT_MAX = 500


def evaluation_of(campaign: Campaign) -> EvaluationDefinition:
    return definition(campaign.type_key).evaluation


def evaluable_units(session: Session, campaign: Campaign, parent: OrgUnit) -> list[OrgUnit]:
    """The children of parent that the campaign's evaluation covers."""
    if not parent.is_within(campaign.root_unit):
        return []
    levels = evaluation_of(campaign).levels
    return [u for u in children(session, parent) if u.kind in levels and u.kind != "department"]


def may_evaluate(user: User, campaign: Campaign, unit: OrgUnit) -> bool:
    return campaign.status == "published" and can(user, Permission.TASK_REVIEW, unit, strictly_above=True)


def evaluations_for(session: Session, campaign: Campaign, units: list[OrgUnit]) -> dict[int, Evaluation]:
    if not units:
        return {}
    found = session.scalars(select(Evaluation).where(Evaluation.campaign_id == campaign.id,
                                                     Evaluation.org_unit_id.in_([u.id for u in units])))
    return {e.org_unit_id: e for e in found}


def in_subtree(session: Session, campaign: Campaign, node: OrgUnit) -> list[Evaluation]:
    """Every evaluation of node and the units below it (for the summary): level by level, each
    evaluator's units in their order in the org tree."""
    low, high = path_range(node.path)
    found = session.scalars(select(Evaluation).where(
        Evaluation.campaign_id == campaign.id, Evaluation.unit_path >= low, Evaluation.unit_path < high))
    return sorted(found, key=lambda e: (e.org_unit.depth, e.evaluator_unit.sort_order, e.evaluator_unit_id,
                                        e.org_unit.sort_order, e.org_unit_id))


def _parse_score(raw: str, name: str, errors: dict, key: str) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    if not SCORE_RE.match(raw) or Decimal(raw) > 100:
        errors[key] = f"{name}：得分应为0至100之间的数，最多保留一位小数"
        return None
    return int(Decimal(raw) * 10)


def record_evaluations(session: Session, user: User, campaign: Campaign, parent: OrgUnit, form: dict) -> int:
    """Save the scores, grades and comments for parent's evaluable children from form fields
    score-<unit id>, grade-<unit id>, comment-<unit id>. A row left entirely blank is skipped.
    Returns how many evaluations were added or changed."""
    if campaign.status != "published":
        raise ValidationError("专项行动不在进行中，不能录入评价")
    spec = evaluation_of(campaign)
    units = [u for u in evaluable_units(session, campaign, parent) if may_evaluate(user, campaign, u)]
    if not units:
        raise ValidationError(f"您无权对{parent.name}的下级单位进行评价")
    existing = evaluations_for(session, campaign, units)
    grades = [g.name for g in spec.grades]
    errors: dict[str, str] = {}
    planned = []
    for unit in units:
        score_raw = form.get(f"score-{unit.id}", "")
        grade = (form.get(f"grade-{unit.id}") or "").strip()
        comment = (form.get(f"comment-{unit.id}") or "").strip()
        if not (str(score_raw).strip() or grade or comment):
            continue
        tenths = _parse_score(score_raw, unit.name, errors, f"score-{unit.id}")
        if grade and grade not in grades:
            errors[f"grade-{unit.id}"] = f"{unit.name}：请从{'、'.join(grades)}中选择等次"
            continue
        if len(comment) > COMMENT_MAX:
            errors[f"comment-{unit.id}"] = f"{unit.name}：评语不能超过{COMMENT_MAX}个字"
        if f"score-{unit.id}" in errors:
            continue
        if tenths is None and not grade:
            errors[f"grade-{unit.id}"] = f"{unit.name}：请填写得分或选择等次"
            continue
        if tenths is not None:
            banded = spec.grade_for(Decimal(tenths) / 10)
            if grade and grade != banded:
                errors[f"grade-{unit.id}"] = (f"{unit.name}：得分{Decimal(tenths) / 10:g}分对应的等次是“{banded}”，"
                                              f"与所选“{grade}”不一致")
                continue
            grade = banded
        planned.append((unit, tenths, grade, comment))
    if errors:
        raise ValidationError(fields=errors)
    changed = 0
    for unit, tenths, grade, comment in planned:
        ev = existing.get(unit.id)
        new = {"score": None if tenths is None else str(Decimal(tenths) / 10), "grade": grade, "comment": comment}
        if ev is None:
            ev = Evaluation(campaign_id=campaign.id, org_unit_id=unit.id, unit_path=unit.path,
                            evaluator_unit_id=parent.id, score_tenths=tenths, grade=grade, comment=comment,
                            recorded_by_id=user.id, tenant_id=campaign.tenant_id)
            session.add(ev)
            session.flush()
            record(session, user, "evaluation.recorded", object_type="evaluation", object_id=ev.id, org_unit=unit,
                   campaign_id=campaign.id, new=new)
        else:
            old = {"score": None if ev.score is None else str(ev.score), "grade": ev.grade, "comment": ev.comment}
            if old == new:
                continue
            ev.score_tenths, ev.grade, ev.comment = tenths, grade, comment
            ev.evaluator_unit_id, ev.recorded_by_id, ev.updated_at = parent.id, user.id, clock.now()
            record(session, user, "evaluation.changed", object_type="evaluation", object_id=ev.id, org_unit=unit,
                   campaign_id=campaign.id, old=old, new=new)
        changed += 1
    session.flush()
    return changed
