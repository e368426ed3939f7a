"""Map a file's headers to fields: suggest from header names, check the user's choice, validate rows.

The same machinery imports department data (screening) and ledger rows: both describe their
targets as :class:`~duban.ledgers.cells.Field` lists.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Iterable, Iterator

from ..errors import ValidationError
from .cells import Field, converter
from .reader import Table

FOOTNOTES = ("注：", "注:", "说明：", "说明:")
_PUNCT = str.maketrans({"（": "(", "）": ")", "：": ":", "*": None, "＊": None, "　": None})


def norm(text: str) -> str:
    """Header text for comparison: no spaces, half-width brackets, no required-field stars."""
    return "".join(str(text or "").split()).translate(_PUNCT)


def _names(f: Field) -> list[str]:
    return [norm(f.label), *(norm(a) for a in f.aliases)]


def _match(f: Field, header: str) -> int:
    """How well header names f: 3 exact label, 2 exact alias, 1 contains one of them, 0 not at all."""
    h = norm(header)
    if not h:
        return 0
    names = _names(f)
    if h == names[0]:
        return 3
    if h in names[1:]:
        return 2
    if any(len(n) >= 2 and (n in h or (len(h) >= 2 and h in n and len(h) >= len(n) - 2)) for n in names):
        return 1
    return 0


def suggest(fields: Iterable[Field], headers: list[str], remembered: dict | None = None) -> dict[str, str]:
    """Return {field key: header}: the remembered mapping where its headers are still in the file,
    then the best-matching unused header for every other field."""
    fields = list(fields)
    chosen: dict[str, str] = {}
    present = set(headers)
    for key, header in (remembered or {}).items():
        if header in present and any(f.key == key for f in fields):
            chosen[key] = header
    used = set(chosen.values())
    scored = sorted(((_match(f, h), -i, f.key, h) for f in fields if f.key not in chosen
                     for i, h in enumerate(headers) if h), reverse=True)
    for score, _, key, header in scored:
        if score and key not in chosen and header not in used:
            chosen[key] = header
            used.add(header)
    return chosen


def header_score(fields: Iterable[Field]):
    """A function rating a candidate header row by how many of its cells name a field."""
    fields = list(fields)

    def score(headers: list[str]) -> int:
        return sum(1 for h in headers if h and any(_match(f, h) for f in fields))

    return score


def check_mapping(fields: Iterable[Field], headers: list[str], chosen: dict[str, str]) -> dict[str, str]:
    """Validate the user's mapping {field key: header or ""}; return it without blanks."""
    fields = list(fields)
    mapping = {k: v for k, v in chosen.items() if v}
    errors = {}
    for f in fields:
        header = mapping.get(f.key)
        if header and header not in headers:
            errors[f.key] = f"文件中没有“{header}”这一列"
        elif f.required and not header:
            errors[f.key] = f"请为必填项“{f.label}”选择对应的列"
    seen: dict[str, str] = {}
    for f in fields:
        header = mapping.get(f.key)
        if header and header in seen:
            errors.setdefault(f.key, f"“{header}”一列已对应到“{seen[header]}”，同一列不能对应两个项目")
        elif header:
            seen[header] = f.label
    unknown = set(mapping) - {f.key for f in fields}
    if unknown:
        raise ValidationError("对应关系中有未知的项目，请刷新页面后重试")
    if errors:
        raise ValidationError(fields=errors)
    return mapping


@dataclass
class Row:
    """One data row: its number in the file, the converted values, and why it was rejected (if so)."""

    number: int
    values: dict
    errors: list[str] = dc_field(default_factory=list)
    cells: list = dc_field(default_factory=list)


def validate_rows(table: Table, fields: Iterable[Field], mapping: dict[str, str]) -> Iterator[Row]:
    """Convert every non-empty row of table through the mapped fields' converters."""
    index = {h: i for i, h in reversed(list(enumerate(table.headers)))}
    plan = [(f.key, index[mapping[f.key]], converter(f)) for f in fields if f.key in mapping]
    width = len(table.headers)
    for number, cells in table.rows:
        filled = [i for i, c in enumerate(cells)
                  if c is not None and c != "" and not (isinstance(c, str) and not c.strip())]
        if not filled:
            continue
        if filled == [0] and isinstance(cells[0], str) and cells[0].lstrip().startswith(FOOTNOTES):
            continue  # a note printed under the table (“注：……”), as the official forms have
        if len(cells) < width:
            cells = list(cells) + [None] * (width - len(cells))
        values, errors = {}, []
        for key, i, convert in plan:
            value, error = convert(cells[i])
            if error:
                errors.append(error)
            elif value is not None:
                values[key] = value
        yield Row(number, values, errors, cells[:width])
