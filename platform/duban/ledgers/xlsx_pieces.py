"""Read a big xlsx sheet piece by piece: calamine parses the next piece in a background thread
while the caller works on the rows of the one before.

python-calamine parses a whole sheet before it returns its first row (about a second for 100,000
rows) and it parses without holding the GIL. So the sheet's XML is cut into pieces and calamine
parses them one after another in a thread, while the import converts and writes the rows of the
piece before on the other core.

The pieces grow: the first is FIRST_PIECE_BYTES (~600 rows), each next one twice as big up to
PIECE_BYTES (~9k rows), so the caller starts within ~15 ms and then, while it works on a piece,
the next one, twice as big, is parsed in about the same time. Each piece is handed over as a run
of rows as soon as it is parsed (open_runs), and the import converts and writes it at once.

The pieces are stored as sheets of temporary workbooks, each a copy of the file's own parts
(styles, shared strings) with the pieces added as extra sheets. Opening a workbook parses its
shared strings — for a file saved by Excel or WPS that is every text it holds, tens of
milliseconds — so the growing pieces get a workbook each holding only the start of the table they
use (Excel and WPS number the strings in order of first use; first_strings), and the later pieces
share a few workbooks of GROWTH times as many pieces each time, with the whole table, parsed
twice for a 100k-row file. One thread writes the next workbook while another parses the sheets of
the current one.

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
FIRST_PIECE_BYTES = 256 << 10  # the first piece is small, so that the caller starts early; each next is twice as big
PIECE_BYTES = 4 << 20  # … up to this (~6k rows of 13 columns): the last piece is the caller's tail alone
GROWTH = 4  # after the growing pieces, each workbook holds this many times the pieces of the one before
PARSED_AHEAD = 4  # parsed pieces waiting for the reader at most (the growing ones, or up to 4 × PIECE_BYTES of XML)
_BLOCK = 64 << 10  # the least read from the sheet at a time
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
_SHARED_CELL = re.compile(rb't="s"[^>]*>\s*<(?:\w+:)?v>\s*(\d+)\s*<')  # a cell's index into the table
TAIL_BYTES = 64 << 10  # the end of a piece whose cells' shared strings decide where the table is cut
_MISSING_STRING = "shared strings"  # in calamine's error for a cell whose string is not in the table


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
        self._head: _StringsHead | None = None
        book, rels = self.parts.get(WORKBOOK, b""), self.parts.get(WORKBOOK_RELS, b"")
        self.sheets_end, self.rels_end = _SHEETS_END.search(book), _RELS_END.search(rels)
        self.rel_prefix = _REL_PREFIX.search(book)
        if self.sheets_end is None or self.rels_end is None or self.rel_prefix is None:
            raise ValueError("a workbook laid out otherwise")  # read whole
        self.has_strings = SHARED_STRINGS in self.parts
        self.cut_strings = self.has_strings and b'"sharedStrings.xml"' in rels  # cleared once cutting fails
        self.target = FIRST_PIECE_BYTES  # the size of the piece bodies() gathers next

    def bodies(self) -> Iterator[bytes]:
        """Runs of whole <row> elements: the first about FIRST_PIECE_BYTES, each next one twice as
        big up to PIECE_BYTES (self.target: the size of the one being gathered)."""
        pending = bytearray(self.rest)
        searched = 0
        while True:
            end = pending.find(self.close_tag, max(0, searched - len(self.close_tag)))
            if end >= 0:
                yield bytes(memoryview(pending)[:end])
                return
            searched = len(pending)
            if len(pending) >= self.target:
                cut = self._cut(pending)
                if cut > 0:
                    piece = bytes(memoryview(pending)[:cut])
                    del pending[:cut]
                    searched = len(pending)
                    self.target = min(2 * self.target, PIECE_BYTES)
                    yield piece
            # Reads as big as what the piece lacks: each read takes the GIL back a few times, and
            # in a busy process each time can mean waiting for the other thread's slice.
            block = self.stream.read(max(self.target - len(pending), _BLOCK))
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
                       few_strings: bool = False) -> tuple[str, list[str], bool] | None:
        """Write a temporary xlsx holding the workbook's parts and the given runs of rows, each as a
        sheet of its own (the first in the sheet's own place); (its path, the sheets' names,
        whether its shared strings were cut short), or None when bodies gives nothing. With
        few_strings, the shared-strings table is cut after the strings the rows seem to use
        (first_strings)."""
        fd, path = tempfile.mkstemp(prefix="duban-pieces-", suffix=".xlsx")
        names: list[str] = []
        body, cut = b"", False
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
                for name, data in self.parts.items():
                    if name == WORKBOOK:
                        data = self._listing_sheets(data, len(names))
                    elif name == WORKBOOK_RELS:
                        data = self._relating_sheets(data, len(names))
                    elif name == SHARED_STRINGS:
                        data = self.first_strings(body) if few_strings else self.strings()
                        cut = data is not self._strings
                    out.writestr(name, data)
        except BaseException:
            os.unlink(path)
            raise
        if not names or stopping.is_set():
            os.unlink(path)
            return None
        return path, names, cut

    def strings(self) -> bytes:
        """The whole shared-strings table (read once)."""
        if self._strings is None:
            self._strings = self.z.read(SHARED_STRINGS)
        return self._strings

    def first_strings(self, body: bytes) -> bytes:
        """The shared-strings table up to the last string the rows of body seem to use, read only
        that far; whole when that is most of it.

        Excel and WPS number the strings in order of first use, so the rows at the end of the
        body use the strings of highest number: their numbers decide where the table is cut
        (looking at every cell took tens of milliseconds of the GIL a piece). Where a file's
        strings come in another order, calamine finds a number beyond the cut table and the
        loader opens that workbook again with the whole table (_Loader.with_all_strings)."""
        tail = body[-TAIL_BYTES:]
        used = _SHARED_CELL.findall(tail)
        if not self.cut_strings or len(used) != tail.count(b't="s"') or (not used and b't="s"' in body):
            return self.strings()  # no number read at the end, or a cell written otherwise: every string
        if self._head is None:
            self._head = _StringsHead(self.z)
        table = self._head.upto(max(map(int, used), default=-1) + 1)
        if table is None:  # it uses most of them: so will the next pieces
            self.cut_strings = False
            self._head.close()
            return self.strings()
        return table

    def close(self) -> None:
        if self._head is not None:
            self._head.close()
        self.stream.close()
        self.z.close()

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


class _StringsHead:
    """The start of a shared-strings table, read on only as far as the workbooks of pieces need
    (each needs at least as much as the one before), in blocks twice as big each time, with where
    each string starts."""

    def __init__(self, z: zipfile.ZipFile):
        self.size = z.getinfo(SHARED_STRINGS).file_size
        self.stream = z.open(SHARED_STRINGS)
        self.head = bytearray()
        self.starts: list[int] = []  # where each <si> found so far starts
        self.item: re.Pattern | None = None
        self.ns, self.at = b"", 0

    def upto(self, needed: int) -> bytes | None:
        """The table with only its first needed strings, or None when they are most of it (or
        the table is laid out otherwise)."""
        while len(self.starts) <= needed:
            if len(self.head) > self.size // 2:
                return None
            block = self.stream.read(max(len(self.head), 1 << 16))
            if not block:
                return None
            self.head += block
            if self.item is None:
                root = _SST_ROOT.search(self.head)
                if root is None or root.group(0).endswith(b"/>"):
                    return None
                self.ns, self.at = root.group(1) or b"", root.end()
                self.item = re.compile(rb"<" + re.escape(self.ns) + rb"si[\s/>]")
            for m in self.item.finditer(self.head, self.at):
                self.starts.append(m.start())
                self.at = m.end()
        cut = self.starts[needed]
        if cut > self.size // 2:
            return None
        return bytes(self.head[:cut]) + b"</" + self.ns + b"sst>"

    def close(self) -> None:
        self.stream.close()
        self.head = bytearray()


def open_rows(path: Path) -> Iterator[tuple[int, list]] | None:
    """(row number, cells) of the first visible sheet read in pieces, or None when it is better
    read whole (a small sheet, or one not laid out as expected)."""
    runs = open_runs(path)
    return None if runs is None else _each_row(runs)


def _each_row(runs: Iterator[list]) -> Iterator[tuple[int, list]]:
    try:
        for run in runs:
            yield from run
    finally:
        runs.close()


def open_runs(path: Path) -> Iterator[list[tuple[int, list]]] | None:
    """The rows of the first visible sheet read in pieces, as runs of (row number, cells): one
    run a piece, handed over as soon as it is parsed; or None when the sheet is better read whole
    (a small sheet, or one not laid out as expected). A piece that cannot be read raises calamine's
    or zip's error as it came (reader.open_table words it for the user)."""
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
                return _runs(sheet)  # the writing thread closes z
            stream.close()
    except (KeyError, ValueError, zipfile.BadZipFile, zlib.error, OSError):
        pass
    z.close()
    return None


