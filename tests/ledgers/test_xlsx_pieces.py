"""A big sheet read in pieces gives exactly the rows one whole-sheet calamine read gives."""
import threading
import time
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from python_calamine import CalamineWorkbook

from duban.errors import ValidationError
from duban.ledgers import xlsx_pieces
from duban.ledgers.reader import open_table

from ..screening.helpers import pid

HEADERS = ["序号", "姓名", "身份证号", "纳入日期", "保障金额", "在册", "村（居委会）"]


def _rows(n: int = 400):
    return [[i, f"人{i}" if i % 7 else f"张\t三{i}", pid(i), date(2021, 1 + i % 12, 1 + i % 28), 100.5 * i,
             i % 3 == 0, "金湖社区"] for i in range(1, n + 1)]


def _xlsxwriter(path: Path, *, constant_memory: bool, first_col: int = 0, blank_column_after: int | None = None,
               rows: int = 400):
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory, "strings_to_numbers": False})
    ws = wb.add_worksheet("花名册")
    dates = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_string(0, first_col, "在保对象花名册")
    for c, h in enumerate(HEADERS):
        ws.write_string(2, first_col + c, h)
    for r, row in enumerate(_rows(rows), start=3):
        for c, v in enumerate(row):
            if blank_column_after is not None and r > blank_column_after and c == 0:
                continue  # the leftmost column is empty further down: those pieces start a column later
            if isinstance(v, date):
                ws.write_datetime(r, first_col + c, v, dates)
            else:
                ws.write(r, first_col + c, v)
    wb.close()
    return path


def _openpyxl(path: Path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in _rows():
        ws.append(row)
    wb.save(path)
    return path


def _rewrite_sheet(path: Path, change) -> Path:
    """path with its first sheet's XML passed through change(bytes) -> bytes."""
    out = path.with_name("changed-" + path.name)
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info.filename, change(data) if info.filename == "xl/worksheets/sheet1.xml" else data)
    return out


@pytest.fixture
def small_pieces(monkeypatch):
    """Cut even a small sheet into many pieces; returns the list of each piece's row count."""
    monkeypatch.setattr(xlsx_pieces, "MIN_SHEET_BYTES", 0)
    monkeypatch.setattr(xlsx_pieces, "FIRST_PIECE_BYTES", 2000)
    monkeypatch.setattr(xlsx_pieces, "PIECE_BYTES", 7000)
    monkeypatch.setattr(xlsx_pieces, "_BLOCK", 1500)
    sizes = []
    real = xlsx_pieces._Sheet.bodies

    def bodies(self):
        for body in real(self):
            sizes.append(body.count(self.row_tags[0]) + body.count(self.row_tags[1]))
            yield body

    monkeypatch.setattr(xlsx_pieces._Sheet, "bodies", bodies)
    return sizes


def _whole(path: Path) -> list[tuple[int, list]]:
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
    return list(enumerate(sheet.iter_rows(), start=1))


def _same(whole, pieces) -> bool:
    def trimmed(cells):
        cells = list(cells)
        while cells and cells[-1] == "":
            cells.pop()
        return cells

    return [(n, trimmed(c)) for n, c in whole] == [(n, trimmed(c)) for n, c in pieces]


@pytest.mark.parametrize("make", [
    lambda p: _xlsxwriter(p, constant_memory=False),  # shared strings, as Excel writes
    lambda p: _xlsxwriter(p, constant_memory=True),  # inline strings
    lambda p: _xlsxwriter(p, constant_memory=False, first_col=2),  # the table starts at column C
    _openpyxl,
], ids=["shared-strings", "inline-strings", "offset", "openpyxl"])
def test_pieces_give_the_rows_of_a_whole_read(tmp_path, small_pieces, make):
    path = make(tmp_path / "名册.xlsx")
    pieces = xlsx_pieces.open_rows(path)
    assert pieces is not None
    got = list(pieces)
    assert len(small_pieces) > 5 and sum(small_pieces) == len([n for n, c in _whole(path) if any(x != "" for x in c)])
    assert _same(_whole(path), got)
    assert got[-1][0] == _whole(path)[-1][0]  # numbered as Excel shows them


