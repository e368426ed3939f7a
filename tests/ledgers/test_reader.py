"""Reading uploaded tables: the quick look at the top of an xlsx agrees with the whole-file reader,
and cells are converted column by column exactly as one by one."""
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from duban.ledgers import idnumber
from duban.ledgers.cells import Field, converter
from duban.ledgers.mapping import column_converter, header_score, validate_chunks
from duban.ledgers.reader import open_table, peek_header, same_header
from duban.ledgers.xlsx_head import head_rows
from duban.screening.sources import KINDS

from ..screening.helpers import pid

FIELDS = KINDS["medical"].fields
HEADERS = ["序号", "姓名", "身份证号", "年度", "个人自付费用", "乡镇（街道）", "村（居委会）"]
ROWS = [[i, f"人{i}", pid(i), 2021, 100.5 * i, "湖里街道", "金湖社区"] for i in range(1, 30)]


def _xlsxwriter(path: Path, *, constant_memory: bool, title=True, first_col=0, hidden_first=False) -> Path:
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory, "strings_to_numbers": False})
    if hidden_first:
        wb.add_worksheet("说明").write_string(0, 0, "这张表不是数据")
    ws = wb.add_worksheet("数据")
    if hidden_first:
        ws.activate()  # the active sheet cannot be hidden
        wb.worksheets()[0].hide()
    r = 0
    if title:
        ws.write_string(0, first_col, "2021年度医保自付费用明细")
        r = 2  # a blank row between the title and the header
    bold = wb.add_format({"bold": True})
    for c, h in enumerate(HEADERS):
        if c == 1:  # a header cell in rich text, as Excel writes a partly bold cell
            ws.write_rich_string(r, first_col + c, bold, "姓", "名")
        else:
            ws.write_string(r, first_col + c, h)
    for row in ROWS:
        r += 1
        for c, v in enumerate(row):
            ws.write(r, first_col + c, v)
    wb.close()
    return path


