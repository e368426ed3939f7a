"""The summary PDF: its content (real WeasyPrint render, text read back with pypdf), the URL
fetcher's limits, and the report pages with their tenancy checks.

Every test here fails when WeasyPrint logs a missing glyph (see glyph_guard).
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
from datetime import date

import pypdf
import pytest
from flask import current_app
from sqlalchemy import select

from duban.errors import ValidationError
from duban.evidence.storage import blob_path
from duban.extensions import db
from duban.lists.models import Problem, Rectification, Result
from duban.reports import jobs as report_jobs
from duban.reports import pdf, services
from duban.reports.models import ReportJob
from duban.tasks.models import Task
from duban.tenancy.scoping import set_tenant
from duban.tenancy.tree import add_unit

from . import factories
from .conftest import glyph_problems

RARE_UNIT = "𠮷䶮社区"  # U+20BB7 (CJK Ext. B) and U+4DAE (Ext. A): rare characters in real names
HEADINGS = ("概况", "阶段安排", "各单位进度", "逾期任务", "三项清单", "问题清单", "整改清单", "成果清单")


# --- helpers (test_jobs.py imports them too; glyph_guard and rq_queue live in conftest.py) ------


def build_campaign(district):
    """Publish a campaign at the bureau with a rare-named community, some tasks approved, many
    overdue (today is 2022-07-01), and one problem → rectification → result in that community."""
    units, users = district["units"], district["users"]
    bureau, street = units["湖里区民政局"], units["湖里街道"]
    rare = add_unit(db.session, tenant_id=bureau.tenant_id, name=RARE_UNIT, kind="village", parent=street,
                    sort_order=9)
    db.session.commit()
    campaign = factories.launch(bureau, users["admin"])
    set_tenant(db.session, bureau.tenant_id)
    street_tasks = db.session.scalars(
        select(Task).where(Task.campaign_id == campaign.id, Task.org_unit_id == street.id)
        .order_by(Task.due_on)).all()
    for t in street_tasks[:3]:
        t.status, t.completed_on = "approved", date(2022, 6, 15)
    admin = users["admin"]
    problem = Problem(campaign_id=campaign.id, org_unit_id=rare.id, unit_path=rare.path, source="spot_check",
                      description="低保边缘家庭王某医疗支出未核实，存在漏保风险", found_on=date(2022, 6, 20),
                      status="rectifying", extra={"category": "主动摸排不到位", "person_involved": "王某"},
                      created_by_id=admin.id)
    db.session.add(problem)
    db.session.flush()
    db.session.add(Rectification(
        campaign_id=campaign.id, org_unit_id=rare.id, unit_path=rare.path, problem_id=problem.id,
        measure="入户核查家庭收入并重新评估", responsible_person="陈建华", due_on=date(2022, 7, 15),
        status="in_progress", created_by_id=admin.id, extra={}))
    db.session.add(Result(
        campaign_id=campaign.id, org_unit_id=rare.id, unit_path=rare.path, problem_id=problem.id,
        description="王某家庭新纳入低保", achieved_on=date(2022, 6, 28), people=3,
        extra={"outcome": "新纳入低保"}, created_by_id=admin.id))
    db.session.commit()
    return campaign, rare


def make_job(campaign, unit, user, **fields) -> ReportJob:
    job = ReportJob(tenant_id=campaign.tenant_id, campaign_id=campaign.id, org_unit_id=unit.id,
                    requested_by_id=user.id, **fields)
    db.session.add(job)
    db.session.commit()
    return job


def pdf_text(data: bytes) -> tuple[str, int]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages), len(reader.pages)


def pdf_fonts(data: bytes) -> set[str]:
    """The embedded fonts' names, without WeasyPrint's subset prefix ("ABCDEF+Duban-CJK")."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return {str(f.get_object()["/BaseFont"]).split("+", 1)[-1]
            for page in reader.pages for f in page["/Resources"]["/Font"].values()}


def stored_pdf(job: ReportJob) -> bytes:
    return blob_path(current_app.config["REPORT_FOLDER"], job.sha256).read_bytes()


# --- the PDF ----------------------------------------------------------------------------------

