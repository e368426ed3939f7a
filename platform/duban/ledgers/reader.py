"""Read an uploaded xlsx or csv file row by row, refusing what would blow up memory.

xlsx is read with python-calamine (the fastest reader measured here); before parsing, the zip's
declared uncompressed size is checked, so a zip bomb is refused without being inflated. csv is
decoded as UTF-8 (with or without BOM) or, failing that, GB18030 (what Excel in China writes).
"""
from __future__ import annotations

import codecs
import csv
import zipfile
import zlib
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Iterator

from ..errors import ValidationError
from .xlsx_head import head_rows
from .xlsx_pieces import open_runs

DEFAULT_MAX_UNZIPPED = 400 * 1024 * 1024  # 100k rows × 13 columns expand to ~60-70 MB
HEADER_SCAN_ROWS = 12
BROKEN_ZIP = "文件已损坏，无法作为Excel（xlsx）读取"
RUN_ROWS = 5000  # rows read one by one (csv, a small sheet) are handed on in runs of this many

Runs = Iterator[list[tuple[int, list]]]


@dataclass
class Table:
    """A file's header row and the rows after it, numbered as Excel shows them, in runs: a big
    sheet's as each piece is parsed (xlsx_pieces), others RUN_ROWS at a time."""

    kind: str  # "xlsx" | "csv"
    header_row: int
    headers: list[str]
    runs: Runs
    source: Runs | None = None  # what runs reads on from, closed with it

    def close(self) -> None:
        """Stop reading: a big sheet's parsing threads (xlsx_pieces) end with it."""
        self.runs.close()
        if self.source is not None:
            self.source.close()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def file_kind(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError("这是旧版Excel（.xls）文件，请在Excel中“另存为”.xlsx格式后再导入")
    return "csv"


def check_zip(path: Path, max_unzipped: int = DEFAULT_MAX_UNZIPPED) -> None:
    """Refuse a zip that is broken, encrypted or would expand beyond max_unzipped bytes."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except zipfile.BadZipFile:
        raise ValidationError(BROKEN_ZIP) from None
    if any(i.flag_bits & 0x1 for i in infos):
        raise ValidationError("文件已加密，请取消密码保护后再导入")
    total = sum(i.file_size for i in infos)
    if total > max_unzipped:
        raise ValidationError(f"文件解压后超过{max_unzipped // (1024 * 1024)}MB，请拆分成多个文件分批导入")
    if not any(i.filename.startswith("xl/worksheets/") for i in infos):
        raise ValidationError("文件不是有效的Excel（xlsx）工作簿")


def _in_runs(rows: Iterator[tuple[int, list]]) -> Runs:
    while run := list(islice(rows, RUN_ROWS)):
        yield run


def _xlsx_runs(path: Path) -> Runs:
    """Runs of (row number, cells) of the first visible sheet: a big sheet's a piece at a time
    (xlsx_pieces), so that the caller works on its first rows while the rest is parsed; a small
    one read whole. calamine's and zip's errors, from either way, are worded here for the user."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        pieces = open_runs(path)
        if pieces is not None:
            yield from pieces
            return
        wb = CalamineWorkbook.from_path(str(path))
        visible = [m.name for m in wb.sheets_metadata if str(m.visible).endswith("Visible")] or wb.sheet_names
        sheet = wb.get_sheet_by_name(visible[0])
        yield from _in_runs(enumerate(sheet.iter_rows(), start=1))
    except CalamineError as e:
        raise ValidationError(f"无法读取Excel文件：{e}") from None
    except (zipfile.BadZipFile, zlib.error):
        raise ValidationError(BROKEN_ZIP) from None


def _csv_rows(path: Path) -> Iterator[list]:
    with open(path, "rb") as fh:
        sample = fh.read(1 << 16)
    encoding = "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        encoding = "gb18030"
    with open(path, encoding=encoding, newline="") as fh:
        try:
            dialect = csv.Sniffer().sniff(fh.read(4096), delimiters=",\t;")
        except csv.Error:
            dialect = csv.excel
        fh.seek(0)
        try:
            yield from csv.reader(fh, dialect)
        except (UnicodeDecodeError, csv.Error) as e:
            raise ValidationError(f"CSV文件无法读取（{type(e).__name__}），请另存为UTF-8编码的CSV或xlsx") from None


def header_text(value) -> str:
    """A header cell as comparable text: no whitespace or line breaks (“家庭\\n人口” → “家庭人口”)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "".join(str(value).split())


def _header(scanned: list[tuple[int, list]], score_header) -> tuple[int, list[str], int]:
    """(row number, headers, index of the first data row in scanned): among the scanned rows, the one
    score_header(headers) rates highest (title rows above the header, as official forms have, are skipped)."""
    candidates = [(score_header([header_text(c) for c in row]), -i, i) for i, (_, row) in enumerate(scanned)
                  if any(header_text(c) for c in row)]
    if not candidates:
        raise ValidationError("文件是空的，没有找到表头和数据")
    _, _, best = max(candidates)
    header_number, header_cells = scanned[best]
    headers = [header_text(c) for c in header_cells]
    skip = best + 1
    # A two-row header (a merged group over some columns, 附件2's 入户核查结果): the row below names
    # the grouped columns; it takes their place when every cell it has names a field.
    if skip < len(scanned):
        below = [header_text(c) for c in scanned[skip][1]]
        filled = [i for i, h in enumerate(below) if h]
        if filled and score_header(below) == len(filled):
            headers += [""] * (len(below) - len(headers))
            for i in filled:
                headers[i] = below[i]
            skip += 1
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise ValidationError("没有找到表头行")
    return header_number, headers, skip


def open_table(path: Path, score_header, *, max_unzipped: int = DEFAULT_MAX_UNZIPPED) -> Table:
    """Open path, find its header row and return the table with an iterator over the rows below it."""
    path = Path(path)
    kind = file_kind(path)
    if kind == "xlsx":
        check_zip(path, max_unzipped)
        runs = _xlsx_runs(path)
    else:
        runs = _in_runs(enumerate(_csv_rows(path), start=1))
    scanned: list[tuple[int, list]] = []
    left: list[tuple[int, list]] = []  # the rest of the run the scan stopped in
    try:
        for run in runs:
            wanted = HEADER_SCAN_ROWS - len(scanned)
            scanned += run[:wanted]
            left = run[wanted:]
            if len(scanned) >= HEADER_SCAN_ROWS:
                break
        header_number, headers, skip = _header(scanned, score_header)
    except BaseException:
        runs.close()
        raise

    def rest() -> Runs:
        if scanned[skip:] or left:
            yield scanned[skip:] + left
        yield from runs

    return Table(kind=kind, header_row=header_number, headers=headers, runs=rest(), source=runs)


def peek_header(path: Path, score_header, *, max_unzipped: int = DEFAULT_MAX_UNZIPPED) -> tuple[int, list[str]]:
    """(header row number, headers) of path, reading only the top of an xlsx file where it can
    (xlsx_head); the import itself reads the whole file later and checks it finds the same header."""
    path = Path(path)
    if file_kind(path) == "xlsx":
        check_zip(path, max_unzipped)
        scanned = head_rows(path, HEADER_SCAN_ROWS)
        if scanned is not None:
            number, headers, skip = _header(scanned, score_header)
            if all(isinstance(c, str) for _, row in scanned[:skip] for c in row):
                return number, headers
    with open_table(path, score_header, max_unzipped=max_unzipped) as table:
        return table.header_row, table.headers


def same_header(a: list[str], b: list[str]) -> bool:
    """Whether two readings of a header name the same columns in the same order (the quick reading
    of the top of a file may start a column further left than the whole-file one)."""
    return [h for h in a if h] == [h for h in b if h]


def sniff_upload(data: bytes) -> None:
    """Reject obviously wrong uploads (images, PDFs, binaries) before they are stored."""
    if data.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        raise ValidationError("请上传Excel（xlsx）或CSV文件")
    if not data.startswith(b"PK\x03\x04") and b"\x00" in data[:4096] and not data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ValidationError("请上传Excel（xlsx）或CSV文件")