def test_a_piece_starting_further_right_is_aligned_to_the_first(tmp_path, small_pieces):
    path = _xlsxwriter(tmp_path / "名册.xlsx", constant_memory=False, blank_column_after=200)
    got = dict(xlsx_pieces.open_rows(path))
    whole = dict(_whole(path))
    assert got[300][:3] == whole[300][:3] == ["", "人297", pid(297)]
    assert _same(sorted(whole.items()), sorted(got.items()))


def test_a_namespace_prefixed_sheet_is_cut_too(tmp_path, small_pieces):
    path = _xlsxwriter(tmp_path / "名册.xlsx", constant_memory=True)

    def prefixed(xml: bytes) -> bytes:
        xml = xml.replace(b'<worksheet xmlns="', b'<x:worksheet xmlns:x="').replace(b"</worksheet>", b"</x:worksheet>")
        for tag in (b"sheetData", b"row", b"c", b"v", b"is", b"t", b"dimension", b"sheetViews", b"sheetView",
                    b"sheetFormatPr", b"pageMargins", b"selection", b"cols", b"col"):
            xml = xml.replace(b"<" + tag + b" ", b"<x:" + tag + b" ").replace(b"<" + tag + b">", b"<x:" + tag + b">")
            xml = xml.replace(b"</" + tag + b">", b"</x:" + tag + b">").replace(b"<" + tag + b"/>", b"<x:" + tag + b"/>")
        return xml

    changed = _rewrite_sheet(path, prefixed)
    assert _same(_whole(changed), list(xlsx_pieces.open_rows(changed)))


def test_rows_without_numbers_are_never_cut_apart(tmp_path, small_pieces):
    import re

    path = _xlsxwriter(tmp_path / "名册.xlsx", constant_memory=True)
    unnumbered = _rewrite_sheet(path, lambda xml: re.sub(rb'(<row\b[^>]*?) r="\d+"', rb"\1", xml))
    whole = _whole(unnumbered)
    assert _same(whole, list(xlsx_pieces.open_rows(unnumbered)))
    assert len(small_pieces) == 1  # nowhere to cut


def test_a_small_sheet_is_read_whole(tmp_path):
    path = _xlsxwriter(tmp_path / "名册.xlsx", constant_memory=False)
    assert xlsx_pieces.open_rows(path) is None
    table = open_table(path, lambda headers: sum(1 for h in headers if h in HEADERS))
    assert table.header_row == 3


def test_a_sheet_cut_short_is_refused(tmp_path, small_pieces):
    path = _xlsxwriter(tmp_path / "名册.xlsx", constant_memory=True)
    broken = _rewrite_sheet(path, lambda xml: xml[: xml.index(b"</sheetData>")])
    with pytest.raises(ValidationError, match="不完整"):
        list(xlsx_pieces.open_rows(broken))


def test_stopping_early_stops_the_parsing_thread(tmp_path, small_pieces, monkeypatch):
    path = _xlsxwriter(tmp_path / "名册.xlsx", constant_memory=False)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(xlsx_pieces.tempfile, "tempdir", str(tmp))
    rows = xlsx_pieces.open_rows(path)
    assert next(rows)[0] == 1
    rows.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("duban-xlsx-pieces")]
    assert not list(tmp.iterdir())  # the workbooks of pieces are gone with them


def test_pieces_are_parsed_ahead_while_the_reader_is_busy_but_not_without_end(tmp_path, small_pieces, monkeypatch):
    """While the import looks up its stored rows, PARSED_AHEAD pieces get parsed, and no more."""
    path = _xlsxwriter(tmp_path / "名册.xlsx", constant_memory=False, rows=1000)
    handed = []
    real = xlsx_pieces._Loader.put

    def put(self, item):
        real(self, item)
        handed.append(item[0])

    monkeypatch.setattr(xlsx_pieces._Loader, "put", put)
    runs = xlsx_pieces.open_runs(path)
    first = next(runs)
    ahead = xlsx_pieces.PARSED_AHEAD
    deadline = time.monotonic() + 10
    while handed.count("piece") < 1 + ahead and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)  # were the loader unbounded, it would go on meanwhile
    assert handed.count("piece") == 1 + ahead < len(small_pieces)
    assert _same(_whole(path), first + [row for run in runs for row in run])


