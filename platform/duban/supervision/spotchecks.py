"""抽查: draw a seeded random sample of a unit's reported tasks or screening subjects, record a
finding for each, and turn a finding into a problem (source 抽查) on the three lists.

Reproducible: the population is listed in id order, and the sample is
``random.Random(seed).sample(range(len(population)), size)`` — the same seed over the same
population gives the same rows, which anyone can re-draw (:func:`redraw`) to verify a check.
Who: superiors with the comment right above the unit (bureau admins, inspectors, a street over
its communities: the town spot-checks every village).
"""
from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..audit.services import record
from ..campaigns.models import Campaign
from ..errors import ValidationError
from ..lists.models import Problem
from ..campaigns.types import FormDefinition
from ..lists.services import CORE_FIELDS, DATE_FIELDS, form_fields
from ..tasks.forms import validate_form
from ..tasks.models import Task
from ..tenancy.models import OrgUnit, User
from ..tenancy.tree import path_range
from . import common
from .access import require_urge
from .models import SpotCheck, SpotCheckItem

SEED_MAX = 2**31 - 1
SAMPLE_MAX = 200


@dataclass(frozen=True)
class Member:
    subject_type: str
    subject_id: int
    org_unit_id: int
    label: str


def _tasks(session: Session, campaign: Campaign, unit: OrgUnit) -> list[Member]:
    low, high = path_range(unit.path)
    rows = session.scalars(select(Task).where(Task.campaign_id == campaign.id, Task.unit_path >= low,
                                              Task.unit_path < high, Task.status.in_(("submitted", "approved")))
                           .order_by(Task.id))
    return [Member("task", t.id, t.org_unit_id, f"{t.org_unit.name}：{t.title}（{t.status_label}）") for t in rows]


def _subjects(session: Session, campaign: Campaign, unit: OrgUnit) -> list[Member]:
    from ..ledgers.idnumber import mask_id
    from ..screening.models import Subject

    low, high = path_range(unit.path)
    rows = session.scalars(select(Subject).where(Subject.campaign_id == campaign.id, Subject.unit_path >= low,
                                                 Subject.unit_path < high, Subject.status == "listed")
                           .order_by(Subject.id))
    return [Member("screening_subject", s.id, s.org_unit_id,
                   f"{s.org_unit.name}：{s.name}（{mask_id(s.id_number)}，{s.outcome_label}）") for s in rows]


# key -> (label, lister). A population lists its members in a stable (id) order.
POPULATIONS: dict[str, tuple[str, Callable[[Session, Campaign, OrgUnit], list[Member]]]] = {
    "tasks": ("已上报的任务", _tasks),
    "screening": ("摸排对象", _subjects),
}


def draw(size: int, population: int, seed: int) -> list[int]:
    """Positions (0-based, in draw order) of a sample of size from a population, by seed."""
    return random.Random(seed).sample(range(population), size)


def population(session: Session, campaign: Campaign, unit: OrgUnit, key: str) -> list[Member]:
    if key not in POPULATIONS:
        raise ValidationError(fields={"population": "请选择抽查对象"})
    return POPULATIONS[key][1](session, campaign, unit)


def create(session: Session, user: User, campaign: Campaign, unit: OrgUnit, form: dict) -> SpotCheck:
    """Draw a sample. form: population, sample_size, seed (blank: a random one), note."""
    require_urge(user, unit)
    common.check_campaign(campaign, unit)
    errors: dict[str, str] = {}
    key = (form.get("population") or "").strip()
    members = population(session, campaign, unit, key) if key in POPULATIONS else []
    if key not in POPULATIONS:
        errors["population"] = "请选择抽查对象"
    try:
        size = int((form.get("sample_size") or "").strip())
        if not 1 <= size <= SAMPLE_MAX:
            raise ValueError
    except ValueError:
        size = 0
        errors["sample_size"] = f"抽查数量应为1至{SAMPLE_MAX}之间的整数"
    raw_seed = (form.get("seed") or "").strip()
    try:
        seed = int(raw_seed) if raw_seed else secrets.randbelow(1_000_000)
        if not 0 <= seed <= SEED_MAX:
            raise ValueError
    except ValueError:
        seed = 0
        errors["seed"] = f"随机种子应为0至{SEED_MAX}之间的整数，不填则自动生成"
    if key in POPULATIONS and not members:
        errors["population"] = f"{unit.name}目前没有可抽查的{POPULATIONS[key][0]}"
    elif size and members and size > len(members):
        errors["sample_size"] = f"抽查数量不能超过总数（{len(members)}）"
    note = common.text(form.get("note"), "抽查说明", errors, "note", max_length=1000, required=False)
    if errors:
        raise ValidationError(fields=errors)
    check = SpotCheck(campaign_id=campaign.id, org_unit_id=unit.id, unit_path=unit.path, population=key,
                      population_size=len(members), sample_size=size, seed=seed, drawn_on=clock.today(), note=note,
                      created_by_id=user.id, tenant_id=unit.tenant_id)
    session.add(check)
    session.flush()
    for seq, pos in enumerate(draw(size, len(members), seed), start=1):
        m = members[pos]
        session.add(SpotCheckItem(spot_check_id=check.id, seq=seq, subject_type=m.subject_type,
                                  subject_id=m.subject_id, org_unit_id=m.org_unit_id, label=m.label[:300],
                                  tenant_id=check.tenant_id))
    session.flush()
    record(session, user, "spot_check.drawn", object_type="spot_check", object_id=check.id, org_unit=unit,
           campaign_id=campaign.id, new={"population": key, "population_size": len(members), "sample_size": size,
                                         "seed": seed})
    return check


