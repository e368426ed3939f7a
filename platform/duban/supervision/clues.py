"""问题线索: possible violations, recorded and transferred to 纪检监察. Only bureau admins and
inspectors above (or at) the unit ever read or write one (see access.may_see_clues)."""
from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit.services import record
from ..campaigns.models import Campaign
from ..errors import ValidationError
from ..lists.models import Problem
from ..tenancy.access import require_visible
from ..tenancy.models import OrgUnit, User
from ..tenancy.tree import path_range
from . import common
from .access import may_see_clues
from .models import Clue

DEFAULT_RECIPIENT = "纪检监察组"


def require_clues(user: User, unit: OrgUnit) -> None:
    require_visible(user, unit)
    if not may_see_clues(user, unit):
        abort(403)


def record_clue(session: Session, user: User, campaign: Campaign, unit: OrgUnit, form: dict) -> Clue:
    """Record a violation clue about unit (form: summary, details, persons, recorded_on, problem_id)."""
    require_clues(user, unit)
    common.check_campaign(campaign, unit)
    errors: dict[str, str] = {}
    summary = common.text(form.get("summary"), "线索摘要", errors, "summary", max_length=200)
    details = common.text(form.get("details"), "线索详情", errors, "details", max_length=4000, required=False)
    persons = common.text(form.get("persons"), "涉及人员", errors, "persons", max_length=200, required=False)
    recorded_on = common.day(form.get("recorded_on"), "登记日期", errors, "recorded_on", not_future=True)
    problem = None
    raw_problem = (form.get("problem_id") or "").strip()
    if raw_problem:
        low, high = path_range(unit.path)
        if raw_problem.isdigit():
            problem = session.scalar(select(Problem).where(
                Problem.id == int(raw_problem), Problem.campaign_id == campaign.id,
                Problem.unit_path >= low, Problem.unit_path < high))
        if problem is None:
            errors["problem_id"] = "所选问题不属于该单位在本专项行动中的问题清单"
    if errors:
        raise ValidationError(fields=errors)
    clue = Clue(campaign_id=campaign.id, org_unit_id=unit.id, unit_path=unit.path, summary=summary, details=details,
                persons=persons, recorded_on=recorded_on, status="recorded", problem_id=problem.id if problem else None,
                created_by_id=user.id, tenant_id=unit.tenant_id)
    session.add(clue)
    session.flush()
    record(session, user, "clue.recorded", object_type="clue", object_id=clue.id, org_unit=unit,
           campaign_id=campaign.id, new={"summary": summary, "status": "recorded"})
    return clue


def transfer(session: Session, user: User, clue: Clue, *, transferred_to: str, transferred_on, note: str = "") -> None:
    """Mark the clue as transferred to discipline inspection (移交纪检监察)."""
    require_clues(user, clue.org_unit)
    if clue.status == "transferred":
        raise ValidationError("该线索已移交")
    errors: dict[str, str] = {}
    to = common.text(transferred_to, "接收单位", errors, "transferred_to", max_length=100)
    when = common.day(transferred_on, "移交日期", errors, "transferred_on", not_future=True)
    note = common.text(note, "移交说明", errors, "transfer_note", max_length=2000, required=False)
    if when and when < clue.recorded_on:
        errors["transferred_on"] = "移交日期不能早于登记日期"
    if errors:
        raise ValidationError(fields=errors)
    clue.status, clue.transferred_to, clue.transferred_on, clue.transfer_note = "transferred", to, when, note
    record(session, user, "clue.transferred", object_type="clue", object_id=clue.id, org_unit=clue.org_unit,
           campaign_id=clue.campaign_id, old={"status": "recorded"},
           new={"status": "transferred", "transferred_to": to, "transferred_on": when})


def for_unit(session: Session, user: User, campaign: Campaign, unit: OrgUnit) -> list[Clue]:
    """The clues in unit's subtree the user may read (none unless a supervisor there)."""
    if not may_see_clues(user, unit):
        return []
    low, high = path_range(unit.path)
    return list(session.scalars(select(Clue).where(Clue.campaign_id == campaign.id, Clue.unit_path >= low,
                                                   Clue.unit_path < high)
                                .order_by(Clue.recorded_on.desc(), Clue.id.desc())))
