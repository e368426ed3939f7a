"""The three lists: record problems, their rectifications and results; validate them against the
campaign type's columns; and add them up from village to district.

Who may write: a unit records on itself (a membership with LIST_EDIT *at* the unit); a superior
may only record a problem it found by spot check or inspection on a unit below. Nothing is ever
deleted. Every bad input raises ValidationError before anything is added to the session.
"""
from __future__ import annotations

from datetime import date

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from .. import clock
from ..audit.services import record
from ..campaigns.models import Campaign
from ..campaigns.registry import definition
from ..campaigns.types import FormDefinition, FormField, ListColumn
from ..errors import ValidationError
from ..evidence.models import Attachment
from ..evidence.services import attach
from ..tasks.forms import validate_form
from ..tenancy import access
from ..tenancy.models import OrgUnit, User
from ..tenancy.permissions import ROLE_PERMISSIONS, Permission
from ..tenancy.tree import path_range
from .models import PROBLEM_SOURCES, RECTIFICATION_STATUS, Problem, Rectification, Result

MODELS = {"problem": Problem, "rectification": Rectification, "result": Result}
# Sources a superior may use when it records a problem on a unit below it.
SUPERIOR_SOURCES = ("spot_check", "inspection")

# The core fields of each kind of entry, as the form field that validates them. A plugin column with
# the same key only changes the label (and its position); type and rules stay the core's.
CORE_FIELDS: dict[str, tuple[FormField, ...]] = {
    "problem": (
        FormField("source", "问题来源", "choice", required=True, choices=tuple(PROBLEM_SOURCES)),
        FormField("description", "问题描述", "textarea", required=True, max_length=2000),
        FormField("found_on", "发现日期", "date", required=True),
    ),
    "rectification": (
        FormField("measure", "整改措施", "textarea", required=True, max_length=2000),
        FormField("responsible_person", "责任人", "text", required=True, max_length=60),
        FormField("due_on", "整改时限", "date", required=True),
        FormField("status", "整改状态", "choice", required=False, choices=tuple(RECTIFICATION_STATUS)),
        FormField("completed_on", "完成日期", "date", required=False),
    ),
    "result": (
        FormField("description", "成果描述", "textarea", required=True, max_length=2000),
        FormField("achieved_on", "取得日期", "date", required=True),
        FormField("people", "惠及人数", "int", required=False, min=0, max=1_000_000),
    ),
}
# Core fields that are shown but never typed in (a problem's status follows its rectifications).
DERIVED_FIELDS = {"problem": ("status",), "rectification": (), "result": ()}
DATE_FIELDS = {"found_on", "due_on", "completed_on", "achieved_on"}
# Keys a plugin may list for display only, on every kind.
DISPLAY_ONLY = ("org_unit",)


# --- Columns and forms -------------------------------------------------------------------------

def columns(campaign: Campaign, kind: str) -> tuple[ListColumn, ...]:
    """Return the plugin's columns of list kind, in the plugin's order."""
    return definition(campaign.type_key).lists.get(kind, ())


def display_columns(campaign: Campaign, kind: str) -> list[ListColumn]:
    """The plugin's columns, then any core field the plugin left out (a list must show it)."""
    cols = list(columns(campaign, kind))
    listed = {c.key for c in cols}
    for f in CORE_FIELDS[kind]:
        if f.key not in listed:
            cols.append(ListColumn(key=f.key, label=f.label, type=f.type, required=f.required))
    return cols


def form_fields(campaign: Campaign, kind: str) -> list[FormField]:
    """Return the input fields of list kind, in display order: core rules, plugin labels and extras."""
    core = {f.key: f for f in CORE_FIELDS[kind]}
    fields = []
    for col in display_columns(campaign, kind):
        if col.key in DERIVED_FIELDS[kind] or col.key in DISPLAY_ONLY:
            continue
        if col.key in core:
            f = core[col.key]
            fields.append(FormField(f.key, col.label or f.label, f.type, required=f.required or col.required,
                                    min=f.min, max=f.max, max_length=f.max_length, choices=f.choices))
        else:
            fields.append(_extra_field(col))
    return fields


