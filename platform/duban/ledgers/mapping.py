"""Map a file's headers to fields: suggest from header names, check the user's choice, validate rows.

The same machinery imports department data (screening) and ledger rows: both describe their
targets as :class:`~duban.ledgers.cells.Field` lists.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from itertools import compress
from operator import itemgetter
from typing import Iterable, Iterator

from ..errors import ValidationError
from . import idnumber
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


@dataclass
class Chunk:
    """A run of a file's data rows, converted column by column (a field's values are one list)."""

    numbers: list[int]  # each row's number in the file, as Excel shows it
    columns: list[tuple]  # the cells as read, column by column (at least one column per header)
    values: dict[str, list]  # field key -> converted value of each row (None when blank or invalid)
    errors: dict[int, list[str]]  # position of a rejected row -> why

    def __len__(self) -> int:
        return len(self.numbers)

    def cells(self, pos: int) -> list:
        """The row at pos as read."""
        return [column[pos] for column in self.columns]

    def reject(self, pos: int, reason: str) -> None:
        self.errors.setdefault(pos, []).append(reason)


CHUNK_ROWS = 5000
CACHE_LIMIT = 100_000  # distinct cells remembered per column
_value, _error = itemgetter(0), itemgetter(1)  # of a converted cell's (value, error)
_number, _cells = itemgetter(0), itemgetter(1)  # of a row's (number, cells)


def column_converter(f: Field, valid_ids: set | None = None):
    """Return a function converting a column (a list of cells) into (values, problems): the
    converted value of each cell (None when blank or invalid), and why each cell is invalid (None
    when it is valid) — or problems None when every cell is valid. valid_ids, shared by the ID
    number columns of one file, holds the last column of them found valid as typed.

    A column repeats itself (a village, a programme, a date, the head of household's ID number on
    every member's row), so each distinct cell is converted once. Numbers equal to 0 or 1 are not
    remembered: as dict keys they would also stand for the booleans False and True. A column of
    text that is all there and short enough, one of ID numbers all valid as typed and one of
    mobile numbers as typed are converted in one go."""
    convert = converter(f)
    cache: dict = {}
    get = cache.get
    # Text is as quick to convert as to look up: only the other types are remembered.
    limit = [0 if f.type == "text" else CACHE_LIMIT]
    text, ids, phones = f.type == "text", f.type == "id_number", f.type == "phone"

    def miss(raw):
        result = convert(raw)
        if len(cache) < limit[0] and (raw.__class__ is str or raw not in (0, 1)):
            cache[raw] = result
        return result

    def cells(column) -> list:
        if not limit[0]:
            return list(map(convert, column))
        before = len(cache)
        results = list(map(get, column))
        if None in results:
            results = [result or miss(raw) for raw, result in zip(column, results)]
        if len(column) >= 1000 and len(cache) - before > 0.9 * len(column):
            limit[0] = 0  # nearly every cell is new (ID numbers, phones): remembering them only costs memory
            cache.clear()
        return results

    def run(column) -> tuple[list, list | None]:
        if text and column:
            values = _plain_text(column, f)
            if values is not None:
                return values, None
        elif ids and idnumber.all_valid_as_typed(column, valid_ids):
            return list(column), None
        elif phones and idnumber.mobiles_as_typed(column) and (all(column) or not f.required):
            return [c or None for c in column], None
        elif limit[0] and column:
            values = few_valid(column)
            if values is not None:
                return values, None
        results = cells(column)
        problems = list(map(_error, results))
        return list(map(_value, results)), (problems if any(problems) else None)

    def few_valid(column) -> list | None:
        """The converted column when at most half its cells differ and each distinct cell is valid
        (converted once and remembered); None otherwise, or when a boolean is among its cells (in
        a set, True and False stand for 1 and 0 too)."""
        distinct = set(column)
        if len(distinct) * 2 > len(column) or ((0 in distinct or 1 in distinct) and bool in set(map(type, column))):
            return None
        found = {}
        for raw in distinct:
            value, error = get(raw) or miss(raw)
            if error is not None:
                return None
            found[raw] = value
        return list(map(found.__getitem__, column))

    return run


def _plain_text(column, f: Field) -> list | None:
    """The column's cells with their spaces stripped, if every cell is text and none is too long
    nor (for a required field) blank; None when some cell needs looking at on its own."""
    if set(map(type, column)) != {str}:
        return None
    values = list(map(str.strip, column))
    if max(map(len, values)) > f.max_length:
        return None
    if not all(values):
        if f.required:
            return None
        values = [v or None for v in values]
    return values


def _blank_cell(c) -> bool:
    return c is None or c == "" or (c.__class__ is str and c.isspace())


def _blank_or_number(c) -> bool:
    return c.__class__ is int or c.__class__ is float or _blank_cell(c) or (c.__class__ is str and c.strip().isdigit())


def _data_rows(rows: list, width: int, mapped: list[int]) -> list:
    """The rows worth converting, padded to width: not blank, not a note under the table (“注：……”),
    not a numbered row of an official form's template left empty (nothing but a 序号 in it).

    Nearly always every row of a run is one: each is full width and has text in the first mapped
    column (the name, say), which neither a blank row, a note nor an empty template row has. That
    is decided for the whole run at once; otherwise row by row."""
    probe = mapped[0] if mapped else 0
    lines = list(map(_cells, rows))
    if lines and min(map(len, lines)) >= width > probe:
        probes = list(map(itemgetter(probe), lines))
        if (set(map(type, probes)) == {str} and all(map(str.strip, probes))
                and (probe > 0 or not any(p.lstrip().startswith(FOOTNOTES) for p in probes))):
            return rows
    return list(_each_data_row(rows, width, probe, mapped))


def _each_data_row(rows, width: int, probe: int, mapped: list[int]):
    for number, cells in rows:
        first = cells[0] if cells else None
        if first.__class__ is float or first.__class__ is int:
            pass  # a 序号: the common case, decided without looking further
        elif first.__class__ is str and first and not first[0].isspace():
            if first.startswith(FOOTNOTES) and all(map(_blank_cell, cells[1:])):
                continue
        elif all(map(_blank_cell, cells)):
            continue
        elif first.__class__ is str and first.lstrip().startswith(FOOTNOTES) and all(map(_blank_cell, cells[1:])):
            continue
        if len(cells) < width:
            cells = list(cells) + [None] * (width - len(cells))
        if (_blank_cell(cells[probe]) and all(map(_blank_cell, (cells[i] for i in mapped)))
                and all(map(_blank_or_number, cells))):
            continue
        yield number, cells


def validate_chunks(table: Table, fields: Iterable[Field], mapping: dict[str, str],
                    size: int = CHUNK_ROWS) -> Iterator[Chunk]:
    """Convert the table's non-empty rows through the mapped fields' converters, at most size
    rows at a time: each run the table hands over (a piece of a big sheet, as soon as it is
    parsed) is cut into chunks of size rows and what is left."""
    index = {h: i for i, h in reversed(list(enumerate(table.headers)))}
    valid_ids: set = set()
    plan = [(f.key, index[mapping[f.key]], column_converter(f, valid_ids)) for f in fields if f.key in mapping]
    width, mapped = len(table.headers), [i for _, i, _ in plan]
    for run in (run[start:start + size] for run in table.runs for start in range(0, len(run), size)):
        batch = _data_rows(run, width, mapped)
        if not batch:
            continue
        numbers = list(map(_number, batch))
        columns = list(zip(*map(_cells, batch)))
        values: dict[str, list] = {}
        errors: dict[int, list[str]] = {}
        for key, i, convert in plan:
            values[key], problems = convert(columns[i])
            if problems is not None:
                for pos in compress(range(len(problems)), problems):
                    errors.setdefault(pos, []).append(problems[pos])
        yield Chunk(numbers, columns, values, errors)


def validate_rows(table: Table, fields: Iterable[Field], mapping: dict[str, str]) -> Iterator[Row]:
    """Convert every non-empty row of table, one Row at a time (for small files)."""
    width = len(table.headers)
    for chunk in validate_chunks(table, fields, mapping):
        for pos, number in enumerate(chunk.numbers):
            values = {k: col[pos] for k, col in chunk.values.items() if col[pos] is not None}
            yield Row(number, values, chunk.errors.get(pos, []), chunk.cells(pos)[:width])
