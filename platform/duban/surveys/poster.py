"""The A4 poster of one unit's public link, for the village bulletin board (宣传栏): the
campaign's wording, the unit, a QR code of the link (segno, drawn as inline SVG) and the link
as text. Laid out by WeasyPrint with the summary PDF's font set-up and local-only URL fetcher."""
from __future__ import annotations

import io

import segno
from flask import current_app, render_template
from markupsafe import Markup

from ..reports import pdf
from .models import SurveyLink


def qr_svg(url: str) -> Markup:
    """The QR code of url as an inline SVG element (error correction M, 4-module quiet zone)."""
    buf = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buf, kind="svg", xmldecl=False, svgns=True, nl=False,
                                                 border=4, omitsize=True, svgclass="qr", lineclass=None)
    return Markup(buf.getvalue().decode("ascii"))


def poster_html(link: SurveyLink, url: str) -> tuple[str, str]:
    survey = link.survey
    html = render_template("surveys/poster.html", survey=survey, campaign=survey.campaign, unit=link.org_unit,
                           url=url, qr=qr_svg(url))
    css = render_template("surveys/poster.css", font_url=pdf.font_url(), font_family=pdf.FONT_FAMILY)
    return html, css


def render_poster(link: SurveyLink, url: str) -> bytes:
    """Return the poster PDF of link, whose public address is url (one A4 page)."""
    html, css = poster_html(link, url)
    return pdf.render_pdf(html, css, current_app.static_folder).data