def _extra_field(col: ListColumn) -> FormField:
    kind = col.type if col.type in ("int", "decimal", "text", "textarea", "date", "choice", "bool") else "text"
    return FormField(col.key, col.label, kind, required=col.required,
                     min=0 if kind in ("int", "decimal") else None,
                     max=1_000_000_000 if kind in ("int", "decimal") else None,
                     max_length=200 if kind == "text" else 2000, choices=col.choices)


def _validate(campaign: Campaign, kind: str, raw: dict, errors: dict) -> tuple[dict, dict]:
    """Return (core values, extra values) from raw input; field messages go into errors."""
    raw = {k: (v if isinstance(v, str) else ("" if v is None else str(v))) for k, v in (raw or {}).items()}
    if kind == "problem" and raw.get("source") in PROBLEM_SOURCES.values():
        raw["source"] = next(k for k, v in PROBLEM_SOURCES.items() if v == raw["source"])
    fields = form_fields(campaign, kind)
    clean, field_errors = validate_form(FormDefinition(key=kind, title=kind, fields=tuple(fields)), raw)
    for key, message in field_errors.items():
        errors.setdefault(key, message)
    core_keys = {f.key for f in CORE_FIELDS[kind]}
    core, extra = {}, {}
    for f in fields:
        if f.key not in clean:
            continue
        value = clean[f.key]
        if f.key in core_keys:
            core[f.key] = date.fromisoformat(value) if f.key in DATE_FIELDS else value
        else:
            extra[f.key] = value
    return core, extra


def _label(campaign: Campaign, kind: str, key: str) -> str:
    return next((f.label for f in form_fields(campaign, kind) if f.key == key), key)


def _not_future(campaign, kind, key, value, errors) -> None:
    if value is not None and value > clock.today():
        errors.setdefault(key, f"“{_label(campaign, kind, key)}”不能晚于今天")


# --- Who may write where -----------------------------------------------------------------------

def edit_mode(user: User, unit: OrgUnit) -> str | None:
    """Return "self" when the user records at unit itself, "superior" when only from above, else None."""
    if any(m.org_unit_id == unit.id and Permission.LIST_EDIT in ROLE_PERMISSIONS.get(m.role, ())
           for m in user.memberships):
        return "self"
    if access.can(user, Permission.LIST_EDIT, unit, strictly_above=True):
        return "superior"
    return None


def require_view(user: User, unit: OrgUnit) -> None:
    """Answer 404 outside the user's subtrees, 403 without LIST_VIEW."""
    access.require(user, Permission.LIST_VIEW, unit)


def _require_edit(user: User, unit: OrgUnit) -> str:
    access.require(user, Permission.LIST_EDIT, unit)
    mode = edit_mode(user, unit)
    if mode is None:
        abort(403)
    return mode


def _require_self(user: User, unit: OrgUnit) -> None:
    if _require_edit(user, unit) != "self":
        abort(403)


def can_attach(user: User, entry) -> bool:
    """The entry's own unit may attach evidence; so may the superior who recorded a problem."""
    mode = edit_mode(user, entry.org_unit)
    return mode == "self" or (mode == "superior" and isinstance(entry, Problem) and entry.created_by_id == user.id)


def _check_campaign(campaign: Campaign, unit: OrgUnit) -> None:
    if campaign.status != "published":
        raise ValidationError("专项行动未在进行中，不能登记清单")
    if unit.tenant_id != campaign.tenant_id or not unit.is_within(campaign.root_unit):
        raise ValidationError("该单位不在本专项行动的范围内")


# --- Writing -----------------------------------------------------------------------------------

def record_problem(session: Session, user: User, campaign: Campaign, org_unit: OrgUnit, data: dict) -> Problem:
    """Record a problem found at org_unit (问题清单)."""
    mode = _require_edit(user, org_unit)
    _check_campaign(campaign, org_unit)
    errors: dict[str, str] = {}
    core, extra = _validate(campaign, "problem", data, errors)
    _not_future(campaign, "problem", "found_on", core.get("found_on"), errors)
    if mode == "superior" and core.get("source") and core["source"] not in SUPERIOR_SOURCES:
        errors["source"] = "上级单位为下级单位登记问题时，问题来源应为“抽查”或“督导检查”"
    if errors:
        raise ValidationError(fields=errors)
    problem = Problem(campaign_id=campaign.id, org_unit=org_unit, unit_path=org_unit.path, extra=extra,
                      created_by_id=user.id, tenant_id=org_unit.tenant_id, status="open", **core)
    session.add(problem)
    session.flush()
    record(session, user, "problem.created", object_type="problem", object_id=problem.id, org_unit=org_unit,
           campaign_id=campaign.id, new={**core, **extra, "status": "open"})
    return problem


