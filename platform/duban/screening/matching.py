"""Run a campaign type's screening rules over the imported data and produce the 摸排对象清单.

Each rule becomes one SQL query over SourceRecord (conditions on columns, EXISTS / NOT EXISTS for
the people a rule requires or excludes), limited to the campaign's subtree. The matches are
merged per person across categories, assigned to the village of residence (the recipients
roster's when the person is on it, otherwise the triggering row's) and upserted: re-running adds
new people, updates changed ones and withdraws those no longer matched (unless visited or added by hand).
"""
from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

from flask import current_app
from sqlalchemy import and_, exists, not_, or_, select
from sqlalchemy.orm import Session, aliased

from .. import clock
from ..audit.services import record
from ..campaigns.models import Campaign
from ..campaigns.registry import DefinitionError, definition, plugin_manager
from ..errors import ValidationError
from ..tenancy.models import User
from ..tenancy.tree import path_range
from . import bulk
from .models import SourceRecord, Subject
from .sources import KINDS, SourceKind
from .spec import Condition, ScreeningRule, ScreeningRules

OP_TEXT = {"eq": "为", "ne": "不为", "gt": "大于", "gte": "不低于", "lt": "小于", "lte": "不超过", "in": "为", "not_in": "不为"}


def rules_for(type_key: str) -> ScreeningRules:
    """The campaign type's screening rules (an empty set when it declares none), checked once per app."""
    cache = current_app.extensions["duban"].setdefault("screening_rules", {})
    if type_key not in cache:
        rules = plugin_manager().hook.screening_rules(campaign_type=type_key) or ScreeningRules()
        check(rules, type_key)
        cache[type_key] = rules
    return cache[type_key]


def check(rules: ScreeningRules, type_key: str = "") -> None:
    """Raise DefinitionError when a rule names an unknown source or a field that is not a column."""
    problems = []
    for rule in rules.rules:
        for src, where in ((rule.source_kind, rule.where), *((l.source, l.where) for l in (*rule.require, *rule.exclude))):
            if src not in KINDS:
                problems.append(f"rule {rule.key}: unknown source {src!r}")
                continue
            for c in _flat(where):
                col = KINDS[src].columns.get(c.field)
                if col is None or col == "extra":
                    problems.append(f"rule {rule.key}: {src} has no matchable field {c.field!r}")
    if problems:
        raise DefinitionError(f"screening rules of {type_key}: " + "; ".join(problems))


def _flat(conds) -> list[Condition]:
    out = []
    for c in conds:
        out.extend(_flat(c.items) if c.op in ("any", "all") else [c])
    return out


def category_names(campaign: Campaign) -> dict[str, str]:
    """Category key → name, in the plan's order, plus rule-only categories named by their rules."""
    names = {c.key: c.name for c in definition(campaign.type_key).screening_categories}
    for rule in rules_for(campaign.type_key).rules:
        names.setdefault(rule.category, rule.name or rule.category)
    return names


def _typed(column, value):
    kind = column.type.python_type if hasattr(column.type, "python_type") else str
    if kind is date and isinstance(value, str):
        return date.fromisoformat(value)
    if kind is Decimal and not isinstance(value, Decimal):
        return Decimal(str(value))
    return value


def _sql(model, kind: SourceKind, c: Condition):
    if c.op in ("any", "all"):
        parts = [_sql(model, kind, i) for i in c.items]
        return or_(*parts) if c.op == "any" else and_(*parts)
    col = getattr(model, kind.columns[c.field])
    if c.op in ("in", "not_in"):
        values = [_typed(col, v) for v in c.value]
        return col.in_(values) if c.op == "in" else not_(col.in_(values))
    v = _typed(col, c.value)
    return {"eq": col == v, "ne": col != v, "gt": col > v, "gte": col >= v, "lt": col < v, "lte": col <= v}[c.op]


