"""Date expressions of Chinese plans and their resolution into real dates.

Recognised (on folded text, see text.fold): ``6月17日`` / ``6月17号`` / ``5月30前``; ``6月``,
``6月份``; ``6月上旬`` (1–10), ``中旬`` (11–20), ``下旬`` (21–end), ``上中旬``, ``中下旬``;
``9月底``/``9月末`` (a point: the last day; as a period: the 下旬); ``9月初`` (the 上旬);
ranges ``6-8月``, ``4月至5月``, ``7月下旬-8月上旬``; ``年底``/``年末``; years ``2019年``,
``今年``, ``明年``/``次年``; the garbled ``930日`` (month and day run together) when unambiguous;
festivals ``春节前`` (the day before the official Spring Festival holiday starts, from the
chinese-calendar package), ``元旦前`` (31 December).
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_CN = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_NUM = "[一二两三四五六七八九十]{1,3}"
NUM = rf"(?:\d{{1,2}}|{CN_NUM})"
_REL = {"今年": 0, "本年": 0, "当年": 0, "明年": 1, "次年": 1, "翌年": 1, "来年": 1}
_PARTS = {"上旬": (1, 10), "中旬": (11, 20), "下旬": (21, 31), "上中旬": (1, 20), "中下旬": (11, 31),
          "底": (21, 31), "末": (21, 31), "初": (1, 10), "中": (11, 20)}
_YEAR = r"(?:(?P<y>\d{4})\s*年\s*|(?P<rel>今年|本年|当年|明年|次年|翌年|来年)\s*)?"
_POINT = re.compile(
    _YEAR + rf"(?P<m>{NUM})\s*月\s*(?:(?P<d>{NUM})\s*(?:日|号|(?=\s*(?:前|之前|以前)))"
    r"|(?P<part>上中旬|中下旬|上旬|中旬|下旬|底|末|初(?!步|次|见)|中(?=[，,、\s])|份))?"
    r"|(?:(?P<ey>\d{4})\s*|(?P<erel>今|本|当|明|次|翌|来))?年(?P<ypart>底|末|初(?!步|次|见))")
_MONTH_RANGE = re.compile(r"(?<![\d.])(?P<y>\d{4}\s*年\s*)?(?P<m1>\d{1,2})\s*[-~至到]\s*(?P<m2>\d{1,2})\s*月份?")
_DAY_RANGE = re.compile(r"(?P<y>\d{4}\s*年\s*)?(?P<m>\d{1,2})\s*月\s*(?P<d1>\d{1,2})\s*[日号]?\s*[-~至到]\s*(?P<d2>\d{1,2})\s*[日号]")
_GARBLED = re.compile(r"(?<![\d.年月])(?P<g>\d{3,4})\s*日(?=\s*(?:前|之前|以前))")
_FESTIVAL = re.compile(r"(?P<f>春节|元旦)(?=\s*(?:前|之前|以前))")
_JOIN = re.compile(r"^\s*(?:-|~|至|到)\s*$")


def cn_int(text: str) -> int:
    """'6' → 6, '十一' → 11, '二十' → 20, '三十一' → 31."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return _CN.get(text, 0)
    tens, _, ones = text.partition("十")
    return (_CN.get(tens, 1) if tens else 1) * 10 + (_CN.get(ones, 0) if ones else 0)


@dataclass(frozen=True)
class Point:
    """One side of a date expression, before the year is known."""

    month: int | None          # None for 年底 / festivals
    day: int | None = None
    part: str | None = None    # 上旬, 底, 份, … ; "年底", "年初"; "春节", "元旦"
    year: int | None = None    # stated explicitly
    rel: int | None = None     # 今年 = 0, 明年 = 1

    @property
    def exact(self) -> bool:
        """A named day (or an end of month/year): something can be due on it."""
        return self.day is not None or self.part in ("底", "末", "年底", "年末", "春节", "元旦")


@dataclass(frozen=True)
class DateExpr:
    start: int
    end: int
    first: Point
    last: Point | None = None   # set for ranges

    @property
    def is_range(self) -> bool:
        return self.last is not None


def _point(m: re.Match) -> Point | None:
    if m["ypart"]:
        rel = _REL.get(m["erel"] + "年") if m["erel"] else None
        return Point(None, part="年" + m["ypart"], year=int(m["ey"]) if m["ey"] else None, rel=rel)
    y = int(m["y"]) if m["y"] else None
    rel = _REL.get(m["rel"]) if m["rel"] else None
    month = cn_int(m["m"])
    day = cn_int(m["d"]) if m["d"] else None
    if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return None
    return Point(month, day, m["part"], y, rel)


