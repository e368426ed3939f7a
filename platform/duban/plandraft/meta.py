"""The plan's title, issuer, document number (文号) and year, each with the sentence it came from."""
from __future__ import annotations

import re
from collections import Counter
from datetime import date

from .text import Document, squash

DOC_NUMBER = re.compile(
    r"(?P<no>[\u4e00-\u9fff]{1,12}\s*[〔\[［(（]\s*(?P<y>(?:19|20)\d{2})\s*[〕\]］)）]\s*\d{1,4}\s*号)")
_ORG = r"(?:民政局|民政厅|人民政府|政府|委员会|办公室|管委会|局|厅|街道办事处|办事处|镇|乡)"
_PLAN_END = re.compile(r"(?:方案|计划|意见|办法|细则)$")
_NOT_TITLE = re.compile(r"^(?:关于印发|现将|为|根据|按照|经|请|各|附件|抄送|特制定)")
_ISSUE_DATE = re.compile(r"^\s*((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")
_GEN_DATE = re.compile(r"(?:生成日期|成文日期|发布日期|印发日期)\s*[:：]\s*((?:19|20)\d{2})")


def _item(value, doc: Document, offset: int | None) -> dict:
    s = doc.sentence_at(offset) if offset is not None else None
    return {"value": value, "source": s.text if s else "", "sentence": s.id if s else None}


def _lines(doc: Document, limit: int | None = None):
    """(offset, squashed line) of the non-blank lines, up to the first top-level heading by default."""
    pos = 0
    out = []
    for line in doc.norm.split("\n"):
        text = squash(line)
        if text:
            lead = len(line) - len(line.lstrip())
            out.append((pos + lead, text))
        pos += len(line) + 1
    if limit is not None:
        out = [x for x in out if x[0] < limit]
    return out


def doc_number(doc: Document, head_end: int) -> dict:
    """The plan's own 文号: labelled (文号：…) or alone on a line in the header; never a cited one."""
    for offset, line in _lines(doc, head_end):
        m = re.search(r"文号\s*[:：]\s*", line)
        if m:
            found = DOC_NUMBER.search(line, m.end())
            if found:
                return _item(squash(found["no"]), doc, offset)
    for offset, line in _lines(doc, head_end):
        found = DOC_NUMBER.fullmatch(line)
        if found:
            return _item(squash(found["no"]), doc, offset)
    return _item("", doc, None)


def _joined_titles(lines):
    """Plan headings, a short tail line ("实施方案") joined to the line before it."""
    for i, (offset, line) in enumerate(lines):
        if not _PLAN_END.search(line) or "《" in line or _NOT_TITLE.match(line) or len(line) > 70:
            continue
        title, start = line, offset
        if len(line) < 12 and i > 0:
            prev_off, prev = lines[i - 1]
            if (len(prev) <= 40 and prev[-1] not in "。，：；,.:;" and not _ISSUE_DATE.match(prev)
                    and not _PLAN_END.search(prev)):
                title, start = prev + line, prev_off
        yield start, title


def title(doc: Document, head_end: int) -> dict:
    """The plan's heading (… 工作方案); else the plan named in the notice (印发《…》的通知)."""
    lines = _lines(doc, head_end)
    candidates = list(_joined_titles(lines))
    if candidates:
        offset, text = candidates[-1]
        return _item(text, doc, offset)
    for offset, line in lines:
        m = re.search(r"印发\s*《(.+?)》", line) or re.search(r"印发\s*(.+?)的通知", line)
        if m:
            return _item(squash(m.group(1)), doc, offset)
    for offset, line in lines:
        if "方案" in line and len(line) <= 70:
            return _item(line, doc, offset)
    return _item("", doc, None)


def issuer(doc: Document, head_end: int, plan_title: str) -> dict:
    lines = _lines(doc, head_end)
    for offset, line in lines:
        m = re.search(r"发布机构\s*[:：]\s*(\S+)", line)
        if m:
            return _item(m.group(1), doc, offset)
    for offset, line in lines:
        m = re.fullmatch(rf"(.{{2,30}}{_ORG})\s*文件", line)
        if m:
            return _item(m.group(1), doc, offset)
    for offset, line in lines:
        m = re.match(rf"^([\u4e00-\u9fff]{{2,25}}?{_ORG})关于", line)
        if m:
            return _item(m.group(1), doc, offset)
    m = re.match(rf"^([\u4e00-\u9fff]{{2,25}}?{_ORG})关于", plan_title)
    if m:
        offset = doc.norm.find(plan_title[:8])
        return _item(m.group(1), doc, offset if offset >= 0 else None)
    for offset, line in lines[:5]:
        if re.fullmatch(rf"[\u4e00-\u9fff]{{2,25}}{_ORG}", line):
            return _item(line, doc, offset)
    # A signature: an organisation's name on the line before the issue date.
    all_lines = _lines(doc)
    for i, (offset, line) in enumerate(all_lines[1:], 1):
        if _ISSUE_DATE.match(line) and re.fullmatch(rf"[\u4e00-\u9fff]{{2,25}}{_ORG}", all_lines[i - 1][1]):
            return _item(all_lines[i - 1][1], doc, all_lines[i - 1][0])
    return _item("", doc, None)


def year(doc: Document, number: dict, plan_title: str) -> dict:
    """The document's year: from its 文号, its issue date, its title, else the most named year."""
    if number["value"]:
        m = DOC_NUMBER.search(number["value"])
        return {"value": int(m["y"]), "source": number["source"], "sentence": number["sentence"]}
    for offset, line in _lines(doc):
        m = _ISSUE_DATE.match(line) or _GEN_DATE.search(line)
        if m:
            return _item(int(m.group(1)), doc, offset)
    m = re.search(r"((?:19|20)\d{2})\s*年", plan_title)
    if m:
        offset = doc.norm.find(m.group(0))
        return _item(int(m.group(1)), doc, offset if offset >= 0 else None)
    years = Counter(int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d{2})\s*年", doc.norm))
    if years:
        y = years.most_common(1)[0][0]
        return _item(y, doc, doc.norm.find(str(y)))
    return _item(None, doc, None)


def issue_date(doc: Document) -> date | None:
    """The day the plan was issued: a date alone on a line (the signature), or 公文生成日期/成文日期."""
    for _, line in _lines(doc):
        m = _ISSUE_DATE.match(line) or re.search(
            r"(?:生成日期|成文日期|发布日期|印发日期)\s*[:：]\s*((?:19|20)\d{2})\s*[-年./]\s*(\d{1,2})\s*[-月./]\s*(\d{1,2})", line)
        if m:
            try:
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            except ValueError:
                continue
    return None
