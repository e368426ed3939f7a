"""What a campaign type is made of: plain, frozen data that plugins return from hooks.

Dates inside a type are month-day strings ("06-17") relative to the campaign's year, with an
optional year_offset for plans that run across the new year; a launched campaign resolves them
into real dates (campaigns/deadlines.py) which the bureau may still edit before publishing.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

LEVELS = ("bureau", "township", "village")
# A task template may also go only to named bureau departments (股室/中心): level "department".
TASK_LEVELS = (*LEVELS, "department")
RECURRING_KINDS = ("monthly", "quarterly", "dates")
# Official public holidays by their chinese-calendar name, for "before the holiday" deadlines.
HOLIDAY_NAMES = {
    "new_years_day": "元旦", "spring_festival": "春节", "tomb_sweeping_day": "清明节", "labour_day": "劳动节",
    "dragon_boat_festival": "端午节", "national_day": "国庆节", "mid_autumn_festival": "中秋节",
}
_QUARTERS = "一二三四"
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

    One-off kinds (one task per unit):
    "fixed": on a named day of the campaign year (``on``);
    "phase_end": the last day of the task's phase;
    "relative": ``days`` calendar days after the campaign is published;
    "workdays": ``days`` working days after publication (official holidays and 调休 counted);
    "before_holiday": the last day before the official ``holiday`` (a chinese-calendar name such as
    "spring_festival") that first begins inside the campaign's period; ``on`` is used for years the
    calendar does not cover yet.

    Recurring kinds (one task per period per unit, see :func:`duban.campaigns.deadlines.expand`):
    "monthly": on ``day`` of every month (0: the month's last day);
    "quarterly": at the end of every quarter, or with ``day`` on that day of the month after it;
    "dates": on each of ``dates`` (optional ``labels`` name the periods).
    Recurring rules run inside the campaign's period (first phase start to last phase end), or the
    task's phase with ``window="phase"``; ``start``/``until`` narrow it further.
    """

    kind: str
    on: MonthDay | None = None
    days: int = 0
    day: int = 0
    dates: tuple[MonthDay, ...] = ()
    labels: tuple[str, ...] = ()
    holiday: str = ""
    window: str = "campaign"
    start: MonthDay | None = None
    until: MonthDay | None = None

    @property
    def recurring(self) -> bool:
        return self.kind in RECURRING_KINDS

    def describe(self) -> str:
        if self.kind == "fixed" and self.on:
            return f"{_md(self.on)}前"
        if self.kind == "phase_end":
            return "阶段结束前"
        if self.kind == "workdays":
            return f"发布后{self.days}个工作日内"
        if self.kind == "before_holiday":
            return f"{HOLIDAY_NAMES.get(self.holiday, self.holiday)}前"
        if self.kind == "monthly":
            return f"每月{self.day}日前" if self.day else "每月月底前"
        if self.kind == "quarterly":
            return f"每季度结束后次月{self.day}日前" if self.day else "每季度末前"
        if self.kind == "dates":
            return "定期报送：" + "、".join(_md(d) for d in self.dates)
        return f"发布后{self.days}日内"


def _md(md: MonthDay) -> str:
    return f"{'次年' if md.year_offset else ''}{md.month}月{md.day}日"


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
    # Bureau departments (股室/中心) by name that also get this task, e.g. ("社会救助服务中心",).
    responsible: tuple[str, ...] = ()
    # For a one-off task with a periodic form: its column heading in the units × periods table.
    period_label: str = ""


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
class RollupMetric:
    """A figure computed from a periodic form's summed fields: the sum of ``sum`` or, with ``per``,
    that sum divided by the field ``per`` (times 100 when ``percent``); ``band`` (low, high) marks
    the value below / inside / above the range."""

    key: str
    label: str
    sum: tuple[str, ...]
    per: str | None = None
    percent: bool = False
    band: tuple[float, float] | None = None
    source: str = ""

    def value(self, totals: dict[str, Decimal]) -> Decimal | None:
        top = sum((totals.get(k) or Decimal(0) for k in self.sum), Decimal(0))
        if self.per is None:
            return top
        below = totals.get(self.per)
        if not below:
            return None
        return (top * (100 if self.percent else 1) / below).quantize(Decimal("0.01"))

    def band_of(self, value: Decimal | None) -> str | None:
        """"below", "inside" or "above" the band (inclusive), None without a band or a value."""
        if self.band is None or value is None:
            return None
        low, high = (Decimal(str(b)) for b in self.band)
        return "below" if value < low else "above" if value > high else "inside"


@dataclass(frozen=True)
class Rollup:
    """A periodic report form whose numeric ``fields`` are summed up the org tree and tabulated as
    units × periods (one period per task spec using the form), with derived ``metrics``."""

    fields: tuple[str, ...]
    metrics: tuple[RollupMetric, ...] = ()


@dataclass(frozen=True)
class FormDefinition:
    key: str
    title: str
    fields: tuple[FormField, ...]
    rules: tuple[FormRule, ...] = ()
    source: str = ""
    rollup: Rollup | None = None

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
    # A merged header above this column in the attachment (附件2: 入户核查结果 over 核查结果, 调查人).
    group: str = ""


@dataclass(frozen=True)
class LedgerDefinition:
    """A ledger the units keep: one row per household or person, exported in exactly this column order."""

    key: str
    title: str
    columns: tuple[LedgerColumn, ...]
    level: str = "village"
    source: str = ""
    note: str = ""  # the attachment's 注 (printed under the table)


@dataclass(frozen=True)
class Grade:
    name: str
    min_score: float  # the lowest score (0–100) of this grade


DEFAULT_GRADES = (Grade("优秀", 90), Grade("良好", 80), Grade("合格", 60), Grade("不合格", 0))


@dataclass(frozen=True)
class EvaluationDefinition:
    """How a superior scores or grades each unit below it at close-out (验收, 年终评价).

    ``levels``: the kinds of unit that are evaluated, each by a unit above it.
    ``grades``: from best to worst, each with its lowest score.
    """

    title: str = "考核评价"
    levels: tuple[str, ...] = ("township", "village")
    grades: tuple[Grade, ...] = DEFAULT_GRADES
    description: str = ""
    source: str = ""

    def grade_for(self, score: Decimal | float) -> str:
        for g in self.grades:
            if score >= Decimal(str(g.min_score)):
                return g.name
        return self.grades[-1].name


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
    evaluation: EvaluationDefinition = field(default_factory=EvaluationDefinition)

    @property
    def key(self) -> str:
        return self.type.key

    def phase(self, key: str) -> Phase:
        return next(p for p in self.phases if p.key == key)
