"""Hooks that campaign plugins implement. Only the core calls them.

Three kinds, told apart by their names (as in datasette and pytest):

* ``register_*`` — called once when the app starts; results from every plugin are merged and a
  duplicate key is a start-up error.
* a noun (``campaign_phases``) — a definition lookup, ``firstresult``: the plugin that owns the
  campaign type answers and every other plugin returns None.
* a past tense (``campaign_published``) — an event; every implementation is called and the
  return values are ignored.

Call hooks with keyword arguments only. An implementation may accept fewer arguments than its
spec, so adding an argument to a spec later is safe; renaming or removing one is not.
Return plain data (the dataclasses of :mod:`duban.campaigns.types`), never ORM objects.
The full guide, hook by hook, is docs/plugins.md.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pluggy import HookimplMarker, HookspecMarker

if TYPE_CHECKING:  # pragma: no cover
    from flask import Flask

    from .campaigns.models import Campaign
    from .campaigns.types import (
        CampaignType, Checklist, ChecklistItem, FormDefinition, LedgerDefinition, ListColumn, Phase,
        ScreeningCategory,
        TaskTemplate,
    )
    from .tasks.models import Task
    from .tenancy.models import OrgUnit, User

PROJECT = "duban"
hookspec = HookspecMarker(PROJECT)
hookimpl = HookimplMarker(PROJECT)


# --- Registration -------------------------------------------------------------------------

@hookspec
def register_campaign_types(app: Flask) -> list[CampaignType]:
    """Return the campaign types this plugin provides.

    :param app: the Flask app being created (read its config if the plugin needs it).
    :returns: a list of :class:`~duban.campaigns.types.CampaignType`; keys are unique across plugins.
    """


# --- Definitions (firstresult: return None when campaign_type is not yours) -----------------

@hookspec(firstresult=True)
def campaign_phases(campaign_type: str) -> list[Phase] | None:
    """Return the ordered phases of campaign_type. Stops at first non-None result."""


@hookspec(firstresult=True)
def task_templates(campaign_type: str) -> list[TaskTemplate] | None:
    """Return the task templates of campaign_type: what each level must do, in which phase, by when.

    Each template names its phase key, the level it fans out to (bureau, township or village),
    its deadline rule and, optionally, a checklist key and a form key. Stops at first non-None result.
    """


@hookspec(firstresult=True)
def campaign_checklists(campaign_type: str) -> dict[str, Checklist] | None:
    """Return the checklists of campaign_type keyed by checklist key. Stops at first non-None result."""


@hookspec(firstresult=True)
def form_definition(campaign_type: str, form_key: str) -> FormDefinition | None:
    """Return the fields and validation rules of one report form. Stops at first non-None result."""


@hookspec(firstresult=True)
def campaign_forms(campaign_type: str) -> list[str] | None:
    """Return the keys of every form campaign_type uses. Stops at first non-None result."""


@hookspec(firstresult=True)
def screening_categories(campaign_type: str) -> list[ScreeningCategory] | None:
    """Return the categories of people to screen (with thresholds), in the plan's order.

    Stops at first non-None result; a type without household screening returns an empty list.
    """


@hookspec(firstresult=True)
def screening_checks(campaign_type: str) -> list[ChecklistItem] | None:
    """Return the questions to check for every screened person. Stops at first non-None result."""


@hookspec(firstresult=True)
def list_columns(campaign_type: str, list_kind: str) -> list[ListColumn] | None:
    """Return the columns of the "problem", "rectification" or "result" list.

    A column whose key is a core field of the entry (see docs/plugins.md) shows that field;
    any other key is stored with the entry as an extra value. Stops at first non-None result.
    """


@hookspec(firstresult=True)
def campaign_ledgers(campaign_type: str) -> dict[str, LedgerDefinition] | None:
    """Return the ledgers (台账) of campaign_type keyed by ledger key, each with its columns in the
    official order of the plan's attachment. Stops at first non-None result."""


# --- Runtime -------------------------------------------------------------------------------

@hookspec
def validate_submission(campaign: Campaign, org_unit: OrgUnit, form_key: str, data: dict) -> list[str]:
    """Return extra error messages (Chinese) for a form submission; an empty list when acceptable.

    Called after the core has checked every field against the form definition.
    """


@hookspec
def report_context(campaign: Campaign, org_unit: OrgUnit) -> dict | None:
    """Return extra template variables for the summary PDF of campaign at org_unit, or None."""


@hookspec
def campaign_published(campaign: Campaign, actor: User) -> None:
    """Called after a campaign is published and its tasks exist; the return value is ignored."""


@hookspec
def task_status_changed(task: Task, previous: str, actor: User) -> None:
    """Called after a task changes status (submitted, approved, returned); return value ignored."""
