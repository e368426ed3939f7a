"""Read a big xlsx sheet piece by piece: calamine parses the next piece in a background thread
while the caller works on the rows of the one before.

python-calamine parses a whole sheet before it returns its first row (about a second for 100,000
rows) and it parses without holding the GIL. So the sheet's XML is cut into pieces and calamine
parses them one after another in a thread, while the import converts and writes the rows of the
piece before on the other core.

The pieces are stored as sheets of a few workbooks of growing size (one piece, one piece again,
then GROWTH times as many each time, written to temporary files): each workbook is a copy of the
file's own parts (styles, shared strings) with the pieces added as extra sheets. Opening a
workbook parses its shared strings — for a file saved by Excel or WPS that is every text it holds,
about a sixth of the sheet's parsing — so a few workbooks of many sheets cost little more than one
whole read, where a workbook per piece would parse the shared strings once for every piece. One
thread writes the next workbook while another parses the sheets of the current one.

The caller waits for the first two workbooks: each holds a single piece and only the shared
strings that piece uses, when they come first in the table (Excel and WPS number them in order of
first use). So they open in a few milliseconds where the whole table takes tens of them, and the
caller, done with the small first piece, waits for the second for a few tens of milliseconds, not
the 140 ms that writing, opening and parsing the next four pieces took.

Cuts are made in the XML text just before a <row> element. Inside <sheetData> nothing else starts
with "<row" ("<" cannot occur in text or attribute values), and a cut is made only before a row
that carries its number (r="…"), so calamine puts every row where it was. Rows come back numbered
as Excel shows them and aligned to the first piece's leftmost column, as one whole-sheet read
gives them. A sheet that does not look the way this expects is not cut: open() returns None and
the caller reads the file whole.
"""
from __future__ import annotations

import os
import posixpath
import queue
import re
import tempfile
import threading
import zipfile
import zlib
from itertools import islice
from pathlib import Path
from typing import Iterator

from ..errors import ValidationError
from .xlsx_head import first_visible_sheet

