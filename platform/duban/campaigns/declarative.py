"""Read a campaign type's parts from YAML, so a plugin's data lives in data files.

A plugin folder holds campaign.yaml (type, phases, tasks), checklists.yaml, forms.yaml,
lists.yaml, screening.yaml and optionally survey.yaml and rules.yaml (screening matching rules);
:class:`YamlCampaign` loads them once and answers the definition hooks for its own key.
See docs/plugins.md for the format.
"""
from __future__ import annotations

from importlib.resources.abc import Traversable

import yaml

from ..hookspecs import hookimpl
from ..screening.spec import parse_rules
from ..surveys.types import survey_from_yaml

from .types import (
    CampaignType, Checklist, ChecklistItem, DeadlineRule, FormDefinition, FormField, FormRule,
    LedgerColumn, LedgerDefinition, ListColumn, MonthDay, Phase, ScreeningCategory, TaskTemplate,
)
from .yaml_parts import deadline_from_yaml, evaluation_from_yaml, responsible_from_yaml, rollup_from_yaml


def _load(folder: Traversable, name: str) -> dict:
    item = folder / name
    if not item.is_file():
        return {}
    return yaml.safe_load(item.read_text(encoding="utf-8")) or {}


def _deadline(raw: dict) -> DeadlineRule:
    return deadline_from_yaml(raw)


class YamlCampaign:
    """A campaign type whose every part is read from YAML files in one folder."""

    def __init__(self, folder: Traversable):
        meta = _load(folder, "campaign.yaml")
        t = meta["type"]
        self.type = CampaignType(
            key=t["key"], name=t["name"], source_document=t["source_document"],
            issuer=t.get("issuer", ""), description=t.get("description", ""),
            default_title=t.get("default_title", t["name"]),
        )
        self.key = self.type.key
        self.phases = tuple(
            Phase(key=p["key"], name=p["name"], start=MonthDay.parse(p["start"], p.get("year_offset", 0)),
                  end=MonthDay.parse(p["end"], p.get("end_year_offset", p.get("year_offset", 0))),
                  description=p.get("description", ""), source=p.get("source", ""))
            for p in meta["phases"]
        )
        self.evaluation = evaluation_from_yaml(meta.get("evaluation"))
        self.tasks = tuple(
            TaskTemplate(key=k["key"], title=k["title"], phase=k["phase"],
                         level=k.get("level", "department" if k.get("responsible") else ""),
                         responsible=responsible_from_yaml(k.get("responsible")), period_label=k.get("period_label", ""),
                         deadline=_deadline(k["deadline"]), description=k.get("description", "").strip(),
                         checklist=k.get("checklist"), form=k.get("form"),
                         evidence_required=bool(k.get("evidence_required", False)), source=k.get("source", ""))
            for k in meta["tasks"]
        )
        self.checklists = {
            key: Checklist(key=key, title=c["title"], source=c.get("source", ""),
                           items=tuple(ChecklistItem(i["key"], i["text"]) for i in c["items"]))
            for key, c in _load(folder, "checklists.yaml").items()
        }
        self.forms = {key: self._form(key, f) for key, f in _load(folder, "forms.yaml").items()}
        screening = _load(folder, "screening.yaml")
        self.categories = tuple(
            ScreeningCategory(key=c["key"], name=c["name"], description=c.get("description", ""),
                              threshold=c.get("threshold") or {}, source=c.get("source", ""))
            for c in screening.get("categories", [])
        )
        self.checks = tuple(ChecklistItem(c["key"], c["text"]) for c in screening.get("checks", []))
        self.lists = {
            kind: tuple(ListColumn(key=c["key"], label=c["label"], type=c.get("type", "text"),
                                   choices=tuple(c.get("choices", ())), required=bool(c.get("required", False)))
                        for c in cols)
            for kind, cols in _load(folder, "lists.yaml").items()
        }
        self.ledgers = {
            key: LedgerDefinition(
                key=key, title=raw["title"], level=raw.get("level", "village"), source=raw.get("source", ""),
                columns=tuple(LedgerColumn(key=c["key"], label=c["label"], type=c.get("type", "text"),
                                           required=bool(c.get("required", False)), group=c.get("group", ""),
                                           choices=tuple(c.get("choices", ()))) for c in raw["columns"]),
                note=(raw.get("note") or "").strip())
            for key, raw in _load(folder, "ledgers.yaml").items()
        }
        rules = _load(folder, "rules.yaml")
        self.rules = parse_rules(rules) if rules else None
        survey = _load(folder, "survey.yaml")
        self.survey = survey_from_yaml(survey) if survey else None

    @staticmethod
    def _form(key: str, raw: dict) -> FormDefinition:
        fields = tuple(
            FormField(key=f["key"], label=f["label"], type=f.get("type", "int"),
                      required=bool(f.get("required", True)), min=f.get("min"), max=f.get("max"),
                      max_length=int(f.get("max_length", 2000)), choices=tuple(f.get("choices", ())),
                      help=f.get("help", ""))
            for f in raw["fields"]
        )
        rules = tuple(FormRule(r["left"], r["right"], r["message"]) for r in raw.get("rules", []))
        return FormDefinition(key=key, title=raw["title"], fields=fields, rules=rules, source=raw.get("source", ""),
                              rollup=rollup_from_yaml(key, raw.get("rollup"), fields))

    def mine(self, campaign_type: str) -> bool:
        return campaign_type == self.key

    # The definition hooks, answered from the YAML; each returns None for another plugin's type.
    # Register an instance with the plugin manager (entry point "pkg.plugin:plugin").

    @hookimpl
    def register_campaign_types(self):
        return [self.type]

    @hookimpl
    def campaign_phases(self, campaign_type):
        return list(self.phases) if self.mine(campaign_type) else None

    @hookimpl
    def task_templates(self, campaign_type):
        return list(self.tasks) if self.mine(campaign_type) else None

    @hookimpl
    def campaign_checklists(self, campaign_type):
        return self.checklists if self.mine(campaign_type) else None

    @hookimpl
    def campaign_forms(self, campaign_type):
        return list(self.forms) if self.mine(campaign_type) else None

    @hookimpl
    def form_definition(self, campaign_type, form_key):
        return self.forms.get(form_key) if self.mine(campaign_type) else None

    @hookimpl
    def screening_categories(self, campaign_type):
        return list(self.categories) if self.mine(campaign_type) else None

    @hookimpl
    def screening_checks(self, campaign_type):
        return list(self.checks) if self.mine(campaign_type) else None

    @hookimpl
    def campaign_evaluation(self, campaign_type):
        return self.evaluation if self.mine(campaign_type) else None

    @hookimpl
    def campaign_ledgers(self, campaign_type):
        return self.ledgers if self.mine(campaign_type) else None

    @hookimpl
    def campaign_survey(self, campaign_type):
        return self.survey if self.mine(campaign_type) else None

    @hookimpl
    def screening_rules(self, campaign_type):
        return self.rules if self.mine(campaign_type) else None

    @hookimpl
    def list_columns(self, campaign_type, list_kind):
        return list(self.lists.get(list_kind, ())) if self.mine(campaign_type) else None
