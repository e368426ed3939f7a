"""Who does it: responsible units named in the text, their split, and the level a task fans out to."""
from __future__ import annotations

import re

from .text import squash

_ORG_END = r"(?:局|办|股|室|中心|政府|委员会|管委会|干部|主干|站|所|岗\)|岗）|组|街道|乡镇|街镇|镇|乡|社区|村\(居\)|村（居）|单位|部门)"
RESPONSIBLE = (
    re.compile(r"[（(]\s*(?:责任单位|牵头单位|责任部门)\s*[:：]\s*(?P<units>(?:[^（）()]|[（(][^（）()]*[)）])+)[)）]"),
    re.compile(r"(?:责任单位|牵头单位|责任部门)\s*[:：]\s*(?P<units>[^。；;\n]+)"),
)
# A subject at the start of a sentence: "各相关管委会、各街镇要…", "镇社会事务办(民政社保岗)将…".
_SUBJECT = re.compile(
    rf"^(?P<s>(?:各|全|区|县|市|镇|乡|局|驻)[^，。；,;：:]{{0,40}}?{_ORG_END}(?:[（(][^）)]{{1,12}}[）)])?)"
    r"(?=要|将|应|须|必须|负责|牵头|组织|对|于|按|在|及时|结合|充分|严格|精心|切实|全面|积极|做好|进行|开展|报送|上报"
    r"|向|联合|会同|根据)")
_TOWNSHIP = re.compile(r"各街道|各乡镇|各镇|街镇|镇\s*[（(]\s*街道\s*[)）]|乡\s*[（(]\s*镇\s*[)）]|各相关管委会|城市社区管委会|乡镇\s*[（(]")
_VILLAGE = re.compile(r"各村|村\s*[（(]\s*居\s*[)）]|各社区|居村委会|村级|村\s*[（(]\s*社区\s*[)）]")
_BUREAU_START = re.compile(r"^(?:[区县市省]民政局|局机关|[区县市]社会救助|[区县市]民政)")
# The launching organisation's own offices (a bureau's 股室/中心, a township's 办/岗).
_BUREAU = re.compile(r"^(?!各)(?:[区县市省]?民政局|局机关|[区县市]社会救助|[^、]{0,16}(?:股|室|中心|局|办|岗\)|岗）))")


def split_units(text: str) -> list[str]:
    """'规划财务股、社会救助服务中心，各镇（街道）社会事务综合服务中心' → three names."""
    out, depth, cur = [], 0, ""
    for ch in squash(text):
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth -= 1
        if depth <= 0 and ch in "、，,；;和及":
            if cur.strip():
                out.append(cur.strip())
            cur = ""
            continue
        cur += ch
    if cur.strip():
        out.append(cur.strip())
    return [u.rstrip("）)") if u.count("（") + u.count("(") < u.count("）") + u.count(")") else u for u in out]


def named_responsible(text: str) -> list[str]:
    """Units after 责任单位：, if the text names them."""
    for rx in RESPONSIBLE:
        m = rx.search(text)
        if m:
            return split_units(m["units"])
    return []


def subject(sentence: str) -> list[str]:
    """The units a sentence opens with, if it opens with one."""
    m = _SUBJECT.match(squash(sentence))
    return split_units(m["s"]) if m else []


def strip_subject(text: str) -> tuple[list[str], str]:
    """(units the text opens with, the rest without them and their 要/将)."""
    text = squash(text)
    m = _SUBJECT.match(text)
    if not m:
        return [], text
    rest = re.sub(r"^(?:要|将|应|须|必须)", "", text[m.end():])
    return split_units(m["s"]), rest


_DEPARTMENT = re.compile(r"(?:股|室|中心|科|站)$")
_NOT_DEPARTMENT = re.compile(r"^各|镇|街道|乡|村|社区|相关|民政局$")


def departments(names) -> list[str]:
    """The names among a task's responsible units that are departments of the bureau (股室/中心)."""
    return [n for n in names or () if _DEPARTMENT.search(n) and not _NOT_DEPARTMENT.search(n)]


def level(units: list[str], text: str = "", default: str = "township") -> str:
    """bureau | township | village: the level a task for these units fans out to.

    Named units decide first (any township-level unit makes it a township task); otherwise the
    text: a bureau subject at its start, then any mention of townships or villages.
    """
    joined = "、".join(units)
    if joined:
        for rx, lvl in ((_TOWNSHIP, "township"), (_VILLAGE, "village")):
            if rx.search(joined):
                return lvl
        if _BUREAU.match(joined):
            return "bureau"
    t = squash(text)
    if t:
        if _BUREAU_START.match(t):
            return "bureau"
        for rx, lvl in ((_TOWNSHIP, "township"), (_VILLAGE, "village")):
            if rx.search(t):
                return lvl
    return default
