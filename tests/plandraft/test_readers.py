"""Reading plans out of real files: .docx made with python-docx, a text PDF made with WeasyPrint,
an image-only (scanned) PDF, legacy and wrong formats, and text encodings."""
import io
import re

import pytest
from duban.plandraft import PlanError, as_json, draft_from_file, read
from duban.plandraft.scoring import compare

from .seeds import expected, seed_text

TABLE_LINE = re.compile(r"^\s*\t")


def _docx(text: str) -> bytes:
    """A Word document of the plan: paragraphs, and the attachments' tables as real tables."""
    from docx import Document

    doc = Document()
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if "\t" in lines[i]:  # a table copied out of Word: cells on tab-led lines, rows split by blank lines
            rows, row = [], []
            while i < len(lines) and ("\t" in lines[i] or not lines[i].strip() or row and not TABLE_LINE.match(lines[i])
                                      and len(lines[i].strip()) < 30 and not lines[i].strip().startswith(("注", "附件"))):
                line = lines[i]
                if "\t" in line:
                    row.append(line.split("\t", 1)[1].strip("\xa0 "))
                elif not line.strip():
                    if row:
                        rows.append(row)
                    row = []
                else:
                    row[-1] += line.strip()
                i += 1
            if row:
                rows.append(row)
            _table(doc, rows)
            continue
        doc.add_paragraph(lines[i])
        i += 1
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _table(doc, rows):
    """Rows of cells; a header row followed by one starting with empty cells becomes merged cells."""
    rows = [r for r in rows if any(c for c in r)] or [[""]]
    width = max(len(r) for r in rows)
    table = doc.add_table(rows=len(rows), cols=width)
    for r, cells in enumerate(rows):
        for c, value in enumerate(cells):
            table.cell(r, c).text = value
    if len(rows) > 1 and rows[1][0] == "" and len(rows[0]) < width:
        first = rows[0]
        for c in range(len(first) - 1):  # merged down
            table.cell(0, c).merge(table.cell(1, c))
            table.cell(0, c).text = first[c]
        merged = table.cell(0, len(first) - 1).merge(table.cell(0, width - 1))  # merged across
        merged.text = first[-1]


def _pdf(text: str) -> bytes:
    """The plan as a text-layer PDF rendered by WeasyPrint with the bundled CJK font."""
    from html import escape

    import noto_cjk_sans_otc
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    css = CSS(string=f"""@font-face {{ font-family: cjk; src: url(file://{noto_cjk_sans_otc.FONT_PATH}); }}
                         body {{ font-family: cjk; font-size: 11pt; }} p {{ margin: 0 0 .3em; }}""", font_config=fonts)
    body = "".join(f"<p>{escape(line)}</p>" for line in text.split("\n") if line.strip())
    return HTML(string=f'<html lang="zh-CN"><body>{body}</body></html>').write_pdf(stylesheets=[css], font_config=fonts)


def _misses(draft, stem, fields):
    scores = compare(as_json(draft), expected(stem))
    return {f: scores[f].misses + scores[f].extras for f in fields if scores[f].misses or scores[f].extras}


def test_docx_with_the_attachment_tables():
    stem = "002_c7ff4ad1053a34c0"
    draft = draft_from_file("方案.docx", _docx(seed_text(stem)))
    assert not _misses(draft, stem, ("title", "year", "phases", "deadlines", "tasks", "ledger_columns"))
    second = draft["ledgers"][1]["columns"]
    assert [(c["group"], c["label"]) for c in second[-2:]] == [("入户核查结果", "核查结果"), ("入户核查结果", "调查人")]


@pytest.mark.parametrize("stem", ["000_90a7f92d902cf201", "004_736aed071ea21500"])
def test_docx_of_a_plan_without_tables(stem):
    draft = draft_from_file("plan.DOCX", _docx(seed_text(stem)))
    assert not _misses(draft, stem, ("title", "doc_number", "phases", "deadlines", "tasks", "responsible"))


@pytest.mark.parametrize("stem", ["000_90a7f92d902cf201", "003_c2d391277ba601fd", "004_736aed071ea21500"])
def test_text_layer_pdf(stem):
    data = _pdf(seed_text(stem))
    assert data.startswith(b"%PDF")
    draft = draft_from_file("方案.pdf", data)
    assert not _misses(draft, stem, ("title", "year", "phases", "deadlines", "tasks"))


def test_scanned_pdf_without_text_is_refused():
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 1100), "white")
    ImageDraw.Draw(image).rectangle((100, 100, 700, 160), fill="black")  # a "line of print", as pixels
    buf = io.BytesIO()
    image.save(buf, "PDF", resolution=100)
    with pytest.raises(PlanError, match="没有可提取的文字.*扫描件"):
        read("扫描件.pdf", buf.getvalue())


@pytest.mark.parametrize("name, data, message", [
    ("空.txt", b"", "文件是空的"),
    ("旧版.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "旧版 Word"),
    ("照片.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "图片"),
    ("表格.xlsx", b"PK\x03\x04" + b"\x00" * 100, "无法识别该文件"),
    ("坏.pdf", b"%PDF-1.4\n garbage", "已损坏|没有可提取的文字"),
    ("坏.docx", b"PK\x03\x04 not really a zip", "无法识别该文件"),
    ("二进制.bin", b"\x01\x02\x00\x03" * 50, "不是文本文件"),
])
def test_wrong_files_give_a_clear_message(name, data, message):
    with pytest.raises(PlanError, match=message):
        read(name, data)


def test_text_encodings():
    text = "某县工作方案\n一、进度安排\n（一）部署阶段（2022年6月）。部署。"
    for data in (text.encode("utf-8"), text.encode("utf-8-sig"), text.encode("gb18030"), text.encode("utf-16")):
        assert read("方案.txt", data) == text
    draft = draft_from_file("方案.txt", text.encode("gb18030"))
    assert draft["phases"][0]["name"] == "部署阶段"
