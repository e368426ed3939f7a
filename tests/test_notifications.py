"""Notifications: the daily reminder job (right people, exactly once), the inbox with its unread
count, the notification_created hook and the SMTP sender (against a local SMTP server)."""
from __future__ import annotations

import time
import types
from datetime import date

import pytest
from sqlalchemy import func, select

from duban import hookimpl
from duban.campaigns.registry import plugin_manager
from duban.extensions import db
from duban.notifications import reminders, services
from duban.notifications.models import Notification
from duban.tasks.models import Task

from . import factories


@pytest.fixture
def campaign(district):
    return factories.launch(district["units"]["湖里区民政局"], district["users"]["admin"])


def _rows():
    db.session.expire_all()
    return db.session.execute(select(Notification.task_id, Notification.recipient_id, Notification.kind,
                                     Notification.day).execution_options(all_tenants=True)).all()


def _by_recipient(kind: str) -> dict[int, set[int]]:
    out: dict[int, set[int]] = {}
    for task_id, recipient, k, _ in _rows():
        if k == kind:
            out.setdefault(recipient, set()).add(task_id)
    return out


def _tasks(campaign, unit, *, due_before=None, due_on=None) -> set[int]:
    stmt = select(Task.id).where(Task.campaign_id == campaign.id, Task.org_unit_id == unit.id)
    if due_before:
        stmt = stmt.where(Task.due_on < due_before)
    if due_on:
        stmt = stmt.where(Task.due_on == due_on)
    return set(db.session.scalars(stmt))


# --- the reminder job ---------------------------------------------------------------------------

def test_reminders_go_to_assignees_and_superiors_exactly_once(app, campaign, district):
    u, users = district["units"], district["users"]
    today = date(2022, 7, 1)
    created = reminders.daily("2022-07-01")
    assert created > 0
    overdue = _by_recipient("overdue")
    # Each unit's own people get their own overdue tasks.
    assert overdue[users["township"].id] == _tasks(campaign, u["湖里街道"], due_before=today)
    assert overdue[users["sibling"].id] == _tasks(campaign, u["殿前街道"], due_before=today)
    assert overdue[users["village"].id] == _tasks(campaign, u["金湖社区"], due_before=today)
    assert overdue[users["admin"].id] == _tasks(campaign, u["湖里区民政局"], due_before=today)
    assert users["inspector"].id not in overdue  # inspectors do no task work
    # Superiors: the street for its communities, the bureau for its streets; nobody above the bureau.
    below = _by_recipient("overdue_below")
    village_tasks = set().union(*(_tasks(campaign, u[n], due_before=today) for n in ("金湖社区", "湖边社区")))
    assert below[users["township"].id] == village_tasks
    street_tasks = _tasks(campaign, u["湖里街道"], due_before=today) | _tasks(campaign, u["殿前街道"], due_before=today)
    assert below[users["admin"].id] == street_tasks
    assert users["village"].id not in below
    # Reruns change nothing.
    before = len(_rows())
    assert reminders.daily("2022-07-01") == 0
    assert len(_rows()) == before
    keys = [(t, r, k, d) for t, r, k, d in _rows()]
    assert len(keys) == len(set(keys))


def test_moving_the_clock_sends_due_soon_then_overdue(app, campaign, district, monkeypatch):
    u, users = district["units"], district["users"]
    report2 = _tasks(campaign, u["湖里街道"], due_on=date(2022, 7, 19))
    monkeypatch.setitem(app.config, "DUBAN_TODAY", "2022-07-14")  # Thursday: 07-15, 18, 19 → 3 working days
    reminders.daily()
    assert report2 <= _by_recipient("due_soon")[users["township"].id]
    monkeypatch.setitem(app.config, "DUBAN_TODAY", "2022-07-20")
    reminders.daily()
    assert report2 <= _by_recipient("overdue")[users["township"].id]
    assert report2 <= _by_recipient("overdue_below")[users["admin"].id]
    days = {d for t, r, k, d in _rows() if t in report2 and r == users["township"].id}
    assert days == {date(2022, 7, 14), date(2022, 7, 20)}


def test_done_and_submitted_tasks_and_inactive_users_are_left_alone(app, campaign, district):
    u, users = district["units"], district["users"]
    for t in db.session.scalars(select(Task).where(Task.org_unit_id == u["殿前街道"].id)):
        t.status = "submitted"
    users["village"].active = False
    db.session.commit()
    reminders.daily("2022-07-01")
    own = {r for _, r, k, _ in _rows() if k in ("overdue", "due_soon")}
    assert users["sibling"].id not in own  # 殿前街道 submitted all its own tasks
    assert users["sibling"].id in _by_recipient("overdue_below")  # but its communities have not
    assert users["village"].id not in {r for _, r, _, _ in _rows()}


def test_notify_ignores_only_duplicate_reminders(app, district):
    user = district["users"]["township"]
    tid = user.tenant_id
    first = services.notify(db.session, [user], kind="urge", title="请加快", tenant_id=tid)
    second = services.notify(db.session, [user, user.id], kind="urge", title="请加快", tenant_id=tid)
    assert len(first) == 1 and len(second) == 1  # not reminders: never deduplicated, recipients once each
    day = date(2022, 7, 1)
    with pytest.raises(ValueError):
        services.notify(db.session, [user], kind="nonsense", title="x", tenant_id=tid)
    db.session.commit()
    assert services.unread_count(db.session, user) == 2
    assert len(services.notify(db.session, [user], kind="due_soon", title="x", tenant_id=tid, day=day)) == 1
    # task_id NULL never collides; the constraint guards (task, recipient, kind, day).
    assert len(services.notify(db.session, [user], kind="due_soon", title="x", tenant_id=tid, day=day)) == 1


