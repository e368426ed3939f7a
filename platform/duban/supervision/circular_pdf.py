"""A circular as a PDF in the layout of an official document (公文, after GB/T 9704-2012).

Red 发文机关标志 over the 文号 and a red rule; the title; the body in a serif face with the
first-level headings in a sans face (黑体 in print); the issuing unit and the date at the right.
Fonts: Noto Serif SC from the pylopdf-fonts-zh-cn package (OFL) stands in for 仿宋/小标宋 and
the core's Noto Sans CJK for 黑体. Without the serif package the sans font is used throughout.
WeasyPrint runs with the reports' restricted URL fetcher (reports/pdf.py).
"""
from __future__ import annotations

from pathlib import Path

from flask import current_app, render_template

from ..reports import pdf
from .circulars import paragraphs
from .models import Circular

SERIF_FAMILY = "Duban Serif SC"


def serif_font() -> Path | None:
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:  # pragma: no cover - the dependency is declared; this keeps a broken install usable
        return None
    path = Path(pylopdf_fonts_zh_cn.serif_path()).resolve()
    return path if path.is_file() else None


def render(circular: Circular) -> pdf.RenderedPdf:
    serif = serif_font()
    html = render_template("supervision/circular_pdf.html", c=circular, paragraphs=paragraphs(circular.body))
    css = render_template("supervision/circular_pdf.css", sans_url=pdf.font_url(), sans_family=pdf.FONT_FAMILY,
                          serif_url=serif.as_uri() if serif else pdf.font_url(), serif_family=SERIF_FAMILY,
                          draft=circular.status != "issued")
    return pdf.render_pdf(html, css, current_app.static_folder, fonts=(serif,) if serif else ())


def download_name(circular: Circular) -> str:
    return f"{circular.title}.pdf".replace("/", "-")
