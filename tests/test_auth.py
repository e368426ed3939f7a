"""Logging in and out: the real form, Chinese errors, rate limit, revocable sessions, CSRF, cookies."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from duban import config as duban_config
from duban import create_app
from duban.extensions import db
from duban.tenancy.models import User
from duban.tenancy.passwords import set_password

from . import factories
from .conftest import Client, _token


def _app_like(app, **overrides):
    """A separate app on the same database as the session's app, with some settings changed."""
    keys = ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "REDIS_URL", "UPLOAD_FOLDER", "REPORT_FOLDER", "DUBAN_TODAY",
            "RATELIMIT_STORAGE_URI", "TESTING")
    return create_app({**{k: app.config[k] for k in keys}, **overrides})


def test_login_page(client):
    r = client.get("/login")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "登录" in html and 'name="csrf_token"' in html and 'lang="zh-CN"' in html


def test_login_through_the_form(district, client):
    r = client.login("jh_worker")
    assert r.status_code == 302 and r.headers["Location"].endswith("/")
    page = client.get("/")
    assert page.status_code == 200
    assert district["users"]["village"].display_name in page.get_data(as_text=True)
    # Logged in, the login page sends the user on.
    assert client.get("/login").status_code == 302


def test_login_next_stays_on_site(district, client):
    token = _token(client.get("/login").get_data(as_text=True))
    data = {"username": "jh_worker", "password": factories.PASSWORD, "csrf_token": token}
    r = client.post("/login?next=//evil.example/x", data=data)
    assert r.status_code == 302 and r.headers["Location"] == "/"


def test_login_next_inside_site(district, client):
    token = _token(client.get("/login").get_data(as_text=True))
    data = {"username": "admin", "password": factories.PASSWORD, "csrf_token": token}
    r = client.post("/login?next=/admin/users", data=data)
    assert r.status_code == 302 and r.headers["Location"] == "/admin/users"


@pytest.mark.parametrize("username, password", [
    ("jh_worker", "wrong-password"),
    ("nobody", factories.PASSWORD),
    ("", ""),
    ("JH_WORKER", factories.PASSWORD),
])
def test_wrong_credentials(district, client, username, password):
    r = client.login(username, password)
    assert r.status_code == 401
    html = r.get_data(as_text=True)
    assert "用户名或密码错误" in html
    assert f'value="{username}"' in html  # the username is kept in the form
    assert client.get("/admin/units").status_code == 302  # still anonymous


def test_inactive_user_cannot_log_in(district, client):
    user = district["users"]["village"]
    user.active = False
    db.session.commit()
    r = client.login("jh_worker")
    assert r.status_code == 401 and "用户名或密码错误" in r.get_data(as_text=True)


def test_logout(district, client):
    client.login("admin")
    assert client.get("/admin/units").status_code == 200
    r = client.post_form("/logout")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert client.get("/admin/units").status_code == 302


def test_pages_need_login(client):
    r = client.get("/admin/users")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_session_version_bump_logs_out(district, client):
    client.login("admin")
    assert client.get("/admin/units").status_code == 200
    user = db.session.scalar(select(User).where(User.username == "admin").execution_options(all_tenants=True))
    set_password(user, "another-password")
    db.session.commit()
    r = client.get("/admin/units")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    assert client.login("admin").status_code == 401
    assert client.login("admin", "another-password").status_code == 302


def test_csrf_missing_is_400(district, client):
    r = client.post("/login", data={"username": "admin", "password": factories.PASSWORD})
    assert r.status_code == 400
    assert "页面已过期或表单来源无效" in r.get_data(as_text=True)
    assert client.get("/admin/units").status_code == 302  # not logged in
    client.login("admin")
    assert client.post("/logout").status_code == 400
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/admin/units").status_code == 200  # still logged in


def test_session_cookie_flags(district, client):
    r = client.login("admin")
    cookies = [v for k, v in r.headers.items() if k.lower() == "set-cookie" and v.startswith("session=")]
    assert cookies
    for cookie in cookies:
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie


def test_passwords_are_hashed_with_argon2id(district):
    user = district["users"]["admin"]
    assert user.password_hash.startswith("$argon2id$")
    assert factories.PASSWORD not in user.password_hash


def test_login_is_rate_limited(app, district):
    limited = _app_like(app, DUBAN_LOGIN_LIMIT="3 per minute")
    try:
        limited.test_client_class = Client
        c = limited.test_client()
        for _ in range(3):
            assert c.login("admin", "wrong-password").status_code == 401
        r = c.login("admin")  # even the right password is refused now
        assert r.status_code == 429
        assert "操作过于频繁" in r.get_data(as_text=True)
        assert c.get("/login").status_code == 200  # only POSTs count
    finally:
        with limited.app_context():
            db.session.remove()
            db.engine.dispose()


def test_default_secret_key_refused_in_production(app):
    base = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "RATELIMIT_STORAGE_URI": "memory://", "SECRET_KEY": duban_config.DEFAULT_SECRET_KEY}
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({**base, "TESTING": False, "DEBUG": False, "DUBAN_DEMO": False})
    # A real key, or the demo/test modes, start fine.
    for overrides in ({"SECRET_KEY": "a-real-secret"}, {"DUBAN_DEMO": True}, {"TESTING": True}):
        other = create_app({**base, **overrides})
        with other.app_context():
            db.engine.dispose()
