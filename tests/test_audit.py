"""The audit trail: append-only, old and new values, every change of state from the services,
viewable per campaign and unit by admins and exported as xlsx; nothing is hard-deleted."""
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from duban.audit.models import AuditEvent, AuditImmutable
from duban.audit.services import record
from duban.extensions import db
from duban.tasks import services as work
from duban.tasks.models import Task

from . import factories


def test_record_and_refuse_changes(district):
    unit, admin = district["units"]["湖里街道"], district["users"]["admin"]
    ev = record(db.session, admin, "unit.renamed", object_type="org_unit", object_id=unit.id, org_unit=unit,
                old={"name": "旧名"}, new={"name": unit.name})
    db.session.commit()
    stored = db.session.scalar(select(AuditEvent))
    assert stored.old == {"name": "旧名"} and stored.unit_path == unit.path and stored.actor.username == "admin"
    ev.note = "改写"
    with pytest.raises(AuditImmutable):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, stored.id))
    with pytest.raises(AuditImmutable):
        db.session.flush()
    db.session.rollback()


# --- every change of state is on the trail ----------------------------------------------------
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7V\xbd\xfa\x00\x00\x00\x00IEND\xaeB`\x82")


def _actions():
    db.session.expire_all()
    return [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_the_work_flow_is_on_the_trail(district, login_as):
    from duban.lists import services as lists

    u, users = district["units"], district["users"]
    campaign = factories.launch(u["湖里区民政局"], users["admin"])
    assert _actions()[:2] == ["campaign.drafted", "campaign.published"]
    task = db.session.scalar(select(Task).join(Task.spec).where(
        Task.org_unit_id == u["湖里街道"].id, Task.spec.has(template_key="township_breakdown")))
    work.submit(db.session, users["township"], task, "已分解")
    work.review(db.session, users["admin"], task, approve=False, comment="请补充分工表")
    work.comment_on(db.session, users["inspector"], task, "抓紧")
    db.session.commit()
    problem = lists.record_problem(db.session, users["village"], campaign, u["金湖社区"], {
        "source": "self_check", "category": "其他", "description": "台账不全", "found_on": "2022-06-30"})
    rect = lists.add_rectification(db.session, users["village"], problem, {
        "measure": "补齐台账", "responsible_person": "李秀英", "due_on": "2022-07-10"})
    lists.update_rectification_status(db.session, users["village"], rect, "done", "2022-07-01")
    lists.record_result(db.session, users["village"], campaign, u["金湖社区"], {
        "description": "台账补齐", "outcome": "其他", "achieved_on": "2022-07-01"})
    db.session.commit()
    actions = _actions()
    for expected in ("task.submitted", "task.returned", "task.commented", "problem.created", "rectification.created",
                     "problem.status_changed", "rectification.status_changed", "result.created"):
        assert expected in actions, expected
    returned = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "task.returned"))
    assert returned.old == {"status": "submitted"} and returned.new == {"status": "returned"}
    assert returned.note == "请补充分工表" and returned.actor_id == users["admin"].id
    assert returned.campaign_id == campaign.id and returned.unit_path == u["湖里街道"].path
    closed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "problem.status_changed")).all()
    assert [e.new["status"] for e in closed] == ["rectifying", "closed"]


def test_deleted_evidence_is_kept_and_on_the_trail(district, login_as):
    u, users = district["units"], district["users"]
    factories.launch(u["湖里区民政局"], users["admin"])
    task = db.session.scalar(select(Task).where(Task.org_unit_id == u["金湖社区"].id).order_by(Task.due_on.desc()))
    c = login_as(users["village"])
    c.post_form(f"/tasks/{task.id}/evidence", {"file": (io.BytesIO(PNG), "走访照片.png")},
                content_type="multipart/form-data")
    from duban.evidence.models import Attachment

    att = db.session.scalar(select(Attachment))
    assert c.post_form(f"/evidence/{att.id}/delete").status_code == 302
    db.session.expire_all()
    assert att.deleted and db.session.get(Attachment, att.id) is not None  # marked, never removed
    ev = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "evidence.deleted"))
    assert ev.new["filename"] == "走访照片.png" and ev.old == {"deleted": False}
    assert ev.campaign_id == task.campaign_id and ev.actor_id == users["village"].id
    assert "evidence.added" in _actions()


def test_admin_changes_are_on_the_trail(district):
    from duban.tenancy import services as admin_services

    u, users = district["units"], district["users"]
    admin = users["admin"]
    unit = admin_services.add_child_unit(db.session, admin, u["湖里街道"], name="新村社区", kind="village")
    admin_services.update_unit(db.session, admin, unit, name="新村社区居委会")
    user = admin_services.create_user(db.session, admin, username="xincun", display_name="新用户",
                                      password="password-123", role="village_worker", unit=unit)
    admin_services.set_active(db.session, admin, user, False)
    admin_services.reset_password(db.session, admin, user, "password-456")
    db.session.commit()
    assert _actions() == ["org_unit.created", "org_unit.updated", "user.created", "user.deactivated",
                          "user.password_reset"]
    renamed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "org_unit.updated"))
    assert renamed.old["name"] == "新村社区" and renamed.new["name"] == "新村社区居委会"
    assert "password" not in str(db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.created")).new)


def test_trail_page_and_xlsx_export_per_campaign_and_unit(district, login_as):
    u, users = district["units"], district["users"]
    campaign = factories.launch(u["湖里区民政局"], users["admin"])
    street_task = db.session.scalar(select(Task).where(Task.org_unit_id == u["湖里街道"].id).order_by(Task.id))
    work.comment_on(db.session, users["inspector"], street_task, "湖里请加快")
    other = db.session.scalar(select(Task).where(Task.org_unit_id == u["殿前街道"].id).order_by(Task.id))
    work.comment_on(db.session, users["inspector"], other, "殿前请加快")
    db.session.commit()
    c = login_as(users["admin"])
    assert c.get("/audit").status_code == 302
    page = c.get(f"/audit/{u['湖里街道'].id}?campaign={campaign.id}").get_data(as_text=True)
    assert "湖里请加快" in page and "殿前请加快" not in page and "发表意见" in page
    everything = c.get(f"/audit/{u['湖里区民政局'].id}?action=task").get_data(as_text=True)
    assert "湖里请加快" in everything and "殿前请加快" in everything and "发布专项行动" not in everything
    assert c.get(f"/audit/{u['湖里区民政局'].id}?since=昨天").status_code == 400
    r = c.get(f"/audit/{u['湖里街道'].id}/export?campaign={campaign.id}")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(r.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("序号", "时间", "操作人", "操作")
    assert any(row[11] == "湖里请加快" for row in rows[1:]) and not any(row[11] == "殿前请加快" for row in rows[1:])
    assert _actions()[-1] == "audit.exported"
    # Admins only: the street and the inspector may not read the trail.
    assert login_as(users["township"]).get(f"/audit/{u['湖里街道'].id}").status_code == 403
    assert login_as(users["inspector"]).get("/audit").status_code == 403
    assert login_as(users["sibling"]).get(f"/audit/{u['湖里街道'].id}").status_code == 404
