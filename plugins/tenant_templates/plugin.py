"""The built-in plugin that serves tenant-owned templates (saved from plan drafts) as campaign types.

Each saved :class:`~duban.plandraft.models.TenantTemplate` is a campaign type whose key is
"tenant<tenant id>_<template id>". It is announced only to its own tenant (tenant_campaign_types)
and every definition hook answers for it only when the row belongs to the tenant named in the key
and, if the session is scoped, to the session's tenant. Parts are rebuilt when the row changes.
"""
from __future__ import annotations

import re
from importlib.resources import files

import yaml
from duban import hookimpl
from duban.campaigns.types import ListColumn
from duban.extensions import db
from duban.plandraft.models import TenantTemplate
from sqlalchemy import select

from . import mapping

KEY = re.compile(r"^tenant(?P<tenant>\d+)_(?P<id>\d+)$")
_CACHE_SIZE = 256


def template_key(tenant_id: int, template_id: int) -> str:
    return f"tenant{tenant_id}_{template_id}"


class TenantTemplates:
    def __init__(self):
        raw = yaml.safe_load((files(__package__) / "lists.yaml").read_text(encoding="utf-8"))
        self.lists = {kind: [ListColumn(key=c["key"], label=c["label"], type=c.get("type", "text"),
                                        required=bool(c.get("required", False))) for c in cols]
                      for kind, cols in raw.items()}
        self._parts: dict[tuple, dict] = {}

    # --- finding the row -----------------------------------------------------------------------

    def _row(self, campaign_type: str) -> TenantTemplate | None:
        m = KEY.match(campaign_type or "")
        if not m:
            return None
        tenant_id, session_tenant = int(m["tenant"]), db.session.info.get("tenant_id")
        if session_tenant is not None and session_tenant != tenant_id:
            return None
        row = db.session.get(TenantTemplate, int(m["id"]))
        if row is None or row.tenant_id != tenant_id or row.key != campaign_type or row.deleted_at is not None:
            return None
        return row

    def _built(self, campaign_type: str) -> dict | None:
        row = self._row(campaign_type)
        if row is None:
            return None
        version = (row.id, row.updated_at or row.created_at)
        if version not in self._parts:
            if len(self._parts) >= _CACHE_SIZE:
                self._parts.clear()
            data = row.data
            self._parts[version] = {
                "phases": mapping.phases(data), "tasks": mapping.tasks(data),
                "categories": mapping.screening_categories(data), "checks": mapping.screening_checks(data),
                "ledgers": mapping.ledgers(data),
            }
        return self._parts[version]

    # --- hooks ---------------------------------------------------------------------------------

    @hookimpl
    def tenant_campaign_types(self, tenant_id):
        rows = db.session.scalars(select(TenantTemplate).where(TenantTemplate.tenant_id == tenant_id, TenantTemplate.deleted_at.is_(None))
                                  .order_by(TenantTemplate.id))
        return [mapping.campaign_type(r.key, r.data) for r in rows if KEY.match(r.key)]

    @hookimpl
    def campaign_phases(self, campaign_type):
        parts = self._built(campaign_type)
        return list(parts["phases"]) if parts else None

    @hookimpl
    def task_templates(self, campaign_type):
        parts = self._built(campaign_type)
        return list(parts["tasks"]) if parts else None

    @hookimpl
    def campaign_checklists(self, campaign_type):
        return {} if self._built(campaign_type) else None

    @hookimpl
    def campaign_forms(self, campaign_type):
        return [] if self._built(campaign_type) else None

    @hookimpl
    def screening_categories(self, campaign_type):
        parts = self._built(campaign_type)
        return list(parts["categories"]) if parts else None

    @hookimpl
    def screening_checks(self, campaign_type):
        parts = self._built(campaign_type)
        return list(parts["checks"]) if parts else None

    @hookimpl
    def campaign_ledgers(self, campaign_type):
        parts = self._built(campaign_type)
        return dict(parts["ledgers"]) if parts else None

    @hookimpl
    def list_columns(self, campaign_type, list_kind):
        return list(self.lists.get(list_kind, ())) if self._built(campaign_type) else None


plugin = TenantTemplates()
