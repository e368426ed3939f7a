"""Survey results of a unit's subtree: response count, satisfaction rate, one row per child
unit, the distribution of every question and the free-text answers — all counted from the
stored answers with grouped queries over the subtree's path range."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..tenancy.models import OrgUnit
from ..tenancy.tree import children, path_range
from .models import Survey, SurveyAnswer, SurveyLink, SurveyResponse
from .public import below_threshold
from .types import SurveyQuestion

TEXT_PREVIEW = 20


@dataclass
class Rate:
    responses: int = 0
    satisfied: int = 0

    @property
    def pct(self) -> float | None:
        return round(100 * self.satisfied / self.responses, 1) if self.responses else None


@dataclass
class UnitRate:
    unit: OrgUnit
    rate: Rate = field(default_factory=Rate)
    below: bool = False  # below the threshold with enough responses
    problem_id: int | None = None


@dataclass
class OptionCount:
    value: str
    label: str
    count: int
    pct: float  # share of the respondents who answered the question


@dataclass
class Distribution:
    question: SurveyQuestion
    answered: int  # respondents who answered it
    options: list[OptionCount]
    mean: float | None = None  # likert: average score


@dataclass
class TextAnswer:
    unit_name: str
    question: str
    text: str
    submitted_on: object


@dataclass
class Results:
    survey: Survey
    unit: OrgUnit
    total: Rate
    rows: list[UnitRate]
    distributions: list[Distribution]
    text_total: int
    texts: list[TextAnswer]

    @property
    def pct(self) -> float | None:
        return self.total.pct

    @property
    def below(self) -> bool:
        """The unit's own subtree is under the threshold with enough responses."""
        return below_threshold(self.survey, self.total.responses, self.total.satisfied)


def _where(model, survey: Survey, unit: OrgUnit):
    low, high = path_range(unit.path)
    return (model.survey_id == survey.id, model.unit_path >= low, model.unit_path < high)


def _unit_names(session: Session, paths) -> dict[str, str]:
    ids = {int(p.strip("/").split("/")[-1]) for p in paths}
    names = dict(session.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.id.in_(ids or {0}))).all())
    return {p: names.get(int(p.strip("/").split("/")[-1]), "") for p in paths}


def rates_by_path(session: Session, survey: Survey, unit: OrgUnit) -> dict[str, Rate]:
    """{unit path: Rate} for every unit of the subtree that has answers."""
    satisfied = set(survey.satisfied or ())
    rates: dict[str, Rate] = defaultdict(Rate)
    for path, value, n in session.execute(
            select(SurveyAnswer.unit_path, SurveyAnswer.value, func.count())
            .where(*_where(SurveyAnswer, survey, unit), SurveyAnswer.question_key == survey.satisfaction_key)
            .group_by(SurveyAnswer.unit_path, SurveyAnswer.value)):
        rates[path].responses += n
        rates[path].satisfied += n if value in satisfied else 0
    return rates


def distributions(session: Session, survey: Survey, unit: OrgUnit) -> list[Distribution]:
    questions = [q for q in survey.question_list() if q.type != "text"]
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for key, value, n in session.execute(
            select(SurveyAnswer.question_key, SurveyAnswer.value, func.count())
            .where(*_where(SurveyAnswer, survey, unit), SurveyAnswer.question_key.in_([q.key for q in questions]))
            .group_by(SurveyAnswer.question_key, SurveyAnswer.value)):
        counts[key][value] = n
    answered = dict(session.execute(
        select(SurveyAnswer.question_key, func.count(func.distinct(SurveyAnswer.response_id)))
        .where(*_where(SurveyAnswer, survey, unit), SurveyAnswer.question_key.in_([q.key for q in questions]))
        .group_by(SurveyAnswer.question_key)).all())
    out = []
    for q in questions:
        got, n = counts.get(q.key, {}), answered.get(q.key, 0)
        opts = [OptionCount(v, q.label_of(v) if q.type != "likert" else q.labels[int(v) - 1] + f"（{v}分）",
                            got.get(v, 0), round(100 * got.get(v, 0) / n, 1) if n else 0.0)
                for v in (tuple(reversed(q.choices())) if q.type == "likert" else q.choices())]
        mean = None
        if q.type == "likert" and n:
            mean = round(sum(int(v) * c for v, c in got.items() if v.isdigit()) / n, 2)
        out.append(Distribution(q, n, opts, mean))
    return out


def text_answers(session: Session, survey: Survey, unit: OrgUnit, *, limit: int | None = TEXT_PREVIEW,
                 offset: int = 0) -> tuple[int, list[TextAnswer]]:
    """(count, newest first) free-text answers of the subtree."""
    questions = {q.key: q for q in survey.question_list() if q.type == "text"}
    where = (*_where(SurveyAnswer, survey, unit), SurveyAnswer.question_key.in_(list(questions)))
    total = session.scalar(select(func.count()).select_from(SurveyAnswer).where(*where)) or 0
    stmt = (select(SurveyAnswer.unit_path, SurveyAnswer.question_key, SurveyAnswer.value,
                   SurveyResponse.submitted_on)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(*where).order_by(SurveyAnswer.id.desc()).offset(offset))
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = session.execute(stmt).all()
    names = _unit_names(session, {r[0] for r in rows})
    return total, [TextAnswer(names[p], questions[k].text, v, d) for p, k, v, d in rows]


def results(session: Session, survey: Survey, unit: OrgUnit) -> Results:
    """Everything the results page, the dashboard card and the summary PDF show for unit."""
    rates = rates_by_path(session, survey, unit)
    total = Rate(sum(r.responses for r in rates.values()), sum(r.satisfied for r in rates.values()))
    depth = len(unit.ancestor_ids)  # index of the child's id in a descendant's path
    kids = {k.id: UnitRate(k) for k in children(session, unit)}
    for path, rate in rates.items():
        ids = [int(p) for p in path.strip("/").split("/")]
        if len(ids) > depth and ids[depth] in kids:
            row = kids[ids[depth]].rate
            row.responses += rate.responses
            row.satisfied += rate.satisfied
    problems = dict(session.execute(select(SurveyLink.org_unit_id, SurveyLink.problem_id).where(
        SurveyLink.survey_id == survey.id, SurveyLink.org_unit_id.in_(list(kids) or [0]))).all())
    linked = _units_with_links(session, survey, unit)
    rows = []
    for k in kids.values():
        if k.unit.id not in linked:
            continue  # outside the survey's scope (e.g. a bureau department)
        k.below = below_threshold(survey, k.rate.responses, k.rate.satisfied)
        k.problem_id = problems.get(k.unit.id)
        rows.append(k)
    text_total, texts = text_answers(session, survey, unit)
    return Results(survey, unit, total, rows, distributions(session, survey, unit), text_total, texts)


def _units_with_links(session: Session, survey: Survey, unit: OrgUnit) -> set[int]:
    """Ids of unit's children that are, or lie above, a unit with a public link."""
    depth = len(unit.ancestor_ids)
    out = set()
    for (path,) in session.execute(select(SurveyLink.unit_path).where(*_where(SurveyLink, survey, unit))):
        ids = [int(p) for p in path.strip("/").split("/")]
        if len(ids) > depth:
            out.add(ids[depth])
    return out


def unit_link(session: Session, survey: Survey, unit: OrgUnit) -> SurveyLink | None:
    return session.scalar(select(SurveyLink).where(SurveyLink.survey_id == survey.id,
                                                   SurveyLink.org_unit_id == unit.id))
