"""The demo tenant: its tree, its accounts, and a published 漏保漏救 campaign part-way done."""
from __future__ import annotations

import zlib
from datetime import date, datetime, time

import filetype
import pytest
from sqlalchemy import func, select

from duban import clock
from duban.campaigns.models import Campaign
from duban.demo import (DEMO_PASSWORD, DEMO_TODAY, DEMO_USERS, DOC_NUMBER, STREETS, TENANT_NAME, DemoExists,
                        demo_today, png, seed_demo)
from duban.evidence.models import Attachment
from duban.evidence.storage import blob_path
from duban.extensions import db
from duban.lists.models import Problem, Rectification, Result
from duban.tasks.models import OPEN_STATUSES, FormEntry, Task, TaskEvent
from duban.tenancy.models import OrgUnit, Tenant, User
from duban.tenancy.scoping import set_tenant

from .conftest import Client


def _all(stmt):
    return db.session.scalars(stmt.execution_options(all_tenants=True)).all()


@pytest.fixture
def demo(app):
    assert seed_demo(today=DEMO_TODAY) is True
    set_tenant(db.session, db.session.scalar(select(Tenant.id).where(Tenant.name == TENANT_NAME)))
    return db.session.scalar(select(Campaign))


def test_png_is_a_real_png():
    data = png(40, 20, 7)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert filetype.guess(data).mime == "image/png"
    # IHDR says 40x20 RGB and the image data inflates to 20 rows of 1 + 40*3 bytes.
    assert data[16:24] == (40).to_bytes(4, "big") + (20).to_bytes(4, "big")
    idat_len = int.from_bytes(data[33:37], "big")
    assert len(zlib.decompress(data[41:41 + idat_len])) == 20 * (1 + 40 * 3)


def test_tree_and_accounts(demo):
    units = _all(select(OrgUnit))
    by_kind = {k: sorted(u.name for u in units if u.kind == k) for k in ("bureau", "township", "village")}
    assert by_kind["bureau"] == ["湖里区民政局"]
    assert set(by_kind["township"]) == {"湖里街道", "殿前街道", "禾山街道", "江头街道", "金山街道"}
    assert {"金湖社区", "湖边社区", "高殿社区", "兴隆社区"} <= set(by_kind["village"])
    streets = {u.id: u for u in units if u.kind == "township"}
    per_street = {}
    for u in units:
        if u.kind == "village":
            per_street.setdefault(streets[u.parent_id].name, []).append(u)
            assert u.path.startswith(streets[u.parent_id].path)
    assert all(3 <= len(v) <= 4 for v in per_street.values()) and len(per_street) == 5
    for u in units:
        assert u.division_code is None or (len(u.division_code) == 12 and u.division_code.startswith("350206"))
    users = {u.username: u for u in _all(select(User))}
    roles = {}
    for username, name, role, unit in DEMO_USERS:
        user = users[username]
        assert user.display_name == name
        assert [(m.role, m.org_unit.name) for m in user.memberships] == [(role, unit)]
        roles.setdefault(role, []).append(username)
    assert set(roles) == {"bureau_admin", "inspector", "township_operator", "village_worker"}
    # Every street and community has its own account.
    members = {m.org_unit.name for u in users.values() for m in u.memberships}
    assert members >= set(by_kind["township"]) | set(by_kind["village"])


def test_campaign_is_part_way(demo):
    campaign = demo
    assert campaign.status == "published" and campaign.year == 2022 and campaign.doc_number == DOC_NUMBER
    assert campaign.type_key == "loubao_loujiu" and "漏保" in campaign.title
    assert campaign.published_on == date(2022, 6, 6)
    tasks = _all(select(Task))
    statuses = {t.status for t in tasks}
    assert statuses == {"todo", "in_progress", "submitted", "approved", "returned"}
    done = [t for t in tasks if t.status == "approved"]
    assert 0.25 < len(done) / len(tasks) < 0.75
    overdue = [t for t in tasks if t.status in OPEN_STATUSES and t.due_on < DEMO_TODAY]
    assert {(t.spec.template_key, t.org_unit.name) for t in overdue} >= {
        ("hard_cases", "江头街道"), ("progress_report_3", "江头街道"), ("progress_report_3", "禾山街道")}
    assert all(t.completed_on <= DEMO_TODAY for t in done)
    # Nothing due later than a month after the demo day has been started.
    assert all(t.status == "todo" for t in tasks if t.due_on > date(2022, 9, 30))
    # Both kinds of reviewer have work waiting.
    waiting = {t.org_unit.kind for t in tasks if t.status == "submitted"}
    assert waiting == {"township", "village"}


