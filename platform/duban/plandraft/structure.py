"""The outline of a plan: numbered headings 一、 → （一） → 1. → （1）, each with its paragraphs."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .text import Document, squash

_MARKERS = (
    (1, re.compile(r"^\s*(?P<n>[一二三四五六七八九十]{1,3})\s*[、.．]\s*")),
    (2, re.compile(r"^\s*[（(]\s*(?P<n>[一二三四五六七八九十]{1,3})\s*[)）]\s*")),
    (3, re.compile(r"^\s*(?P<n>\d{1,2})\s*[.．、](?!\d{1,2}(?:\.\d|万|%))\s*")),
    (4, re.compile(r"^\s*[（(]\s*(?P<n>\d{1,2})\s*[)）]\s*")),
)
# Where the body ends: the attachments, the copy-to line.
_TAIL = re.compile(r"^\s*(?:附件\s*\d*\s*[:：]?|附\s*[:：]|抄送\s*[:：])")
TITLE_MAX = 40


@dataclass
class Section:
    level: int
    number: str
    title: str
    para: int                   # paragraph of the heading
    body: str                   # the heading paragraph without its marker
    paras: list[int] = field(default_factory=list)   # own paragraphs, heading included
    children: list[Section] = field(default_factory=list)

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    def all_paras(self) -> list[int]:
        return sorted(p for s in self.walk() for p in s.paras)


def heading(text: str) -> tuple[int, str, str] | None:
    """(level, number, rest) when text starts with a numbering marker."""
    for level, rx in _MARKERS:
        m = rx.match(text)
        if m and m.end() < len(text):
            return level, m["n"], text[m.end():]
    return None


def short_title(rest: str, limit: int = TITLE_MAX) -> str:
    """A heading's title: its first sentence when short, else its first clause."""
    rest = squash(rest)
    m = re.match(r"^(.+?)(?:[。；;！？!?]|$)", rest)
    first = m.group(1) if m else rest
    first = first.rstrip("：:")
    if len(first) <= limit:
        return first
    clause = re.split(r"[，,：:]", first, maxsplit=1)[0]
    return clause[:limit]


def tail_start(doc: Document) -> int:
    """Index of the first paragraph after the body (attachments, 抄送), or len(paragraphs)."""
    seen_body = False
    for p in doc.paragraphs:
        if heading(p.text) and heading(p.text)[0] == 1:
            seen_body = True
        if seen_body and _TAIL.match(p.text):
            return p.id
    return len(doc.paragraphs)


def outline(doc: Document) -> list[Section]:
    """The top-level sections, each with nested children; paragraphs before 一、 are left out."""
    top: list[Section] = []
    stack: list[Section] = []
    end = tail_start(doc)
    for p in doc.paragraphs[:end]:
        h = heading(p.text)
        # A level-1 marker only counts as a heading when it is a short line or ends its sentence.
        if h and h[0] == 1 and len(p.text) > 60 and "。" not in p.text[:60]:
            h = None
        if h and (h[0] > 1 and not top):
            h = None  # numbered lines before the body (e.g. a list in the notice)
        if h:
            level, number, rest = h
            sec = Section(level, number, short_title(rest), p.id, squash(rest), [p.id])
            while stack and stack[-1].level >= level:
                stack.pop()
            (stack[-1].children if stack else top).append(sec)
            stack.append(sec)
        elif stack:
            stack[-1].paras.append(p.id)
    return top


def find_sections(sections: list[Section], pattern: re.Pattern, level: int = 1) -> list[Section]:
    return [s for top in sections for s in top.walk() if s.level == level and pattern.search(s.title)]
