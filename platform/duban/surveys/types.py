"""What a survey is made of: plain, frozen data a campaign plugin returns from ``campaign_survey``.

A survey has questions of four kinds — ``single`` (one option), ``multiple`` (several options),
``likert`` (a score 1–5 with five labels) and ``text`` (free text) — and names one question whose
answers give the satisfaction rate: the share of respondents who chose one of its ``satisfied``
options (满意 + 基本满意). A bureau copies the declared survey into its campaign and may edit the
questions until the survey opens (duban.surveys.services).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

QUESTION_TYPES = {"single": "单选", "multiple": "多选", "likert": "五级评分", "text": "文字填写"}
LIKERT_VALUES = ("1", "2", "3", "4", "5")
DEFAULT_LIKERT_LABELS = ("非常不满意", "不满意", "一般", "满意", "非常满意")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
LEVELS = ("township", "village")

# Limits on what a survey may hold (and so on what a respondent may send).
MAX_QUESTIONS = 30
MAX_OPTIONS = 12
QUESTION_TEXT_MAX = 200
OPTION_MAX = 40
TEXT_ANSWER_MAX = 1000
DEFAULT_TEXT_MAX = 500


@dataclass(frozen=True)
class SurveyQuestion:
    key: str
    type: str  # single | multiple | likert | text
    text: str
    options: tuple[str, ...] = ()  # single and multiple
    required: bool = True
    max_length: int = DEFAULT_TEXT_MAX  # text
    max_choices: int = 0  # multiple: 0 means any number
    labels: tuple[str, ...] = DEFAULT_LIKERT_LABELS  # likert: the words for scores 1..5
    help: str = ""

    @property
    def type_label(self) -> str:
        return QUESTION_TYPES.get(self.type, self.type)

    def choices(self) -> tuple[str, ...]:
        """The values an answer may take (empty for free text)."""
        if self.type == "likert":
            return LIKERT_VALUES
        return self.options if self.type in ("single", "multiple") else ()

    def label_of(self, value: str) -> str:
        if self.type == "likert" and value in LIKERT_VALUES:
            return f"{value}分（{self.labels[int(value) - 1]}）"
        return value

    def to_dict(self) -> dict:
        d = asdict(self)
        d["options"], d["labels"] = list(self.options), list(self.labels)
        return d

    @classmethod
    def from_dict(cls, raw: dict) -> SurveyQuestion:
        kind = str(raw.get("type", "single"))
        labels = tuple(str(x) for x in raw.get("labels") or DEFAULT_LIKERT_LABELS)
        return cls(key=str(raw["key"]), type=kind, text=" ".join(str(raw.get("text", "")).split()),
                   options=tuple(str(o) for o in raw.get("options") or ()),
                   required=bool(raw.get("required", True)),
                   max_length=int(raw.get("max_length", DEFAULT_TEXT_MAX)),
                   max_choices=int(raw.get("max_choices", 0) or 0), labels=labels,
                   help=str(raw.get("help", "") or ""))

    def problems(self) -> list[str]:
        """What is wrong with this question (English, for plugin authors), empty when sound."""
        p = []
        if not KEY_RE.match(self.key):
            p.append(f"question key {self.key!r} must be lower-case letters, digits and _")
        if self.type not in QUESTION_TYPES:
            p.append(f"question {self.key}: unknown type {self.type!r}")
        if not self.text or len(self.text) > QUESTION_TEXT_MAX:
            p.append(f"question {self.key}: text must have 1 to {QUESTION_TEXT_MAX} characters")
        if self.type in ("single", "multiple"):
            if not 2 <= len(self.options) <= MAX_OPTIONS:
                p.append(f"question {self.key}: needs 2 to {MAX_OPTIONS} options")
            if len(set(self.options)) != len(self.options):
                p.append(f"question {self.key}: duplicate options")
            if any(not o.strip() or len(o) > OPTION_MAX for o in self.options):
                p.append(f"question {self.key}: options must have 1 to {OPTION_MAX} characters")
        if self.type == "likert" and (len(self.labels) != 5 or any(not x.strip() for x in self.labels)):
            p.append(f"question {self.key}: a likert question needs five labels")
        if self.type == "text" and not 1 <= self.max_length <= TEXT_ANSWER_MAX:
            p.append(f"question {self.key}: max_length must be 1 to {TEXT_ANSWER_MAX}")
        if self.max_choices < 0 or (self.type == "multiple" and self.max_choices > len(self.options)):
            p.append(f"question {self.key}: max_choices out of range")
        return p


@dataclass(frozen=True)
class SurveyDefinition:
    """A campaign type's residents' survey, as its plugin declares it."""

    title: str
    questions: tuple[SurveyQuestion, ...]
    satisfaction_question: str  # the key of the question that gives the satisfaction rate
    satisfied: tuple[str, ...] = ("满意", "基本满意")  # its options that count as satisfied
    intro: str = ""
    level: str = "village"  # every unit of this level in the campaign's scope gets a public link
    threshold: int = 80  # percent: a unit below it gets a 问题清单 entry ...
    min_responses: int = 10  # ... once it has at least this many responses
    problem_fields: dict = field(default_factory=dict)  # extra list values of that entry (plugin columns)
    source: str = ""

    def question(self, key: str) -> SurveyQuestion | None:
        return next((q for q in self.questions if q.key == key), None)

    def problems(self) -> list[str]:
        p = [m for q in self.questions for m in q.problems()]
        keys = [q.key for q in self.questions]
        if not self.title.strip():
            p.append("survey has no title")
        if not 1 <= len(keys) <= MAX_QUESTIONS:
            p.append(f"survey needs 1 to {MAX_QUESTIONS} questions")
        if len(set(keys)) != len(keys):
            p.append("duplicate question keys")
        p.extend(satisfaction_problems(self.question(self.satisfaction_question), self.satisfied))
        if self.level not in LEVELS:
            p.append(f"level must be one of {LEVELS}")
        if not 0 <= self.threshold <= 100:
            p.append("threshold must be a percentage 0..100")
        if self.min_responses < 1:
            p.append("min_responses must be at least 1")
        return p


def satisfaction_problems(q: SurveyQuestion | None, satisfied: tuple[str, ...]) -> list[str]:
    if q is None:
        return ["satisfaction_question names no question of the survey"]
    p = []
    if q.type not in ("single", "likert"):
        p.append(f"satisfaction question {q.key} must be single choice or likert")
    if not q.required:
        p.append(f"satisfaction question {q.key} must be required")
    if not satisfied or any(s not in q.choices() for s in satisfied):
        p.append(f"satisfied values {list(satisfied)} must be choices of question {q.key}")
    return p


def survey_from_yaml(raw: dict) -> SurveyDefinition:
    """Build a SurveyDefinition from a plugin's survey.yaml (see docs/plugins.md); raise
    ValueError when it is inconsistent, so a broken plugin stops the app at start."""
    sat = raw.get("satisfaction") or {}
    d = SurveyDefinition(
        title=str(raw.get("title", "")), intro=" ".join(str(raw.get("intro", "")).split()),
        questions=tuple(SurveyQuestion.from_dict(q) for q in raw.get("questions") or ()),
        satisfaction_question=str(sat.get("question", "")),
        satisfied=tuple(str(s) for s in sat.get("satisfied", ("满意", "基本满意"))),
        level=str(raw.get("level", "village")), threshold=int(raw.get("threshold", 80)),
        min_responses=int(raw.get("min_responses", 10)), problem_fields=dict(raw.get("problem") or {}),
        source=str(raw.get("source", "")))
    problems = d.problems()
    if problems:
        raise ValueError("survey.yaml: " + "; ".join(problems))
    return d
