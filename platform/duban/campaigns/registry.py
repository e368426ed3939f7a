"""Assemble every installed campaign type from the hooks, and check it is whole."""
from __future__ import annotations

import pluggy
from flask import current_app

from .types import LEVELS, LIST_KINDS, CampaignDefinition


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
        if t.level not in LEVELS:
            problems.append(f"task {t.key}: unknown level {t.level}")
        if t.checklist and t.checklist not in d.checklists:
            problems.append(f"task {t.key}: unknown checklist {t.checklist}")
        if t.form and t.form not in d.forms:
            problems.append(f"task {t.key}: unknown form {t.form}")
    for kind, cols in d.lists.items():
        if not cols:
            problems.append(f"list {kind} has no columns")
    if problems:
        raise DefinitionError(f"campaign type {d.key}: " + "; ".join(problems))


def registry() -> dict[str, CampaignDefinition]:
    """Return the current app's campaign types."""
    return current_app.extensions["duban"]["types"]


def definition(key: str) -> CampaignDefinition:
    try:
        return registry()[key]
    except KeyError:
        raise LookupError(f"campaign type {key!r} is not installed") from None


def plugin_manager() -> pluggy.PluginManager:
    return current_app.extensions["duban"]["pm"]