def test_summary_pdf_has_chinese_headings_and_data(district, tmp_path):
    campaign, rare = build_campaign(district)
    bureau = district["units"]["湖里区民政局"]
    job = make_job(campaign, bureau, district["users"]["admin"])

    report_jobs.render_summary(job.id)

    db.session.expire_all()
    job = db.session.get(ReportJob, job.id)
    assert (job.status, job.progress) == ("done", 100)
    data = stored_pdf(job)
    assert data.startswith(b"%PDF")
    # A picture for a human check of the rendering (kept under pytest's tmp dir).
    if shutil.which("pdftoppm"):
        (tmp_path / "summary.pdf").write_bytes(data)
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(tmp_path / "summary.pdf"),
                        str(tmp_path / "page")], check=True)
        assert list(tmp_path.glob("page-*.png"))
        if os.environ.get("DUBAN_KEEP_PDF"):
            shutil.copytree(tmp_path, os.environ["DUBAN_KEEP_PDF"], dirs_exist_ok=True)

    text, pages = pdf_text(data)
    flat = "".join(text.split())  # table cells wrap; compare without line breaks
    assert job.pages == pages >= 2
    # Every glyph comes from the registered CJK font, none from whatever the system falls back to.
    assert pdf_fonts(data) == {pdf.FONT_FAMILY.replace(" ", "-")}
    for heading in HEADINGS:
        assert heading in text, heading
    # Units, the overdue list, the three lists' rows, the overview and the page furniture.
    assert "湖里街道" in text and "殿前街道" in text
    assert RARE_UNIT in text
    assert "低保边缘家庭王某医疗支出未核实，存在漏保风险" in flat and "陈建华" in flat and "新纳入低保" in flat
    assert "抽查" in flat and "主动摸排不到位" in flat  # source label and a plugin column
    assert "测试专项行动" in text and "测民〔2022〕1号" in text
    assert "2022年7月1日" in text  # generated on clock.today()
    assert "厦湖民〔2022〕15号" in flat  # the type's source document
    assert "印发点题整治巩固提升工作方案" in flat  # an overdue task
    assert f"第 1 页 / 共 {pages} 页" in text and f"第 {pages} 页 / 共 {pages} 页" in text


def test_summary_context_numbers(district):
    campaign, rare = build_campaign(district)
    street = district["units"]["湖里街道"]
    ctx = services.summary_context(db.session, campaign, street, date(2022, 7, 1))
    assert ctx["unit"] is street and ctx["today"] == date(2022, 7, 1)
    assert {r.unit.name for r in ctx["rows"]} == {"金湖社区", "湖边社区", RARE_UNIT}
    assert ctx["total"].overall.done == 3
    assert ctx["overdue_total"] == ctx["total"].overall.overdue > 0
    assert all(t.due_on < date(2022, 7, 1) and t.unit_path.startswith(street.path) for t in ctx["overdue"])
    tables = {t.kind: t for t in ctx["lists"]}
    assert [t.total for t in ctx["lists"]] == [1, 1, 1]
    assert tables["problem"].columns[:2] == ["单位", "问题来源"]
    assert tables["problem"].rows[0][:2] == [RARE_UNIT, "抽查"]
    assert "2022年6月20日" in tables["problem"].rows[0]
    assert tables["rectification"].rows[0][1].startswith("低保边缘家庭王某")
    # The sibling street sees none of it.
    other = services.summary_context(db.session, campaign, district["units"]["殿前街道"], date(2022, 7, 1))
    assert [t.total for t in other["lists"]] == [0, 0, 0]
    assert {r.unit.name for r in other["rows"]} == {"高殿社区", "兴隆社区"}


def test_hook_report_context(app, district):
    """Every report_context implementation is called; its dicts are merged into the template context."""
    from duban import hookimpl
    from duban.campaigns.registry import plugin_manager

    class Extra:
        @hookimpl
        def report_context(self, campaign, org_unit):
            return {"sections": [{"title": "六、群众满意度测评", "paragraphs": [f"{org_unit.name}满意度98%"],
                                  "columns": ["测评对象", "满意率"], "rows": [["低保对象", "98%"]]}],
                    "unit": "plugins cannot replace core variables", "satisfaction": 98}

    campaign, _ = build_campaign(district)
    street = district["units"]["湖里街道"]
    pm = plugin_manager()
    plugin = Extra()
    pm.register(plugin, name="test-extra")
    try:
        ctx = services.summary_context(db.session, campaign, street, date(2022, 7, 1))
        assert ctx["unit"] is street and ctx["satisfaction"] == 98
        assert ctx["extra_sections"][0]["title"] == "六、群众满意度测评"
        job = make_job(campaign, street, district["users"]["admin"])
        html, _ = report_jobs.render_html(db.session, job)
    finally:
        pm.unregister(plugin)
    assert "六、群众满意度测评" in html and "湖里街道满意度98%" in html and "低保对象" in html
    assert '<html lang="zh-CN">' in html


