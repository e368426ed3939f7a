"""Draft a campaign template from a plan's text: the one entry point of the extractor.

:func:`build` returns a plain dict (dates as ``datetime.date``); :func:`as_json` gives the
documented JSON shape (docs/template-draft.md). Every item carries ``source`` (the sentence it
came from) and ``sentence`` (that sentence's index in ``sentences``).
"""
from __future__ import annotations

import re
from datetime import date

from .. import clock
from . import deadlines, ledgers, meta, screening
from . import phases as phases_mod
from . import tasks as tasks_mod
from .readers import PlanError
from .structure import outline, tail_start
from .text import body_start, document

SCHEMA_VERSION = 1
MIN_CJK = 20


NotAPlan = PlanError  # the text is empty or not a plan; the message (Chinese) says what was not found


def _body_paras(doc, sections) -> set[int]:
    if not sections:
        return {p.id for p in doc.paragraphs}
    first = sections[0].para
    return set(range(first, tail_start(doc)))


def _phase_paragraphs(doc, sections, phases: list[dict]) -> dict[int, str]:
    """Paragraph → phase key for the schedule section: a phase's paragraphs run to the next phase."""
    by_sentence = {p["sentence"]: p["key"] for p in phases if p.get("sentence") is not None}
    heads = {doc.sentences[sid].para: key for sid, key in by_sentence.items()}
    out, current = {}, None
    for top in sections:
        if not phases_mod.SCHEDULE.search(top.title):
            continue
        for pid in top.all_paras():
            current = heads.get(pid, current)
            if current:
                out[pid] = current
    return out


def build(raw: str) -> dict:
    """Extract the draft from a plan's text. Raises NotAPlan with a Chinese message."""
    doc = document(raw or "")
    if not doc.text.strip():
        raise NotAPlan("文件中没有可识别的文字内容。请上传带文字的工作方案（.txt、.docx 或带文字层的 PDF），或直接粘贴方案全文。")
    cjk = len(re.findall(r"[\u4e00-\u9fff]", doc.text))
    if cjk < MIN_CJK:
        raise NotAPlan("未找到中文公文内容：文本中几乎没有汉字。请上传中文的专项行动工作方案。")
    head_end = body_start(doc.norm)
    number = meta.doc_number(doc, head_end)
    title = meta.title(doc, head_end)
    issuer = meta.issuer(doc, head_end, title["value"])
    year_item = meta.year(doc, number, title["value"])
    warnings = []
    if year_item["value"] is None:
        year_item = {"value": clock.today().year, "source": "", "sentence": None}
        warnings.append(f"未找到方案年度（文号、落款日期中均无年份），日期暂按{year_item['value']}年推算，请核对。")
    year = year_item["value"]

    sections = outline(doc)
    issued = meta.issue_date(doc)
    phases, period = phases_mod.extract(doc, sections, year, issued)
    window = phases_mod.window(phases, period)
    body = _body_paras(doc, sections)
    one_off = deadlines.one_off(doc, body, year, window)
    repeating = deadlines.recurring(doc, body)
    tasks, checks = tasks_mod.extract(doc, sections, phases, year, window)
    categories = screening.extract(doc, sections)
    tables = ledgers.extract(doc)

    phase_paras = _phase_paragraphs(doc, sections, phases)
    for d in one_off:
        d["phase"] = deadlines.phase_of(d["date"], d.pop("para"), phases, phase_paras)
    for r in repeating:
        r["phase"] = phase_paras.get(r.pop("para"), "") or tasks_mod.default_phase(phases)
    for i, d in enumerate(one_off, 1):
        d["key"] = f"d{i}"
    for i, r in enumerate(repeating, 1):
        r["key"] = f"r{i}"

    if not (phases or one_off or tasks):
        raise NotAPlan("未能识别为专项行动工作方案：没有找到进度安排（阶段及起止时间）、截止时间（如“X月X日前报送”）"
                       "和重点任务（如“（一）…”“1.…”）。请确认上传的是工作方案全文。")
    missing = [label for label, found in (
        ("方案标题", title["value"]), ("发文单位", issuer["value"]), ("文号", number["value"]),
        ("进度安排（阶段及起止时间）", phases), ("截止时间", one_off), ("重点任务", tasks)) if not found]
    return {
        "schema": SCHEMA_VERSION,
        "title": title["value"], "issuer": issuer["value"], "doc_number": number["value"], "year": year,
        "issued_on": issued,
        "meta_sources": {"title": title, "issuer": issuer, "doc_number": number, "year": year_item},
        "period": period, "phases": phases, "deadlines": one_off, "recurring": repeating, "tasks": tasks,
        "screening_categories": categories, "screening_checks": checks, "ledgers": tables,
        "missing": missing, "warnings": warnings,
        "text": doc.text,
        "sentences": [{"id": s.id, "start": s.start, "end": s.end, "text": s.text} for s in doc.sentences],
    }


def _jsonable(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def as_json(draft: dict, with_text: bool = False) -> dict:
    """The draft in its documented JSON shape (dates YYYY-MM-DD); the full text only on request."""
    out = {k: v for k, v in draft.items() if with_text or k not in ("text", "sentences")}
    return _jsonable(out)
