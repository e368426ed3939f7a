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
    from .screening.spec import ScreeningRules
    from .campaigns.types import (
        CampaignType, Checklist, ChecklistItem, EvaluationDefinition, FormDefinition, LedgerDefinition, ListColumn, Phase,
        ScreeningCategory,
        TaskTemplate,
    )
    from .surveys.types import SurveyDefinition
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


# --- Tenant-owned types (plandraft: templates a bureau saved from its own plan) -------------

@hookspec
def tenant_campaign_types(tenant_id: int) -> list[CampaignType]:
    """Return the campaign types that belong to tenant tenant_id alone (none of another tenant's).

    Called per app context for the tenant the session is scoped to, never at start-up; results of
    every plugin are merged. Each type's parts come from the definition hooks below, like an
    installed type's. A key that clashes with an installed type is ignored.
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


# --- Household screening (screening/, ledgers/) ----------------------------------------------

@hookspec(firstresult=True)
def screening_rules(campaign_type: str) -> ScreeningRules | None:
    """Return the matching rules that turn imported department data into campaign_type's
    摸排对象清单 (:class:`~duban.screening.spec.ScreeningRules`: rules, the programmes a visit may
    include a person in, the visit ledger's layout and the progress-form fields counted from it).
    Stops at first non-None result; a type without data matching returns None."""


# --- Residents' satisfaction surveys (群众满意度测评) ----------------------------------------

@hookspec(firstresult=True)
def campaign_survey(campaign_type: str) -> SurveyDefinition | None:
    """Return the residents' satisfaction survey of campaign_type: its questions, which question
    gives the satisfaction rate, the level whose units get public links, and the threshold below
    which a unit gets a 问题清单 entry. None when the type has no survey (or is not yours).
    Stops at first non-None result.
    """


# --- Close-out evaluation (验收, 年终评价) -----------------------------------------------------

@hookspec(firstresult=True)
def campaign_evaluation(campaign_type: str) -> EvaluationDefinition | None:
    """Return how a superior scores or grades each unit below it at close-out: the title, which
    levels are evaluated and the grades with their lowest scores. None (or not yours) gives the
    core's default (考核评价 of every township and village, 优秀/良好/合格/不合格 at 90/80/60).
    Stops at first non-None result.
    """


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


# --- Notifications (supervision) -------------------------------------------------------------

@hookspec
def notification_created(notification) -> None:
    """Forward one in-app notification to another channel (e-mail, SMS, a chat bot, …).

    Called once per notification after the transaction that created it has committed — in a
    background job with REDIS_URL, inline otherwise. ``notification`` is a
    :class:`duban.notifications.channels.OutgoingNotification` (plain data: recipient, title,
    body, link, and the recipient's e-mail address when they turned e-mail on). An exception is
    logged and does not affect the other channels or the in-app notification. The core's own
    SMTP sender (duban.notifications.smtp) implements this hook when DUBAN_SMTP_HOST is set.
    """
