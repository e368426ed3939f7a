"""通报 (circulars): drafted from the campaign's figures as of a day, edited, then issued.

The figures are those of the day chosen: a task counts as completed if it was approved by then,
as reported if it had been submitted by then, and as open otherwise (a task returned after the
day counts by its current state). The draft names the units ahead and behind — ranked as in
the league table, by on-time completion — with their figures; the bureau edits it freely
before issuing. An issued circular is final; it is rendered as a 公文-style PDF
(circular_pdf.py) and the units in scope are notified.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..audit.services import record
from ..campaigns.models import Campaign
from ..errors import ValidationError
from ..notifications.services import notify
from ..reports.progress import League, Tally, UnitRow, apply_pace, due_soon_days, league, local_day
from ..tasks.models import Task
from ..tenancy.models import Membership, User
from ..tenancy.tree import children, path_range
from ..workdays import add_workdays
from . import common
from .access import require_supervisor
from .models import Circular

BODY_MAX = 20000


@dataclass
class Figures:
    day: date
    total: UnitRow
    rows: list[UnitRow]
    league: League


def _status_on(status: str, completed_on, submitted_on, day: date) -> tuple[str, date | None]:
    if status == "approved" and completed_on and completed_on <= day:
        return "approved", submitted_on
    if status in ("approved", "submitted") and submitted_on and submitted_on <= day:
        return "submitted", submitted_on
    return "in_progress", None


def figures(session: Session, campaign: Campaign, day: date) -> Figures:
    """Progress of the campaign's launching unit and of each unit below it, as of day."""
    root = campaign.root_unit
    soon = due_soon_days(campaign)
    # The geographic units below (a bureau's own departments are not named in a circular).
    rows = {k.id: UnitRow(k) for k in children(session, root) if k.kind != "department"}
    total = UnitRow(root)
    low, high = path_range(root.path)
    for path, phase, status, due_on, completed_on, submitted_at in session.execute(
            select(Task.unit_path, Task.phase_key, Task.status, Task.due_on, Task.completed_on, Task.submitted_at)
            .where(Task.campaign_id == campaign.id, Task.unit_path >= low, Task.unit_path < high)):
        eff, sub = _status_on(status, completed_on, local_day(submitted_at), day)
        segments = path.strip("/").split("/")
        child = rows.get(int(segments[root.depth + 1])) if len(segments) > root.depth + 1 else None
        for row in (total, child) if child else (total,):
            row.overall.add(eff, due_on, day, soon, sub)
            row.phases[phase].add(eff, due_on, day, soon, sub)
    for row in (total, *rows.values()):
        apply_pace(campaign, row, day)
    ordered = list(rows.values())
    return Figures(day, total, ordered, league(ordered))


def _sum(tallies) -> Tally:
    out = Tally()
    for t in tallies:
        for name in ("total", "done", "submitted", "overdue", "due_soon", "due_past", "on_time"):
            setattr(out, name, getattr(out, name) + getattr(t, name))
    return out


def _kind_name(rows: list[UnitRow]) -> str:
    kinds = {r.unit.kind for r in rows}
    return {"township": "镇(街道)", "village": "村(社区)"}.get(kinds.pop(), "单位") if len(kinds) == 1 else "单位"


def _line(r: UnitRow) -> str:
    t = r.overall
    on_time = f"按时完成率{t.on_time_pct}%" if t.on_time_pct is not None else "暂无到期任务"
    late = f"逾期未完成{t.overdue}项" if t.overdue else "无逾期任务"
    return f"{r.unit.name}：完成任务{t.done}项/共{t.total}项，完成率{t.pct}%，{on_time}，{late}。"


