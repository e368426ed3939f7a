"""The plan's text: cleaning, paragraphs (with page-break repair) and sentences with offsets.

Everything the extractor finds points back at a :class:`Sentence` of :class:`Document`, whose
``start``/``end`` are offsets into ``Document.text`` (the cleaned text shown beside the draft).
Matching runs on ``Document.norm``, a same-length copy with full-width digits, letters and
punctuation folded to ASCII, so an offset found in ``norm`` is valid in ``text``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# Full-width → ASCII for matching only (one character to one character, so offsets survive).
_FOLD = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９．％－：；，（）［］～"}
_FOLD.update({ord(c): ord(c) - 0xFEE0 for c in map(chr, range(0xFF21, 0xFF3B))})
_FOLD.update({ord(c): ord(c) - 0xFEE0 for c in map(chr, range(0xFF41, 0xFF5B))})
_FOLD.update({ord("\u3000"): ord(" "), ord("\xa0"): ord(" "), ord("—"): ord("-"),
              ord("–"): ord("-"), ord("－"): ord("-"), ord("〜"): ord("~")})

TERMINAL = "。；;！!？?"
# A paragraph that ends with none of these (and not with a colon) was probably cut by a page break.
_ENDS_COMPLETE = TERMINAL + "：:”\"』」"
HEADING = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,3}\s*[、.．]|[（(]\s*[一二三四五六七八九十]{1,3}\s*[)）]|\d{1,2}\s*[.．、]"
    r"|[（(]\s*\d{1,2}\s*[)）]|第[一二三四五六七八九十]{1,3}[阶部章条]|附件|附\s*[:：]|抄送|注\s*[:：])")
_OPEN, _CLOSE = "（(《“〔[", "）)》”〕]"


def fold(text: str) -> str:
    """Return text with full-width forms folded to ASCII, same length."""
    return text.translate(_FOLD)


def squash(text: str) -> str:
    """Collapse whitespace: none between CJK characters, one space elsewhere."""
    text = re.sub(r"\s+", " ", text.replace("\xa0", " ").replace("\u3000", " ")).strip()
    return re.sub(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])", "", text)


def clean(raw: str) -> str:
    """Normalise line ends and invisible characters; keep tabs (table cells) and layout."""
    text = raw.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "").replace("\u200b", "")
    text = text.replace("\x0c", "\n\n")
    lines = [line.rstrip(" \u3000\xa0") for line in text.split("\n")]
    return "\n".join(lines).strip("\n")


@dataclass
class Sentence:
    id: int
    start: int
    end: int
    text: str       # squashed, for display and matching
    para: int       # index of its paragraph


@dataclass
class Paragraph:
    id: int
    start: int
    end: int
    text: str       # squashed
    sentences: list[Sentence] = field(default_factory=list)


@dataclass
class Document:
    text: str
    norm: str
    paragraphs: list[Paragraph]
    sentences: list[Sentence]

    def sentence_at(self, offset: int) -> Sentence | None:
        for s in self.sentences:
            if s.start <= offset < s.end:
                return s
        return None


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
    return depth <= 0


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every non-blank line."""
    out, pos = [], 0
    for line in text.split("\n"):
        if line.strip(" \t\xa0\u3000"):
            lead = len(line) - len(line.lstrip(" \t\xa0\u3000"))
            out.append((pos + lead, pos + len(line)))
        pos += len(line) + 1
    return out


def _is_cell(text: str, start: int) -> bool:
    """A tab-led line: a table cell copied from a document."""
    line_start = text.rfind("\n", 0, start) + 1
    return "\t" in text[line_start:start]


def paragraphs(text: str, body_from: int = 0) -> list[tuple[int, int]]:
    """Group lines into paragraphs; after body_from, rejoin lines split by page breaks."""
    out: list[list[int]] = []
    for start, end in _lines(text):
        line = squash(text[start:end])
        if out and start >= body_from and not _is_cell(text, start):
            prev = squash(text[out[-1][0]:out[-1][1]])
            cut = (prev and prev[-1] not in _ENDS_COMPLETE and not HEADING.match(line)
                   and len(prev) > 25 and not _is_cell(text, out[-1][0]))
            if cut or not _balanced(prev):
                out[-1][1] = end
                continue
        out.append([start, end])
    return [(s, e) for s, e in out]


_SPLIT = re.compile(r"[。；;！!？?]+[”’」』)）]?")


def sentences_of(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split text[start:end] after 。；！？ (outside brackets)."""
    out, pos, depth = [], start, 0
    i = start
    while i < end:
        ch = text[i]
        if ch in "（(《〔[":
            depth += 1
        elif ch in "）)》〕]":
            depth = max(0, depth - 1)
        if depth == 0 and ch in TERMINAL:
            j = i + 1
            while j < end and text[j] in TERMINAL + "”’」』":
                j += 1
            out.append((pos, j))
            pos = i = j
            continue
        i += 1
    if pos < end and text[pos:end].strip():
        out.append((pos, end))
    # Trim leading whitespace of each piece.
    trimmed = []
    for s, e in out:
        while s < e and text[s] in " \t\n\xa0\u3000":
            s += 1
        if s < e:
            trimmed.append((s, e))
    return trimmed


def body_start(text: str) -> int:
    """Offset of the first top-level heading (一、…), where the plan's body begins."""
    m = re.search(r"(?m)^[ \t\xa0\u3000]*[一二三四五六七八九十]{1,3}\s*[、.．]", text)
    return m.start() if m else 0


def document(raw: str) -> Document:
    text = clean(raw)
    norm = fold(text)
    paras, sents = [], []
    for pid, (ps, pe) in enumerate(paragraphs(norm, body_start(norm))):
        para = Paragraph(pid, ps, pe, squash(text[ps:pe]))
        for ss, se in sentences_of(norm, ps, pe):
            s = Sentence(len(sents), ss, se, squash(text[ss:se]), pid)
            para.sentences.append(s)
            sents.append(s)
        paras.append(para)
    return Document(text=text, norm=norm, paragraphs=paras, sentences=sents)
