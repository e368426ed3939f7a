"""Check the reviewed rows and turn them into a saved template's data; every problem in Chinese.

Raises ValidationError(fields={"phase-2-end": "…"}) naming the form field of each problem, so
the editor shows it beside the input. Nothing is written here.
"""
from __future__ import annotations

from datetime import date

from ..errors import ValidationError
from . import units
from .deadlines import phase_of
from .editor import LEVELS, LIMITS, new_key, sources
from .ledgers import column
from .tasks import default_phase

SCHEMA = 1


def _date(raw: str, label: str, errors: dict, key: str) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[key] = f"{label}：请填写日期，格式为 年-月-日，例如 2022-06-17"
        return None


def _text(raw: str, label: str, limit: int, errors: dict, key: str, required: bool = True) -> str:
    if required and not raw:
        errors[key] = f"请填写{label}"
    elif len(raw) > limit:
        errors[key] = f"{label}不能超过{limit}个字"
    return raw


def _names(raw: str) -> list[str]:
    return units.split_units(raw) if raw else []


def _level(row: dict, label: str, errors: dict, key: str) -> str:
    level = row.get("level") or "township"
    if level not in LEVELS:
        errors[key] = f"{label}：请选择下发到哪一级"
    elif level == "department" and not _names(row.get("departments", "")):
        errors[key] = f"{label}：下发到局内股室(中心)时，请在“责任股室”中写明股室(中心)名称"
    return level


def _source(row: dict, texts: list[str]) -> tuple[str, int | None]:
    sid = row.get("sentence")
    if isinstance(sid, int) and 0 <= sid < len(texts):
        return texts[sid], sid
    return "", None


