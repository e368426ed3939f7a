"""One-off deadlines (X月X日前报送…, 月底前, 年底前, 春节前) and recurring ones (每月10日前, 按季度, 每年至少2次)."""
from __future__ import annotations

import re
from datetime import date

from . import dates, units
from .text import Document, squash

_BEFORE = re.compile(r"^\s*(?:之前|以前|前|为止)")
_AT = re.compile(r"(?:于|在|截至|截止|截止到|截至到|分别于)\s*$")
_NOT_AT = re.compile(r"^\s*(?:起|开始|以来|以后|后|至|到|-|~)")
_CLAUSE_START = re.compile(r"(?:^|[，,。；;：:])\s*$")
_CHAIN = re.compile(r"^\s*[、，,和及与]\s*$")
_CLAUSE = "，,。；;"
_SIGNATURE = re.compile(r"^\s*(?:\d{4}\s*年)?\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*(?:印发)?\s*$")
_VERB = r"(?:报送|上报|报(?![告表]))"
_TO = r"(?P<to>[^，,。；;（(]{2,30}(?:局|办|股|室|中心|政府|委员会|组|岗\)|岗）|街道|镇|乡)(?:\s*[（(](?!联系|电话|邮箱)[^）)]{1,12}[）)])?)"
_TO_VERB = re.compile(rf"向{_TO}\s*(?:报送|上报|报告|提交|报)(?P<what>.*)$")
_WHAT_TO = re.compile(rf"^(?P<what>.+?){_VERB}{_TO}")
_JUST_WHAT = re.compile(r"(?:报送|上报|提交|报)(?P<what>.+)$")
_LEAD = re.compile(r"^(?:确保|要求|并|要|应|须|将|把|形成|盖章分次|分次|统一|及时|均)+")

RECURRING = (
    (re.compile(r"每(?:个)?月\s*(?P<n>\d{1,2}|[一二三四五六七八九十]{1,3})\s*[日号]\s*(?:前|之前|以前)?"),
     lambda m: f"monthly:{dates.cn_int(m['n'])}", lambda m: f"每月{dates.cn_int(m['n'])}日前"),
    (re.compile(r"(?:每(?:个)?季度|按季度|分季度)"), lambda m: "quarterly", lambda m: "每季度"),
    (re.compile(r"每半年"), lambda m: "semiannual", lambda m: "每半年"),
    (re.compile(r"每年(?:至少|不少于)\s*(?P<v>[^\d，,。；]{0,4}?)\s*(?P<n>\d{1,2}|[一两二三四五六七八九十])\s*次"),
     lambda m: f"yearly_min:{dates.cn_int(m['n'])}", lambda m: f"每年至少{dates.cn_int(m['n'])}次"),
    (re.compile(r"每(?:个)?月(?!\s*\d)"), lambda m: "monthly", lambda m: "每月"),
    (re.compile(r"每周"), lambda m: "weekly", lambda m: "每周"),
    (re.compile(r"定期(?:报送|上报|报告|向[^，,。；]{1,20}?(?:报送|报告|上报))"), lambda m: "periodic", lambda m: "定期"),
)


def _clause(norm: str, start: int, end: int) -> tuple[int, int]:
    """The clause around [start, end): from the previous ，。； to the next (outside brackets)."""
    a = start = min(start, len(norm))
    end = min(end, len(norm))
    while a > 0 and norm[a - 1] not in _CLAUSE:
        a -= 1
    b, depth = end, 0
    while b < len(norm):
        ch = norm[b]
        if ch in "（(《“":
            depth += 1
        elif ch in "）)》”":
            depth -= 1
        if depth <= 0 and ch in _CLAUSE:
            break
        b += 1
    return a, b


def describe(text: str) -> tuple[str, str]:
    """(what is due, to whom) from a clause with the date already removed."""
    text = squash(text).strip("，,。；; ")
    m = _TO_VERB.search(text)
    if m and m["what"].strip():
        return _tidy(m["what"]), squash(m["to"])
    m = _WHAT_TO.search(text)
    if m and _tidy(m["what"]):
        return _tidy(m["what"]), squash(m["to"])
    m = _JUST_WHAT.search(text)
    if m and len(text) - len(m["what"]) <= 8:
        return _tidy(m["what"]), ""
    return _tidy(text), ""


def _tidy(what: str) -> str:
    what = _LEAD.sub("", squash(what)).strip("，,。；;：: ")
    return re.sub(r"[（(](?:联系人|电话|邮箱)?[^）)]*@[^）)]*[）)]", "", what)


def _is_deadline(norm: str, e: dates.DateExpr) -> bool:
    if e.is_range:
        return False
    before, after = norm[:e.start], norm[e.end:]
    if re.search(r"(?:每|每个)\s*$", before):
        return False
    if _BEFORE.match(after):
        return True
    if not e.first.exact or _NOT_AT.match(after) or re.search(r"(?:至|到|从|自)\s*$", before):
        return False
    return bool(_AT.search(before) or _CLAUSE_START.search(before))


