"""Charts drawn on the server as inline SVG: no JavaScript, no outside library, and the same
markup works in the browser and in the WeasyPrint PDF (whose @font-face font is named first)."""
from __future__ import annotations

from markupsafe import Markup, escape

from .results import Distribution, UnitRate

FONT = "'Duban CJK', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif"
RED, GREEN, GREY, BLUE, INK = "#b4232c", "#2f7d4f", "#8a96a3", "#2d6cb5", "#1f2933"
WIDTH, LABEL_W, BAR_W, ROW_H = 640, 130, 380, 24


def _short(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _svg(height: int, body: list[str], title: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{escape(title)}" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="{FONT}" font-size="12">'
        f'<title>{escape(title)}</title>{"".join(body)}</svg>')


def rate_chart(rows: list[UnitRate], threshold: int, title: str = "各单位满意率") -> Markup:
    """Horizontal bars: each unit's satisfaction rate, red below the threshold line."""
    top = 22
    height = top + ROW_H * max(1, len(rows)) + 8
    x0 = LABEL_W
    line_x = x0 + BAR_W * threshold / 100
    body = [f'<text x="{x0}" y="14" fill="{GREY}">0%</text>',
            f'<text x="{x0 + BAR_W}" y="14" fill="{GREY}" text-anchor="end">100%</text>']
    for i, row in enumerate(rows):
        y = top + i * ROW_H
        body.append(f'<text x="{LABEL_W - 8}" y="{y + 16}" text-anchor="end" fill="{INK}">'
                    f'{escape(_short(row.unit.name, 9))}</text>')
        body.append(f'<rect x="{x0}" y="{y + 4}" width="{BAR_W}" height="16" fill="#eef1f4"/>')
        pct = row.rate.pct
        if pct is None:
            body.append(f'<text x="{x0 + 6}" y="{y + 16}" fill="{GREY}">暂无答卷</text>')
            continue
        colour = RED if row.below else (GREEN if pct >= threshold else BLUE)
        body.append(f'<rect x="{x0}" y="{y + 4}" width="{BAR_W * pct / 100:.1f}" height="16" fill="{colour}"/>')
        body.append(f'<text x="{x0 + BAR_W + 8}" y="{y + 16}" fill="{INK}">{pct:.1f}%（{row.rate.responses}份）</text>')
    body.append(f'<line x1="{line_x:.1f}" y1="18" x2="{line_x:.1f}" y2="{height - 4}" stroke="{RED}" '
                f'stroke-width="1.5" stroke-dasharray="4 3"/>')
    body.append(f'<text x="{line_x:.1f}" y="14" fill="{RED}" text-anchor="middle">预警线{threshold}%</text>')
    return _svg(height, body, title)


def distribution_chart(d: Distribution) -> Markup:
    """Horizontal bars: the share of respondents choosing each option of one question."""
    top = 4
    height = top + ROW_H * max(1, len(d.options)) + 4
    x0 = LABEL_W + 40
    bar_w = BAR_W - 40
    body = []
    for i, opt in enumerate(d.options):
        y = top + i * ROW_H
        body.append(f'<text x="{x0 - 8}" y="{y + 16}" text-anchor="end" fill="{INK}">{escape(_short(opt.label, 13))}</text>')
        body.append(f'<rect x="{x0}" y="{y + 4}" width="{bar_w}" height="16" fill="#eef1f4"/>')
        if opt.count:
            body.append(f'<rect x="{x0}" y="{y + 4}" width="{bar_w * opt.pct / 100:.1f}" height="16" fill="{BLUE}"/>')
        body.append(f'<text x="{x0 + bar_w + 8}" y="{y + 16}" fill="{INK}">{opt.count}人 {opt.pct:.1f}%</text>')
    return _svg(height, body, d.question.text)
