"""Creating notifications (insert-or-ignore), the inbox, and each user's channel settings.

``notify`` writes with one INSERT … ON CONFLICT DO NOTHING (PostgreSQL and SQLite), so two
workers sending the same daily reminder at the same moment leave exactly one row: the unique
constraint (task, recipient, kind, day) decides, not a check-then-insert race. The ids of the
rows really inserted are remembered on the session; once it commits they are handed to the
channels (channels.py) — never for a rolled-back transaction.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import clock
from ..errors import ValidationError
from ..tenancy.models import User
from .models import KIND_LABELS, Notification, NotificationSetting

PENDING_KEY = "duban_new_notifications"
TITLE_MAX = 300
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def notify(session: Session, recipients: Iterable[User | int], *, kind: str, title: str, tenant_id: int,
           body: str = "", task_id: int | None = None, campaign_id: int | None = None,
           org_unit_id: int | None = None, subject_type: str = "", subject_id: int | None = None,
           actor_id: int | None = None, day: date | None = None) -> list[int]:
    """Send one notification to each recipient (users or user ids, duplicates dropped).

    A reminder (day set) that already exists for (task, recipient, kind, day) is skipped.
    Returns the ids of the notifications created.
    """
    if kind not in KIND_LABELS:
        raise ValueError(f"unknown notification kind {kind!r}")
    ids = sorted({r if isinstance(r, int) else r.id for r in recipients})
    if not ids:
        return []
    now = clock.now()
    rows = [dict(tenant_id=tenant_id, recipient_id=uid, kind=kind, title=title[:TITLE_MAX], body=body,
                 task_id=task_id, campaign_id=campaign_id, org_unit_id=org_unit_id, subject_type=subject_type,
                 subject_id=subject_id, actor_id=actor_id, day=day, created_at=now) for uid in ids]
    return insert_ignoring_duplicates(session, rows)


def insert_ignoring_duplicates(session: Session, rows: list[dict]) -> list[int]:
    """Insert notification rows, silently skipping those the unique constraint refuses."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        make = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = make(Notification).values(rows).on_conflict_do_nothing().returning(Notification.id)
        new = list(session.execute(stmt).scalars())
    else:  # any other database: one savepoint per row
        new = []
        for row in rows:
            try:
                with session.begin_nested():
                    new.append(session.execute(insert(Notification).values(**row).returning(Notification.id)).scalar_one())
            except IntegrityError:
                pass
    session.info.setdefault(PENDING_KEY, []).extend(new)
    return new


def take_pending(session: Session) -> list[int]:
    """Return and forget the ids of notifications created in the transaction just committed."""
    return session.info.pop(PENDING_KEY, None) or []


def forget_pending(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)


# --- The inbox ---------------------------------------------------------------------------------

def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.recipient_id == user.id, Notification.read_at.is_(None))) or 0


def inbox(session: Session, user: User, *, unread_only: bool = False, limit: int = 50,
          offset: int = 0) -> tuple[int, list[Notification]]:
    """(count, page) of the user's notifications, newest first."""
    where = [Notification.recipient_id == user.id]
    if unread_only:
        where.append(Notification.read_at.is_(None))
    total = session.scalar(select(func.count()).select_from(Notification).where(*where)) or 0
    page = session.scalars(select(Notification).where(*where)
                           .order_by(Notification.created_at.desc(), Notification.id.desc())
                           .limit(limit).offset(offset))
    return total, list(page)


def get_own(session: Session, user: User, notification_id: int) -> Notification | None:
    """The notification if it is addressed to user, else None (no one reads another's inbox)."""
    n = session.get(Notification, notification_id)
    return n if n is not None and n.recipient_id == user.id and n.tenant_id == user.tenant_id else None


def mark_read(session: Session, user: User, notification: Notification) -> None:
    if notification.recipient_id != user.id:
        raise ValidationError("只能处理自己的通知")
    if notification.read_at is None:
        notification.read_at = clock.now()


def mark_all_read(session: Session, user: User) -> int:
    result = session.execute(update(Notification).where(
        Notification.recipient_id == user.id, Notification.read_at.is_(None)).values(read_at=clock.now())
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


# --- Channel settings ----------------------------------------------------------------------------

def settings_for(session: Session, user: User) -> NotificationSetting | None:
    return session.scalar(select(NotificationSetting).where(NotificationSetting.user_id == user.id))


def save_settings(session: Session, user: User, *, email: str, email_enabled: bool) -> NotificationSetting:
    """Set the user's e-mail address and whether notifications are also sent there."""
    email = (email or "").strip()
    errors = {}
    if email and (len(email) > 254 or not EMAIL_RE.match(email)):
        errors["email"] = "邮箱地址格式不正确，例如 zhangsan@example.gov.cn"
    elif email_enabled and not email:
        errors["email"] = "开启邮件提醒时请填写邮箱地址"
    if errors:
        raise ValidationError(fields=errors)
    setting = settings_for(session, user)
    if setting is None:
        setting = NotificationSetting(user_id=user.id, tenant_id=user.tenant_id)
        session.add(setting)
    setting.email, setting.email_enabled = email, bool(email_enabled)
    session.flush()
    return setting
