"""Summary reports: asking for one, and gathering what goes into it.

The PDF itself is made by a background job (reports/jobs.py); the request only records a
queued :class:`ReportJob`. Everything the template shows is computed here, from the campaign's
tasks (reports/progress.py) and the three lists of the unit's subtree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock
from ..campaigns.models import Campaign
from ..campaigns.registry import definition, plugin_manager
from ..campaigns.types import LIST_KIND_LABELS, LIST_KINDS
from ..errors import ValidationError
from ..lists.models import Problem, Rectification, Result
from ..periodic.report import summary_sections
from ..surveys.report import survey_section
from ..tenancy.access import require
from ..tenancy.models import OrgUnit, User
from ..tenancy.permissions import Permission
from ..tenancy.tree import path_range
from .models import ReportJob
from .progress import breakdown_with_departments, overdue_tasks

ACTIVE_STATUSES = ("queued", "running")
# A job still queued or running after this long lost its worker; another may be requested.
STALE_AFTER = timedelta(minutes=15)
OVERDUE_LIMIT = 200
LIST_LIMIT = 500
LIGHT_LABELS = {"red": "逾期", "yellow": "临期", "green": "正常", "done": "完成", "none": "无任务"}
LIST_MODELS = {"problem": Problem, "rectification": Rectification, "result": Result}
_SHORT_TYPES = {"date", "int", "decimal", "bool"}
_SHORT_KEYS = {"source", "status"}
# Columns of a list entry that are bookkeeping, never a list column's value.
_HIDDEN = {"id", "tenant_id", "campaign_id", "org_unit_id", "unit_path", "extra", "created_by_id", "created_at"}


def request_summary(session: Session, user: User, campaign: Campaign, org_unit: OrgUnit) -> ReportJob:
    """Record a request for the summary PDF of campaign at org_unit and return the queued job.

    The caller commits, then enqueues ``duban.reports.jobs:render_summary`` with the job's id.
    Answers 404 when the user cannot see org_unit, 403 without the right to generate reports.
    """
    require(user, Permission.REPORT_GENERATE, org_unit)
    if campaign.status == "draft":
        raise ValidationError("专项行动尚未发布，不能生成汇总报告")
    if campaign.tenant_id != org_unit.tenant_id or not org_unit.is_within(campaign.root_unit):
        raise ValidationError("所选单位不在本专项行动的范围内")
    since = clock.now() - STALE_AFTER
    busy = session.scalar(
        select(func.count(ReportJob.id)).where(
            ReportJob.campaign_id == campaign.id, ReportJob.org_unit_id == org_unit.id,
            ReportJob.status.in_(ACTIVE_STATUSES), ReportJob.created_at >= since))
    if busy:
        raise ValidationError(f"{org_unit.name}的汇总报告正在生成，请稍候刷新页面查看")
    job = ReportJob(tenant_id=campaign.tenant_id, campaign_id=campaign.id, org_unit_id=org_unit.id,
                    requested_by_id=user.id, status="queued", progress=0, message="排队等待生成")
    session.add(job)
    session.flush()
    return job


def jobs_for(session: Session, campaign: Campaign, org_unit: OrgUnit, limit: int = 20) -> list[ReportJob]:
    """Return the newest report jobs of campaign at org_unit."""
    return list(session.scalars(
        select(ReportJob).where(ReportJob.campaign_id == campaign.id, ReportJob.org_unit_id == org_unit.id)
        .order_by(ReportJob.id.desc()).limit(limit)))


def is_active(job: ReportJob) -> bool:
    """True while job is queued or running and not yet given up as stale."""
    if job.status not in ACTIVE_STATUSES:
        return False
    created = job.created_at if job.created_at.tzinfo else job.created_at.replace(tzinfo=clock.TZ)
    return clock.now() - created < STALE_AFTER


def download_name(job: ReportJob) -> str:
    """Return the PDF's file name: campaign title, unit, date — without path separators."""
    stamp = job.finished_at or job.created_at
    if stamp.tzinfo:  # SQLite hands back naive datetimes, already in Asia/Shanghai
        stamp = stamp.astimezone(clock.TZ)
    name = f"{job.campaign.title}_{job.org_unit.name}_汇总报告_{stamp:%Y%m%d}.pdf"
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name)