def describe(kind: SourceKind, conds) -> str:
    """Conditions in words: “救助类别为低保、特困”."""
    parts = []
    for c in conds:
        if c.op in ("any", "all"):
            inner = describe(kind, c.items)
            parts.append(f"（{inner.replace('，', '或' if c.op == 'any' else '且')}）")
            continue
        value = "、".join(map(str, c.value)) if isinstance(c.value, tuple) else c.value
        parts.append(f"{kind.field(c.field).label}{OP_TEXT[c.op]}{value}")
    return "，".join(parts)


def rule_query(rule: ScreeningRule, tenant_id: int, root_path: str):
    kind = KINDS[rule.source_kind]
    low, high = path_range(root_path)
    base = aliased(SourceRecord, name="base")
    stmt = select(base.id_number, base.name, base.org_unit_id, base.unit_path, base.household_id, base.phone,
                  base.programme, base.grade, base.amount, base.amount2, base.on_date, base.year)
    stmt = stmt.where(base.tenant_id == tenant_id, base.kind == kind.key, base.unit_path >= low,
                      base.unit_path < high, base.retired_batch_id.is_(None), *(_sql(base, kind, c) for c in rule.where))
    for links, positive in ((rule.require, True), (rule.exclude, False)):
        for link in links:
            other = aliased(SourceRecord)
            sub = exists().where(other.tenant_id == tenant_id, other.kind == link.source,
                                 other.id_number == base.id_number, other.unit_path >= low, other.unit_path < high,
                                 other.retired_batch_id.is_(None), *(_sql(other, KINDS[link.source], c) for c in link.where))
            stmt = stmt.where(sub if positive else ~sub)
    return stmt.execution_options(all_tenants=True)


def _evidence_maker(rule: ScreeningRule):
    """A function (record) -> the evidence text of rule, with the parts that never change prepared once."""
    kind = KINDS[rule.source_kind]
    shown, seen = [], set()
    for c in _flat(rule.where):
        if c.field not in seen:
            seen.add(c.field)
            shown.append((kind.field(c.field).label, kind.columns[c.field]))
    suffix = ""
    for links, word in ((rule.require, "同时在"), (rule.exclude, "未在")):
        for link in links:
            other = KINDS[link.source]
            suffix += f"；{word}“{other.name}”中" + (f"（{describe(other, link.where)}）" if link.where else "")
    head = f"{kind.name}（{kind.provider}）"

    def text(rec) -> str:
        parts = []
        for label, column in shown:
            value = getattr(rec, column)
            parts.append(f"{label}：{value:,.2f}元" if isinstance(value, Decimal) else f"{label}：{value}")
        return head + ("：" + "，".join(parts) if parts else "") + suffix

    return text


def run_rules(session: Session, user: User, campaign: Campaign) -> dict:
    """Run every rule of campaign's type; upsert the 摸排对象清单; return what changed."""
    if campaign.status != "published":
        raise ValidationError("专项行动不在进行中，不能生成摸排对象清单")
    rules = rules_for(campaign.type_key)
    if not rules.rules:
        raise ValidationError("该专项行动类型没有声明比对规则")
    started = time.perf_counter()
    order = list(category_names(campaign))
    root = campaign.root_unit
    found: dict[str, dict] = {}
    per_rule = {}
    for rule in rules.rules:
        n = 0
        evidence_text = _evidence_maker(rule)
        for rec in session.execute(rule_query(rule, campaign.tenant_id, root.path)):
            n += 1
            person = found.setdefault(rec.id_number, {"name": rec.name, "unit": (rec.org_unit_id, rec.unit_path),
                                                      "household_id": rec.household_id, "phone": rec.phone,
                                                      "categories": set(), "evidence": []})
            person["categories"].add(rule.category)
            if len(person["evidence"]) < 12:
                person["evidence"].append({"category": rule.category, "rule": rule.key, "source": rule.source_kind,
                                           "text": evidence_text(rec)})
        per_rule[rule.key] = n
    _home_units(session, campaign, found)
    changes = _upsert(session, campaign, found, order)
    changes["seconds"] = round(time.perf_counter() - started, 3)
    changes["per_rule"] = per_rule
    record(session, user, "screening.matched", object_type="campaign", object_id=campaign.id, org_unit=root,
           campaign_id=campaign.id, new=changes)
    return changes