def redraw(session: Session, check: SpotCheck) -> list[tuple[str, int]]:
    """Draw again from today's population with the check's seed: equal to the stored sample
    while the population has not changed."""
    members = population(session, check.campaign, check.org_unit, check.population)
    if check.sample_size > len(members):
        return []
    return [(members[p].subject_type, members[p].subject_id)
            for p in draw(check.sample_size, len(members), check.seed)]


def record_finding(session: Session, user: User, item: SpotCheckItem, *, finding: str, note: str) -> None:
    check = item.spot_check
    require_urge(user, check.org_unit)
    errors: dict[str, str] = {}
    if finding not in ("ok", "issue"):
        errors["finding"] = "请选择核查结果：无问题或发现问题"
    note = common.text(note, "核查情况", errors, "note", max_length=2000, required=finding == "issue")
    if item.problem_id:
        errors["finding"] = "该项已转为问题清单，核查结果不能再修改"
    if errors:
        raise ValidationError(fields=errors)
    old = {"finding": item.finding, "note": item.note}
    item.finding, item.note, item.checked_by_id, item.checked_at = finding, note, user.id, clock.now()
    record(session, user, "spot_check.finding", object_type="spot_check_item", object_id=item.id,
           org_unit=item.org_unit, campaign_id=check.campaign_id, old=old, new={"finding": finding, "note": note})


def to_problem(session: Session, user: User, item: SpotCheckItem, data: dict) -> Problem:
    """Turn an item's finding into a problem (source 抽查) at the item's unit, with the plugin's columns."""
    check = item.spot_check
    require_urge(user, check.org_unit)
    common.check_campaign(check.campaign, item.org_unit)
    if item.finding != "issue":
        raise ValidationError("只有“发现问题”的抽查项才能转为问题")
    if item.problem_id:
        raise ValidationError("该抽查项已转为问题")
    raw = {k: (v if isinstance(v, str) else "" if v is None else str(v)) for k, v in dict(data).items()}
    raw["source"] = "spot_check"
    raw.setdefault("found_on", clock.today().isoformat())
    fields = form_fields(check.campaign, "problem")
    clean, errors = validate_form(FormDefinition(key="problem", title="问题", fields=tuple(fields)), raw)
    found_on = clean.get("found_on")
    if found_on and str(found_on) > clock.today().isoformat():
        errors.setdefault("found_on", "发现日期不能晚于今天")
    if errors:
        raise ValidationError(fields=errors)
    core_keys = {f.key for f in CORE_FIELDS["problem"]}
    core = {k: (date.fromisoformat(v) if k in DATE_FIELDS else v) for k, v in clean.items() if k in core_keys}
    extra = {k: v for k, v in clean.items() if k not in core_keys}
    unit = item.org_unit
    problem = Problem(campaign_id=check.campaign_id, org_unit_id=unit.id, unit_path=unit.path, extra=extra,
                      created_by_id=user.id, tenant_id=unit.tenant_id, status="open", **core)
    session.add(problem)
    session.flush()
    item.problem_id = problem.id
    record(session, user, "problem.created", object_type="problem", object_id=problem.id, org_unit=unit,
           campaign_id=check.campaign_id, new={"source": "spot_check", "description": problem.description,
                                               "spot_check_item": item.id}, note=f"由抽查第{item.seq}项转入")
    return problem


def for_unit(session: Session, campaign: Campaign, unit: OrgUnit) -> list[SpotCheck]:
    low, high = path_range(unit.path)
    return list(session.scalars(select(SpotCheck).where(SpotCheck.campaign_id == campaign.id,
                                                        SpotCheck.unit_path >= low, SpotCheck.unit_path < high)
                                .order_by(SpotCheck.drawn_on.desc(), SpotCheck.id.desc())))

