"""The first rows of an xlsx file's first visible sheet, read without parsing the whole sheet.

Finding a file's header row needs a dozen rows, but python-calamine (which the import itself uses)
always parses the whole sheet: about a second for 100,000 rows. This reads the sheet's XML as a
stream and stops after the rows asked for, resolving shared strings only up to the highest index
those rows use (Excel and xlsxwriter number them in order of first use, so that is a short prefix).

It answers only what header detection needs: text cells as text, numbers as floats. Anything it
does not understand makes it return None, and the caller reads the file with calamine instead.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree.ElementTree import ParseError, iterparse

_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_REL_NS_STRICT = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"
_CELL_REF = re.compile(r"([A-Z]+)(\d+)$")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _column(ref: str | None, fallback: int) -> int:
    m = _CELL_REF.match(ref or "")
    if not m:
        return fallback
    n = 0
    for ch in m[1]:
        n = n * 26 + ord(ch) - 64
    return n - 1


def first_visible_sheet(z: zipfile.ZipFile) -> tuple[str, str] | None:
    """(name, part name in the zip) of the workbook's first visible sheet, or None."""
    rid = name = None
    with z.open("xl/workbook.xml") as fh:
        for _, el in iterparse(fh):
            if _local(el.tag) == "sheet" and el.get("state", "visible") == "visible":
                rid, name = el.get(_REL_NS) or el.get(_REL_NS_STRICT), el.get("name")
                break
    if rid is None or name is None:
        return None
    with z.open("xl/_rels/workbook.xml.rels") as fh:
        for _, el in iterparse(fh):
            if _local(el.tag) == "Relationship" and el.get("Id") == rid:
                target = el.get("Target", "")
                part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
                return name, part
    return None


def _text(el) -> str:
    """The text of an <si> or <is> element: its <t>, or its runs' <t>s, without phonetic runs (<rPh>)."""
    parts = []
    for child in el:
        name = _local(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts.extend(t.text or "" for t in child if _local(t.tag) == "t")
    return "".join(parts)


def _shared_strings(z: zipfile.ZipFile, wanted: set[int]) -> dict[int, str] | None:
    if not wanted:
        return {}
    if "xl/sharedStrings.xml" not in z.namelist():
        return None
    top, found, i = max(wanted), {}, 0
    with z.open("xl/sharedStrings.xml") as fh:
        for _, el in iterparse(fh):
            if _local(el.tag) != "si":
                continue
            if i in wanted:
                found[i] = _text(el)
            el.clear()
            if i >= top:
                break
            i += 1
    return found if len(found) == len(wanted) else None


def head_rows(path: Path, count: int) -> list[tuple[int, list]] | None:
    """Rows 1 to count as (Excel row number, cells), empty rows included and columns starting at the
    leftmost one used (as calamine gives them), or None when unsure."""
    try:
        with zipfile.ZipFile(path) as z:
            found = first_visible_sheet(z)
            if found is None or found[1] not in z.namelist():
                return None
            sheet = found[1]
            raw: list[tuple[int, dict]] = []
            with z.open(sheet) as fh:
                row_number, cells, col, kind, value = 0, {}, 0, None, None
                for event, el in iterparse(fh, events=("start", "end")):
                    name = _local(el.tag)
                    if event == "start":
                        if name == "row":
                            row_number = int(el.get("r") or row_number + 1)
                            cells, col = {}, 0
                        elif name == "c":
                            col = _column(el.get("r"), col)
                            kind, value = el.get("t", "n"), None
                        continue
                    if name == "v":
                        value = el.text
                    elif name == "is":
                        value = _text(el)
                    elif name == "c":
                        if value not in (None, ""):
                            cells[col] = (kind, value)
                        col += 1
                        el.clear()
                    elif name == "row":
                        if cells and row_number <= count:
                            raw.append((row_number, cells))
                        el.clear()
                        if row_number >= count:
                            break
            wanted = {int(v) for _, cells in raw for k, v in cells.values() if k == "s"}
            strings = _shared_strings(z, wanted)
    except (KeyError, ValueError, ParseError, zipfile.BadZipFile, OSError):
        return None
    if strings is None:
        return None
    if not raw:
        return []
    first = min(min(cells) for _, cells in raw)
    width = max(max(cells) for _, cells in raw) - first + 1
    rows = dict(raw)
    out = []
    for number in range(1, max(rows) + 1):
        cells = rows.get(number, {})
        row = [""] * width
        for c, (kind, value) in cells.items():
            if kind == "s":
                row[c - first] = strings[int(value)]
            elif kind in ("str", "inlineStr"):
                row[c - first] = value
            elif kind == "n":
                row[c - first] = float(value)
            else:  # booleans, errors, ISO dates: not what a header row holds
                return None
        out.append((number, row))
    return out
