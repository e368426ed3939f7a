"""The review editor's data: a draft as editable rows, and the submitted form back into template data.

The form is flat (``phase-3-name``, ``task-0-level`` …, see templates/plandraft/_editor.html); rows
whose fields are all blank are ignored (the spare rows for adding), rows with ``-delete`` ticked
are dropped. The plan's text travels with the form so nothing is stored before the user saves.
"""
from __future__ import annotations

import re
from datetime import date

from . import units
from .text import document

# Draft field → editor field of the basic information, each with the sentence it came from.
META = {"title": "name", "issuer": "issuer", "doc_number": "doc_number", "year": "year"}
SECTIONS = ("phase", "task", "deadline", "recurring", "category", "check", "ledger")
LEVELS = {"bureau": "本级（发起单位）", "township": "镇(街道)", "village": "村(社区)", "department": "局内股室(中心)"}
GENERATE = {"monthly": "每月", "quarterly": "每季度", "once": "不按周期，阶段内完成一次"}
HOLIDAYS = {"春节": "spring_festival", "元旦": "new_years_day"}
LIMITS = {"name": 200, "issuer": 100, "doc_number": 60, "title": 200, "what": 200, "to": 100, "label": 60,
          "phase_name": 100}
_FIELDS = {
    "phase": ("key", "name", "start", "end", "sentence"),
    "task": ("key", "title", "phase", "level", "responsible", "departments", "description", "sentence"),
    "deadline": ("key", "date", "what", "to", "phase", "level", "departments", "holiday", "orig", "sentence"),
    "recurring": ("key", "label", "generate", "day", "what", "to", "phase", "level", "departments", "sentence"),
    "category": ("key", "name", "threshold", "sentence"),
    "check": ("key", "text", "sentence"),
    "ledger": ("key", "title", "columns", "sentence"),
}
_PREFIX = {"phase": "p", "task": "t", "deadline": "d", "recurring": "r", "category": "c", "check": "q",
           "ledger": "ledger"}
# The fields whose emptiness makes a row a spare one.
_CONTENT = {"phase": ("name", "start", "end"), "task": ("title",), "deadline": ("date", "what"),
            "recurring": ("what", "label"), "category": ("name",), "check": ("text",), "ledger": ("title", "columns")}


def _iso(value) -> str:
    return value.isoformat() if isinstance(value, date) else (value or "")


def _join(names) -> str:
    return "、".join(names or ())


def _columns_text(columns: list[dict]) -> str:
    lines = []
    for c in columns:
        label = c["label"] + (f"（{c['note']}）" if c.get("note") else "")
        lines.append(f"{c['group']} / {label}" if c.get("group") else label)
    return "\n".join(lines)


def from_draft(draft: dict) -> dict:
    """Editor rows (strings) from an extracted draft."""
    def dept(names):
        return _join(units.departments(names))

    return {
        "name": draft.get("title", ""), "issuer": draft.get("issuer", ""), "doc_number": draft.get("doc_number", ""),
        "year": str(draft.get("year") or ""),
        "meta": {META[k]: v.get("sentence") for k, v in (draft.get("meta_sources") or {}).items() if k in META},
        "phase": [{"key": p["key"], "name": p["name"], "start": _iso(p["start"]), "end": _iso(p["end"]),
                   "sentence": p.get("sentence")} for p in draft.get("phases", [])],
        "task": [{"key": t["key"], "title": t["title"], "phase": t["phase"], "level": t["level"],
                  "responsible": _join(t["responsible"]), "departments": dept(t["responsible"]),
                  "description": t.get("description", ""), "sentence": t.get("sentence")}
                 for t in draft.get("tasks", [])],
        "deadline": [{"key": d["key"], "date": _iso(d["date"]), "what": d["what"], "to": d["to"], "phase": d["phase"],
                      "level": d["level"], "departments": dept(d.get("by")), "orig": _iso(d["date"]),
                      "holiday": HOLIDAYS.get(d.get("holiday", ""), ""), "sentence": d.get("sentence")}
                     for d in draft.get("deadlines", [])],
        "recurring": [{"key": r["key"], "label": r["label"], "generate": _generate(r["rule"])[0],
                       "day": _generate(r["rule"])[1], "what": r["what"], "to": r["to"], "phase": r["phase"],
                       "level": r["level"], "departments": dept(r.get("by")), "sentence": r.get("sentence")}
                      for r in draft.get("recurring", [])],
        "category": [{"key": c["key"], "name": c["name"], "threshold": c.get("threshold") or {},
                      "sentence": c.get("sentence")} for c in draft.get("screening_categories", [])],
        "check": [{"key": c["key"], "text": c["text"], "sentence": c.get("sentence")}
                  for c in draft.get("screening_checks", [])],
        "ledger": [{"key": led["key"], "title": led["title"], "columns": _columns_text(led["columns"]),
                    "sentence": led.get("sentence")} for led in draft.get("ledgers", [])],
    }


