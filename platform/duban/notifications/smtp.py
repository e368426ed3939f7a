"""The e-mail channel that ships with the core: a notification_created hook that sends mail.

Off by default. It is registered only when DUBAN_SMTP_HOST is set, and then mails only the users
who entered an address and turned e-mail on (通知 → 通知设置). Settings:

    DUBAN_SMTP_HOST, DUBAN_SMTP_PORT (25), DUBAN_SMTP_SENDER (noreply@localhost),
    DUBAN_SMTP_USER / DUBAN_SMTP_PASSWORD (login when set), DUBAN_SMTP_STARTTLS (false),
    DUBAN_SMTP_TIMEOUT (10 seconds), DUBAN_BASE_URL (so the mail links back to the platform).
"""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app

from ..hookspecs import hookimpl

PLUGIN_NAME = "duban.smtp"


def enabled(config) -> bool:
    return bool(config.get("DUBAN_SMTP_HOST"))


def message(notification, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = f"【{notification.kind_label}】{notification.title}"
    msg["From"] = sender
    msg["To"] = notification.email
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    lines = [f"{notification.recipient_name}：", "", notification.title]
    if notification.body:
        lines += ["", notification.body]
    lines += ["", f"查看详情：{notification.url}", "", "—— 民政专项行动督办平台（系统自动发送，请勿回复）"]
    msg.set_content("\n".join(lines))
    return msg


def send(msg: EmailMessage, config) -> None:
    host, port = config["DUBAN_SMTP_HOST"], int(config.get("DUBAN_SMTP_PORT") or 25)
    with smtplib.SMTP(host, port, timeout=float(config.get("DUBAN_SMTP_TIMEOUT") or 10)) as smtp:
        if config.get("DUBAN_SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("DUBAN_SMTP_USER"):
            smtp.login(config["DUBAN_SMTP_USER"], config.get("DUBAN_SMTP_PASSWORD") or "")
        smtp.send_message(msg)


@hookimpl
def notification_created(notification):
    config = current_app.config
    if not enabled(config) or not notification.email:
        return
    send(message(notification, config.get("DUBAN_SMTP_SENDER") or "noreply@localhost"), config)
