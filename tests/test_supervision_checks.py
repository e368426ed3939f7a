"""Spot checks (抽查: seeded, reproducible samples; findings become problems) and circulars
(通报: drafted from live data, edited, issued, rendered as a 公文-style PDF in a serif font)."""
from __future__ import annotations

import io
import re
from datetime import date, datetime

import pypdf
import pytest
from sqlalchemy import func, select

from duban.audit.models import AuditEvent
from duban.clock import TZ
from duban.errors import ValidationError
from duban.extensions import db
from duban.lists.models import Problem
from duban.notifications.models import Notification
from duban.supervision import circular_pdf, circulars, spotchecks
from duban.supervision.models import Circular, SpotCheck, SpotCheckItem
from duban.tasks.models import Task

from . import factories
from .test_reports import pdf_fonts


@pytest.fixture
def campaign(district):
    c = factories.launch(district["units"]["湖里区民政局"], district["users"]["admin"])
    # Every community has reported its June work: a population to sample from.
    for t in db.session.scalars(select(Task).where(Task.campaign_id == c.id, Task.due_on <= date(2022, 6, 30))):
        t.status, t.submitted_at, t.completed_on = "approved", datetime(2022, 6, 28, 10, tzinfo=TZ), date(2022, 6, 29)
    db.session.commit()
    return c


# --- 抽查 ----------------------------------------------------------------------------------------

def test_draw_is_seeded_and_reproducible():
    assert spotchecks.draw(5, 40, seed=20220701) == spotchecks.draw(5, 40, seed=20220701)
    assert spotchecks.draw(5, 40, seed=1) != spotchecks.draw(5, 40, seed=2)
    assert len(set(spotchecks.draw(40, 40, seed=3))) == 40  # a sample, without repeats


def test_inspector_draws_a_spot_check_and_a_finding_becomes_a_problem(app, campaign, district, login_as):
    u, users = district["units"], district["users"]
    c = login_as(users["inspector"])
    r = c.post_form(f"/campaigns/{campaign.id}/spot-checks",
                    {"unit": u["湖里街道"].id, "population": "tasks", "sample_size": "3", "seed": "20220701"})
    assert r.status_code == 302, r.get_data(as_text=True)
    check = db.session.scalar(select(SpotCheck))
    assert (check.seed, check.sample_size) == (20220701, 3) and check.population_size >= 3
    items = check.items
    assert [i.seq for i in items] == [1, 2, 3]
    # The same seed over the same population gives the same rows.
    assert spotchecks.redraw(db.session, check) == [(i.subject_type, i.subject_id) for i in items]
    again = spotchecks.create(db.session, users["inspector"], campaign, u["湖里街道"],
                              {"population": "tasks", "sample_size": "3", "seed": "20220701"})
    assert [(i.subject_type, i.subject_id) for i in again.items] == [(i.subject_type, i.subject_id) for i in items]
    db.session.rollback()
    page = c.get(f"/spot-checks/{check.id}").get_data(as_text=True)
    assert "20220701" in page and "以相同种子重新抽取，结果与本次一致" in page

    first, second = items[0], items[1]
    r = c.post_form(f"/spot-checks/{check.id}/items/{first.id}", {"finding": "issue", "note": ""})
    db.session.expire_all()
    assert first.finding == "pending"  # a problem needs a description
    c.post_form(f"/spot-checks/{check.id}/items/{first.id}", {"finding": "issue", "note": "进度表数据与台账不符"})
    c.post_form(f"/spot-checks/{check.id}/items/{second.id}", {"finding": "ok", "note": ""})
    db.session.expire_all()
    assert (first.finding, second.finding) == ("issue", "ok") and first.checked_by_id == users["inspector"].id
    # An "ok" item cannot become a problem; the "issue" one can, with the plugin's problem columns.
    r = c.post_form(f"/spot-checks/{check.id}/items/{second.id}/problem", {"description": "x", "category": "其他"})
    assert db.session.scalar(select(Problem)) is None
    r = c.post_form(f"/spot-checks/{check.id}/items/{first.id}/problem",
                    {"description": "进度表数据与台账不符", "found_on": "2022-07-01"})
    assert db.session.scalar(select(Problem)) is None  # 问题类别 is required by the campaign type
    r = c.post_form(f"/spot-checks/{check.id}/items/{first.id}/problem",
                    {"description": "进度表数据与台账不符", "found_on": "2022-07-01", "category": "主动摸排不到位"})
    assert r.status_code == 302
    problem = db.session.scalar(select(Problem))
    assert problem.source == "spot_check" and problem.source_label == "抽查" and problem.extra["category"] == "主动摸排不到位"
    assert problem.org_unit_id == first.org_unit_id
    db.session.expire_all()
    assert first.problem_id == problem.id
    assert "进度表数据与台账不符" in c.get(f"/campaigns/{campaign.id}/lists?unit={first.org_unit_id}").get_data(as_text=True)
    actions = [a for a in db.session.scalars(select(AuditEvent.action))]
    assert {"spot_check.drawn", "spot_check.finding", "problem.created"} <= set(actions)
    # The finding is frozen once it became a problem.
    c.post_form(f"/spot-checks/{check.id}/items/{first.id}", {"finding": "ok", "note": ""})
    db.session.expire_all()
    assert first.finding == "issue"