def _generate(rule: str) -> tuple[str, str]:
    if rule.startswith("monthly:"):
        return "monthly", rule.split(":", 1)[1]
    if rule == "monthly":
        return "monthly", "31"
    if rule == "quarterly":
        return "quarterly", ""
    return "once", ""


def from_saved(data: dict) -> dict:
    """Editor rows from a saved template's data (the inverse of :func:`parse`'s clean output)."""
    rows = {"name": data.get("name", ""), "issuer": data.get("issuer", ""), "doc_number": data.get("doc_number", ""),
            "year": str(data.get("year", "")), "meta": dict(data.get("meta_sentences") or {})}
    for section, key in (("phase", "phases"), ("task", "tasks"), ("deadline", "deadlines"), ("recurring", "recurring"),
                         ("category", "screening_categories"), ("check", "screening_checks"), ("ledger", "ledgers")):
        items = []
        for item in data.get(key, []):
            row = {f: item.get(f, "") for f in _FIELDS[section]}
            for f in ("responsible", "departments"):
                if f in row:
                    row[f] = _join(item.get(f))
            if section == "ledger":
                row["columns"] = _columns_text(item.get("columns", []))
            if section == "deadline":
                row["orig"] = item.get("date", "")
            if section == "recurring":
                row["generate"], row["day"] = _generate(item.get("generate_rule", "once"))
            if section == "category":
                row["threshold"] = item.get("threshold") or {}
            items.append(row)
        rows[section] = items
    return rows


def form_rows(form) -> dict:
    """Editor rows as submitted (strings), spare rows included."""
    rows = {k: (form.get(k) or "").strip() for k in ("name", "issuer", "doc_number", "year")}
    rows["meta"] = {k: int(form[f"meta-{k}"]) for k in META.values() if (form.get(f"meta-{k}") or "").isdigit()}
    for section in SECTIONS:
        indexes = sorted({int(m.group(1)) for k in form for m in [re.match(rf"^{section}-(\d+)-", k)] if m})
        items = []
        for i in indexes:
            if form.get(f"{section}-{i}-delete"):
                continue
            row = {f: (form.get(f"{section}-{i}-{f}") or "").strip() for f in _FIELDS[section]}
            if section == "category":
                row["threshold"] = _threshold(row["threshold"])
            row["sentence"] = int(row["sentence"]) if row["sentence"].isdigit() else None
            row["_index"] = i
            if any(row.get(f) for f in _CONTENT[section]):
                items.append(row)
        for row in items:  # a new row gets its key now, so a new phase can be chosen right away
            row["key"] = row["key"] or new_key(_PREFIX[section], items)
        rows[section] = items
    return rows


def _threshold(raw: str) -> dict:
    import json

    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def new_key(prefix: str, rows: list[dict]) -> str:
    used = {r.get("key") for r in rows}
    n = 1
    while f"{prefix}{n}" in used:
        n += 1
    return f"{prefix}{n}"


def sources(text: str) -> list[str]:
    """The sentences of the plan's text, by id (the same split the extractor made)."""
    return [s.text for s in document(text).sentences] if text else []
