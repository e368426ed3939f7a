"""Turn one cell of an imported file (or one form input) into a typed value, or a Chinese reason why not.

A field is described by :class:`Field`; :func:`converter` compiles it once into a function
``convert(raw) -> (value, error)``; an import calls it once for every distinct cell of a column
(mapping.column_converter), a form once per input.
Values come back as plain JSON-friendly types: str, int, ``Decimal`` for amounts and ``date``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Callable

from . import idnumber

TYPES = ("text", "int", "decimal", "date", "year", "choice", "id_number", "phone")
NUMBER_AS_ID = "身份证号被Excel存成了数字，后几位已经丢失：请把该列设置为“文本”格式，重新录入号码后再导入"
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_MONEY_STRIP = str.maketrans("", "", ",，元 ¥￥")


@dataclass(frozen=True)
class Field:
    """A target of an import or a form: where a value goes and what it must look like."""

    key: str
    label: str
    type: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # other header names that mean this field
    max_length: int = 200
    min: float | None = None
    max: float | None = None


Converter = Callable[[object], tuple[object, str | None]]


def _blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


def _as_text(raw) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    if isinstance(raw, datetime):
        return raw.date().isoformat() if raw.time() == datetime.min.time() else raw.isoformat(sep=" ")
    if isinstance(raw, date):
        return raw.isoformat()
    return str(raw).strip()


def parse_date(raw) -> date | None:
    """A date from a cell: a real date, 2021-03-05, 2021/3/5, 2021.3.5, 2021年3月5日 or 20210305."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if float(raw).is_integer() and 19000101 <= raw <= 21001231:
            raw = str(int(raw))
        else:
            return None
    text = str(raw).strip()
    if len(text) == 8 and text.isdigit():
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    m = _DATE_RE.match(text)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def converter(f: Field) -> Converter:
    """Compile field f into a cell converter."""
    label = f.label
    missing = (None, f"缺少“{label}”") if f.required else (None, None)

    def bounded(value):
        if f.min is not None and value < f.min:
            return None, f"“{label}”不能小于{f.min:g}"
        if f.max is not None and value > f.max:
            return None, f"“{label}”不能大于{f.max:g}"
        return value, None

    if f.type == "id_number":
        check = idnumber.check

        def convert(raw):
            if raw.__class__ is str:
                return check(raw) if raw.strip() else missing
            if raw is None:
                return missing
            if isinstance(raw, (int, float)) and not isinstance(raw, bool):
                return None, NUMBER_AS_ID
            return check(str(raw))
    elif f.type == "phone":
        def convert(raw):
            if raw.__class__ is str and len(raw) == 11 and raw.isascii() and raw.isdigit() and raw[0] == "1":
                return raw, None  # a mobile number as typed
            if _blank(raw):
                return missing
            value = idnumber.normalize_phone(_as_text(raw))
            why = idnumber.phone_problem(value)
            return (None, why) if why else (value, None)
    elif f.type in ("int", "year"):
        lo, hi = (1900, 2100) if f.type == "year" else (None, None)

        def convert(raw):
            if _blank(raw):
                return missing
            if isinstance(raw, bool):
                return None, f"“{label}”应填写整数"
            if isinstance(raw, float):
                if not raw.is_integer():
                    return None, f"“{label}”应填写整数"
                value = int(raw)
            elif isinstance(raw, int):
                value = raw
            else:
                text = str(raw).strip().removesuffix("年").removesuffix("人").strip()
                if not (text.isascii() and text.lstrip("-").isdigit()):
                    return None, f"“{label}”应填写{'年份（如2021）' if lo else '整数'}"
                value = int(text)
            if lo and not lo <= value <= hi:
                return None, f"“{label}”应为四位年份（如2021）"
            return bounded(value)
    elif f.type == "decimal":
        def convert(raw):
            if _blank(raw):
                return missing
            try:
                if isinstance(raw, bool):
                    raise InvalidOperation
                if isinstance(raw, (int, float)):
                    value = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
                else:
                    text = str(raw).translate(_MONEY_STRIP)
                    if not text.isascii() or "_" in text:
                        raise InvalidOperation
                    value = Decimal(text)
                if not value.is_finite() or abs(value) >= Decimal("1e12"):
                    raise InvalidOperation
            except (InvalidOperation, ValueError):
                return None, f"“{label}”应填写金额或数字"
            return bounded(value.quantize(Decimal("0.01")))
    elif f.type == "date":
        def convert(raw):
            if _blank(raw):
                return missing
            value = parse_date(raw)
            if value is None:
                return None, f"“{label}”不是有效日期（应如 2021-03-05）"
            return value, None
    elif f.type == "choice":
        choices = frozenset(f.choices)
        shown = "、".join(f.choices)

        def convert(raw):
            if _blank(raw):
                return missing
            value = _as_text(raw)
            if value not in choices:
                return None, f"“{label}”应为以下之一：{shown}（当前为“{value[:20]}”）"
            return value, None
    else:
        limit = f.max_length

        def convert(raw):
            if raw.__class__ is str:
                value = raw.strip()
                if not value:
                    return missing
            elif raw is None:
                return missing
            else:
                value = _as_text(raw)
            if len(value) > limit:
                return None, f"“{label}”不能超过{limit}个字"
            return value, None
    return convert


def plain(value):
    """A converted value as JSON data (dates as ISO strings, amounts as strings)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