class _Stage(threading.Thread):
    """A background step: work() hands its results to the next step through a queue of `ahead`, and
    an error on the way is handed on too (to be raised in the reading thread)."""

    def __init__(self, name: str, stopping: threading.Event, ahead: int = 1):
        super().__init__(name=name, daemon=True)
        self.stopping = stopping
        self.out: queue.Queue = queue.Queue(maxsize=ahead)

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
    """Cuts the sheet into pieces and writes them into workbooks: one piece each while the pieces
    grow (and their shared strings could be cut short), then GROWTH, GROWTH² … pieces."""

    def __init__(self, sheet: _Sheet, stopping: threading.Event):
        super().__init__("duban-xlsx-pieces-writer", stopping)
        self.sheet = sheet

    def work(self) -> None:
        try:
            sheet, count = self.sheet, 1
            bodies = sheet.bodies()
            while not self.stopping.is_set():
                growing = sheet.target < PIECE_BYTES
                book = sheet.write_workbook(islice(bodies, count), self.stopping, few_strings=count == 1)
                if book is None:
                    break
                self.put(("book", book))
                if count > 1 or not growing or (sheet.has_strings and not book[2]):
                    count *= GROWTH
            self.put(("done", None))
        finally:
            self.sheet.close()


class _Loader(_Stage):
    """Opens the workbooks one after another and parses their sheets, up to PARSED_AHEAD ahead of the
    reader: while the import looks up the stored rows before its first chunk (a quarter of a second
    for 100k rows), the first pieces are parsed meanwhile, not one only."""

    def __init__(self, writer: _Writer, stopping: threading.Event):
        super().__init__("duban-xlsx-pieces", stopping, PARSED_AHEAD)
        self.writer = writer

    def work(self) -> None:
        from python_calamine import CalamineWorkbook

        while (item := self.writer.take()) is not None:
            tag, value = item
            if tag != "book":
                self.put(item)
                return
            path, names, cut = value
            try:
                if not self.parse(CalamineWorkbook.from_path(path), path, names, cut):
                    return
            finally:
                os.unlink(path)

    def parse(self, book, path: str, names: list[str], cut: bool) -> bool:
        """Hand on the named sheets of book (the workbook at path) parsed; False once stopping."""
        from python_calamine import CalamineError

        try:
            for name in names:
                if self.stopping.is_set():
                    return False
                try:
                    piece = book.get_sheet_by_name(name)
                except CalamineError as e:
                    if not cut or _MISSING_STRING not in str(e):
                        raise
                    whole, cut = self.with_all_strings(path), False
                    book.close()
                    book = whole
                    piece = book.get_sheet_by_name(name)
                self.put(("piece", piece))
            return True
        finally:
            book.close()

    def with_all_strings(self, path: str):
        """The workbook at path opened again with the whole shared-strings table, read from the
        file itself (the rows used strings beyond the cut); the writer stops cutting it."""
        from python_calamine import CalamineWorkbook

        sheet = self.writer.sheet
        sheet.cut_strings = False
        with zipfile.ZipFile(sheet.z.filename) as source:
            strings = source.read(SHARED_STRINGS)
        fd, again = tempfile.mkstemp(prefix="duban-pieces-", suffix=".xlsx")
        try:
            with zipfile.ZipFile(path) as cut, os.fdopen(fd, "wb") as fh, \
                    zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as out:
                for info in cut.infolist():
                    out.writestr(info.filename, strings if info.filename == SHARED_STRINGS else cut.read(info))
            return CalamineWorkbook.from_path(again)
        finally:
            os.unlink(again)

    def drain(self) -> None:
        """After stopping: remove the workbooks the writer wrote that nobody opened."""
        while True:
            try:
                tag, value = self.writer.out.get_nowait()
            except queue.Empty:
                return
            if tag == "book":
                os.unlink(value[0])


def _runs(sheet: _Sheet) -> Iterator[list[tuple[int, list]]]:
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
                raise value  # as it came: reader._xlsx_runs words calamine's and zip's errors for the user
            rows = value.to_python()
            if not rows:
                continue
            top, col = value.start
            if left is None:
                left = col
                rows[:0] = [[] for _ in range(top)]  # the rows above the first used one, as a whole read has them
                top = 0
            shift = col - left
            if shift > 0:
                rows = [[""] * shift + cells for cells in rows]
            elif shift < 0:
                rows = [cells[-shift:] for cells in rows]
            yield list(zip(range(top + 1, top + 1 + len(rows)), rows))
    finally:
        stopping.set()
        loader.join()
        writer.join()
        loader.drain()
