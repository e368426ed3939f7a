"""The SMTP sender that ships with the core: off by default, and against a real (local) SMTP server
started by the test it mails the users who turned e-mail on."""
from __future__ import annotations

import email
import socket
from email.policy import default as default_policy

import pytest
from sqlalchemy import select

from duban.campaigns.registry import plugin_manager
from duban.extensions import db
from duban.notifications import init_app, smtp
from duban.notifications.models import NotificationSetting
from duban.tasks.models import Task

from . import factories

aiosmtpd = pytest.importorskip("aiosmtpd.controller")


class Sink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def mailbox(app, monkeypatch):
    """A local SMTP server, and the app configured to use it (registered like create_app would)."""
    sink = Sink()
    port = _free_port()
    controller = aiosmtpd.Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "REDIS_URL", "")  # deliver inline, here
    for key, value in {"DUBAN_SMTP_HOST": "127.0.0.1", "DUBAN_SMTP_PORT": port,
                       "DUBAN_SMTP_SENDER": "duban@huli.example.gov.cn",
                       "DUBAN_BASE_URL": "https://duban.example.gov.cn"}.items():
        monkeypatch.setitem(app.config, key, value)
    init_app(app)
    try:
        yield sink
    finally:
        plugin_manager().unregister(name=smtp.PLUGIN_NAME)
        controller.stop()


def test_smtp_is_off_by_default(app):
    assert not smtp.enabled(app.config)
    assert not plugin_manager().has_plugin(smtp.PLUGIN_NAME)


def test_urge_is_mailed_to_users_who_turned_email_on(app, district, login_as, mailbox):
    u, users = district["units"], district["users"]
    campaign = factories.launch(u["湖里区民政局"], users["admin"])
    street = login_as(users["township"])
    page = street.get("/notifications").get_data(as_text=True)
    assert "通知设置" in page
    r = street.post_form("/notifications/settings", {"email": "不是邮箱", "email_enabled": "1"})
    assert db.session.scalar(select(NotificationSetting)) is None
    r = street.post_form("/notifications/settings", {"email": "huli@example.gov.cn", "email_enabled": "1"})
    assert r.status_code == 302
    task = db.session.scalar(select(Task).where(Task.campaign_id == campaign.id, Task.org_unit_id == u["湖里街道"].id)
                             .order_by(Task.due_on))
    r = login_as(users["inspector"]).post_form(f"/tasks/{task.id}/urge", {"message": "请今天报送进度表"})
    assert r.status_code == 302
    assert len(mailbox.messages) == 1
    envelope = mailbox.messages[0]
    assert envelope.rcpt_tos == ["huli@example.gov.cn"] and envelope.mail_from == "duban@huli.example.gov.cn"
    msg = email.message_from_bytes(envelope.original_content, policy=default_policy)
    assert msg["Subject"].startswith("【催办】") and task.title in msg["Subject"]
    body = msg.get_content()
    assert "请今天报送进度表" in body and f"https://duban.example.gov.cn/tasks/{task.id}" in body
    # A user without an address gets the in-app notification only.
    village_task = db.session.scalar(select(Task).where(Task.org_unit_id == u["金湖社区"].id))
    login_as(users["township"]).post_form(f"/tasks/{village_task.id}/urge", {"message": "加快入户"})
    assert len(mailbox.messages) == 1


def test_turning_email_off_stops_mail(app, district, login_as, mailbox):
    users, units = district["users"], district["units"]
    factories.launch(units["湖里区民政局"], users["admin"])
    street = login_as(users["township"])
    street.post_form("/notifications/settings", {"email": "huli@example.gov.cn", "email_enabled": "1"})
    street.post_form("/notifications/settings", {"email": "huli@example.gov.cn"})
    setting = db.session.scalar(select(NotificationSetting))
    assert setting.email == "huli@example.gov.cn" and not setting.email_enabled
    from duban.notifications import reminders

    reminders.daily("2022-07-01")
    assert mailbox.messages == []
