"""Tasks from the numbered key-work sections ((一)…, 1.…), with responsible units; 是否 items as checks."""
from __future__ import annotations

import re

from . import dates, units
from .structure import Section
from .text import Document, squash

KEY_WORK = re.compile(r"任务|措施|举措|重点工作|工作重点|主要工作|工作内容|重点内容|整治内容|治理内容|主要内容|整治重点")
# Top-level sections that are not the work itself, even when their title says 任务 (目标任务).
_NOT_WORK = re.compile(r"目标|要求|保障|指导思想|进度|步骤|时间安排|阶段|排查重点|排查对象|摸排对象")
_GOAL = re.compile(r"目标|^总体要求|^指导思想")
_CHECK = re.compile(r"是否")
_MAIN_PHASE = re.compile(r"落实|实施|整改|推进|排查|攻坚|自查|推动")
DESCRIPTION_MAX = 600


def _text(doc: Document, sec: Section, own_only: bool = True) -> str:
    pids = sec.paras if own_only else sec.all_paras()
    return "\n".join(doc.paragraphs[p].text for p in pids)


def _opening(doc: Document, sec: Section) -> str:
    """The text that names who does the work: what follows the title, else the heading itself."""
    after = sec.body[len(sec.title):]
    if not after.strip() or after[:1] in ("。", "；", ";", "：", ":"):
        rest = after.lstrip("。；;：:，, ")
        if rest:
            return rest
        for pid in sec.paras[1:]:
            if doc.paragraphs[pid].text:
                return doc.paragraphs[pid].text
    return sec.body  # the title is the text itself, or its first clause


def default_phase(phases: list[dict]) -> str:
    """The phase key-work tasks run in unless their text dates them: the implementation phase."""
    for p in phases:
        if _MAIN_PHASE.search(p["name"]):
            return p["key"]
    if phases:
        return max(phases, key=lambda p: (p["end"] - p["start"]).days)["key"]
    return ""


def _phase(doc: Document, sec: Section, phases: list[dict], year: int, window) -> str:
    norm = "".join(doc.norm[doc.paragraphs[p].start:doc.paragraphs[p].end] for p in sec.all_paras())
    for e in dates.find(norm):
        span = dates.period(e, year, window)
        if span:
            hit = [p for p in phases if p["start"] <= span[1] and span[0] <= p["end"]]
            if hit:
                return hit[-1]["key"] if span[0] == span[1] else hit[0]["key"]
    return default_phase(phases)


def _task(doc: Document, sec: Section, group: Section | None, inherited: list[str], phases, year, window) -> dict:
    heading = doc.paragraphs[sec.para]
    own = _text(doc, sec, own_only=False)
    opening = _opening(doc, sec)
    responsible = units.named_responsible(own) or inherited or units.subject(opening)
    title = sec.title
    if opening is sec.body:  # "各村(居)要及时梳理…" → "及时梳理…", the units go to responsible
        named, rest = units.strip_subject(title)
        if named and len(rest) >= 6:
            title = rest
    source = heading.sentences[0] if heading.sentences else None
    return {
        "title": title, "responsible": responsible, "group": group.title if group else "",
        "level": units.level(responsible, opening),
        "phase": _phase(doc, sec, phases, year, window),
        "description": squash(own)[:DESCRIPTION_MAX],
        "source": source.text if source else heading.text, "sentence": source.id if source else None,
    }


def _is_check(doc: Document, sec: Section) -> bool:
    return bool(_CHECK.search(sec.body))


def extract(doc: Document, sections: list[Section], phases: list[dict], year: int, window) -> tuple[list[dict], list[dict]]:
    """(tasks, checks) from the key-work sections."""
    tasks: list[dict] = []
    checks: list[dict] = []
    for top in sections:
        if top.level != 1 or not KEY_WORK.search(top.title) or _NOT_WORK.search(top.title):
            continue
        groups = [c for c in top.children if c.level == 2]
        loose = [c for c in top.children if c.level == 3]
        for group in groups:
            items = [c for c in group.children if c.level == 3]
            named = units.named_responsible(_text(doc, group))
            if not items:
                if not _GOAL.search(group.title):
                    tasks.append(_task(doc, group, None, named, phases, year, window))
                continue
            if all(_is_check(doc, i) for i in items):
                checks.extend({"text": squash(i.body).rstrip("；;。"), "group": group.title,
                               "source": doc.paragraphs[i.para].text, "sentence": _first_sentence(doc, i)}
                              for i in items)
                continue
            if _GOAL.search(group.title):
                continue
            for item in items:
                tasks.append(_task(doc, item, group, named, phases, year, window))
        for item in loose:
            tasks.append(_task(doc, item, None, [], phases, year, window))
    for i, t in enumerate(tasks, 1):
        t["key"] = f"t{i}"
    for i, c in enumerate(checks, 1):
        c["key"] = f"q{i}"
    return tasks, checks


def _first_sentence(doc: Document, sec: Section) -> int | None:
    p = doc.paragraphs[sec.para]
    return p.sentences[0].id if p.sentences else None
