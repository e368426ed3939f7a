"""Forwarding notifications to other channels (e-mail, …) through the notification_created hook.

After a transaction that created notifications commits, their ids are handed to
:func:`forward` — as a background job (rq) with REDIS_URL, inline otherwise — which calls
``notification_created(notification=…)`` once per notification with a plain
:class:`OutgoingNotification`. Nothing runs when no plugin implements the hook. A channel that
fails is logged and does not stop the others, nor undo the in-app notification.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..tenancy.models import User
from .models import KIND_LABELS, Notification, NotificationSetting
from .services import forget_pending, take_pending

log = logging.getLogger(__name__)
FORWARD_JOB = "duban.notifications.channels:forward"


@dataclass(frozen=True)
class OutgoingNotification:
    """What a channel gets: plain data, no ORM object and no database access needed."""

    id: int
    tenant_id: int
    kind: str
    kind_label: str
    title: str
    body: str
    url: str  # absolute when DUBAN_BASE_URL is set, else a path on the platform
    created_at: datetime
    recipient_id: int
    recipient_username: str
    recipient_name: str
    email: str | None  # the recipient's address when they turned e-mail on, else None


def link_target(n: Notification) -> tuple[str, dict]:
    """(endpoint, values) of the page a notification points at."""
    if n.subject_type == "escalation" and n.subject_id:
        return "supervision.escalation", {"escalation_id": n.subject_id}
    if n.subject_type == "circular" and n.subject_id:
        return "supervision.circular", {"circular_id": n.subject_id}
    if n.task_id:
        return "tasks.show", {"task_id": n.task_id}
    if n.campaign_id:
        values = {"campaign_id": n.campaign_id}
        if n.org_unit_id:
            values["unit"] = n.org_unit_id
        return "campaigns.show", values
    return "notifications.inbox", {}


def link_path(n: Notification) -> str:
    """The path of the notification's page, built without a request (jobs have none)."""
    endpoint, values = link_target(n)
    if endpoint not in current_app.view_functions:
        endpoint, values = "notifications.inbox", {}
    return current_app.url_map.bind("localhost").build(endpoint, values)


def outgoing(session: Session, ids: list[int]) -> list[OutgoingNotification]:
    base = (current_app.config.get("DUBAN_BASE_URL") or "").rstrip("/")
    rows = session.execute(
        select(Notification, User, NotificationSetting)
        .join(User, User.id == Notification.recipient_id)
        .outerjoin(NotificationSetting, NotificationSetting.user_id == User.id)
        .where(Notification.id.in_(ids)).order_by(Notification.id)
        .execution_options(all_tenants=True)).all()
    return [OutgoingNotification(
        id=n.id, tenant_id=n.tenant_id, kind=n.kind, kind_label=KIND_LABELS.get(n.kind, n.kind), title=n.title,
        body=n.body, url=base + link_path(n), created_at=n.created_at, recipient_id=u.id,
        recipient_username=u.username, recipient_name=u.display_name,
        email=s.email if s is not None and s.email_enabled and s.email else None) for n, u, s in rows]


def has_channels() -> bool:
    from ..campaigns.registry import plugin_manager

    return bool(plugin_manager().hook.notification_created.get_hookimpls())


def forward(ids: list[int]) -> int:
    """Hand each notification to every channel; return how many were handed on."""
    from ..campaigns.registry import plugin_manager

    hook = plugin_manager().hook.notification_created
    sent = 0
    for item in outgoing(db.session, list(ids)):
        try:
            hook(notification=item)
            sent += 1
        except Exception:
            log.exception("forwarding notification %s failed", item.id)
    return sent


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    ids = take_pending(session)
    if not ids or not has_app_context() or not has_channels():
        return
    from .. import jobs

    try:
        jobs.enqueue(FORWARD_JOB, ids)
    except Exception:
        log.exception("could not forward notifications %s", ids)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    forget_pending(session)
