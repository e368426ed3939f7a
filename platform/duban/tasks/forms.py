"""Validate a submitted report form against its definition."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from ..campaigns.types import FormDefinition, FormField


TRUE_VALUES = ("1", "on", "true", "是")


def _clean(field: FormField, raw: str) -> tuple[object, str | None]:
    raw = (raw or "").strip()
    if field.type == "bool":
        # An unticked checkbox sends nothing: for a yes/no field that means "no", not "missing".
        return raw in TRUE_VALUES, None
    if raw == "":
        return None, (f"请填写“{field.label}”" if field.required else None)
    if field.type in ("int", "decimal"):
        try:
            if "_" in raw or not raw.isascii():
                raise ValueError  # int() and Decimal() would accept 1_000 and full-width digits
            value = int(raw) if field.type == "int" else Decimal(raw)
            if field.type == "decimal":
                if not value.is_finite() or abs(value) >= Decimal("1e15"):
                    raise InvalidOperation
                value = value.quantize(Decimal("0.01"))
        except (ValueError, InvalidOperation):
            kind = "整数" if field.type == "int" else "数字"
            return None, f"“{field.label}”应填写{kind}"
        if field.min is not None and value < field.min:
            return None, f"“{field.label}”不能小于{field.min:g}"
        if field.max is not None and value > field.max:
            return None, f"“{field.label}”不能大于{field.max:g}"
        return (value if field.type == "int" else str(value)), None
    if field.type == "date":
        try:
            return date.fromisoformat(raw).isoformat(), None
        except ValueError:
            return None, f"“{field.label}”的日期格式应为 年-月-日"
    if field.type == "choice":
        if raw not in field.choices:
            return None, f"“{field.label}”请从列表中选择"
        return raw, None
    if len(raw) > field.max_length:
        return None, f"“{field.label}”不能超过{field.max_length}个字"
    return raw, None


def validate_form(form: FormDefinition, raw: dict) -> tuple[dict, dict[str, str]]:
    """Return (clean data, {field key: message}); the data is usable only when there are no errors."""
    clean, errors = {}, {}
    for f in form.fields:
        value, error = _clean(f, raw.get(f.key, ""))
        if error:
            errors[f.key] = error
        elif value is not None:
            clean[f.key] = value
    for rule in form.rules:
        left, right = clean.get(rule.left), clean.get(rule.right)
        if left is not None and right is not None and Decimal(str(left)) > Decimal(str(right)):
            errors.setdefault(rule.left, rule.message)
    return clean, errors