def _home_units(session: Session, campaign: Campaign, found: dict) -> None:
    """Where the person lives: the recipients roster's village when the person is on it.

    A few people are looked up by ID number; many are matched against one scan of the roster
    (a long IN list, run repeatedly, gets a generic plan from PostgreSQL that scans the table for
    every chunk)."""
    low, high = path_range(campaign.root_unit.path)
    stmt = (select(SourceRecord.id_number, SourceRecord.org_unit_id, SourceRecord.unit_path,
                   SourceRecord.household_id, SourceRecord.phone)
            .where(SourceRecord.tenant_id == campaign.tenant_id, SourceRecord.kind == "recipients",
                   SourceRecord.unit_path >= low, SourceRecord.unit_path < high, SourceRecord.retired_batch_id.is_(None)))
    if len(found) <= 500:
        stmt = stmt.where(SourceRecord.id_number.in_(list(found)))
    for id_number, unit_id, path, household, phone in session.execute(stmt):
        person = found.get(id_number)
        if person is not None:
            person["unit"] = (unit_id, path)
            person["household_id"] = person["household_id"] or household
            person["phone"] = person["phone"] or phone


def _upsert(session: Session, campaign: Campaign, found: dict, order: list[str]) -> dict:
    rank = {k: i for i, k in enumerate(order)}
    now = clock.now()
    t = Subject.__table__
    existing = {row.id_number: row for row in session.execute(
        select(t.c.id, t.c.id_number, t.c.name, t.c.org_unit_id, t.c.unit_path, t.c.household_id, t.c.phone,
               t.c.categories, t.c.evidence, t.c.origin, t.c.status, t.c.last_outcome)
        .where(t.c.campaign_id == campaign.id))}
    inserts, updates = [], []
    added = updated = withdrawn = unchanged = 0
    for id_number, p in found.items():
        cats = sorted(p["categories"], key=lambda k: rank.get(k, 999))
        evidence = sorted(p["evidence"], key=lambda e: rank.get(e["category"], 999))
        unit_id, path = p["unit"]
        old = existing.pop(id_number, None)
        if old is None:
            inserts.append({"tenant_id": campaign.tenant_id, "campaign_id": campaign.id, "id_number": id_number,
                            "name": p["name"], "org_unit_id": unit_id, "unit_path": path,
                            "household_id": p["household_id"], "phone": p["phone"], "categories": cats,
                            "evidence": evidence, "origin": "matched", "status": "listed", "created_at": now,
                            "matched_at": now})
            added += 1
            continue
        if old.origin == "manual":
            cats = sorted(set(cats) | set(old.categories), key=lambda k: rank.get(k, 999))
            evidence = [e for e in old.evidence if e.get("rule") == "manual"] + evidence
        new = {"name": p["name"], "org_unit_id": unit_id, "unit_path": path, "household_id": p["household_id"],
               "phone": p["phone"], "categories": cats, "evidence": evidence, "status": "listed"}
        if all(getattr(old, k) == v for k, v in new.items()):
            unchanged += 1
            continue
        updates.append({"_id": old.id, **new, "matched_at": now})
        updated += 1
    for old in existing.values():
        if old.origin == "matched" and old.status == "listed" and old.last_outcome is None:
            updates.append({"_id": old.id, "name": old.name, "org_unit_id": old.org_unit_id,
                            "unit_path": old.unit_path, "household_id": old.household_id, "phone": old.phone,
                            "categories": old.categories, "evidence": old.evidence, "status": "withdrawn",
                            "matched_at": now})
            withdrawn += 1
    table = Subject.__table__
    for chunk in bulk.chunks(inserts, 5000):
        bulk.insert_rows(session, table, chunk)
    for chunk in bulk.chunks(updates, 5000):
        bulk.update_rows(session, table, chunk)
    if len(inserts) >= 1000:
        bulk.analyze(session, table)
    session.expire_all()
    return {"people": len(found), "added": added, "updated": updated, "unchanged": unchanged, "withdrawn": withdrawn}
