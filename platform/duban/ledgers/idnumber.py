"""Resident ID numbers (GB 11643, 身份证号) and phone numbers: checking and masking."""
from __future__ import annotations

import re
from datetime import date
from itertools import repeat
from operator import itemgetter, mod

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # the standard's; check_char uses 2^k mod 11
CHECK_CHARS = "10X98765432"  # index: the weighted sum mod 11 (ISO 7064 MOD 11-2)
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_PHONE_RE = re.compile(r"^(1\d{10}|0\d{2,3}-?\d{7,8})$")


def check_char(first17: str) -> str:
    """Return the check character for the first 17 digits of an ID number."""
    # The weights are 2^17 … 2^1 mod 11, so the weighted sum is 2·Σ dᵢ·2^(17-i) (mod 11). Read as a
    # base-13 number the digits give Σ dᵢ·13^(17-i), and 13 ≡ 2 (mod 11): int() does the sum in C.
    return CHECK_CHARS[2 * int(first17, 13) % 11]


def normalize(raw: str) -> str:
    """Strip spaces and make the check character upper case (x → X); full-width digits become ASCII."""
    if raw.__class__ is str and len(raw) == 18 and raw.isascii() and raw.isalnum():
        return raw.upper()  # as typed, nearly always
    text = "".join(str(raw).split()).upper()
    return text.translate(_FULLWIDTH)


_FULLWIDTH = str.maketrans("０１２３４５６７８９Ｘ", "0123456789X")


def problem(id_number: str) -> str | None:
    """Return why id_number (already normalized) is not a valid ID number, or None when it is."""
    if len(id_number) != 18:
        return f"身份证号应为18位，当前为{len(id_number)}位"
    if not (id_number.isascii() and _ID_RE.match(id_number)):
        return "身份证号只能由17位数字加1位数字或X组成"
    if not _valid_birth(id_number[6:14]):
        return "身份证号中的出生日期无效"
    if check_char(id_number[:17]) != id_number[17]:
        return "身份证号校验位不正确，请核对号码"
    return None


# The YYYYMMDDs seen so far that are (or are not) a real date from 1880 on: at most ~80k of them.
# Sets, so that a whole column's birth dates are looked up at once (all_valid_as_typed).
_GOOD_BIRTHS: set[str] = set()
_BAD_BIRTHS: set[str] = set()


def _valid_birth(text: str) -> bool:
    if text in _GOOD_BIRTHS:
        return True
    if text in _BAD_BIRTHS:
        return False
    try:
        valid = date(int(text[:4]), int(text[4:6]), int(text[6:])).year >= 1880
    except ValueError:
        valid = False
    (_GOOD_BIRTHS if valid else _BAD_BIRTHS).add(text)
    return valid


def check(raw: str) -> tuple[str | None, str | None]:
    """(the ID number normalized, None) or (None, why it is not valid), for a cell of text."""
    # The common case, 17 ASCII digits and a check character as typed, without the general path's
    # intermediate strings: this runs once for every distinct ID number of an import.
    if len(raw) == 18 and raw.isascii() and (raw.isdigit() or (raw[:17].isdigit() and raw[17] in "Xx")):
        value = raw if raw[17] != "x" else raw.upper()
        if _valid_birth(value[6:14]) and check_char(value[:17]) == value[17]:
            return value, None
    value = normalize(raw)
    why = problem(value)
    return (None, why) if why else (value, None)


_BIRTH, _LAST, _FIRST = itemgetter(slice(6, 14)), itemgetter(17), itemgetter(0)
# int(cell, 35) % 11 of a valid ID number by its last character: read in base 35 (35 ≡ 2 mod 11, as
# 13 is in check_char), the 18 characters give the standard's weighted sum with the check character
# weighted 1, which is 1 mod 11 for a valid number; "X" is worth 33 there instead of 10, 23 more.
_RESIDUE = {**dict.fromkeys("0123456789", 1), "X": 2}


def all_valid_as_typed(column: list, known: set | None = None) -> bool:
    """Whether every cell of column is a valid ID number exactly as typed (text, 17 digits and a
    digit or X): then check() would return each cell unchanged. A whole column is decided at once,
    each step over all of its cells in C; any other column is left to check(), cell by cell.

    known: numbers already found valid (another ID column of the same rows: the head of household
    is nearly always one of the members). When it is given, a column checked in full is put into it
    for the next one."""
    if not column or set(map(type, column)) != {str}:
        return False
    if known and column[0] in known:
        unseen = set(column).difference(known)
        if len(unseen) * 2 < len(column):
            return not unseen or all_valid_as_typed(list(unseen))
    if set(map(len, column)) != {18}:
        return False
    joined, lasts = "".join(column), list(map(_LAST, column))
    x = lasts.count("X")
    if not (joined.isascii() and (joined.replace("X", "") if x else joined).isdigit() and joined.count("X") == x):
        return False
    unseen_births = set(map(_BIRTH, column)) - _GOOD_BIRTHS
    if unseen_births and not all(map(_valid_birth, unseen_births)):
        return False
    residues = list(map(mod, map(int, column, repeat(35)), repeat(11)))
    if not (residues.count(1) == len(residues) if not x else residues == list(map(_RESIDUE.__getitem__, lasts))):
        return False
    if known is not None:
        known.clear()
        known.update(column)
    return True


def is_valid(id_number: str) -> bool:
    return problem(normalize(id_number)) is None


def birth_date(id_number: str) -> date:
    return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def gender(id_number: str) -> str:
    return "男" if int(id_number[16]) % 2 else "女"


def mask_id(id_number: str | None) -> str:
    """First 6 and last 4 characters, the middle hidden: 350206********123X."""
    if not id_number:
        return ""
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]


def mobiles_as_typed(column: list) -> bool:
    """Whether every cell of column is text, and each is blank ("") or a mobile number as typed
    (11 ASCII digits starting with 1), decided for the whole column at once."""
    if not column or set(map(type, column)) != {str}:
        return False
    given = list(filter(None, column))
    joined = "".join(given)
    return (set(map(len, given)) <= {11} and joined.isascii() and (joined.isdigit() or not joined)
            and set(map(_FIRST, given)) <= {"1"})


def normalize_phone(raw: str) -> str:
    if raw.__class__ is str and raw.isascii() and raw.isdigit():
        return raw
    return "".join(ch for ch in str(raw).translate(_FULLWIDTH) if ch.isascii() and (ch.isdigit() or ch == "-"))


def phone_problem(phone: str) -> str | None:
    if not _PHONE_RE.match(phone):
        return "联系电话应为11位手机号或带区号的固定电话"
    return None


def mask_phone(phone: str | None) -> str:
    """First 3 and last 4 digits: 138****5678."""
    if not phone:
        return ""
    digits = phone.replace("-", "")
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