def clean(rows: dict, text: str) -> dict:
    """Saved-template data from editor rows. Raises ValidationError."""
    errors: dict[str, str] = {}
    texts = sources(text)
    name = _text(rows.get("name", ""), "模板名称（方案标题）", LIMITS["name"], errors, "name")
    issuer = _text(rows.get("issuer", ""), "发文单位", LIMITS["issuer"], errors, "issuer", required=False)
    doc_number = _text(rows.get("doc_number", ""), "文号", LIMITS["doc_number"], errors, "doc_number", required=False)
    try:
        year = int(rows.get("year", ""))
        if not 2000 <= year <= 2100:
            raise ValueError
    except ValueError:
        year = None
        errors["year"] = "年度应为2000至2100之间的四位数字"

    phases = []
    for n, row in enumerate(rows.get("phase", []), 1):
        k, label = f"phase-{row['_index']}", f"第{n}个阶段"
        _text(row["name"], f"{label}的名称", LIMITS["phase_name"], errors, f"{k}-name")
        start = _date(row["start"], f"{label}开始日期", errors, f"{k}-start")
        end = _date(row["end"], f"{label}结束日期", errors, f"{k}-end")
        if start and end and end < start:
            errors[f"{k}-end"] = f"{label}（{row['name']}）的结束日期不能早于开始日期"
        for d, which in ((start, "start"), (end, "end")):
            if d and year and not year - 1 <= d.year <= year + 1:
                errors[f"{k}-{which}"] = f"{label}的日期应在{year}年前后（{year - 1}—{year + 1}年）"
        src, sid = _source(row, texts)
        phases.append({"key": row["key"] or new_key("p", rows["phase"]), "name": row["name"],
                       "start": row["start"], "end": row["end"], "source": src, "sentence": sid,
                       "_start": start, "_end": end})
        row["key"] = phases[-1]["key"]
    if not phases:
        errors["phases"] = "请至少保留一个阶段（名称和起止日期）"
    keys = {p["key"] for p in phases}
    dated = [{"key": p["key"], "start": p["_start"], "end": p["_end"]} for p in phases if p["_start"] and p["_end"]]

    def pick_phase(row, k, label, when=None):
        if row.get("phase") in keys:
            return row["phase"]
        if row.get("phase"):
            errors[f"{k}-phase"] = f"{label}所属的阶段已删除，请重新选择"
            return ""
        return (phase_of(when, -1, dated, {}) if when else default_phase(dated)) or (phases[0]["key"] if phases else "")

    tasks = []
    for n, row in enumerate(rows.get("task", []), 1):
        k, label = f"task-{row['_index']}", f"第{n}项任务"
        _text(row["title"], f"{label}的名称", LIMITS["title"], errors, f"{k}-title")
        src, sid = _source(row, texts)
        tasks.append({"key": row["key"] or new_key("t", rows["task"]), "title": row["title"],
                      "phase": pick_phase(row, k, label), "level": _level(row, label, errors, f"{k}-level"),
                      "responsible": _names(row["responsible"]), "departments": _names(row["departments"]),
                      "description": row["description"][:2000], "source": src, "sentence": sid})
        row["key"] = tasks[-1]["key"]

    deadlines = []
    for n, row in enumerate(rows.get("deadline", []), 1):
        k, label = f"deadline-{row['_index']}", f"第{n}个截止事项"
        due = _date(row["date"], f"{label}的截止日期", errors, f"{k}-date")
        if due and year and not year - 1 <= due.year <= year + 1:
            errors[f"{k}-date"] = f"{label}的截止日期应在{year}年前后"
        _text(row["what"], f"{label}要完成或报送的内容", LIMITS["what"], errors, f"{k}-what")
        _text(row["to"], f"{label}的报送对象", LIMITS["to"], errors, f"{k}-to", required=False)
        src, sid = _source(row, texts)
        holiday = row["holiday"] if row["holiday"] and row["date"] == row["orig"] else ""
        deadlines.append({"key": row["key"] or new_key("d", rows["deadline"]), "date": row["date"],
                          "what": row["what"], "to": row["to"], "phase": pick_phase(row, k, label, due),
                          "level": _level(row, label, errors, f"{k}-level"), "departments": _names(row["departments"]),
                          "holiday": holiday, "source": src, "sentence": sid})
        row["key"] = deadlines[-1]["key"]

    recurring = []
    for n, row in enumerate(rows.get("recurring", []), 1):
        k, label = f"recurring-{row['_index']}", f"第{n}个周期性事项"
        _text(row["what"], f"{label}的内容", LIMITS["what"], errors, f"{k}-what")
        _text(row["label"], f"{label}的周期说明", LIMITS["label"], errors, f"{k}-label", required=False)
        rule = row["generate"] or "once"
        if rule == "monthly":
            try:
                day = int(row["day"] or "0")
                if not 1 <= day <= 31:
                    raise ValueError
                rule = f"monthly:{day}"
            except ValueError:
                errors[f"{k}-day"] = f"{label}：按月生成时请填写每月几日（1—31）"
        elif rule not in ("quarterly", "once"):
            errors[f"{k}-generate"] = f"{label}：请选择生成方式"
        src, sid = _source(row, texts)
        recurring.append({"key": row["key"] or new_key("r", rows["recurring"]), "label": row["label"],
                          "generate_rule": rule, "what": row["what"], "to": row["to"],
                          "phase": pick_phase(row, k, label), "level": _level(row, label, errors, f"{k}-level"),
                          "departments": _names(row["departments"]), "source": src, "sentence": sid})
        row["key"] = recurring[-1]["key"]

    if not (tasks or deadlines or recurring):
        errors["tasks"] = "模板至少需要一项任务、截止事项或周期性事项，否则发起后没有任务可下发"

    categories, checks, ledgers = [], [], []
    for row in rows.get("category", []):
        src, sid = _source(row, texts)
        categories.append({"key": row["key"] or new_key("c", rows["category"]), "name": row["name"][:200],
                           "threshold": row.get("threshold") or {}, "source": src, "sentence": sid})
    for row in rows.get("check", []):
        src, sid = _source(row, texts)
        checks.append({"key": row["key"] or new_key("q", rows["check"]), "text": row["text"][:500],
                       "source": src, "sentence": sid})
    for n, row in enumerate(rows.get("ledger", []), 1):
        k = f"ledger-{row['_index']}"
        _text(row["title"], f"第{n}个台账的名称", LIMITS["title"], errors, f"{k}-title")
        cols = []
        for line in row["columns"].splitlines():
            group, _, label = line.rpartition(" / ")
            if label.strip():
                cols.append(column(label.strip(), group.strip()))
        if len(cols) < 2:
            errors[f"{k}-columns"] = f"第{n}个台账至少需要两列（每行一个列名）"
        src, sid = _source(row, texts)
        ledgers.append({"key": row["key"] or new_key("ledger", rows["ledger"]), "title": row["title"],
                        "columns": cols, "source": src, "sentence": sid})
    if errors:
        raise ValidationError(fields=errors)
    for p in phases:
        p.pop("_start"), p.pop("_end")
    meta = {k: sid for k, sid in (rows.get("meta") or {}).items() if isinstance(sid, int) and 0 <= sid < len(texts)}
    return {"schema": SCHEMA, "name": name, "issuer": issuer, "doc_number": doc_number, "year": year,
            "meta_sentences": meta,
            "phases": phases, "tasks": tasks, "deadlines": deadlines, "recurring": recurring,
            "screening_categories": categories, "screening_checks": checks, "ledgers": ledgers}
