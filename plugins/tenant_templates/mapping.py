"""A saved template's data (docs/template-draft.md, "saved template") as the core's dataclasses.

Dates are stored as real dates of the plan's year; a type's dates are month-days relative to the
campaign year, so each becomes a MonthDay with year_offset = its year - the template's year.
Tasks come from three lists: key-work tasks (due at the end of their phase), one-off deadlines
(fixed date, or "before the Spring Festival" when the plan said so) and recurring ones (monthly,
quarterly, or once in their phase when the plan's rhythm has no rule the core can expand).
"""
from __future__ import annotations

from datetime import date

from duban.campaigns.types import (
    CampaignType,
    ChecklistItem,
    DeadlineRule,
    LedgerColumn,
    LedgerDefinition,
    MonthDay,
    Phase,
    ScreeningCategory,
    TaskTemplate,
)

LEVELS = ("bureau", "township", "village", "department")


def month_day(iso: str, year: int) -> MonthDay:
    d = date.fromisoformat(iso)
    return MonthDay(d.month, d.day, d.year - year)


def campaign_type(key: str, data: dict) -> CampaignType:
    name = data.get("name") or data.get("title") or "本单位工作方案"
    number = data.get("doc_number") or ""
    document = f"{name}（{number}）" if number else name
    return CampaignType(key=key, name=name, source_document=document, issuer=data.get("issuer", ""),
                        description=data.get("description", ""), default_title=name)


def phases(data: dict) -> list[Phase]:
    year = int(data["year"])
    return [Phase(key=p["key"], name=p["name"], start=month_day(p["start"], year), end=month_day(p["end"], year),
                  description=p.get("description", ""), source=p.get("source", ""))
            for p in data.get("phases", [])]


def _departments(item: dict) -> tuple[str, ...]:
    return tuple(item.get("departments") or ())


def _level(item: dict) -> str:
    level = item.get("level") or "township"
    return level if level in LEVELS else "township"


def _description(item: dict) -> str:
    parts = [item.get("description") or ""]
    if item.get("responsible"):
        parts.append("责任单位：" + "、".join(item["responsible"]))
    return "\n".join(p for p in parts if p).strip()


def _deadline_rule(item: dict, year: int) -> DeadlineRule:
    on = month_day(item["date"], year)
    if item.get("holiday"):
        return DeadlineRule("before_holiday", holiday=item["holiday"], on=on)
    return DeadlineRule("fixed", on=on)


def _recurring_rule(item: dict) -> DeadlineRule:
    generate = item.get("generate_rule") or "once"
    if generate.startswith("monthly:"):
        return DeadlineRule("monthly", day=int(generate.split(":", 1)[1]))
    if generate == "quarterly":
        return DeadlineRule("quarterly")
    return DeadlineRule("phase_end")


def tasks(data: dict) -> list[TaskTemplate]:
    year = int(data["year"])
    out = []
    for t in data.get("tasks", []):
        out.append(TaskTemplate(key=t["key"], title=t["title"], phase=t["phase"], level=_level(t),
                                deadline=DeadlineRule("phase_end"), description=_description(t),
                                source=t.get("source", ""), responsible=_departments(t)))
    for d in data.get("deadlines", []):
        title = d["what"] + (f"（报{d['to']}）" if d.get("to") else "")
        out.append(TaskTemplate(key=d["key"], title=title[:200], phase=d["phase"], level=_level(d),
                                deadline=_deadline_rule(d, year), description=_description(d),
                                source=d.get("source", ""), responsible=_departments(d)))
    for r in data.get("recurring", []):
        title = f"{r['what']}（{r.get('label') or '定期'}）" + (f"（报{r['to']}）" if r.get("to") else "")
        out.append(TaskTemplate(key=r["key"], title=title[:200], phase=r["phase"], level=_level(r),
                                deadline=_recurring_rule(r), description=_description(r),
                                source=r.get("source", ""), responsible=_departments(r)))
    return out


def screening_categories(data: dict) -> list[ScreeningCategory]:
    return [ScreeningCategory(key=c["key"], name=c["name"], threshold=dict(c.get("threshold") or {}),
                              source=c.get("source", ""))
            for c in data.get("screening_categories", [])]


def screening_checks(data: dict) -> list[ChecklistItem]:
    return [ChecklistItem(c["key"], c["text"]) for c in data.get("screening_checks", [])]


def ledgers(data: dict) -> dict[str, LedgerDefinition]:
    out = {}
    for led in data.get("ledgers", []):
        columns = tuple(LedgerColumn(key=f"c{i:02d}", label=c["label"], type=c.get("type") or "text",
                                     group=c.get("group", ""))
                        for i, c in enumerate(led["columns"], 1))
        out[led["key"]] = LedgerDefinition(key=led["key"], title=led["title"], columns=columns,
                                           level=led.get("level", "village"), source=led.get("source", ""))
    return out