def test_rare_name_characters_are_in_the_font():
    """Noto Sans CJK (regular) has both 𠮷 and 䶮, so no fallback font is needed for them."""
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(pdf.FONT_PATH), lazy=True)
    try:
        cmap = collection.fonts[0].getBestCmap()
        assert all(ord(ch) in cmap for ch in RARE_UNIT)
    finally:
        collection.close()


def test_glyph_guard_catches_missing_glyphs(app, glyph_guard):
    """A character no font has is drawn as a .notdef box, WeasyPrint says so, and the guard sees it."""
    css = "@page { size: A6; } html { font-family: sans-serif; }"
    pdf.render_pdf('<html lang="zh-CN"><p>湖里\U0010FFFD</p></html>', css, app.static_folder)
    assert glyph_problems(glyph_guard)
    glyph_guard.clear()  # expected here; every other test must end with none


# --- the URL fetcher -----------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "http://127.0.0.1/app.css", "https://example.com/x.png", "ftp://example.com/x", "data:text/css,p{}",
    "file:///etc/passwd", "file://remotehost/etc/passwd", "file:///etc/../etc/hostname",
])
def test_fetcher_refuses_outside_urls(app, url):
    fetcher = pdf.LocalOnlyFetcher(app.static_folder)
    with pytest.raises(pdf.ForbiddenURL):
        fetcher.fetch(url)


def test_fetcher_refuses_escaping_the_static_folder(app):
    fetcher = pdf.LocalOnlyFetcher(app.static_folder)
    escape = f"file://{app.static_folder}/../__init__.py"
    with pytest.raises(pdf.ForbiddenURL):
        fetcher.fetch(escape)
    with pytest.raises(pdf.ForbiddenURL):
        fetcher.fetch(f"file://{app.static_folder}/no-such-file.css")


def test_fetcher_reads_static_files_and_the_font(app):
    fetcher = pdf.LocalOnlyFetcher(app.static_folder)
    css = fetcher.fetch(f"file://{app.static_folder}/app.css")
    assert css.content_type == "text/css" and b"font-family" in css.read()
    font = fetcher.fetch(pdf.font_url())
    assert font.read(4) == b"ttcf"


def test_render_refuses_remote_resources(app):
    html = '<html lang="zh-CN"><img src="http://127.0.0.1:9/x.png"></html>'
    with pytest.raises(pdf.RenderError):
        pdf.render_pdf(html, "", app.static_folder)


# --- requesting a report ---------------------------------------------------------------------

def test_request_summary_rules(district):
    users, units = district["users"], district["units"]
    campaign, _ = build_campaign(district)
    job = services.request_summary(db.session, users["township"], campaign, units["湖里街道"])
    db.session.commit()
    assert (job.status, job.progress, job.requested_by_id) == ("queued", 0, users["township"].id)
    with pytest.raises(ValidationError, match="正在生成"):
        services.request_summary(db.session, users["township"], campaign, units["湖里街道"])
    db.session.rollback()

    draft = factories.launch(units["湖里区民政局"], users["admin"], publish=False)
    with pytest.raises(ValidationError, match="尚未发布"):
        services.request_summary(db.session, users["admin"], draft, units["湖里区民政局"])
    db.session.rollback()

    street_campaign = factories.launch(units["殿前街道"], users["admin"])
    with pytest.raises(ValidationError, match="不在本专项行动的范围内"):
        services.request_summary(db.session, users["admin"], street_campaign, units["湖里街道"])
    db.session.rollback()

    from werkzeug.exceptions import Forbidden, NotFound

    with pytest.raises(NotFound):
        services.request_summary(db.session, users["sibling"], campaign, units["湖里街道"])
    with pytest.raises(Forbidden):
        services.request_summary(db.session, users["village"], campaign, units["金湖社区"])


# --- pages ----------------------------------------------------------------------------------------

def test_generate_and_download_through_the_pages(district, login_as, rq_queue):
    campaign, _ = build_campaign(district)
    street = district["units"]["湖里街道"]
    client = login_as(district["users"]["township"])
    page = client.get(f"/campaigns/{campaign.id}/reports?unit={street.id}")
    assert page.status_code == 200 and "生成汇总报告" in page.get_data(as_text=True)

    r = client.post_form(f"/campaigns/{campaign.id}/reports", {"unit": street.id})
    assert r.status_code == 302
    rq_queue()  # with Redis: the worker does the job now; inline it is already done
    job = db.session.scalars(select(ReportJob).where(ReportJob.campaign_id == campaign.id)).one()
    db.session.refresh(job)
    assert job.status == "done", job.message

    html = client.get(f"/campaigns/{campaign.id}/reports?unit={street.id}").get_data(as_text=True)
    assert "已完成" in html and f"/reports/{job.id}/download" in html and 'http-equiv="refresh"' not in html

    with client.get(f"/reports/{job.id}/download") as r:
        assert r.status_code == 200 and r.mimetype == "application/pdf"
        disposition = r.headers["Content-Disposition"]
        body = r.data
    assert disposition.startswith("attachment;") and "filename*=UTF-8''" in disposition
    assert "%E6%B1%87%E6%80%BB%E6%8A%A5%E5%91%8A" in disposition  # 汇总报告, RFC 5987-encoded
    text, _ = pdf_text(body)
    assert "各单位进度" in text and RARE_UNIT in text