def test_the_pieces_share_a_few_workbooks_and_leave_no_file_behind(tmp_path, small_pieces, monkeypatch):
    path = _xlsxwriter(tmp_path / "名册.xlsx", constant_memory=False, rows=1000)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(xlsx_pieces.tempfile, "tempdir", str(tmp))
    books = []
    real = xlsx_pieces._Sheet.write_workbook

    def write_workbook(self, bodies, stopping, **kw):
        book = real(self, bodies, stopping, **kw)
        if book is not None:
            books.append(len(book[1]))
        return book

    monkeypatch.setattr(xlsx_pieces._Sheet, "write_workbook", write_workbook)
    assert _same(_whole(path), list(xlsx_pieces.open_rows(path)))
    # One piece a workbook while the pieces grow (up to 7,000 bytes), then GROWTH, GROWTH² … pieces
    g = xlsx_pieces.GROWTH
    ones = books.index(g)
    assert ones >= 3 and books[:ones] == [1] * ones and books[ones:-1] == [g, g * g, g ** 3][:len(books) - ones - 1]
    assert sum(books) == len(small_pieces) and books[-1] <= g ** (len(books) - ones)
    assert not list(tmp.iterdir())


def _strings_of_each_workbook(monkeypatch) -> list[int]:
    """The number of shared strings each workbook of pieces holds, as they are written."""
    counts = []
    real = xlsx_pieces._Sheet.write_workbook

    def write_workbook(self, bodies, stopping, **kw):
        book = real(self, bodies, stopping, **kw)
        if book is not None:
            with zipfile.ZipFile(book[0]) as z:
                counts.append(z.read("xl/sharedStrings.xml").count(b"<si>"))
        return book

    monkeypatch.setattr(xlsx_pieces._Sheet, "write_workbook", write_workbook)
    return counts


def test_the_first_workbook_holds_only_the_strings_its_rows_use(tmp_path, small_pieces, monkeypatch):
    path = _xlsxwriter(tmp_path / "名册.xlsx", constant_memory=False, rows=3000)  # the first piece: its first 64 kB
    counts = _strings_of_each_workbook(monkeypatch)
    with zipfile.ZipFile(path) as z:
        everything = z.read("xl/sharedStrings.xml").count(b"<si>")
    assert _same(_whole(path), list(xlsx_pieces.open_rows(path)))
    assert 0 < counts[0] < counts[1] < everything / 2  # the workbooks of one growing piece each
    assert everything in counts and counts[counts.index(everything):] == [everything] * (len(counts) - counts.index(everything))


def _reorder_strings(path: Path, order) -> Path:
    """path with its shared strings stored in another order (order(n) -> new position of each)."""
    import re

    out = path.with_name("reordered-" + path.name)
    with zipfile.ZipFile(path) as src:
        table = src.read("xl/sharedStrings.xml")
        head, body = table.split(b"<si>", 1)
        items = [b"<si>" + x for x in (b"<si>" + body).split(b"<si>")[1:]]
        items[-1] = items[-1].removesuffix(b"</sst>")
        moved = order(len(items))
        placed = [b""] * len(items)
        for old, new in enumerate(moved):
            placed[new] = items[old]
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                data = src.read(info.filename)
                if info.filename == "xl/sharedStrings.xml":
                    data = head + b"".join(placed) + b"</sst>"
                elif info.filename == "xl/worksheets/sheet1.xml":
                    data = re.sub(rb'( t="s"[^>]*><v>)(\d+)<', lambda m: m[1] + str(moved[int(m[2])]).encode() + b"<", data)
                dst.writestr(info.filename, data)
    return out