def test_history_is_dated_in_2022(demo):
    first, last = datetime.combine(date(2022, 5, 20), time(0), clock.TZ), datetime.combine(DEMO_TODAY, time(23, 59), clock.TZ)
    stamps = [e.at for e in _all(select(TaskEvent))] + [a.uploaded_at for a in _all(select(Attachment))]
    stamps += [f.saved_at for f in _all(select(FormEntry))] + [u.created_at for u in _all(select(User))]
    for stamp in stamps:
        stamp = stamp if stamp.tzinfo else stamp.replace(tzinfo=clock.TZ)
        assert first <= stamp <= last
    kinds = {e.kind for e in _all(select(TaskEvent))}
    assert {"created", "checklist", "form_saved", "evidence_added", "submitted", "approved", "returned",
            "completed", "commented"} <= kinds


def test_evidence_and_lists(app, demo):
    atts = _all(select(Attachment))
    assert atts and all(a.mime == "image/png" for a in atts)
    with open(blob_path(app.config["UPLOAD_FOLDER"], atts[0].sha256), "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    problems = _all(select(Problem))
    assert {p.status for p in problems} == {"open", "rectifying", "closed"}
    assert {p.source for p in problems} >= {"self_check", "spot_check", "inspection"}
    assert all(p.extra.get("category") for p in problems)
    assert len(_all(select(Rectification))) >= 2 and len(_all(select(Result))) >= 2


def test_demo_logins_work(app, demo):
    app.test_client_class = Client
    for username, *_ in DEMO_USERS:
        c = app.test_client()
        r = c.login(username, DEMO_PASSWORD)
        assert r.status_code == 302, username


def test_seed_is_idempotent_and_refuses_duplicates(demo):
    assert seed_demo(only_if_empty=True) is False
    with pytest.raises(DemoExists):
        seed_demo()
    assert db.session.scalar(select(func.count()).select_from(Tenant)) == 1


def test_if_empty_skips_a_database_with_a_tenant(district):
    assert seed_demo(only_if_empty=True) is False
    assert db.session.scalar(select(func.count()).select_from(Tenant)) == 1


def test_demo_day_comes_from_config_never_the_system_clock(app):
    assert app.config["DUBAN_TODAY"] == "2022-07-01"  # the tests' pinned day
    assert demo_today() == date(2022, 7, 1)
    app.config["DUBAN_TODAY"] = None
    try:
        assert demo_today() == DEMO_TODAY
    finally:
        app.config["DUBAN_TODAY"] = "2022-07-01"


def test_seed_on_an_earlier_day(app):
    assert seed_demo() is True  # the tests pin DUBAN_TODAY to 2022-07-01
    assert app.config["DUBAN_TODAY"] == "2022-07-01"  # restored after seeding
    tasks = _all(select(Task))
    assert all(t.completed_on is None or t.completed_on <= date(2022, 7, 1) for t in tasks)
    assert all(t.status == "todo" for t in tasks if t.spec.template_key == "progress_report_2")
    assert any(t.status == "approved" for t in tasks if t.spec.template_key == "progress_report_1")
    assert not _all(select(Problem))  # the first problem is found on 7/12


def test_cli_seed_prints_logins(app):
    runner = app.test_cli_runner()
    r = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert r.exit_code == 0, r.output
    assert "已创建演示数据" in r.output and DEMO_PASSWORD in r.output
    for username, name, _, unit in DEMO_USERS:
        assert username in r.output and name in r.output and unit in r.output
    r = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert r.exit_code == 0 and "未重复创建" in r.output and "admin" in r.output
    r = runner.invoke(args=["demo", "seed"])
    assert r.exit_code != 0 and "已存在" in r.output


def test_streets_match_the_plan():
    assert [s[0] for s in STREETS] == ["湖里街道", "殿前街道", "禾山街道", "江头街道", "金山街道"]