def _chains(norm: str, exprs: list[dates.DateExpr]) -> list[list[dates.DateExpr]]:
    chains: list[list[dates.DateExpr]] = []
    for e in exprs:
        if chains and not e.is_range and not chains[-1][-1].is_range and _CHAIN.match(norm[chains[-1][-1].end:e.start]):
            chains[-1].append(e)
        else:
            chains.append([e])
    return chains


def one_off(doc: Document, pids: set[int], year: int, window) -> list[dict]:
    """Every one-off deadline in the body paragraphs pids, deduplicated by date and what."""
    out: list[dict] = []
    for s in doc.sentences:
        if s.para not in pids:
            continue
        norm = doc.norm[s.start:s.end]
        if _SIGNATURE.match(norm):  # the issue date under the signature
            continue
        for chain in _chains(norm, dates.find(norm)):
            last = chain[-1]
            if not (_is_deadline(norm, last) or (len(chain) > 1 and _is_deadline(norm, chain[0]))):
                continue
            a, b = _clause(norm, chain[0].start, last.end)
            tail = re.match(r"\s*(?:之前|以前|前|为止)?\s*[，,]?", norm[last.end:])
            rest_start = last.end + tail.end()
            head = re.sub(r"(?:分别于|于|在|截至|截止到|截止)\s*$", "", doc.text[s.start + a:s.start + chain[0].start])
            body = doc.text[s.start + rest_start:s.start + b]
            if not squash(body).strip("，,"):  # "年底前，区民政局将组织…": the work is in the next clause
                _, b2 = _clause(norm, rest_start + 1, rest_start + 1)
                body = doc.text[s.start + rest_start:s.start + b2]
            by, clause = units.strip_subject(head + body)
            if not by:
                by, clause = units.strip_subject(body)
                clause = head + clause if by else head + body
            what, to = describe(clause)
            by = by or units.subject(s.text)
            for e in chain:
                due = dates.due_date(e, year, window)
                if due is None:
                    continue
                holiday = e.first.part if e.first.part in ("春节", "元旦") else ""
                item = {"date": due, "what": what, "to": to, "by": by, "holiday": holiday,
                        "source": s.text, "sentence": s.id,
                        "para": s.para, "level": units.level(by, squash(doc.text[s.start:s.end]) + doc.paragraphs[s.para].text)}
                if not _duplicate(out, item):
                    out.append(item)
    return sorted(out, key=lambda d: d["date"])


def _similar(a: str, b: str) -> bool:
    if not a or not b:
        return a == b
    common = len(set(a) & set(b))
    return common / min(len(set(a)), len(set(b))) >= 0.6


def _duplicate(items: list[dict], item: dict) -> bool:
    return any(d["date"] == item["date"] and _similar(d["what"], item["what"]) for d in items)


def recurring(doc: Document, pids: set[int]) -> list[dict]:
    """Recurring deadlines, one per rule per sentence."""
    out: list[dict] = []
    for s in doc.sentences:
        if s.para not in pids:
            continue
        norm = doc.norm[s.start:s.end]
        taken: list[tuple[int, int]] = []
        seen_rules: set[str] = set()
        for rx, rule_of, label_of in RECURRING:
            for m in rx.finditer(norm):
                if any(a <= m.start() < b for a, b in taken):
                    continue
                taken.append((m.start(), m.end()))
                rule = rule_of(m)
                if rule in seen_rules:
                    continue
                a, b = _clause(norm, m.start(), m.end())
                keep = m.group("v") if "v" in rx.groupindex and m.group("v") else ""
                text = doc.text[s.start + a:s.start + m.start()] + keep + doc.text[s.start + m.end():s.start + b]
                if len(squash(text).strip("，,")) < 4:
                    _, b2 = _clause(norm, b + 1, b + 1)
                    text = doc.text[s.start + b + 1:s.start + b2]
                by, text = units.strip_subject(text)
                what, to = describe(text)
                if rule == "periodic":
                    what, to = _periodic(norm, s.text, what, to)
                seen_rules.add(rule)
                by = by or units.subject(s.text)
                out.append({"rule": rule, "label": label_of(m), "what": what, "to": to, "by": by,
                            "source": s.text, "sentence": s.id, "para": s.para,
                            "level": units.level(by, s.text + doc.paragraphs[s.para].text)})
    return out


def _periodic(norm: str, sentence: str, what: str, to: str) -> tuple[str, str]:
    """"建立“作战进度”定期报送制度，定期向区民政局报告…": the report's name and its recipient."""
    named = re.search(r"“([^”]{2,12})”\s*(?:定期|报送制度|制度)", sentence)
    dest = re.search(rf"定期向{_TO}\s*(?:报送|报告|上报)", squash(sentence))
    return (named.group(1) if named else what), (squash(dest["to"]) if dest else to)


def phase_of(item_date: date | None, para: int, phases: list[dict], phase_paras: dict[int, str]) -> str:
    """The phase a dated item belongs to: the phase paragraph it sits in, else the last phase containing it."""
    if para in phase_paras:
        return phase_paras[para]
    if not phases:
        return ""
    if item_date is None:
        return ""
    containing = [p for p in phases if p["start"] <= item_date <= p["end"]]
    if containing:
        return containing[-1]["key"]
    return min(phases, key=lambda p: min(abs((p["start"] - item_date).days), abs((p["end"] - item_date).days)))["key"]