def add_rectification(session: Session, user: User, problem: Problem, data: dict) -> Rectification:
    """Add a rectification (measure, responsible person, deadline, status) to a problem (整改清单)."""
    unit = problem.org_unit
    _require_self(user, unit)
    campaign = session.get(Campaign, problem.campaign_id)
    _check_campaign(campaign, unit)
    errors: dict[str, str] = {}
    core, extra = _validate(campaign, "rectification", data, errors)
    core.setdefault("status", "planned")
    _check_dates(campaign, problem, core, errors)
    if errors:
        raise ValidationError(fields=errors)
    rect = Rectification(campaign_id=campaign.id, problem=problem, org_unit=unit, unit_path=unit.path,
                         extra=extra, created_by_id=user.id, tenant_id=unit.tenant_id, **core)
    session.add(rect)
    session.flush()
    record(session, user, "rectification.created", object_type="rectification", object_id=rect.id, org_unit=unit,
           campaign_id=campaign.id, new={**core, **extra, "problem_id": problem.id})
    _follow(problem, user)
    return rect


def _check_dates(campaign: Campaign, problem: Problem, core: dict, errors: dict) -> None:
    label = lambda key: _label(campaign, "rectification", key)  # noqa: E731
    due, done_on = core.get("due_on"), core.get("completed_on")
    if due and due < problem.found_on:
        errors.setdefault("due_on", f"“{label('due_on')}”不能早于问题发现日期（{problem.found_on.isoformat()}）")
    if core.get("status") == "done":
        if done_on is None:
            errors.setdefault("completed_on", f"整改已完成时请填写“{label('completed_on')}”")
    elif done_on is not None:
        errors.setdefault("completed_on", f"整改未完成时不应填写“{label('completed_on')}”")
    if done_on is not None:
        _not_future(campaign, "rectification", "completed_on", done_on, errors)
        if done_on < problem.found_on:
            errors.setdefault("completed_on",
                              f"“{label('completed_on')}”不能早于问题发现日期（{problem.found_on.isoformat()}）")


def update_rectification_status(session: Session, user: User, rect: Rectification, status: str,
                                completed_on: str | date | None = None) -> Rectification:
    """Move a rectification to status; the problem follows.

    completed_on is required for done and ignored otherwise: the status form keeps the old date
    in its field, and moving a done rectification back to work clears it.
    """
    _require_self(user, rect.org_unit)
    campaign = session.get(Campaign, rect.campaign_id)
    _check_campaign(campaign, rect.org_unit)
    errors: dict[str, str] = {}
    status = (status or "").strip()
    if status not in RECTIFICATION_STATUS:
        errors["status"] = f"“{_label(campaign, 'rectification', 'status')}”请从列表中选择"
    done_on = completed_on if status == "done" and isinstance(completed_on, date) else None
    if status == "done" and isinstance(completed_on, str) and completed_on.strip():
        try:
            done_on = date.fromisoformat(completed_on.strip())
        except ValueError:
            errors["completed_on"] = f"“{_label(campaign, 'rectification', 'completed_on')}”的日期格式应为 年-月-日"
    if "status" not in errors and "completed_on" not in errors:
        _check_dates(campaign, rect.problem, {"status": status, "completed_on": done_on}, errors)
    if errors:
        raise ValidationError(fields=errors)
    old = {"status": rect.status, "completed_on": rect.completed_on}
    rect.status, rect.completed_on = status, done_on
    session.flush()
    record(session, user, "rectification.status_changed", object_type="rectification", object_id=rect.id,
           org_unit=rect.org_unit, campaign_id=rect.campaign_id, old=old,
           new={"status": status, "completed_on": done_on})
    _follow(rect.problem, user)
    return rect


