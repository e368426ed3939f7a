"""Org-unit tree helpers: materialised paths and subtree range filters."""
from __future__ import annotations

from sqlalchemy import and_, false, or_, select
from sqlalchemy.orm import Session

from .models import OrgUnit


def path_range(path: str) -> tuple[str, str]:
    """Return [low, high) such that a row is in the subtree of path iff low <= row.path < high.

    Paths look like "/1/5/"; every descendant starts with it, and "0" sorts right after "/".
    """
    return path, path[:-1] + "0"


def subtree_filter(path_column, roots: list[OrgUnit]):
    """Return a SQL condition: path_column lies in the subtree of any of roots."""
    if not roots:
        return false()
    clauses = []
    for root in roots:
        low, high = path_range(root.path)
        clauses.append(and_(path_column >= low, path_column < high))
    return or_(*clauses)


def add_unit(session: Session, *, tenant_id: int, name: str, kind: str, parent: OrgUnit | None = None,
             division_code: str | None = None, sort_order: int = 0) -> OrgUnit:
    """Create an org unit under parent and give it its materialised path."""
    unit = OrgUnit(tenant_id=tenant_id, name=name, kind=kind, parent=parent,
                   division_code=division_code or None, sort_order=sort_order,
                   depth=(parent.depth + 1) if parent else 0)
    session.add(unit)
    session.flush()  # need the id for the path
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    return unit


def descendants(session: Session, unit: OrgUnit, *, kind: str | None = None) -> list[OrgUnit]:
    """Return the units strictly below unit (optionally of one kind), in tree order."""
    low, high = path_range(unit.path)
    stmt = select(OrgUnit).where(OrgUnit.path > low, OrgUnit.path < high)
    if kind:
        stmt = stmt.where(OrgUnit.kind == kind)
    return list(session.scalars(stmt.order_by(OrgUnit.depth, OrgUnit.sort_order, OrgUnit.id)))


def children(session: Session, unit: OrgUnit) -> list[OrgUnit]:
    return list(session.scalars(
        select(OrgUnit).where(OrgUnit.parent_id == unit.id).order_by(OrgUnit.sort_order, OrgUnit.id)
    ))
