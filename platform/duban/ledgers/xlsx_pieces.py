"""Read a big xlsx sheet piece by piece: calamine parses the next piece in a background thread
while the caller works on the rows of the one before.

python-calamine parses a whole sheet before it returns its first row (about a second for 100,000
rows) and it parses without holding the GIL. So the sheet's XML is cut into pieces, each made into
a small uncompressed xlsx of its own (the workbook's parts plus a run of the sheet's rows), and a
thread parses them one after another: the import converts and writes the rows of one piece while
the next is parsed on the other core. At most three pieces are in memory at a time.

Cuts are made in the XML text just before a <row> element. Inside <sheetData> nothing else starts
with "<row" ("<" cannot occur in text or attribute values), and a cut is made only before a row
that carries its number (r="…"), so calamine puts every row where it was. Rows come back numbered
as Excel shows them and aligned to the first piece's leftmost column, as one whole-sheet read
gives them. A sheet that does not look the way this expects is not cut: open() returns None and
the caller reads the file whole.
"""
from __future__ import annotations

import io
import queue
import re
import threading
import zipfile
import zlib
from pathlib import Path
from typing import Iterator

from ..errors import ValidationError
from .xlsx_head import first_visible_sheet

MIN_SHEET_BYTES = 16 << 20  # a sheet whose XML is smaller is read whole (~25k rows of 13 columns)
FIRST_PIECE_BYTES = 1 << 20  # the first piece is small, so that the caller starts early
PIECE_BYTES = 12 << 20  # each later piece: every piece re-reads the shared strings, so not too many
_BLOCK = 1 << 20
_SHEET_DATA = re.compile(rb"<(\w+:)?sheetData\b[^>]*?(/?)>")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*/>")
_NUMBERED = re.compile(rb'\sr="\d+"')  # a row tag that carries its number


def _workbook_part(name: str) -> bool:
    """Whether calamine needs the zip member to read a sheet (not the other sheets, not media)."""
    return (name == "[Content_Types].xml" or name.startswith(("_rels/", "xl/_rels/"))
            or (name.startswith("xl/") and name.count("/") == 1))


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
        self.parts = {i.filename: z.read(i.filename) for i in z.infolist()
                      if i.filename != part and _workbook_part(i.filename)}

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

    def piece(self, body: bytes):
        """The python-calamine sheet of an xlsx holding the workbook's parts and these rows."""
        from python_calamine import CalamineWorkbook

        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as out:
            for name, data in self.parts.items():
                out.writestr(name, data)
            out.writestr(self.part, b"".join((self.prefix, body, self.closing)))
        buf.seek(0)
        return CalamineWorkbook.from_filelike(buf).get_sheet_by_name(self.name)


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
                return _rows(_Sheet(z, *found, stream, head, match))  # the loader thread closes z
            stream.close()
    except (KeyError, ValueError, zipfile.BadZipFile, zlib.error, OSError):
        pass
    z.close()
    return None


class _Loader(threading.Thread):
    """Parses the pieces one after another, at most one ahead of the reader."""

    def __init__(self, sheet: _Sheet):
        super().__init__(name="duban-xlsx-pieces", daemon=True)
        self.sheet = sheet
        self.out: queue.Queue = queue.Queue(maxsize=1)
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            for body in self.sheet.bodies():
                if self.stopping.is_set():
                    return
                self._put(("piece", self.sheet.piece(body)))
            self._put(("done", None))
        except BaseException as e:  # noqa: BLE001 — raised again in the reading thread
            self._put(("error", e))
        finally:
            self.sheet.stream.close()
            self.sheet.z.close()

    def _put(self, item) -> None:
        while not self.stopping.is_set():
            try:
                self.out.put(item, timeout=0.1)
                return
            except queue.Full:
                continue


def _rows(sheet: _Sheet) -> Iterator[tuple[int, list]]:
    from python_calamine import CalamineError

    loader = _Loader(sheet)
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
        loader.stopping.set()
        loader.join()
