"""Screening categories (排查重点 / 摸排对象) with their thresholds (自付医疗费用1万元以上)."""
from __future__ import annotations

import re

from .structure import Section
from .text import Document, squash

SCREENING = re.compile(r"排查重点|排查对象|摸排对象|排查范围|重点对象|摸排重点|排查人群|摸排范围|救助对象范围")
_AMOUNT = re.compile(r"(?P<n>\d+(?:\.\d+)?)\s*(?P<wan>万)?\s*元\s*(?P<cmp>及以上|以上|以下|以内|及以下)")
_YEAR = re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<since>以来)?")
_MEASURE = re.compile(r"[\u4e00-\u9fff]{2,10}$")


def threshold(text: str) -> dict:
    """The machine-readable part of a category: amounts and years it names."""
    out: dict = {}
    norm = squash(text)
    m = _AMOUNT.search(norm)
    if m:
        value = float(m["n"]) * (10000 if m["wan"] else 1)
        key = "min_amount" if m["cmp"] in ("以上", "及以上") else "max_amount"
        out[key] = int(value) if value == int(value) else value
        out["unit"] = "元"
        measure = _MEASURE.search(norm[:m.start()])
        if measure:
            out["measure"] = re.sub(r"^(?:年|度|以来|月)+", "", measure.group(0))
    y = _YEAR.search(norm)
    if y:
        out["since_year" if y["since"] else "year"] = int(y["y"])
    return out


def _items(sec: Section) -> list[Section]:
    items = [c for c in sec.walk() if c.level == 3 and c is not sec]
    return items or [c for c in sec.children if c.level == 2]


def extract(doc: Document, sections: list[Section]) -> list[dict]:
    found: list[dict] = []
    for top in sections:
        for sec in top.walk():
            if sec.level > 2 or not SCREENING.search(sec.title):
                continue
            for item in _items(sec):
                p = doc.paragraphs[item.para]
                name = squash(item.body).rstrip("；;。，, ")
                found.append({"name": name, "threshold": threshold(name),
                              "source": p.text, "sentence": p.sentences[0].id if p.sentences else None})
            if found:
                break
        if found:
            break
    for i, c in enumerate(found, 1):
        c["key"] = f"c{i}"
    return found