def find(text: str) -> list[DateExpr]:
    """Every date expression in text, ranges merged, in order of appearance."""
    found: list[DateExpr] = []
    taken: list[tuple[int, int]] = []
    for m in _MONTH_RANGE.finditer(text):
        m1, m2 = int(m["m1"]), int(m["m2"])
        if 1 <= m1 <= 12 and 1 <= m2 <= 12:
            y = int(m["y"].strip().rstrip("年").strip()) if m["y"] else None
            found.append(DateExpr(m.start(), m.end(), Point(m1, year=y), Point(m2)))
            taken.append((m.start(), m.end()))
    for m in _DAY_RANGE.finditer(text):  # 6月1日-15日: the second day is in the same month
        mo, d1, d2 = int(m["m"]), int(m["d1"]), int(m["d2"])
        if 1 <= mo <= 12 and 1 <= d1 <= d2 <= 31 and not any(s <= m.start() < e for s, e in taken):
            y = int(m["y"].strip().rstrip("年").strip()) if m["y"] else None
            found.append(DateExpr(m.start(), m.end(), Point(mo, d1, year=y), Point(mo, d2, year=y)))
            taken.append((m.start(), m.end()))
    for m in _GARBLED.finditer(text):
        g = m["g"]
        splits = [(int(g[:i]), int(g[i:])) for i in (1, 2) if i < len(g)]
        valid = [(mo, d) for mo, d in splits if 1 <= mo <= 12 and 1 <= d <= 31 and not str(d).startswith("0")]
        if len(valid) == 1:
            found.append(DateExpr(m.start(), m.end(), Point(valid[0][0], valid[0][1])))
            taken.append((m.start(), m.end()))
    for m in _FESTIVAL.finditer(text):
        found.append(DateExpr(m.start(), m.end(), Point(None, part=m["f"])))
        taken.append((m.start(), m.end()))
    points = []
    for m in _POINT.finditer(text):
        if m.end() == m.start() or any(s <= m.start() < e for s, e in taken):
            continue
        p = _point(m)
        if p is not None:
            points.append(DateExpr(m.start(), m.end(), p))
    i = 0
    while i < len(points):
        a = points[i]
        if i + 1 < len(points) and _JOIN.match(text[a.end:points[i + 1].start]):
            b = points[i + 1]
            found.append(DateExpr(a.start, b.end, a.first, b.first))
            i += 2
            continue
        found.append(a)
        i += 1
    return sorted(found, key=lambda e: e.start)


# --- Resolution ------------------------------------------------------------------------------

def _last_day(y: int, m: int) -> int:
    return calendar.monthrange(y, m)[1]


def _clamp(y: int, m: int, d: int) -> date:
    return date(y, m, min(d, _last_day(y, m)))


def spring_festival_eve(year: int) -> date | None:
    """The day before the official Spring Festival holiday of year starts (None if unknown)."""
    try:
        import chinese_calendar
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    days = [d for d, name in chinese_calendar.holidays.items()
            if d.year == year and d.month <= 2 and name == "Spring Festival"]
    return min(days) - timedelta(days=1) if days else None


def _in_year(p: Point, y: int) -> tuple[date, date] | None:
    """The period a year-less point covers in year y."""
    if p.part in ("年底", "年末"):
        return date(y, 12, 21), date(y, 12, 31)
    if p.part == "年初":
        return date(y, 1, 1), date(y, 1, 31)
    if p.part == "元旦":
        return date(y - 1, 12, 31), date(y - 1, 12, 31)
    if p.part == "春节":
        eve = spring_festival_eve(y)
        return (eve, eve) if eve else None
    if p.day is not None:
        try:
            d = date(y, p.month, p.day)
        except ValueError:
            return None
        return d, d
    lo, hi = _PARTS.get(p.part or "", (1, 31))
    return _clamp(y, p.month, lo), _clamp(y, p.month, hi)


def _year_of(p: Point, year: int, window: tuple[date, date] | None) -> int:
    if p.year:
        return p.year
    if p.rel is not None:
        return year + p.rel
    if window:
        for y in (year, year + 1):
            got = _in_year(p, y)
            if got and window[0] <= got[1] and got[0] <= window[1]:
                return y
    return year


def period(expr: DateExpr, year: int, window: tuple[date, date] | None = None) -> tuple[date, date] | None:
    """(first day, last day) an expression covers; a range that wraps (11月-2月) ends next year."""
    a_year = _year_of(expr.first, year, window)
    a = _in_year(expr.first, a_year)
    if a is None:
        return None
    if not expr.is_range:
        return a
    last = expr.last
    b_year = last.year or (year + last.rel if last.rel is not None else a[0].year)
    b = _in_year(last, b_year)
    if b is None:
        return None
    if b[1] < a[0] and not last.year:
        b = _in_year(last, b_year + 1)
    return a[0], b[1]


def due_date(expr: DateExpr, year: int, window: tuple[date, date] | None = None) -> date | None:
    """The day something is due by: a named day, else the last day of what the expression covers."""
    got = period(expr, year, window)
    return got[1] if got else None