def _cn(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def draft_text(campaign: Campaign, f: Figures, issuer: str) -> tuple[str, str]:
    """(title, body) of a circular drafted from the figures."""
    kind = _kind_name(f.rows) if f.rows else "单位"
    t = _sum(r.overall for r in f.rows)  # the named units' tasks, not the bureau's own
    ranked = f.league.ranked
    k = min(3, len(ranked) // 2)
    ahead, behind = ranked[:k], (ranked[-k:] if k else [])
    doc = f"（{campaign.doc_number}）" if campaign.doc_number else ""
    deadline = add_workdays(f.day, 5)
    lines = [
        f"各{kind}：",
        f"为推动《{campaign.title}》{doc}各项任务落实，现将截至{_cn(f.day)}各{kind}工作进展情况通报如下：",
        "一、总体进展",
        f"截至{_cn(f.day)}，{len(f.rows)}个{kind}共承担任务{t.total}项，已完成{t.done}项，完成率{t.pct}%；"
        f"已上报待审核{t.submitted}项；逾期未完成{t.overdue}项。"
        + (f"到期任务按时完成率{t.on_time_pct}%。" if t.on_time_pct is not None else ""),
        "二、进展较快的单位",
        *([_line(r) for r in ahead] or ["暂无。"]),
        "三、进展滞后的单位",
        *([_line(r) for r in behind] or ["暂无。"]),
        "四、下一步工作要求",
        "（一）进展滞后的单位要认真分析原因，明确整改措施、责任人和完成时限，确保按期完成各项任务。",
        (f"（二）各{kind}要严格对照时间节点按时报送材料；逾期未完成的任务请于{_cn(deadline)}前办结，"
         f"并将整改情况报{issuer}。"),
        f"（三）{issuer}将持续跟踪督办，对工作推进不力、整改不到位的单位，视情采取约谈、挂牌督办等措施。",
    ]
    subject = campaign.title.removesuffix("工作")
    return f"关于{subject}工作进展情况的通报", "\n".join(lines)


def suggested_number(campaign: Campaign, year: int) -> str:
    """The campaign's 文号 prefix (厦湖民〔2022〕) with the number left for the bureau to fill."""
    m = re.match(r"^(.*?〔\d{4}〕)", campaign.doc_number or "")
    return f"{m.group(1)}号" if m else f"〔{year}〕号"


def require_issuer(user: User, campaign: Campaign) -> None:
    """Circulars are the launching bureau's: supervisors at or above its launching unit."""
    require_supervisor(user, campaign.root_unit, strictly_above=False)


def create_draft(session: Session, user: User, campaign: Campaign, as_of) -> Circular:
    require_issuer(user, campaign)
    if campaign.status != "published":
        raise ValidationError("专项行动不在进行中")
    errors: dict[str, str] = {}
    day = common.day(as_of, "通报截至日期", errors, "as_of", not_future=True)
    if day and campaign.published_on and day < campaign.published_on:
        errors["as_of"] = f"通报截至日期不能早于专项行动发布日期（{_cn(campaign.published_on)}）"
    if errors:
        raise ValidationError(fields=errors)
    issuer = campaign.root_unit.name
    title, body = draft_text(campaign, figures(session, campaign, day), issuer)
    c = Circular(campaign_id=campaign.id, org_unit_id=campaign.root_unit_id, unit_path=campaign.root_unit.path,
                 as_of=day, doc_number=suggested_number(campaign, clock.today().year), title=title, body=body,
                 issuer=issuer, issued_on=clock.today(), status="draft", created_by_id=user.id,
                 tenant_id=campaign.tenant_id)
    session.add(c)
    session.flush()
    record(session, user, "circular.drafted", object_type="circular", object_id=c.id, org_unit=campaign.root_unit,
           campaign_id=campaign.id, new={"as_of": day, "title": title})
    return c


def update(session: Session, user: User, c: Circular, form: dict) -> None:
    """Save the edited draft: title, doc_number, body, issuer, issued_on."""
    require_issuer(user, c.campaign)
    if c.status != "draft":
        raise ValidationError("通报已印发，不能再修改")
    errors: dict[str, str] = {}
    values = {
        "title": common.text(form.get("title"), "标题", errors, "title", max_length=200),
        "doc_number": common.text(form.get("doc_number"), "文号", errors, "doc_number", max_length=60, required=False),
        "body": common.text(form.get("body"), "正文", errors, "body", max_length=BODY_MAX),
        "issuer": common.text(form.get("issuer"), "发文单位", errors, "issuer", max_length=100),
        "issued_on": common.day(form.get("issued_on"), "成文日期", errors, "issued_on"),
    }
    if values["issued_on"] and values["issued_on"] < c.as_of:
        errors["issued_on"] = "成文日期不能早于通报截至日期"
    if errors:
        raise ValidationError(fields=errors)
    old = {k: getattr(c, k) for k in values}
    changed = {k: v for k, v in values.items() if old[k] != v}
    for k, v in values.items():
        setattr(c, k, v)
    c.updated_at = clock.now()
    if changed:
        record(session, user, "circular.edited", object_type="circular", object_id=c.id, org_unit=c.org_unit,
               campaign_id=c.campaign_id, old={k: old[k] for k in changed if k != "body"} | (
                   {"body": f"{len(old['body'])}字"} if "body" in changed else {}),
               new={k: v for k, v in changed.items() if k != "body"} | (
                   {"body": f"{len(values['body'])}字"} if "body" in changed else {}))


def issue(session: Session, user: User, c: Circular) -> int:
    """Issue (印发) the circular: it becomes final and the units below are notified. Returns how many."""
    require_issuer(user, c.campaign)
    if c.status != "draft":
        raise ValidationError("通报已印发")
    if not (c.doc_number or "").strip() or re.search(r"〕号$", c.doc_number):
        raise ValidationError(fields={"doc_number": "印发前请填写完整的文号，例如 厦湖民〔2022〕21号"})
    c.status, c.issued_by_id = "issued", user.id
    kids = [k.id for k in children(session, c.org_unit)]
    recipients = list(session.scalars(select(Membership.user_id).where(Membership.org_unit_id.in_(kids or [0]))
                                      .distinct()))
    notify(session, recipients, kind="circular", title=c.title, body=f"{c.issuer} {c.doc_number}",
           tenant_id=c.tenant_id, campaign_id=c.campaign_id, org_unit_id=c.org_unit_id, subject_type="circular",
           subject_id=c.id, actor_id=user.id)
    record(session, user, "circular.issued", object_type="circular", object_id=c.id, org_unit=c.org_unit,
           campaign_id=c.campaign_id, old={"status": "draft"},
           new={"status": "issued", "doc_number": c.doc_number, "issued_on": c.issued_on})
    return len(recipients)


def for_campaign(session: Session, campaign: Campaign, *, issued_only: bool) -> list[Circular]:
    stmt = select(Circular).where(Circular.campaign_id == campaign.id)
    if issued_only:
        stmt = stmt.where(Circular.status == "issued")
    return list(session.scalars(stmt.order_by(Circular.as_of.desc(), Circular.id.desc())))


def paragraphs(body: str) -> list[tuple[str, str]]:
    """(style, text) per non-empty line: "address" (a short first line ending with ：), "h1" for a
    short line starting 一、…, else "p" (an indented paragraph)."""
    out = []
    for line in (x.strip() for x in (body or "").splitlines()):
        if not line:
            continue
        if not out and line.endswith(("：", ":")) and len(line) <= 40:
            out.append(("address", line))
        elif re.match(r"^[一二三四五六七八九十]+、", line) and len(line) <= 30:
            out.append(("h1", line))
        else:
            out.append(("p", line))
    return out