def _follow(problem: Problem, user: User | None = None) -> None:
    """A problem is rectifying while any rectification is open, closed once all are done."""
    rects = problem.rectifications
    before = problem.status
    if not rects:
        problem.status = "open"
    elif all(r.status == "done" for r in rects):
        problem.status = "closed"
    else:
        problem.status = "rectifying"
    if user is not None and problem.status != before:
        from sqlalchemy.orm import object_session

        record(object_session(problem), user, "problem.status_changed", object_type="problem", object_id=problem.id,
               org_unit=problem.org_unit, campaign_id=problem.campaign_id, old={"status": before},
               new={"status": problem.status})


def record_result(session: Session, user: User, campaign: Campaign, org_unit: OrgUnit, data: dict,
                  problem: Problem | None = None) -> Result:
    """Record a result achieved at org_unit (成果清单), optionally for one of its problems."""
    _require_self(user, org_unit)
    _check_campaign(campaign, org_unit)
    errors: dict[str, str] = {}
    core, extra = _validate(campaign, "result", data, errors)
    _not_future(campaign, "result", "achieved_on", core.get("achieved_on"), errors)
    if problem is not None and (problem.campaign_id != campaign.id or problem.org_unit_id != org_unit.id):
        errors["problem_id"] = "所选问题不属于本单位在本专项行动中的问题清单"
    if errors:
        raise ValidationError(fields=errors)
    core.setdefault("people", 0)
    result = Result(campaign_id=campaign.id, org_unit=org_unit, unit_path=org_unit.path, extra=extra,
                    problem_id=problem.id if problem else None, created_by_id=user.id,
                    tenant_id=org_unit.tenant_id, **core)
    session.add(result)
    session.flush()
    record(session, user, "result.created", object_type="result", object_id=result.id, org_unit=org_unit,
           campaign_id=campaign.id, new={**core, **extra, "problem_id": result.problem_id})
    return result


def attach_evidence(session: Session, user: User, entry, *, filename: str, stream) -> Attachment:
    """Attach an uploaded file to a problem, rectification or result as evidence (佐证材料)."""
    require_view(user, entry.org_unit)
    if not can_attach(user, entry):
        abort(403)
    _check_campaign(session.get(Campaign, entry.campaign_id), entry.org_unit)
    target = {f"{_kind(entry)}_id": entry.id}
    return attach(session, user, org_unit=entry.org_unit, filename=filename, stream=stream, **target)


# --- Reading -----------------------------------------------------------------------------------

def subtree_entries(session: Session, campaign: Campaign, unit: OrgUnit, kind: str, *,
                    limit: int | None = None, offset: int = 0) -> tuple[int, list]:
    """Return (count, entries) of list kind recorded in unit's subtree, newest first."""
    model = MODELS[kind]
    low, high = path_range(unit.path)
    where = (model.campaign_id == campaign.id, model.unit_path >= low, model.unit_path < high)
    total = session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    order = {"problem": Problem.found_on, "rectification": Rectification.due_on, "result": Result.achieved_on}[kind]
    stmt = select(model).where(*where).order_by(order.desc(), model.id.desc()).offset(offset)
    if model is Problem:
        stmt = stmt.options(selectinload(Problem.rectifications))
    else:
        stmt = stmt.options(selectinload(model.problem))
    if limit is not None:
        stmt = stmt.limit(limit)
    return total, list(session.scalars(stmt))


def cell(entry, column: ListColumn) -> str:
    """Return the text shown for entry in column (core field or extra value)."""
    key = column.key
    if key == "source" and isinstance(entry, Problem):
        return entry.source_label
    if key == "status" and hasattr(entry, "status_label"):
        return entry.status_label
    if key == "org_unit":
        return entry.org_unit.name
    value = getattr(entry, key) if key in {f.key for f in CORE_FIELDS[_kind(entry)]} else (entry.extra or {}).get(key)
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def evidence_for(session: Session, kind: str, ids: list[int]) -> dict[int, list[Attachment]]:
    """Return {entry id: its attachments, oldest first} for entries of kind."""
    if not ids:
        return {}
    column = getattr(Attachment, f"{kind}_id")
    found: dict[int, list[Attachment]] = {i: [] for i in ids}
    for att in session.scalars(select(Attachment).where(column.in_(ids), Attachment.deleted.is_(False))
                               .order_by(Attachment.id)):
        found[getattr(att, f"{kind}_id")].append(att)
    return found


def _kind(entry) -> str:
    return next(k for k, m in MODELS.items() if isinstance(entry, m))