@pytest.mark.parametrize("form, field", [
    ({"population": "nobody"}, "population"),
    ({"sample_size": "0"}, "sample_size"),
    ({"sample_size": "9999"}, "sample_size"),
    ({"sample_size": "abc"}, "sample_size"),
    ({"seed": "-1"}, "seed"),
    ({"seed": "1.5"}, "seed"),
])
def test_spot_check_input_is_checked(app, campaign, district, form, field):
    good = {"population": "tasks", "sample_size": "2", "seed": ""}
    with pytest.raises(ValidationError) as bad:
        spotchecks.create(db.session, district["users"]["inspector"], campaign, district["units"]["湖里街道"],
                          {**good, **form})
    assert field in bad.value.fields
    db.session.rollback()
    assert db.session.scalar(select(SpotCheck)) is None and db.session.scalar(select(SpotCheckItem)) is None


def test_blank_seed_is_generated_and_shown(app, campaign, district):
    check = spotchecks.create(db.session, district["users"]["admin"], campaign, district["units"]["湖里街道"],
                              {"population": "tasks", "sample_size": "2", "seed": ""})
    assert 0 <= check.seed < 1_000_000 and len(check.items) == 2


def test_street_spot_checks_its_communities_but_not_itself(app, campaign, district, login_as):
    u, users = district["units"], district["users"]
    street = login_as(users["township"])
    form = {"population": "tasks", "sample_size": "1", "seed": "7"}
    assert street.post_form(f"/campaigns/{campaign.id}/spot-checks", {**form, "unit": u["湖里街道"].id}).status_code == 403
    assert street.post_form(f"/campaigns/{campaign.id}/spot-checks", {**form, "unit": u["金湖社区"].id}).status_code == 302
    assert login_as(users["village"]).post_form(
        f"/campaigns/{campaign.id}/spot-checks", {**form, "unit": u["金湖社区"].id}).status_code == 403


# --- 通报 ----------------------------------------------------------------------------------------

def _figures_world(campaign, district):
    """殿前 reported everything on time, 湖里 late, so the ranking is clear."""
    u = district["units"]
    for t in db.session.scalars(select(Task).where(Task.campaign_id == campaign.id,
                                                   Task.unit_path.startswith(u["湖里街道"].path))):
        if t.status == "approved":
            t.submitted_at = datetime(2022, 7, 1, 9, tzinfo=TZ)  # after every June deadline
    db.session.commit()


def test_figures_are_as_of_the_chosen_day(app, campaign, district):
    _figures_world(campaign, district)
    before = circulars.figures(db.session, campaign, date(2022, 6, 20))
    after = circulars.figures(db.session, campaign, date(2022, 7, 1))
    assert before.total.overall.done == 0 and after.total.overall.done > 0
    ranked = [r.unit.name for r in after.league.ranked]
    assert ranked == ["殿前街道", "湖里街道"]
    huli = next(r for r in after.rows if r.unit.name == "湖里街道")
    assert huli.overall.on_time_pct == 0