def test_page_refreshes_while_a_job_runs(district, login_as):
    campaign, _ = build_campaign(district)
    street = district["units"]["湖里街道"]
    make_job(campaign, street, district["users"]["township"], status="running", progress=60, message="正在排版生成 PDF")
    html = login_as(district["users"]["township"]).get(
        f"/campaigns/{campaign.id}/reports?unit={street.id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in html
    assert "生成中" in html and "60%" in html and "正在排版生成 PDF" in html


def test_a_stale_job_no_longer_blocks_or_refreshes(district, login_as):
    """A job whose worker died stays "running"; after STALE_AFTER a new one may be requested."""
    from datetime import timedelta

    from duban import clock

    campaign, _ = build_campaign(district)
    street = district["units"]["湖里街道"]
    make_job(campaign, street, district["users"]["township"], status="running", progress=10,
             created_at=clock.now() - services.STALE_AFTER - timedelta(minutes=1))
    html = login_as(district["users"]["township"]).get(
        f"/campaigns/{campaign.id}/reports?unit={street.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in html and "disabled" not in html
    job = services.request_summary(db.session, district["users"]["township"], campaign, street)
    assert job.status == "queued"


def test_failed_job_is_shown_without_a_download(district, login_as):
    campaign, _ = build_campaign(district)
    street = district["units"]["湖里街道"]
    job = make_job(campaign, street, district["users"]["township"], status="failed", progress=10,
                   message=report_jobs.FAILED_MESSAGE)
    client = login_as(district["users"]["township"])
    html = client.get(f"/campaigns/{campaign.id}/reports?unit={street.id}").get_data(as_text=True)
    assert "生成失败" in html and report_jobs.FAILED_MESSAGE in html and "/download" not in html
    assert client.get(f"/reports/{job.id}/download").status_code == 404


def test_tenancy_on_every_report_route(district, login_as):
    users, units = district["users"], district["units"]
    campaign, _ = build_campaign(district)
    street = units["湖里街道"]
    job = make_job(campaign, street, users["township"], status="done", progress=100,
                   sha256=services_store(b"%PDF-1.7 test"), pages=1)

    sibling = login_as(users["sibling"])
    assert sibling.get(f"/reports/{job.id}/download").status_code == 404
    assert sibling.get(f"/campaigns/{campaign.id}/reports?unit={street.id}").status_code == 404
    assert sibling.post_form(f"/campaigns/{campaign.id}/reports", {"unit": street.id}).status_code == 404
    # A village worker sees neither the street's reports nor may generate any.
    village = login_as(users["village"])
    assert village.get(f"/reports/{job.id}/download").status_code == 404
    assert village.post_form(f"/campaigns/{campaign.id}/reports", {"unit": units["金湖社区"].id}).status_code == 403
    # The bureau (above the street) and the street itself may download.
    for allowed in ("inspector", "township", "admin"):
        with login_as(users[allowed]).get(f"/reports/{job.id}/download") as r:
            assert r.status_code == 200 and r.data == b"%PDF-1.7 test"
    assert db.session.scalar(select(ReportJob.id).where(ReportJob.id != job.id)) is None  # nothing queued
    # Another tenant: nothing exists (last: the test's shared session is left scoped to it).
    set_tenant(db.session, None)
    other_units = factories.make_tree({"思明区民政局": {"中华街道": ["古营社区"]}})
    outsider = factories.make_user(other_units["思明区民政局"], "bureau_admin", "sm_admin")
    db.session.commit()
    set_tenant(db.session, street.tenant_id)
    other = login_as(outsider)
    assert other.get(f"/reports/{job.id}/download").status_code == 404
    assert other.get(f"/campaigns/{campaign.id}/reports").status_code == 404
    assert other.post_form(f"/campaigns/{campaign.id}/reports", {"unit": street.id}).status_code == 404


def services_store(data: bytes) -> str:
    from duban.evidence.storage import store_bytes

    return store_bytes(current_app.config["REPORT_FOLDER"], data)
