"""The matching rules a campaign type declares (hook ``screening_rules``): plain, frozen data.

A rule picks rows of one data source (``from``) that meet its conditions, optionally only for
people who also appear (``require``) or do not appear (``exclude``) in another source; every
person it picks is put on the 摸排对象清单 under the rule's category, with the triggering values
as evidence. This module imports nothing from the rest of the core, so plugins can use it freely.
"""
from __future__ import annotations

from dataclasses import dataclass

OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in")
# What a progress-form field may be computed from (see rollup.py and docs/plugins.md).
MEASURES = ("subjects", "visited", "included", "covered", "monitored", "exited", "temp_aid_count",
            "temp_aid_amount", "check", "problems", "problems_closed")


@dataclass(frozen=True)
class Condition:
    """field op value, e.g. Condition("self_paid", "gte", 10000); or a group: op "any"/"all" over items."""

    field: str = ""
    op: str = "eq"
    value: object = None
    items: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Link:
    """Another source the same person (by ID number) must or must not appear in, with conditions."""

    source: str
    where: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class ScreeningRule:
    key: str
    category: str  # a screening category key of the campaign type
    source_kind: str  # the data source whose rows trigger the rule ("from" in YAML)
    where: tuple[Condition, ...] = ()
    require: tuple[Link, ...] = ()
    exclude: tuple[Link, ...] = ()
    name: str = ""  # shown when the category is not among the type's screening categories
    source: str = ""  # where in the plan the rule comes from


@dataclass(frozen=True)
class RollupField:
    """How one field of a progress form is counted from the visit ledger (or the three lists)."""

    field: str
    measure: str
    values: tuple[str, ...] = ()  # programmes for "included"; the check key for "check"


@dataclass(frozen=True)
class ScreeningRules:
    rules: tuple[ScreeningRule, ...] = ()
    programmes: tuple[str, ...] = ()  # what a visit may include a person in
    visit_ledger: str = ""  # a ledger key (campaign_ledgers) whose columns lay out the visit ledger
    rollup_form: str = ""  # a form key whose fields are counted from the ledger
    rollup: tuple[RollupField, ...] = ()
    source: str = ""


def _condition(raw: dict) -> Condition:
    if "any" in raw or "all" in raw:
        op = "any" if "any" in raw else "all"
        return Condition(op=op, items=tuple(_condition(r) for r in raw[op]))
    ops = [k for k in raw if k in OPS]
    if "field" not in raw or len(ops) != 1:
        raise ValueError(f"a condition needs a field and exactly one of {OPS}: {raw!r}")
    value = raw[ops[0]]
    if ops[0] in ("in", "not_in"):
        value = tuple(value)
    return Condition(field=raw["field"], op=ops[0], value=value)


def _link(raw: dict) -> Link:
    return Link(source=raw["from"], where=tuple(_condition(c) for c in raw.get("where", ())))


def parse_rules(raw: dict) -> ScreeningRules:
    """Read the rules.yaml structure (see docs/plugins.md) into ScreeningRules."""
    rules = tuple(
        ScreeningRule(key=r["key"], category=r.get("category", r["key"]), source_kind=r["from"],
                      where=tuple(_condition(c) for c in r.get("where", ())),
                      require=tuple(_link(x) for x in r.get("require", ())),
                      exclude=tuple(_link(x) for x in r.get("exclude", ())),
                      name=r.get("name", ""), source=r.get("source", ""))
        for r in raw.get("rules", ()))
    rollup_raw = raw.get("rollup") or {}
    rollup = []
    for key, spec in (rollup_raw.get("fields") or {}).items():
        if isinstance(spec, str):
            spec = {"measure": spec}
        values = spec.get("values", ())
        rollup.append(RollupField(field=key, measure=spec["measure"],
                                  values=tuple([values] if isinstance(values, str) else values)))
    for f in rollup:
        if f.measure not in MEASURES:
            raise ValueError(f"rollup field {f.field}: unknown measure {f.measure!r}")
    return ScreeningRules(rules=rules, programmes=tuple(raw.get("programmes", ())),
                          visit_ledger=raw.get("visit_ledger", ""), rollup_form=rollup_raw.get("form", ""),
                          rollup=tuple(rollup), source=raw.get("source", ""))