def test_cli_remind(app, campaign):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["supervision", "remind", "--date", "2022-07-01"])
    assert first.exit_code == 0, first.output
    assert "新建通知" in first.output and "新建通知 0 条" not in first.output
    again = runner.invoke(args=["supervision", "remind", "--date", "2022-07-01"])
    assert "新建通知 0 条" in again.output
    bad = runner.invoke(args=["supervision", "remind", "--date", "7月1日"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output


def test_scheduler_registers_a_daily_cron_job_at_beijing_time(app, monkeypatch):
    """`flask supervision scheduler` hands rq's CronScheduler a daily job (not started here)."""
    import rq.cron

    seen = {}

    class FakeCron:
        def __init__(self, connection, **kw):
            seen["connection"] = connection

        def register(self, func, queue_name, **kw):
            seen.update(func=func, queue=queue_name, **kw)

        def start(self):
            seen["started"] = True

    monkeypatch.setattr(rq.cron, "CronScheduler", FakeCron)
    monkeypatch.setitem(app.config, "REDIS_URL", app.config.get("REDIS_URL") or "redis://127.0.0.1:6379/15")
    monkeypatch.setenv("TZ", "UTC")
    result = app.test_cli_runner().invoke(args=["supervision", "scheduler", "--at", "07:30"])
    time.tzset()
    assert result.exit_code == 0, result.output
    assert seen["cron"] == "30 7 * * *" and seen["args"] == (reminders.JOB,) and seen["started"]


# --- the inbox ----------------------------------------------------------------------------------

def test_inbox_unread_count_open_and_mark_all_read(app, campaign, district, login_as):
    users = district["users"]
    reminders.daily("2022-07-01")
    c = login_as(users["township"])
    unread = services.unread_count(db.session, users["township"])
    assert unread > 1
    home = c.get("/").get_data(as_text=True)
    assert f'{unread}</span>' in home.split("</nav>")[0]  # the badge in the header
    page = c.get("/notifications").get_data(as_text=True)
    assert "逾期提醒" in page and "下级逾期" in page
    note = db.session.scalar(select(Notification).where(Notification.recipient_id == users["township"].id,
                                                        Notification.kind == "overdue"))
    r = c.post_form(f"/notifications/{note.id}/open")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/tasks/{note.task_id}")
    assert services.unread_count(db.session, users["township"]) == unread - 1
    # Nobody opens another user's notification.
    assert login_as(users["sibling"]).post_form(f"/notifications/{note.id}/open").status_code == 404
    c.post_form("/notifications/read-all")
    assert services.unread_count(db.session, users["township"]) == 0
    assert "条未读" not in c.get("/notifications").get_data(as_text=True)
    assert c.get("/notifications?show=unread").status_code == 200


def test_settings_page_exists_only_with_smtp(app, district, login_as):
    c = login_as(district["users"]["township"])
    assert c.post_form("/notifications/settings", {"email": "a@b.cn", "email_enabled": "1"}).status_code == 404


# --- the notification_created hook --------------------------------------------------------------

@pytest.fixture
def channel(app, monkeypatch):
    """A plugin implementing notification_created, registered on the app for one test; jobs inline."""
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    got = []
    plugin = types.SimpleNamespace()

    @hookimpl
    def notification_created(notification):
        got.append(notification)

    plugin.notification_created = notification_created
    pm = plugin_manager()
    pm.register(plugin, name="test-channel")
    try:
        yield got
    finally:
        pm.unregister(plugin)


def test_hook_notification_created(app, campaign, district, channel):
    users = district["users"]
    reminders.daily("2022-07-01")
    total = db.session.scalar(select(func.count()).select_from(Notification).execution_options(all_tenants=True))
    assert len(channel) == total > 0
    first = channel[0]
    assert first.recipient_username in {u.username for u in users.values()}
    assert first.url.startswith("/tasks/") and first.kind_label in ("逾期提醒", "下级逾期", "临期提醒")
    assert first.email is None  # nobody turned e-mail on
    channel.clear()
    reminders.daily("2022-07-01")
    assert channel == []  # handed on once, like the reminders themselves


def test_rolled_back_notifications_are_not_forwarded(app, district, channel):
    user = district["users"]["township"]
    services.notify(db.session, [user], kind="urge", title="x", tenant_id=user.tenant_id)
    db.session.rollback()
    db.session.commit()
    assert channel == []


def test_a_failing_channel_does_not_break_the_action(app, campaign, district, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    plugin = types.SimpleNamespace()

    @hookimpl
    def notification_created(notification):
        raise ConnectionError("chat service down")

    plugin.notification_created = notification_created
    pm = plugin_manager()
    pm.register(plugin, name="broken-channel")
    try:
        task = db.session.scalar(select(Task).where(Task.org_unit_id == district["units"]["湖里街道"].id))
        r = login_as(district["users"]["inspector"]).post_form(f"/tasks/{task.id}/urge", {"message": "请加快"})
        assert r.status_code == 302
    finally:
        pm.unregister(plugin)
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1
