"""Compare a draft with hand-checked expectations: true/false positives and misses per field.

Used by bench/plan_extraction.py (the precision/recall table) and by the seed tests. The matching
rules are described in tests/plan_expectations/README.md.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

SCALARS = ("title", "issuer", "doc_number", "year")
LISTS = ("phases", "deadlines", "recurring", "tasks", "responsible", "screening_categories",
         "screening_checks", "ledger_columns")
FIELDS = SCALARS + LISTS


def norm(value) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return re.sub(r"\s+", "", str(value if value is not None else "")).replace("(", "（").replace(")", "）")


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.misses += other.misses
        self.extras += other.extras

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


def _scalar(found, expected) -> Score:
    s = Score()
    f, e = norm(found), norm(expected)
    if e and f == e:
        s.tp = 1
    else:
        if f:
            s.fp = 1
            s.extras.append(f)
        if e:
            s.fn = 1
            s.misses.append(e)
    return s


def _match(found: list, expected: list, same, show_found, show_expected) -> tuple[Score, list[tuple]]:
    """Greedy one-to-one matching in order; returns the score and the matched (found, expected) pairs."""
    s, pairs, free = Score(), [], list(range(len(found)))
    for e in expected:
        hit = next((i for i in free if same(found[i], e)), None)
        if hit is None:
            s.fn += 1
            s.misses.append(show_expected(e))
        else:
            free.remove(hit)
            s.tp += 1
            pairs.append((found[hit], e))
    s.fp = len(free)
    s.extras += [show_found(found[i]) for i in free]
    return s, pairs


def _contains(text, phrase) -> bool:
    return norm(phrase) in norm(text)


def compare(draft: dict, expected: dict) -> dict[str, Score]:
    """draft: the JSON shape (as_json); expected: a tests/plan_expectations/*.yaml document."""
    out = {k: _scalar(draft.get(k), expected.get(k)) for k in SCALARS}
    out["phases"], _ = _match(
        draft.get("phases", []), expected.get("phases") or [],
        lambda f, e: norm(f["name"]) == norm(e["name"]) and norm(f["start"]) == norm(e["start"])
        and norm(f["end"]) == norm(e["end"]),
        lambda f: f"{f['name']} {f['start']}~{f['end']}", lambda e: f"{e['name']} {norm(e['start'])}~{norm(e['end'])}")
    out["deadlines"], _ = _match(
        draft.get("deadlines", []), expected.get("deadlines") or [],
        lambda f, e: norm(f["date"]) == norm(e["date"]) and _contains(f["what"], e["what"])
        and (not e.get("to") or _contains(f.get("to", ""), e["to"])),
        lambda f: f"{f['date']} {f['what']}", lambda e: f"{norm(e['date'])} {e['what']}")
    out["recurring"], _ = _match(
        draft.get("recurring", []), expected.get("recurring") or [],
        lambda f, e: f["rule"] == e["rule"] and _contains(f["what"], e["what"])
        and (not e.get("to") or _contains(f.get("to", ""), e["to"])),
        lambda f: f"{f['rule']} {f['what']}", lambda e: f"{e['rule']} {e['what']}")
    out["tasks"], pairs = _match(
        draft.get("tasks", []), expected.get("tasks") or [],
        lambda f, e: _contains(f["title"], e["title"]), lambda f: f["title"], lambda e: e["title"])
    resp = Score()
    for f, e in pairs:
        got = [norm(u) for u in f.get("responsible") or []]
        want = [norm(u) for u in e.get("responsible") or []]
        found_title, want_title = f["title"], e["title"]
        r, _ = _match(got, want, lambda a, b: a == b, lambda a, t=found_title: f"{t}:{a}",
                      lambda b, t=want_title: f"{t}:{b}")
        resp.add(r)
    out["responsible"] = resp
    out["screening_categories"], _ = _match(
        draft.get("screening_categories", []), expected.get("screening_categories") or [],
        lambda f, e: _contains(f["name"], e["name"])
        and all(f.get("threshold", {}).get(k) == v for k, v in (e.get("threshold") or {}).items()),
        lambda f: f["name"], lambda e: e["name"])
    out["screening_checks"], _ = _match(
        draft.get("screening_checks", []), expected.get("screening_checks") or [],
        lambda f, e: _contains(f["text"], e["text"]), lambda f: f["text"], lambda e: e["text"])
    found_cols = [(led["title"], i, (f"{c['group']} / " if c.get("group") else "") + c["label"])
                  for led in draft.get("ledgers", []) for i, c in enumerate(led["columns"])]
    want_cols = [(led["title"], i, c) for led in expected.get("ledgers") or [] for i, c in enumerate(led["columns"])]
    out["ledger_columns"], _ = _match(
        found_cols, want_cols, lambda f, e: norm(f[0]) == norm(e[0]) and f[1] == e[1] and norm(f[2]) == norm(e[2]),
        lambda f: f"{f[0]}#{f[1] + 1} {f[2]}", lambda e: f"{e[0]}#{e[1] + 1} {e[2]}")
    return out


def fmt(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"