def _openpyxl(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in ROWS:
        ws.append(row)
    wb.save(path)
    return path


@pytest.mark.parametrize("make", [
    lambda p: _xlsxwriter(p, constant_memory=False),  # shared strings, as Excel writes them
    lambda p: _xlsxwriter(p, constant_memory=True),  # inline strings
    lambda p: _xlsxwriter(p, constant_memory=False, first_col=2, hidden_first=True),
    lambda p: _xlsxwriter(p, constant_memory=False, title=False),
    _openpyxl,
], ids=["shared-strings", "inline-strings", "offset-hidden-sheet", "no-title", "openpyxl"])
def test_the_quick_look_finds_the_header_the_whole_file_has(tmp_path, make):
    path = make(tmp_path / "f.xlsx")
    assert head_rows(path, 12) is not None  # answered from the top of the file, without calamine
    number, headers = peek_header(path, header_score(FIELDS))
    table = open_table(path, header_score(FIELDS))
    assert number == table.header_row
    assert same_header(headers, table.headers) and [h for h in headers if h] == HEADERS


def test_the_quick_look_gives_way_when_unsure(tmp_path):
    # A number in the header row (a date-formatted one would read differently): the whole file is read.
    wb = xlsxwriter.Workbook(str(tmp_path / "n.xlsx"))
    ws = wb.add_worksheet()
    for c, h in enumerate(["姓名", "身份证号", 2021, "村（居委会）"]):
        ws.write(0, c, h)
    ws.write_row(1, 0, ["张三", pid(1), 5, "金湖社区"])
    wb.close()
    number, headers = peek_header(tmp_path / "n.xlsx", header_score(FIELDS))
    assert (number, headers) == (1, ["姓名", "身份证号", "2021", "村（居委会）"])
    # Not an xlsx at all: None, never an exception.
    (tmp_path / "bad.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    assert head_rows(tmp_path / "bad.xlsx", 12) is None


def test_columns_convert_as_cells_do():
    fields = [Field("n", "人数", "int"), Field("t", "类别", "text"), Field("i", "身份证号", "id_number"),
              Field("a", "金额", "decimal")]
    cells = [1, True, 1.0, 0, False, " 2 ", "x", None, "", 3.5, 2]

    def pairs(result):
        values, problems = result
        return list(zip(values, problems or [None] * len(values)))

    for f in fields:
        one = converter(f)
        column = column_converter(f)
        assert pairs(column(cells)) == [one(c) for c in cells], f.key
        assert pairs(column(list(reversed(cells)))) == [one(c) for c in reversed(cells)], f.key  # remembered cells too
    assert column_converter(fields[0])([True])[1] == ["“人数”应填写整数"]  # True is not the 1 seen before


def test_a_column_of_few_distinct_cells_converts_as_cell_by_cell():
    fields = [Field("n", "人数", "int"), Field("a", "金额", "decimal"), Field("d", "日期", "date"),
              Field("c", "类别", "choice", choices=("低保", "特困")), Field("r", "必填人数", "int", required=True)]
    columns = [[2, 2.0, " 2 ", 3, 1.0, 1, 0, None, ""] * 4,  # numbers equal to 1 and 0, no booleans
               [2, 1, 2, True, 2, 1.0, 2, 0, False, 2] * 2,  # booleans among them: True is not 1
               ["2021-03-05", "2021/3/5", 20210305, "低保"] * 3, ["低保", "特困", "低保", "特困 ", "低保"],
               ["低保", "特困", "低保", "其他"] * 2, [1080.0, "1,080元", 1080.0, "x", 1080.0, 1080.0]]

    for f in fields:
        one = converter(f)
        convert = column_converter(f)
        for cells in columns + columns:  # the second time from what was remembered
            values, problems = convert(cells)
            assert list(zip(values, problems or [None] * len(values))) == [one(c) for c in cells], (f.key, cells)


def test_a_column_of_text_converts_at_once_as_cell_by_cell():
    optional, required = Field("r", "关系", max_length=4), Field("n", "姓名", required=True, max_length=4)
    columns = [[" 本人", "配偶 ", "子女"], ["本人", "", " "], ["本人", None], ["本人", 3.0], ["本人", "五个字太长"]]
    for f in (optional, required):
        one = converter(f)
        for cells in columns:
            values, problems = column_converter(f)(cells)
            assert list(zip(values, problems or [None] * len(values))) == [one(c) for c in cells], (f.key, cells)
    assert column_converter(optional)([" 本人", "配偶 "]) == (["本人", "配偶"], None)
    assert column_converter(required)(["本人", ""])[1] == [None, "缺少“姓名”"]


def test_the_quick_id_check_agrees_with_the_full_one():
    numbers = [pid(n, born) for n in range(40) for born in ("19600101", "20000229", "19991231")]
    numbers += [n[:-1] + ("0" if n[-1] != "0" else "1") for n in numbers]  # wrong check digits
    numbers += ["350206190002290011", "350206" + "1987" + "0230" + "0012", "35020619870101001x", " 350206196001010011"]
    numbers += ["３５０２０６１９６００１０１００１Ｘ", "٣٥٠٢٠٦١٩٦٠٠١٠١٠٠١١", "35020619600101001", "3502061960010100111"]
    for raw in numbers:
        slow = idnumber.normalize(raw)
        why = idnumber.problem(slow) if slow.isascii() else "身份证号只能由17位数字加1位数字或X组成"
        assert idnumber.check(raw) == ((None, why) if why else (slow, None)), raw


def test_a_column_of_valid_ids_is_checked_at_once_as_one_by_one():
    good = [pid(n, born) for n in range(40) for born in ("19600101", "20000229", "19991231")]
    bad = [good[0][:-1] + ("0" if good[0][-1] != "0" else "1"), "350206190002290011", "35020619870230" + "0012",
           "35020619870101001x", " 350206196001010011", "３５０２０６１９６００１０１００１Ｘ", "35020619600101001",
           "٣٥٠٢٠٦١٩٦٠٠١٠١٠٠١١", "3502061960010100a1", 350206196001010011, None, ""]
    assert idnumber.all_valid_as_typed(good)
    for cell in bad:
        column = [*good, cell]
        assert idnumber.all_valid_as_typed(column) is False, cell
        assert not all(isinstance(c, str) and idnumber.check(c) == (c, None) for c in column), cell
    known: set = set()
    assert idnumber.all_valid_as_typed(good, known) and known == set(good)  # a column checked in full is kept
    heads = [good[i - i % 3] for i in range(len(good))]  # the head of each household of three
    for cell in bad:
        assert idnumber.all_valid_as_typed([*heads, cell], known) is False, cell  # the one not known is checked
    assert idnumber.all_valid_as_typed(heads, known) and known == set(good)  # all known: the set is left as it was
    f = Field("i", "身份证号", "id_number")
    assert column_converter(f)(good) == (good, None)
    assert column_converter(f)([good[0], bad[0]]) == ([good[0], None], [None, "身份证号校验位不正确，请核对号码"])


def test_a_column_of_mobile_numbers_is_checked_at_once_as_one_by_one():
    good = ["13800138000", "", "19735562365"]
    for f in (Field("p", "联系电话", "phone"), Field("p", "联系电话", "phone", required=True)):
        one = converter(f)
        for cells in (good, [*good, " "], [*good, "0592-1234567"], [*good, "138001380001"], [*good, "23800138000"],
                      [*good, 13800138000], [*good, None], [*good, "１３８００１３８０００"], ["", ""]):
            values, problems = column_converter(f)(cells)
            assert list(zip(values, problems or [None] * len(values))) == [one(c) for c in cells], (f.required, cells)
    assert idnumber.mobiles_as_typed(good) and not idnumber.mobiles_as_typed([*good, "2380013800"])


def test_validate_chunks_rejects_rows_and_skips_blank_rows_and_notes(tmp_path):
    text = "\n".join(["序号,姓名,身份证号,年度,个人自付费用,村（居委会）", f"1,张三,{pid(1)},2021,100,金湖社区", ",,,,,",
                      f"2,李四,{pid(2)},二〇二一,1e3,金湖社区", "3,,,,,", "4,,,,,",  # the template's numbered rows
                      "5,,,,,,待补充", "注：本表由医保局提供,,,,,"]) + "\n"
    path = tmp_path / "m.csv"
    path.write_text(text, encoding="utf-8")
    table = open_table(path, header_score(FIELDS))
    mapping = {"name": "姓名", "id_number": "身份证号", "year": "年度", "self_paid": "个人自付费用", "village": "村（居委会）"}
    chunks = list(validate_chunks(table, FIELDS, mapping, size=1))
    assert [c.numbers for c in chunks] == [[2], [4], [7]]  # row 7 has text: reported, not skipped
    assert chunks[0].values["self_paid"] == [Decimal("100.00")] and not chunks[0].errors
    assert chunks[1].errors == {0: ["“年度”应填写年份（如2021）"]}
    assert chunks[1].values["self_paid"] == [Decimal("1000.00")]



@pytest.mark.parametrize("size", [1, 2, 100])
def test_runs_of_rows_skip_the_same_rows_whatever_their_length(tmp_path, size):
    # The name column first (the probe), so that a note in it must not pass for a name.
    text = "\n".join(["姓名,身份证号,年度,个人自付费用,村（居委会）", f"张三,{pid(1)},2021,100,金湖社区",
                      f"李四,{pid(2)},2021,200,金湖社区", ",,,,", f"王五,{pid(3)},2021,300,金湖社区",
                      f"赵六,{pid(4)},2021", "注：本表由医保局提供,,,,"]) + "\n"
    path = tmp_path / "m.csv"
    path.write_text(text, encoding="utf-8")
    mapping = {"name": "姓名", "id_number": "身份证号", "year": "年度", "self_paid": "个人自付费用", "village": "村（居委会）"}
    with open_table(path, header_score(FIELDS)) as table:
        chunks = list(validate_chunks(table, FIELDS, mapping, size=size))
    assert [n for c in chunks for n in c.numbers] == [2, 3, 5, 6]
    assert [v for c in chunks for v in c.values["name"]] == ["张三", "李四", "王五", "赵六"]
    assert [v for c in chunks for v in c.values["village"]] == ["金湖社区"] * 3 + [None]  # a short row, padded
