"""Read a plan's text out of an uploaded file: .txt, .docx or a PDF with a text layer.

The kind is told by content, not by the file name. Tables of a .docx come out as tab-led cells,
one row per line, which is how the ledger parser reads the attachments.
"""
from __future__ import annotations

import io
import re
import zipfile

MAX_BYTES = 10 * 1024 * 1024
MAX_CHARS = 100_000
_PAGE_NUMBER = re.compile(r"^[\s\-—–－·]*(?:第\s*)?\d{1,3}(?:\s*页)?(?:\s*/\s*共?\s*\d{1,3}\s*页?)?[\s\-—–－·]*$")


class PlanError(ValueError):
    """The input cannot be drafted from; str(e) is a Chinese message saying what is missing."""


def read_text_bytes(data: bytes) -> str:
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(enc)
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise PlanError("无法识别文本文件的编码，请另存为 UTF-8 编码的 .txt，或上传 .docx / PDF。")


def _cell_text(cell) -> str:
    return "".join(p.text for p in cell.paragraphs).replace("\t", " ").strip()


def read_docx(data: bytes) -> str:
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from docx.text.paragraph import Paragraph
    from lxml.etree import XMLSyntaxError

    try:
        document = Document(io.BytesIO(data))
    except (PackageNotFoundError, XMLSyntaxError, zipfile.BadZipFile, KeyError, ValueError):
        raise PlanError("Word 文档已损坏或不是 .docx 格式，无法读取。") from None
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(block, document).text)
        elif tag == "tbl":
            lines.append("")
            above: list = []  # the row above's cell elements (kept alive, so lxml gives the same proxies)
            for row in Table(block, document).rows:
                seen: list = []
                cells = []
                for cell in row.cells:
                    tc = cell._tc
                    if any(tc is s for s in seen):  # merged across columns: once
                        continue
                    seen.append(tc)
                    # merged down from the row above: an empty cell, as in a copied table
                    cells.append("" if any(tc is a for a in above) else _cell_text(cell))
                above = seen
                lines.append("".join("\t" + c for c in cells))
            lines.append("")
    return "\n".join(lines)


def read_pdf(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise PlanError("PDF 文件已加密，无法读取文字，请上传未加密的文件。")
        pages = [page.extract_text() or "" for page in reader.pages]
    except PlanError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError):
        raise PlanError("PDF 文件已损坏，无法读取。") from None
    text = "\n".join(pages)
    lines = [line for line in text.split("\n") if not _PAGE_NUMBER.match(line)]
    text = "\n".join(lines)
    if len(re.findall(r"[\u4e00-\u9fff]", text)) < 20:
        raise PlanError(f"这份 PDF（{len(pages)} 页）没有可提取的文字，可能是扫描件或图片。"
                        "本系统只在本地读取文字，不做图片识别：请上传带文字层的 PDF、Word 文档（.docx），或直接粘贴方案全文。")
    return text


def _is_docx(data: bytes) -> bool:
    if not data.startswith(b"PK"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "word/document.xml" in z.namelist()
    except zipfile.BadZipFile:
        return False


def read(filename: str, data: bytes) -> str:
    """The text of an uploaded plan. Raises PlanError with a Chinese message."""
    if not data:
        raise PlanError("上传的文件是空的。")
    if len(data) > MAX_BYTES:
        raise PlanError(f"文件过大（超过 {MAX_BYTES // 1024 // 1024} MB），工作方案一般不超过几百 KB。")
    name = (filename or "").lower()
    if data.startswith(b"%PDF"):
        text = read_pdf(data)
    elif _is_docx(data):
        text = read_docx(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0") or name.endswith((".doc", ".wps")):
        raise PlanError("暂不支持旧版 Word（.doc / .wps）文件，请在 Word 或 WPS 中另存为 .docx 后上传。")
    elif data.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*", b"BM")):
        raise PlanError("上传的是图片（扫描件或照片），本系统只在本地读取文字、不做图片识别。"
                        "请上传带文字层的 PDF、Word 文档（.docx），或直接粘贴方案全文。")
    elif data.startswith(b"PK") or name.endswith((".xlsx", ".pptx", ".zip")):
        raise PlanError("无法识别该文件：请上传 .txt、.docx 或 PDF 格式的工作方案。")
    elif b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise PlanError("这不是文本文件、Word 文档或 PDF，无法读取。请上传 .txt、.docx 或 PDF 格式的工作方案。")
    else:
        text = read_text_bytes(data)
    if len(text) > MAX_CHARS:
        raise PlanError(f"文本过长（超过 {MAX_CHARS} 字），请只上传工作方案本身。")
    return text