def test_bureau_drafts_edits_and_issues_a_circular(app, campaign, district, login_as):
    _figures_world(campaign, district)
    users = district["users"]
    c = login_as(users["admin"])
    r = c.post_form(f"/campaigns/{campaign.id}/circulars", {"as_of": "2022-07-01"})
    assert r.status_code == 302
    circ = db.session.scalar(select(Circular))
    assert circ.status == "draft" and circ.title.startswith("关于测试专项行动")
    assert "各镇(街道)：" in circ.body and "二、进展较快的单位" in circ.body and "三、进展滞后的单位" in circ.body
    ahead, behind = circ.body.split("三、")[0], circ.body.split("三、")[1].split("四、")[0]
    assert "殿前街道：" in ahead and "湖里街道：" in behind and "按时完成率0%" in behind
    assert circ.doc_number == "测民〔2022〕号"
    street_tasks = db.session.scalar(select(func.count()).select_from(Task).where(
        Task.campaign_id == campaign.id, Task.org_unit_id != campaign.root_unit_id))
    assert f"2个镇(街道)共承担任务{street_tasks}项" in circ.body  # the bureau's own tasks are not counted
    # Streets do not see drafts; the inspector (a supervisor at the bureau) does.
    assert login_as(users["township"]).get(f"/circulars/{circ.id}").status_code == 404  # the bureau is above it
    assert login_as(users["inspector"]).get(f"/circulars/{circ.id}").status_code == 200
    # Issuing needs a complete 文号.
    c.post_form(f"/circulars/{circ.id}/issue")
    db.session.expire_all()
    assert circ.status == "draft"
    edited = circ.body.replace("四、下一步工作要求", "四、下一步工作要求\n请湖里街道于7月8日前书面说明原因。")
    r = c.post_form(f"/circulars/{circ.id}", {"title": circ.title, "doc_number": "测民〔2022〕21号", "body": edited,
                                             "issuer": "湖里区民政局", "issued_on": "2022-07-01"})
    assert r.status_code == 302
    r = c.post_form(f"/circulars/{circ.id}", {"title": "", "doc_number": "x", "body": "", "issuer": "x",
                                             "issued_on": "2022-06-01"})
    assert r.status_code == 400 and "请填写标题" in r.get_data(as_text=True)
    db.session.expire_all()
    assert circ.doc_number == "测民〔2022〕21号" and "书面说明原因" in circ.body
    assert c.post_form(f"/circulars/{circ.id}/issue").status_code == 302
    db.session.expire_all()
    assert circ.status == "issued"
    notified = set(db.session.scalars(select(Notification.recipient_id).where(Notification.kind == "circular")))
    assert notified == {users["township"].id, users["sibling"].id}
    # Issued: final, and readable by the streets.
    page = login_as(users["township"]).get(f"/circulars/{circ.id}").get_data(as_text=True)
    assert "书面说明原因" in page and "<textarea" not in page
    r = c.post_form(f"/circulars/{circ.id}", {"title": "改", "doc_number": "x", "body": "x", "issuer": "x",
                                             "issued_on": "2022-07-01"})
    db.session.expire_all()
    assert circ.title != "改"
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"circular.drafted", "circular.edited", "circular.issued"} <= actions


def test_only_the_bureau_drafts_circulars(app, campaign, district, login_as):
    users = district["users"]
    assert login_as(users["township"]).post_form(f"/campaigns/{campaign.id}/circulars",
                                                 {"as_of": "2022-07-01"}).status_code == 404
    assert db.session.scalar(select(Circular)) is None
    with pytest.raises(ValidationError) as bad:
        circulars.create_draft(db.session, users["admin"], campaign, "2022-07-02")
    assert "as_of" in bad.value.fields


def test_paragraph_styles():
    styles = circulars.paragraphs("各镇(街道)：\n为推动……\n\n一、总体进展\n截至……")
    assert [s for s, _ in styles] == ["address", "p", "h1", "p"]


def test_circular_pdf_is_an_official_document_in_a_serif_font(app, campaign, district, login_as, glyph_guard):
    _figures_world(campaign, district)
    admin = district["users"]["admin"]
    circ = circulars.create_draft(db.session, admin, campaign, "2022-07-01")
    circ.doc_number = "测民〔2022〕21号"
    circ.body = circ.body.replace("各镇(街道)：", "各镇(街道)：\n（涉及𠮷䶮社区）")
    db.session.commit()
    r = login_as(admin).get(f"/circulars/{circ.id}/pdf")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    data = r.data
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(p.extract_text() for p in reader.pages)
    flat = re.sub(r"\s+", "", text)
    for expected in ("湖里区民政局", "测民〔2022〕21号", "工作进展情况的通报", "一、总体进展", "进展滞后的单位",
                     "2022年7月1日", "𠮷䶮社区"):
        assert expected in flat, expected
    fonts = pdf_fonts(data)
    serif = circular_pdf.serif_font()
    assert serif is not None, "pylopdf-fonts-zh-cn (Noto Serif SC) is a dependency"
    assert any("Serif" in f for f in fonts), fonts
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "circular.exported")) is not None
