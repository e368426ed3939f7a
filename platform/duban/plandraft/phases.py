"""Phases from the schedule section (进度安排 / 实施步骤 / 时间安排), or the plan's overall period."""
from __future__ import annotations

import re
from datetime import date, timedelta

from . import dates
from .structure import Section, find_sections
from .text import Document, squash

SCHEDULE = re.compile(r"进度安排|实施步骤|时间安排|工作步骤|方法步骤|步骤安排|阶段安排|时间节点|推进步骤|实施阶段|工作安排|进度要求")
_MARKER = re.compile(r"^\s*(?:[（(]\s*[一二三四五六七八九十\d]{1,3}\s*[)）]|[一二三四五六七八九十\d]{1,3}\s*[、.．]"
                     r"|第[一二三四五六七八九十]{1,3}阶段\s*[:：]?)\s*")
_NAME = re.compile(r"^[\u4e00-\u9fff“”\"]{2,16}$")
_PERIOD_HINT = re.compile(r"开始|起|为期|期间|时间")
_PERIOD_END = re.compile(r"结束|止|截止|完成")
# A phase is taken to belong to the next year when it would start this long before the first one.
_WRAP = timedelta(days=120)
_LATE = timedelta(days=30)


def _phase_head(doc: Document, pid: int):
    """(name, DateExpr, absolute offset) when paragraph pid opens with "name (date range)"."""
    p = doc.paragraphs[pid]
    norm = doc.norm[p.start:p.end]
    m = _MARKER.match(norm)
    lead = m.end() if m else 0
    exprs = [e for e in dates.find(norm) if e.start >= lead]
    if not exprs:
        return None
    first = exprs[0]
    name = squash(doc.text[p.start + lead:p.start + first.start]).rstrip("（(：:，, ")
    if _NAME.match(name):
        return name.strip("“”\""), first, p.start + first.start
    # "第一阶段（6月1日—15日）：动员部署": the name follows the date.
    if not name and m and "阶段" in m.group(0):
        after = re.match(r"^[)）]?\s*[:：]?\s*([\u4e00-\u9fff]{2,12})", squash(doc.text[p.start + first.end:p.end]))
        return (after.group(1) if after else squash(m.group(0)).rstrip("：:")), first, p.start + first.start
    # "（一）动员部署阶段。3月下旬，…": the date opens the next sentence.
    head = re.match(r"^([\u4e00-\u9fff“”]{2,16}阶段)\s*[。:：，,]\s*", squash(doc.text[p.start + lead:p.end]))
    if head and first.start - lead <= len(head.group(0)) + 2:
        return head.group(1), first, p.start + first.start
    return None


def _from_paragraphs(doc: Document, pids, year: int) -> list[dict]:
    out = []
    for pid in pids:
        got = _phase_head(doc, pid)
        if not got:
            continue
        name, expr, offset = got
        span = dates.period(expr, year)
        if span is None:
            continue
        s = doc.sentence_at(offset)
        out.append({"name": name, "start": span[0], "end": span[1], "expr": expr,
                    "source": s.text if s else "", "sentence": s.id if s else None})
    return out


def overall_period(doc: Document, year: int) -> dict | None:
    """The campaign's whole period: "从今年11月中旬开始，至2019年2月底结束"."""
    for s in doc.sentences:
        norm = doc.norm[s.start:s.end]
        exprs = dates.find(norm)
        if len(exprs) >= 2 and _PERIOD_HINT.search(norm) and _PERIOD_END.search(norm[exprs[0].end:]):
            a, b = exprs[0], exprs[1]
            joined = dates.DateExpr(a.start, b.end, a.first, b.last or b.first)
            span = dates.period(joined, year)
        elif len(exprs) == 1 and exprs[0].is_range and re.search(r"为期|期间|时间为|时间：|时间:", norm):
            a = exprs[0]
            span = dates.period(a, year)
        else:
            continue
        if span is None or span[1] <= span[0]:
            continue
        before = squash(doc.text[s.start:s.start + a.start])
        before = re.split(r"[，,。；]", before)[-1]
        name = re.sub(r"^(?:开展|本次|此次|全面开展)|(?:从|自|于)$|(?:从|自|于)?(?:今年|本年)?$", "", before)
        name = name.strip("“”\" ") or "实施阶段"
        return {"name": name[:30], "start": span[0], "end": span[1], "source": s.text, "sentence": s.id}
    return None


def _unwrap(phases: list[dict], year: int) -> None:
    """Move phases that would start long before the first one into the next year (11月 … 1-2月)."""
    if not phases:
        return
    first = phases[0]["start"]
    for ph in phases[1:]:
        if ph["start"] < first - _WRAP and not (ph["expr"].first.year or ph["expr"].first.rel is not None):
            span = dates.period(ph["expr"], year + 1)
            if span:
                ph["start"], ph["end"] = span


def _after_issue(phases: list[dict], year: int, issued: date | None) -> None:
    """A plan issued in December for "1月…6月" means next year: when every phase (none with a stated
    year) would be over a month before the plan was even issued, move them all a year on."""
    if not (issued and phases) or any(p["expr"].first.year or p["expr"].first.rel is not None for p in phases):
        return
    if max(p["end"] for p in phases) < issued - _LATE:
        for p in phases:
            span = dates.period(p["expr"], p["start"].year + 1)
            if span:
                p["start"], p["end"] = span


def extract(doc: Document, sections: list[Section], year: int,
            issued: date | None = None) -> tuple[list[dict], dict | None]:
    """(phases, overall period) with real dates; phases keyed p1, p2, … in the plan's order."""
    phases: list[dict] = []
    for sec in find_sections(sections, SCHEDULE):
        phases = _from_paragraphs(doc, sec.all_paras(), year)
        if phases:
            break
    if not phases:
        # No schedule section: level-2 headings named …阶段 with a date anywhere in the body.
        pids = [s.para for top in sections for s in top.walk() if s.level == 2 and "阶段" in s.title]
        phases = _from_paragraphs(doc, pids, year)
    _unwrap(phases, year)
    _after_issue(phases, year, issued)
    period = overall_period(doc, year)
    if not phases and period:
        phases = [dict(period)]
    for i, ph in enumerate(phases, 1):
        ph.pop("expr", None)
        ph["key"] = f"p{i}"
    return phases, period


def window(phases: list[dict], period: dict | None) -> tuple[date, date] | None:
    spans = [(p["start"], p["end"]) for p in phases] + ([(period["start"], period["end"])] if period else [])
    if not spans:
        return None
    return min(s for s, _ in spans), max(e for _, e in spans)
