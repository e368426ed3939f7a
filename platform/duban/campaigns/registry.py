"""Assemble every installed campaign type from the hooks, and check it is whole."""
from __future__ import annotations

import logging

import pluggy
from flask import current_app, g

from .types import LIST_KINDS, TASK_LEVELS, CampaignDefinition, EvaluationDefinition

log = logging.getLogger(__name__)


class DefinitionError(RuntimeError):
    """A plugin's campaign type is inconsistent; the app refuses to start with it."""


def build_registry(pm: pluggy.PluginManager, app) -> dict[str, CampaignDefinition]:
    """Call the registration and definition hooks and return {type key: CampaignDefinition}."""
    registry: dict[str, CampaignDefinition] = {}
    for impl in pm.hook.register_campaign_types.get_hookimpls():
        plugin_name = pm.get_name(impl.plugin) or ""
        for ctype in impl.function(**({"app": app} if "app" in impl.argnames else {})) or ():
            if ctype.key in registry:
                raise DefinitionError(f"campaign type {ctype.key!r} is registered twice")
            registry[ctype.key] = _assemble(pm, ctype, plugin_name)
    return registry


def _assemble(pm, ctype, plugin_name) -> CampaignDefinition:
    hook, key = pm.hook, ctype.key
    phases = tuple(hook.campaign_phases(campaign_type=key) or ())
    tasks = tuple(hook.task_templates(campaign_type=key) or ())
    checklists = dict(hook.campaign_checklists(campaign_type=key) or {})
    forms = {}
    for form_key in hook.campaign_forms(campaign_type=key) or ():
        form = hook.form_definition(campaign_type=key, form_key=form_key)
        if form is None:
            raise DefinitionError(f"{key}: form {form_key!r} is listed but has no definition")
        forms[form_key] = form
    lists = {kind: tuple(hook.list_columns(campaign_type=key, list_kind=kind) or ()) for kind in LIST_KINDS}
    definition = CampaignDefinition(
        type=ctype, phases=phases, tasks=tasks, checklists=checklists, forms=forms,
        screening_categories=tuple(hook.screening_categories(campaign_type=key) or ()),
        screening_checks=tuple(hook.screening_checks(campaign_type=key) or ()),
        lists=lists, ledgers=dict(hook.campaign_ledgers(campaign_type=key) or {}), plugin=plugin_name,
        evaluation=hook.campaign_evaluation(campaign_type=key) or EvaluationDefinition(),
    )
    check(definition)
    return definition


def check(d: CampaignDefinition) -> None:
    """Raise DefinitionError when the parts of a definition do not fit together."""
    problems = []
    if not d.phases:
        problems.append("no phases")
    phase_keys = {p.key for p in d.phases}
    if len(phase_keys) != len(d.phases):
        problems.append("duplicate phase keys")
    task_keys = [t.key for t in d.tasks]
    if len(set(task_keys)) != len(task_keys):
        problems.append("duplicate task keys")
    for t in d.tasks:
        if t.phase not in phase_keys:
            problems.append(f"task {t.key}: unknown phase {t.phase}")
        if t.level not in TASK_LEVELS:
            problems.append(f"task {t.key}: unknown level {t.level}")
        if t.level == "department" and not t.responsible:
            problems.append(f"task {t.key}: level department needs responsible departments")
        if "@" in t.key:
            problems.append(f"task {t.key}: '@' is reserved for the periods of recurring tasks")
        if t.deadline.recurring and t.deadline.kind != "dates" and t.deadline.window not in ("campaign", "phase"):
            problems.append(f"task {t.key}: unknown deadline window {t.deadline.window}")
        if t.checklist and t.checklist not in d.checklists:
            problems.append(f"task {t.key}: unknown checklist {t.checklist}")
        if t.form and t.form not in d.forms:
            problems.append(f"task {t.key}: unknown form {t.form}")
    for form in d.forms.values():
        numeric = {f.key for f in form.fields if f.type in ("int", "decimal")}
        if form.rollup:
            used = {*form.rollup.fields, *(k for m in form.rollup.metrics for k in (*m.sum, *([m.per] if m.per else [])))}
            if used - numeric:
                problems.append(f"form {form.key}: rollup uses non-numeric or unknown fields {sorted(used - numeric)}")
    for kind, cols in d.lists.items():
        if not cols:
            problems.append(f"list {kind} has no columns")
    if problems:
        raise DefinitionError(f"campaign type {d.key}: " + "; ".join(problems))


def registry() -> dict[str, CampaignDefinition]:
    """Return the current app's campaign types (the installed ones, the same for every tenant)."""
    return current_app.extensions["duban"]["types"]


# --- Tenant-owned types (e.g. templates a bureau saved from its own plan) -----------------------
# They come from the tenant_campaign_types hook, asked for the tenant the ORM session is scoped
# to (tenancy/scoping.py), so a tenant only ever sees its own; assembled once per app context.

_TENANT_CACHE = "_duban_tenant_types"


def _session_tenant() -> int | None:
    from ..extensions import db

    return db.session.info.get("tenant_id")


def tenant_types(tenant_id: int | None = None) -> dict[str, CampaignDefinition]:
    """The campaign types owned by tenant_id (default: the session's tenant); {} without a tenant."""
    tenant_id = _session_tenant() if tenant_id is None else tenant_id
    if tenant_id is None:
        return {}
    cache = g.setdefault(_TENANT_CACHE, {})
    if tenant_id not in cache:
        pm, installed, found = plugin_manager(), registry(), {}
        for impl in pm.hook.tenant_campaign_types.get_hookimpls():
            for ctype in impl.function(tenant_id=tenant_id) or ():
                if ctype.key in installed or ctype.key in found:
                    log.warning("tenant %s: campaign type %r clashes with another type; ignored", tenant_id, ctype.key)
                    continue
                try:
                    found[ctype.key] = _assemble(pm, ctype, pm.get_name(impl.plugin) or "")
                except DefinitionError as e:
                    log.warning("tenant %s: %s", tenant_id, e)
        cache[tenant_id] = found
    return cache[tenant_id]


def forget_tenant_types() -> None:
    """Drop the assembled tenant types of this app context (after a template is saved or removed)."""
    g.pop(_TENANT_CACHE, None)


def launchable() -> dict[str, CampaignDefinition]:
    """The types the session's tenant may launch: the installed ones, then its own."""
    return {**registry(), **tenant_types()}


def definition(key: str) -> CampaignDefinition:
    try:
        return registry()[key]
    except KeyError:
        pass
    found = tenant_types().get(key)
    if found is None:
        raise LookupError(f"campaign type {key!r} is not installed")
    return found


def plugin_manager() -> pluggy.PluginManager:
    return current_app.extensions["duban"]["pm"]