def test_strings_stored_in_another_order_are_all_kept_where_rows_need_them(tmp_path, small_pieces, monkeypatch):
    path = _xlsxwriter(tmp_path / "名册.xlsx", constant_memory=False)
    reversed_ = _reorder_strings(path, lambda n: [n - 1 - i for i in range(n)])
    assert _same(_whole(path), _whole(reversed_))
    counts = _strings_of_each_workbook(monkeypatch)
    assert _same(_whole(reversed_), list(xlsx_pieces.open_rows(reversed_)))
    assert counts[0] == counts[-1]  # the first rows use the last strings: the whole table is kept


def test_strings_used_early_but_stored_last_are_found_in_the_whole_table(tmp_path, small_pieces, monkeypatch):
    # The title and the headers' strings at the end of the table: the first piece's last rows use
    # low numbers, so its table is cut short, and calamine finds the headers' strings missing.
    path = _xlsxwriter(tmp_path / "名册.xlsx", constant_memory=False, rows=3000)
    moved = _reorder_strings(path, lambda n: [(i - 10) % n for i in range(n)])
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(xlsx_pieces.tempfile, "tempdir", str(tmp))
    monkeypatch.setattr(xlsx_pieces, "TAIL_BYTES", 2000)  # the small first piece's last rows only
    counts = _strings_of_each_workbook(monkeypatch)
    reopened = []
    real = xlsx_pieces._Loader.with_all_strings
    monkeypatch.setattr(xlsx_pieces._Loader, "with_all_strings", lambda self, p: reopened.append(p) or real(self, p))
    assert _same(_whole(moved), list(xlsx_pieces.open_rows(moved)))
    assert counts[0] < counts[-1] and len(reopened) == 1  # the first workbook, opened again with every string
    assert counts[-2:] == [max(counts)] * 2  # the writer no longer cuts (one it wrote before may be cut)
    assert not list(tmp.iterdir())


def test_a_shared_string_cell_written_otherwise_keeps_the_whole_table(tmp_path, small_pieces, monkeypatch):
    path = _xlsxwriter(tmp_path / "名册.xlsx", constant_memory=False)
    spaced = _rewrite_sheet(path, lambda xml: xml.replace(b' t="s"><v>', b' t="s"><!-- --><v>', 3))
    counts = _strings_of_each_workbook(monkeypatch)
    assert _same(_whole(spaced), list(xlsx_pieces.open_rows(spaced)))
    assert counts[0] == counts[-1]


def test_an_import_read_in_pieces_keeps_every_row_and_its_number(tmp_path, small_pieces):
    from duban.ledgers.mapping import header_score, validate_chunks
    from duban.screening.sources import KINDS

    fields = KINDS["recipients"].fields
    path = _xlsxwriter(tmp_path / "名册.xlsx", constant_memory=False)
    table = open_table(path, header_score(fields))
    mapping = {"name": "姓名", "id_number": "身份证号", "village": "村（居委会）", "programme": "序号"}
    chunks = list(validate_chunks(table, fields, mapping, size=64))
    numbers = [n for c in chunks for n in c.numbers]
    assert numbers == list(range(4, 404))
    assert all(c.errors for c in chunks)  # 序号 is no 救助类别: every row is rejected, with its cells
    assert chunks[-1].cells(len(chunks[-1]) - 1)[:3] == [400.0, "人400", pid(400)]
    assert not [t for t in threading.enumerate() if t.name.startswith("duban-xlsx-pieces")]


def test_a_piece_that_cannot_be_inflated_is_refused_in_words_for_the_user(tmp_path, small_pieces):
    """The pieces raise zip's error as it came; open_table words it, as for a file read whole."""
    path = _xlsxwriter(tmp_path / "名册.xlsx", constant_memory=False, rows=1000)
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(path.read_bytes())
    middle = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size // 2
    data[middle:middle + 64] = b"\xff" * 64  # the central directory is intact: only inflating fails
    path.write_bytes(data)
    assert xlsx_pieces.open_runs(path) is not None  # read in pieces
    with pytest.raises(ValidationError, match="文件已损坏"):
        with open_table(path, lambda row: 1) as table:
            for _ in table.runs:
                pass
