"""What a campaign type is made of: plain, frozen data that plugins return from hooks.

Dates inside a type are month-day strings ("06-17") relative to the campaign's year, with an
optional year_offset for plans that run across the new year; a launched campaign resolves them
into real dates (campaigns/deadlines.py) which the bureau may still edit before publishing.
"""
from __future__ import annotations

from dataclasses import dataclass, field

LEVELS = ("bureau", "township", "village")
FIELD_TYPES = ("int", "decimal", "text", "textarea", "date", "choice", "bool")
LIST_KINDS = ("problem", "rectification", "result")
LIST_KIND_LABELS = {"problem": "问题清单", "rectification": "整改清单", "result": "成果清单"}


@dataclass(frozen=True)
class MonthDay:
    """A day of the campaign year: "06-17", or "02-20" with year_offset=1 for the next year."""

    month: int
    day: int
    year_offset: int = 0

    @classmethod
    def parse(cls, text: str, year_offset: int = 0) -> MonthDay:
        month, day = (int(p) for p in str(text).split("-"))
        return cls(month, day, year_offset)


@dataclass(frozen=True)
class Phase:
    key: str
    name: str
    start: MonthDay
    end: MonthDay
    description: str = ""
    source: str = ""


@dataclass(frozen=True)
class DeadlineRule:
    """When a task is due.

    kind "fixed": on a named day of the campaign year (``on``);
    kind "phase_end": the last day of the task's phase;
    kind "relative": ``days`` calendar days after the campaign is published.
    """

    kind: str
    on: MonthDay | None = None
    days: int = 0

    def describe(self) -> str:
        if self.kind == "fixed" and self.on:
            prefix = "次年" if self.on.year_offset else ""
            return f"{prefix}{self.on.month}月{self.on.day}日前"
        if self.kind == "phase_end":
            return "阶段结束前"
        return f"发布后{self.days}日内"


@dataclass(frozen=True)
class TaskTemplate:
    key: str
    title: str
    phase: str
    level: str  # which org level the task fans out to: bureau | township | village
    deadline: DeadlineRule
    description: str = ""
    checklist: str | None = None
    form: str | None = None
    evidence_required: bool = False
    source: str = ""


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    text: str


@dataclass(frozen=True)
class Checklist:
    key: str
    title: str
    items: tuple[ChecklistItem, ...]
    source: str = ""


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    type: str = "int"
    required: bool = True
    min: float | None = None
    max: float | None = None
    max_length: int = 2000
    choices: tuple[str, ...] = ()
    help: str = ""


@dataclass(frozen=True)
class FormRule:
    """A cross-field rule: field ``left`` must be <= field ``right``."""

    left: str
    right: str
    message: str


@dataclass(frozen=True)
class FormDefinition:
    key: str
    title: str
    fields: tuple[FormField, ...]
    rules: tuple[FormRule, ...] = ()
    source: str = ""

    def field(self, key: str) -> FormField | None:
        return next((f for f in self.fields if f.key == key), None)


@dataclass(frozen=True)
class ScreeningCategory:
    key: str
    name: str
    description: str = ""
    threshold: dict = field(default_factory=dict)
    source: str = ""


@dataclass(frozen=True)
class ListColumn:
    """One column of a list. ``key`` names a core field of the entry or, if not one, an extra field."""

    key: str
    label: str
    type: str = "text"
    choices: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class LedgerColumn:
    """One column of a ledger (台账), in the official order of the plan's attachment."""

    key: str
    label: str
    type: str = "text"  # text | int | decimal | date | choice | id_number | phone
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class LedgerDefinition:
    """A ledger the units keep: one row per household or person, exported in exactly this column order."""

    key: str
    title: str
    columns: tuple[LedgerColumn, ...]
    level: str = "village"
    source: str = ""


@dataclass(frozen=True)
class CampaignType:
    """The descriptor a plugin registers; the parts come from the other hooks."""

    key: str
    name: str
    source_document: str
    issuer: str = ""
    description: str = ""
    default_title: str = ""


@dataclass(frozen=True)
class CampaignDefinition:
    """A campaign type with all its parts, as the core assembles it from the hooks."""

    type: CampaignType
    phases: tuple[Phase, ...]
    tasks: tuple[TaskTemplate, ...]
    checklists: dict[str, Checklist]
    forms: dict[str, FormDefinition]
    screening_categories: tuple[ScreeningCategory, ...]
    screening_checks: tuple[ChecklistItem, ...]
    lists: dict[str, tuple[ListColumn, ...]]
    ledgers: dict[str, LedgerDefinition] = field(default_factory=dict)
    plugin: str = ""

    @property
    def key(self) -> str:
        return self.type.key

    def phase(self, key: str) -> Phase:
        return next(p for p in self.phases if p.key == key)
