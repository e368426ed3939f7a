"""Ledger definitions from the attachments' tables: the title and the column headers, in order.

A table reaches us as tab-led cells: either one row per line (as the .docx reader writes it) or,
as copied out of a Word document, one cell per line with rows separated by an empty line; a line
without a tab right after a cell continues that cell ("家庭" / "人口"). A second header row whose
leading cells are empty holds the sub-columns of a merged header above them (附件2: 入户核查结果
over 核查结果 and 调查人).
"""
from __future__ import annotations

import re

from .structure import tail_start
from .text import Document, squash

_ATTACHMENT = re.compile(r"^附件\s*(?P<n>\d{1,2})?\s*[:：]?\s*(?P<title>.*)$")
_ANNEX = re.compile(r"^附\s*[:：]\s*(?P<title>.+)$")
_STOP = re.compile(r"^(?:注\s*[:：]|说明\s*[:：]|填表说明|备注\s*[:：]|抄送)")
_TABLE_TITLE = re.compile(r"(?:表|台账|清单|名册|花名册|统计|明细)[^。；，]{0,30}$")
_NOTE = re.compile(r"^(?P<label>.+?)\s*[（(](?P<note>[^）)]*[、，,；][^）)]*)[）)]$")
_TYPES = ((re.compile(r"身份证"), "id_number"), (re.compile(r"^序号$"), "int"), (re.compile(r"人口|人数"), "int"),
          (re.compile(r"金额|收入|财产|费用"), "decimal"), (re.compile(r"时间|日期"), "date"),
          (re.compile(r"电话|手机"), "phone"))


def column(label: str, group: str = "") -> dict:
    label = squash(label)
    note = ""
    m = _NOTE.match(label)
    if m and len(m["note"]) >= 6:
        label, note = m["label"], m["note"]
    kind = next((t for rx, t in _TYPES if rx.search(label)), "text")
    return {"label": label, "note": note, "type": kind, "group": group}


def header(rows: list[list[str]]) -> list[dict]:
    """Columns from the table's rows: the first named row, merged with a second one if it has sub-columns."""
    rows = [r for r in rows]
    while rows and not any(rows[0]):
        rows.pop(0)
    if not rows:
        return []
    first = [c for c in rows[0] if c]
    second = rows[1] if len(rows) > 1 else []
    if not (second and any(second) and not all(second) and len(second) >= len(first)):
        return [column(c) for c in first]
    groups = [i for i, c in enumerate(second[:len(first)]) if c]
    if not groups:
        return [column(c) for c in first]
    out, j = [], 0
    for i, label in enumerate(first):
        if j < len(second) and not second[j]:
            out.append(column(label))
            j += 1
            continue
        span = len(second) - len(first) + 1 if len(groups) == 1 else 1
        if len(groups) > 1:
            while j + span < len(second) and second[j + span]:
                span += 1
        out.extend(column(sub, group=label) for sub in second[j:j + span] if sub)
        j += span
    return out


def _lines(doc: Document, start: int):
    pos = 0
    for line in doc.text.split("\n"):
        if pos >= start:
            yield pos, line
        pos += len(line) + 1


class _Table:
    def __init__(self, offset: int, title: str = ""):
        self.offset, self.title = offset, title
        self.rows: list[list[str]] = []
        self.row: list[str] | None = None

    def flush(self):
        if self.row is not None:
            self.rows.append(self.row)
            self.row = None


def _tables(doc: Document) -> list[_Table]:
    tail = tail_start(doc)
    if tail >= len(doc.paragraphs):
        return []
    tables: list[_Table] = []
    current: _Table | None = None
    want_title = False
    for offset, line in _lines(doc, doc.paragraphs[tail].start):
        text = squash(line)
        is_cell = "\t" in line
        head = _ATTACHMENT.match(text) or _ANNEX.match(text)
        if head and (not is_cell or text.startswith("附件")):
            if current:
                current.flush()
            title = head["title"] or ""
            current = _Table(offset)
            tables.append(current)
            want_title = not title
            if re.match(r"^\d+\s*[.．、]", title):
                current = None  # a list of attachments ("附件：1.… 2.…"), not a table
            elif title:
                current.title = title
            continue
        if current is None:
            continue
        if want_title and text and not is_cell:
            current.title, current.offset, want_title = text, offset, False
            continue
        if _STOP.match(text):
            current.flush()
            current = None
            continue
        if is_cell:
            cells = [squash(c) for c in line.split("\t")[1:]]
            if len(cells) >= 2:
                current.flush()
                current.rows.append(cells)
            else:
                current.row = (current.row or []) + cells
        elif not text:
            current.flush()
        elif current.row and current.row[-1]:
            current.row[-1] += text
        elif current.rows and current.rows[-1] and current.rows[-1][-1] and len(text) <= 30:
            current.rows[-1][-1] += text
        elif _TABLE_TITLE.search(text) and not current.rows:
            current.title = text
    if current:
        current.flush()
    return tables


def extract(doc: Document) -> list[dict]:
    """Every attachment table with at least two column headers."""
    out = []
    for table in _tables(doc):
        columns = header(table.rows)
        if len(columns) < 2:
            continue
        start = table.offset + len(doc.text[table.offset:]) - len(doc.text[table.offset:].lstrip())
        s = doc.sentence_at(start)
        out.append({"key": f"ledger{len(out) + 1}", "title": table.title or f"附件{len(out) + 1}",
                    "columns": columns, "source": s.text if s else table.title, "sentence": s.id if s else None})
    return out