MIN_SHEET_BYTES = 16 << 20  # a sheet whose XML is smaller is read whole (~25k rows of 13 columns)
FIRST_PIECE_BYTES = 1 << 20  # the first piece is small, so that the caller starts early
PIECE_BYTES = 4 << 20  # each later piece (~6k rows of 13 columns): the last one is the caller's tail alone
GROWTH = 4  # from the third on, each workbook holds this many times the pieces of the one before: 1, 1, 4, 16, …
_BLOCK = 1 << 20
_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData\b[^>]*?(/?)>")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*/>")
_NUMBERED = re.compile(rb'\sr="\d+"')  # a row tag that carries its number
_SHEETS_END = re.compile(rb"</(\w+:)?sheets>")
_RELS_END = re.compile(rb"</(\w+:)?Relationships>")
_REL_PREFIX = re.compile(rb'xmlns:(\w+)="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_WORKSHEET = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
WORKBOOK, WORKBOOK_RELS = "xl/workbook.xml", "xl/_rels/workbook.xml.rels"
SHARED_STRINGS = "xl/sharedStrings.xml"
_SST_ROOT = re.compile(rb"<(\w+:)?sst\b[^>]*>")
_SHARED_CELL = re.compile(rb'\st="s"[^>]*>\s*<(?:\w+:)?v>\s*(\d+)\s*<')  # a cell's index into the table


def _workbook_part(name: str) -> bool:
    """Whether calamine needs the zip member to read a sheet (not the other sheets, not media)."""
    return (name == "[Content_Types].xml" or name.startswith(("_rels/", "xl/_rels/"))
            or (name.startswith("xl/") and name.count("/") == 1))


def _piece_name(i: int) -> str:
    return f"[duban piece {i}]"  # Excel allows no brackets in a sheet's name: no clash with the file's own


class _Sheet:
    """What is known about the sheet after reading the start of its XML."""

    def __init__(self, z: zipfile.ZipFile, name: str, part: str, stream, head: bytes, match: re.Match):
        self.z, self.name, self.part, self.stream = z, name, part, stream
        ns = match.group(1) or b""
        self.row_tags = (b"<" + ns + b"row ", b"<" + ns + b"row>")
        self.close_tag = b"</" + ns + b"sheetData>"
        self.prefix = _DIMENSION.sub(b"", head[:match.start()]) + match.group(0)
        self.closing = self.close_tag + b"</" + ns + b"worksheet>"
        self.rest = head[match.end():]
        # The shared strings are read in the writing thread (strings, first_strings), the rest now.
        self.parts = {i.filename: z.read(i.filename) if i.filename != SHARED_STRINGS else None
                      for i in z.infolist() if i.filename != part and _workbook_part(i.filename)}
        self._strings: bytes | None = None
        book, rels = self.parts.get(WORKBOOK, b""), self.parts.get(WORKBOOK_RELS, b"")
        self.sheets_end, self.rels_end = _SHEETS_END.search(book), _RELS_END.search(rels)
        self.rel_prefix = _REL_PREFIX.search(book)
        if self.sheets_end is None or self.rels_end is None or self.rel_prefix is None:
            raise ValueError("a workbook laid out otherwise")  # read whole
        self.cut_strings = SHARED_STRINGS in self.parts and b'"sharedStrings.xml"' in rels

    def bodies(self) -> Iterator[bytes]:
        """Runs of whole <row> elements, the first about FIRST_PIECE_BYTES, then PIECE_BYTES each."""
        pending = bytearray(self.rest)
        target, searched = FIRST_PIECE_BYTES, 0
        while True:
            end = pending.find(self.close_tag, max(0, searched - len(self.close_tag)))
            if end >= 0:
                yield bytes(memoryview(pending)[:end])
                return
            searched = len(pending)
            if len(pending) >= target:
                cut = self._cut(pending)
                if cut > 0:
                    yield bytes(memoryview(pending)[:cut])
                    del pending[:cut]
                    searched = len(pending)
                    target = PIECE_BYTES
            # Reads as big as a piece once the first is out: each read takes the GIL back a few
            # times, and in a busy process each time can mean waiting for the other thread's slice.
            block = self.stream.read(_BLOCK if target == FIRST_PIECE_BYTES else PIECE_BYTES)
            if not block:
                raise ValidationError("Excel文件不完整（工作表数据没有结尾），无法读取")
            pending += block

    def _cut(self, pending: bytearray) -> int:
        """Where the last row that carries its number starts in pending (0: nowhere)."""
        end = len(pending)
        while True:
            at = max(pending.rfind(tag, 0, end) for tag in self.row_tags)
            if at <= 0:
                return 0
            close = pending.find(b">", at)
            if close < 0:  # the tag itself is not complete yet
                end = at
                continue
            if _NUMBERED.search(pending, at, close):
                return at
            end = at

    def write_workbook(self, bodies: Iterator[bytes], stopping: threading.Event, *,
                       few_strings: bool = False) -> tuple[str, list[str]] | None:
        """Write a temporary xlsx holding the workbook's parts and the given runs of rows, each as a
        sheet of its own (the first in the sheet's own place); (its path, the sheets' names), or
        None when bodies gives nothing. With few_strings, the shared-strings table is cut after
        the last string the rows use (first_strings)."""
        fd, path = tempfile.mkstemp(prefix="duban-pieces-", suffix=".xlsx")
        names: list[str] = []
        written = []
        try:
            with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as out:
                folder = posixpath.dirname(self.part)
                for body in bodies:
                    if stopping.is_set():
                        break
                    i = len(names)
                    out.writestr(self.part if not i else f"{folder}/duban-piece-{i}.xml",
                                 b"".join((self.prefix, body, self.closing)))
                    names.append(self.name if not i else _piece_name(i))
                    if few_strings:
                        written.append(body)
                for name, data in self.parts.items():
                    if name == WORKBOOK:
                        data = self._listing_sheets(data, len(names))
                    elif name == WORKBOOK_RELS:
                        data = self._relating_sheets(data, len(names))
                    elif name == SHARED_STRINGS:
                        data = self.first_strings(written) if few_strings else self.strings()
                    out.writestr(name, data)
        except BaseException:
            os.unlink(path)
            raise
        if not names or stopping.is_set():
            os.unlink(path)
            return None
        return path, names

    def strings(self) -> bytes:
        """The whole shared-strings table (read once)."""
        if self._strings is None:
            self._strings = self.z.read(SHARED_STRINGS)
        return self._strings

    def first_strings(self, bodies: list[bytes]) -> bytes:
        """The shared-strings table up to the last string the rows of bodies use, read only that
        far; whole when that is most of it or when some cell's index cannot be read."""
        used = [m for body in bodies for m in _SHARED_CELL.findall(body)]
        if not self.cut_strings or len(used) != sum(body.count(b' t="s"') for body in bodies):
            return self.strings()  # a shared-string cell written otherwise: keep every string
        needed = max(map(int, used), default=-1) + 1
        size = self.z.getinfo(SHARED_STRINGS).file_size
        with self.z.open(SHARED_STRINGS) as stream:
            table = bytearray(stream.read(1 << 16))
            root = _SST_ROOT.search(table)
            if root is None or root.group(0).endswith(b"/>"):
                return self.strings()
            ns = root.group(1) or b""
            item = re.compile(rb"<" + re.escape(ns) + rb"si[\s/>]")
            at, found = root.end(), 0
            while True:
                for m in item.finditer(table, at):
                    found += 1
                    if found > needed:
                        if m.start() > size // 2:
                            break
                        return bytes(table[:m.start()]) + b"</" + ns + b"sst>"
                    at = m.end()
                else:
                    block = stream.read(1 << 16) if len(table) <= size // 2 else b""
                    if block:
                        table += block
                        continue
                break
        return self.strings()  # it uses most of them

    def _listing_sheets(self, book: bytes, count: int) -> bytes:
        at, ns, r = self.sheets_end.start(), self.sheets_end.group(1) or b"", self.rel_prefix.group(1)
        extra = b"".join(b'<%ssheet name="%s" sheetId="%d" %s:id="rIdDubanPiece%d"/>'
                         % (ns, _piece_name(i).encode(), 100000 + i, r, i) for i in range(1, count))
        return book[:at] + extra + book[at:]

    def _relating_sheets(self, rels: bytes, count: int) -> bytes:
        at, ns = self.rels_end.start(), self.rels_end.group(1) or b""
        folder = posixpath.relpath(posixpath.dirname(self.part), "xl").encode()
        extra = b"".join(b'<%sRelationship Id="rIdDubanPiece%d" Type="%s" Target="%s/duban-piece-%d.xml"/>'
                         % (ns, i, _WORKSHEET, folder, i) for i in range(1, count))
        return rels[:at] + extra + rels[at:]


def open_rows(path: Path) -> Iterator[tuple[int, list]] | None:
    """(row number, cells) of the first visible sheet read in pieces, or None when it is better
    read whole (a small sheet, or one not laid out as expected)."""
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return None
    try:
        found = first_visible_sheet(z)
        if found is not None and found[1] in z.namelist() and z.getinfo(found[1]).file_size >= MIN_SHEET_BYTES:
            stream = z.open(found[1])
            head = stream.read(1 << 16)
            match = _SHEET_DATA.search(head)
            if match is not None and match.group(2) != b"/":
                try:
                    sheet = _Sheet(z, *found, stream, head, match)
                except ValueError:
                    stream.close()
                    raise
                return _rows(sheet)  # the writing thread closes z
            stream.close()
    except (KeyError, ValueError, zipfile.BadZipFile, zlib.error, OSError):
        pass
    z.close()
    return None


class _Stage(threading.Thread):
    """A background step: work() hands its results to the next step through a queue of one, and
    an error on the way is handed on too (to be raised in the reading thread)."""

    def __init__(self, name: str, stopping: threading.Event):
        super().__init__(name=name, daemon=True)
        self.stopping = stopping
        self.out: queue.Queue = queue.Queue(maxsize=1)

    def run(self) -> None:
        try:
            self.work()
        except BaseException as e:  # noqa: BLE001 — raised again in the reading thread
            self.put(("error", e))

    def work(self) -> None:
        raise NotImplementedError

    def put(self, item) -> None:
        while not self.stopping.is_set():
            try:
                self.out.put(item, timeout=0.1)
                return
            except queue.Full:
                continue
        if item[0] == "book":  # nobody will open it
            os.unlink(item[1][0])

    def take(self):
        """The next item of this step, or None once stopping."""
        while not self.stopping.is_set():
            try:
                return self.out.get(timeout=0.1)
            except queue.Empty:
                continue
        return None


class _Writer(_Stage):
    """Cuts the sheet into pieces and writes them into workbooks of 1, 1, GROWTH, GROWTH² … pieces."""

    def __init__(self, sheet: _Sheet, stopping: threading.Event):
        super().__init__("duban-xlsx-pieces-writer", stopping)
        self.sheet = sheet

    def work(self) -> None:
        try:
            bodies, count, written = self.sheet.bodies(), 1, 0
            while not self.stopping.is_set():
                book = self.sheet.write_workbook(islice(bodies, count), self.stopping, few_strings=count == 1)
                if book is None:
                    break
                self.put(("book", book))
                written += 1
                count = 1 if written < 2 else count * GROWTH
            self.put(("done", None))
        finally:
            self.sheet.stream.close()
            self.sheet.z.close()


class _Loader(_Stage):
    """Opens the workbooks one after another and parses their sheets, at most one ahead of the reader."""

    def __init__(self, writer: _Writer, stopping: threading.Event):
        super().__init__("duban-xlsx-pieces", stopping)
        self.writer = writer

    def work(self) -> None:
        from python_calamine import CalamineWorkbook

        while (item := self.writer.take()) is not None:
            tag, value = item
            if tag != "book":
                self.put(item)
                return
            path, names = value
            try:
                book = CalamineWorkbook.from_path(path)
            finally:
                os.unlink(path)
            with book:
                for name in names:
                    if self.stopping.is_set():
                        return
                    self.put(("piece", book.get_sheet_by_name(name)))

    def drain(self) -> None:
        """After stopping: remove the workbooks the writer wrote that nobody opened."""
        while True:
            try:
                tag, value = self.writer.out.get_nowait()
            except queue.Empty:
                return
            if tag == "book":
                os.unlink(value[0])


def _rows(sheet: _Sheet) -> Iterator[tuple[int, list]]:
    from python_calamine import CalamineError

    stopping = threading.Event()
    writer = _Writer(sheet, stopping)
    loader = _Loader(writer, stopping)
    writer.start()
    loader.start()
    left = None  # the first piece's leftmost column: every row is aligned to it
    try:
        while True:
            tag, value = loader.out.get()
            if tag == "done":
                return
            if tag == "error":
                if isinstance(value, CalamineError):
                    raise ValidationError(f"无法读取Excel文件：{value}") from None
                if isinstance(value, (zipfile.BadZipFile, zlib.error)):
                    raise ValidationError("文件已损坏，无法作为Excel（xlsx）读取") from None
                raise value
            rows = value.to_python()
            if not rows:
                continue
            top, col = value.start
            if left is None:
                left = col
                rows[:0] = [[] for _ in range(top)]  # the rows above the first used one, as a whole read has them
                top = 0
            shift = col - left
            for i, cells in enumerate(rows):
                if shift > 0:
                    cells = [""] * shift + cells
                elif shift < 0:
                    cells = cells[-shift:]
                yield top + i + 1, cells
    finally:
        stopping.set()
        loader.join()
        writer.join()
        loader.drain()