# --- What the PDF shows ------------------------------------------------------------------------

@dataclass
class ListTable:
    kind: str
    title: str
    columns: list[str]
    rows: list[list[str]]
    total: int
    nowrap: list[bool]  # per column: short values (dates, numbers, codes) stay on one line


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return f"{value.year}年{value.month}月{value.day}日"
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"
    return str(value)


def cell(entry, key: str) -> str:
    """Return the display text of one list column of entry: a core field (with its Chinese
    label for codes such as source and status) or, for a plugin's own column, its extra value."""
    label = getattr(type(entry), f"{key}_label", None)
    if isinstance(label, property):
        return _text(getattr(entry, f"{key}_label"))
    if key in type(entry).__table__.columns and key not in _HIDDEN:
        return _text(getattr(entry, key))
    return _text((entry.extra or {}).get(key))


def _shorten(text: str, size: int = 40) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= size else text[: size - 1] + "…"


def list_tables(session: Session, campaign: Campaign, unit: OrgUnit) -> list[ListTable]:
    """Return the problem, rectification and result lists of unit's subtree, with the
    campaign type's columns (plus the unit, and for a rectification its problem)."""
    low, high = path_range(unit.path)
    columns = definition(campaign.type_key).lists
    tables = []
    for kind in LIST_KINDS:
        model = LIST_MODELS[kind]
        where = (model.campaign_id == campaign.id, model.unit_path >= low, model.unit_path < high)
        total = session.scalar(select(func.count(model.id)).where(*where)) or 0
        entries = session.scalars(select(model).where(*where).order_by(model.unit_path, model.id).limit(LIST_LIMIT))
        cols = columns.get(kind, ())
        head = ["单位"] + (["对应问题"] if kind == "rectification" else []) + [c.label for c in cols]
        nowrap = [False] * (len(head) - len(cols)) + [c.type in _SHORT_TYPES or c.key in _SHORT_KEYS for c in cols]
        rows = []
        for e in entries:
            row = [e.org_unit.name]
            if kind == "rectification":
                row.append(_shorten(e.problem.description if e.problem else ""))
            rows.append(row + [cell(e, c.key) for c in cols])
        tables.append(ListTable(kind, LIST_KIND_LABELS[kind], head, rows, total, nowrap))
    return tables


def plugin_extras(campaign: Campaign, unit: OrgUnit) -> dict:
    """Merge the dicts returned by every report_context hook implementation.

    A plugin adds whole sections with ``{"sections": [{"title", "paragraphs", "columns", "rows"}]}``
    (sections from several plugins are appended in turn); any other key becomes a template
    variable, but never replaces one of the core's own.
    """
    merged: dict = {"extra_sections": []}
    for result in plugin_manager().hook.report_context(campaign=campaign, org_unit=unit):
        if not isinstance(result, dict):
            continue
        for key, value in result.items():
            if key == "sections":
                merged["extra_sections"].extend(value or ())
            elif key != "extra_sections":
                merged[key] = value
    return merged


def summary_context(session: Session, campaign: Campaign, unit: OrgUnit, today: date) -> dict:
    """Return every template variable of the summary PDF of campaign at unit, as of today."""
    d = definition(campaign.type_key)
    phases = list(campaign.phases)
    total, rows, department_rows = breakdown_with_departments(session, campaign, unit, today)
    core = {
        "campaign": campaign, "unit": unit, "ctype": d.type, "today": today, "phases": phases,
        "phase_names": {p.key: p.name for p in phases},
        "period_start": min((p.starts_on for p in phases), default=None),
        "period_end": max((p.ends_on for p in phases), default=None),
        "total": total, "rows": rows,
        "overdue": overdue_tasks(session, campaign, unit, today, limit=OVERDUE_LIMIT),
        "overdue_total": total.overall.overdue,
        "lists": list_tables(session, campaign, unit),
        "survey": survey_section(session, campaign, unit),
        "LIGHT_LABELS": LIGHT_LABELS,
        "department_rows": department_rows,
        **summary_sections(session, campaign, unit),
    }
    extras = plugin_extras(campaign, unit)
    sections = extras.pop("extra_sections")
    return {**extras, **core, "extra_sections": sections}
