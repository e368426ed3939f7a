"""YAML readers for the richer parts of a campaign type: deadline rules (one-off, recurring,
working days, before a holiday), periodic-form roll-ups and the close-out evaluation.

Used by :class:`duban.campaigns.declarative.YamlCampaign`; the format is in docs/plugins.md.
A mistake in a plugin's YAML raises ValueError naming the bad entry, so the app refuses to start.
"""
from __future__ import annotations

from .types import (
    DEFAULT_GRADES, HOLIDAY_NAMES, DeadlineRule, EvaluationDefinition, FormField, Grade, MonthDay, Rollup,
    RollupMetric,
)


def _md(raw, year_offset=0) -> MonthDay:
    if isinstance(raw, dict):
        return MonthDay.parse(raw["date"], int(raw.get("year_offset", 0)))
    return MonthDay.parse(raw, int(year_offset or 0))


def _day(raw, where) -> int:
    if raw in (None, "last", "月底"):
        return 0
    day = int(raw)
    if not 1 <= day <= 31:
        raise ValueError(f"{where}: day must be 1..31 or last")
    return day


def deadline_from_yaml(raw: dict) -> DeadlineRule:
    """{date: "06-17"[, year_offset: 1]} | {phase_end: true} | {days_after_publish: N}
    | {workdays_after_publish: N} | {before_holiday: spring_festival[, fallback: "01-31", year_offset: 1]}
    | {every: month|quarter[, day: N|last][, within: phase][, from: "MM-DD"][, until: "MM-DD"]}
    | {dates: ["11-30", {date: "01-31", year_offset: 1, label: 1月}]}"""
    if not isinstance(raw, dict):
        raise ValueError(f"deadline must be a mapping, got {raw!r}")
    if "every" in raw:
        kind = {"month": "monthly", "quarter": "quarterly"}.get(raw["every"])
        if kind is None:
            raise ValueError(f"deadline {raw!r}: every must be month or quarter")
        within = raw.get("within", "campaign")
        if within not in ("campaign", "phase"):
            raise ValueError(f"deadline {raw!r}: within must be campaign or phase")
        day = _day(raw.get("day"), f"deadline {raw!r}")
        if kind == "monthly" and "day" not in raw:
            raise ValueError(f"deadline {raw!r}: a monthly rule needs day (1..31 or last)")
        return DeadlineRule(
            kind, day=day, window=within,
            start=_md(raw["from"], raw.get("from_year_offset", 0)) if "from" in raw else None,
            until=_md(raw["until"], raw.get("until_year_offset", 0)) if "until" in raw else None)
    if "dates" in raw:
        items = raw["dates"] or []
        if not items:
            raise ValueError(f"deadline {raw!r}: dates is empty")
        return DeadlineRule("dates", dates=tuple(_md(i) for i in items),
                            labels=tuple(i.get("label", "") if isinstance(i, dict) else "" for i in items))
    if "before_holiday" in raw:
        if raw["before_holiday"] not in HOLIDAY_NAMES:
            raise ValueError(f"deadline {raw!r}: holiday must be one of {sorted(HOLIDAY_NAMES)}")
        fallback = _md(raw["fallback"], raw.get("year_offset", 0)) if "fallback" in raw else None
        return DeadlineRule("before_holiday", holiday=raw["before_holiday"], on=fallback)
    if "date" in raw:
        return DeadlineRule("fixed", on=MonthDay.parse(raw["date"], raw.get("year_offset", 0)))
    if raw.get("phase_end"):
        return DeadlineRule("phase_end")
    if "days_after_publish" in raw:
        return DeadlineRule("relative", days=int(raw["days_after_publish"]))
    if "workdays_after_publish" in raw:
        return DeadlineRule("workdays", days=int(raw["workdays_after_publish"]))
    raise ValueError(f"unknown deadline rule {raw!r}")


def responsible_from_yaml(raw) -> tuple[str, ...]:
    """responsible: 社会救助服务中心 | [社会救助服务中心, 规划财务股] → department names."""
    if raw in (None, ""):
        return ()
    names = [raw] if isinstance(raw, str) else list(raw)
    return tuple(" ".join(str(n).split()) for n in names if str(n).strip())


def rollup_from_yaml(form_key: str, raw, fields: tuple[FormField, ...]) -> Rollup | None:
    """rollup: true (every int/decimal field) | {fields: [...], metrics: [...]}."""
    if not raw:
        return None
    numeric = [f.key for f in fields if f.type in ("int", "decimal")]
    if raw is True:
        return Rollup(fields=tuple(numeric))
    keys = tuple(raw.get("fields") or numeric)
    metrics = []
    for m in raw.get("metrics") or ():
        band = m.get("band")
        if band is not None:
            band = (float(band[0]), float(band[1]))
        metrics.append(RollupMetric(
            key=m["key"], label=m["label"], sum=tuple(m["sum"]), per=m.get("per"),
            percent=bool(m.get("percent", False)), band=band, source=m.get("source", "")))
    for key in (*keys, *(k for m in metrics for k in (*m.sum, *([m.per] if m.per else [])))):
        if key not in numeric:
            raise ValueError(f"form {form_key}: rollup field {key!r} is not a numeric field of the form")
    return Rollup(fields=keys, metrics=tuple(metrics))


def evaluation_from_yaml(raw) -> EvaluationDefinition | None:
    """evaluation: {title, levels: [township], grades: [{name: 优秀, min: 90}, ...], description, source}."""
    if not raw:
        return None
    grades = tuple(Grade(g["name"], float(g["min"])) for g in raw.get("grades") or ()) or DEFAULT_GRADES
    levels = raw.get("levels") or ["township", "village"]
    return EvaluationDefinition(
        title=raw.get("title", "考核评价"), levels=tuple([levels] if isinstance(levels, str) else levels),
        grades=tuple(sorted(grades, key=lambda g: -g.min_score)),
        description=(raw.get("description") or "").strip(), source=raw.get("source", ""))
