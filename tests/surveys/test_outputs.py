"""What the survey produces: the poster with its QR code, the summary PDF section, the xlsx
export, and the automatic 问题清单 entry for a unit with low satisfaction."""
from __future__ import annotations

import io
import shutil
import subprocess

import pypdf
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from duban.extensions import db
from duban.lists.models import Problem
from duban.reports import jobs as report_jobs
from duban.reports.models import ReportJob
from duban.surveys import jobs, public
from duban.surveys.models import SurveyLink

from .helpers import GOOD, answer, fresh_browser, link_of


def _submit(link, n, **answers):
    public.submit(db.session, link, f"b-{link.id}-{n}", dict(GOOD, **answers))


def test_the_poster_carries_a_qr_code_of_the_public_link(district, opened, login_as, tmp_path):
    campaign, survey = opened
    jinhu = link_of(survey, district["units"]["金湖社区"])
    r = login_as(district["users"]["village"]).get(f"/campaigns/{campaign.id}/survey/poster?unit={jinhu.org_unit_id}")
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(r.data))
    text = reader.pages[0].extract_text()
    assert len(reader.pages) == 1
    for words in ("金湖社区", "群众满意度测评", "扫一扫", "2022年7月1日", f"/s/{jinhu.token}"):
        assert words in text.replace("\n", ""), words
    if not (shutil.which("pdftoppm") and shutil.which("zbarimg")):
        pytest.skip("poppler-utils and zbar-tools are needed to decode the QR code")
    (tmp_path / "poster.pdf").write_bytes(r.data)
    subprocess.run(["pdftoppm", "-r", "100", "-png", "-singlefile", str(tmp_path / "poster.pdf"),
                    str(tmp_path / "poster")], check=True)
    decoded = subprocess.run(["zbarimg", "--quiet", "--raw", str(tmp_path / "poster.png")],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert decoded == f"http://localhost/s/{jinhu.token}"


def test_a_poster_only_for_units_the_user_sees(district, opened, login_as):
    campaign, survey = opened
    gaodian = district["units"]["高殿社区"]
    c = login_as(district["users"]["village"])
    assert c.get(f"/campaigns/{campaign.id}/survey/poster?unit={gaodian.id}").status_code == 404
    assert c.get(f"/campaigns/{campaign.id}/survey/poster?unit={district['units']['湖里街道'].id}").status_code == 404


def test_the_summary_pdf_has_a_survey_section(district, opened):
    campaign, survey = opened
    u, users = district["units"], district["users"]
    for i, overall in enumerate(["满意", "基本满意", "不满意"]):
        _submit(link_of(survey, u["金湖社区"]), i, overall=overall, suggestions=f"第{i}条意见")
    _submit(link_of(survey, u["高殿社区"]), 0)
    db.session.commit()
    job = ReportJob(tenant_id=campaign.tenant_id, campaign_id=campaign.id, org_unit_id=u["湖里区民政局"].id,
                    requested_by_id=users["admin"].id, status="queued")
    db.session.add(job)
    db.session.commit()
    report_jobs.render_summary(job.id)
    db.session.expire_all()
    assert job.status == "done", job.message
    from flask import current_app

    from duban.evidence.storage import blob_path

    pdf = pypdf.PdfReader(blob_path(current_app.config["REPORT_FOLDER"], job.sha256))
    text = "".join(p.extract_text() for p in pdf.pages).replace("\n", "")
    for words in ("六、群众满意度测评", "有效答卷", "75.0%", "各单位满意率", "预警线80%", "湖里街道", "第2条意见",
                  "您对本村(社区)困难群众"):
        assert words in text, words


def test_the_xlsx_export(district, opened, login_as):
    campaign, survey = opened
    u = district["units"]
    _submit(link_of(survey, u["金湖社区"]), 0, suggestions="=HYPERLINK(\"http://x\")")
    _submit(link_of(survey, u["湖边社区"]), 0, overall="不满意", policy_channels=None)
    db.session.commit()
    r = login_as(district["users"]["township"]).get(f"/campaigns/{campaign.id}/survey/export")
    assert r.status_code == 200 and "spreadsheetml" in r.mimetype
    wb = load_workbook(io.BytesIO(r.data))
    assert wb.sheetnames == ["各单位满意率", "题目统计", "意见建议", "答卷明细"]
    units = {row[0]: row[2:5] for row in wb["各单位满意率"].iter_rows(min_row=2, values_only=True)}
    assert units["金湖社区"] == (1, 1, 100.0) and units["湖边社区"] == (1, 0, 0.0) and units["湖里街道合计"][0] == 2
    assert "高殿社区" not in units  # the other street's communities are not the township's to export
    texts = {row[3].value: row[3].data_type for row in wb["意见建议"].iter_rows(min_row=2)}
    assert texts == {"=HYPERLINK(\"http://x\")": "s", "希望多宣传政策": "s"}  # text, never a formula
    detail = list(wb["答卷明细"].iter_rows(values_only=True))
    assert len(detail) == 3 and "5分（非常满意）" in detail[1] + detail[2]


def _problems(unit=None):
    db.session.expire_all()
    stmt = select(Problem)
    if unit is not None:
        stmt = stmt.where(Problem.org_unit_id == unit.id)
    return db.session.scalars(stmt).all()


def test_low_satisfaction_puts_one_problem_on_the_units_list(app, district, opened, rq_queue):
    campaign, survey = opened  # threshold 80%, at least 3 responses
    u = district["units"]
    jinhu = link_of(survey, u["金湖社区"])
    phones = [fresh_browser(app) for _ in range(5)]
    assert answer(phones[0], jinhu.token, overall="不满意").status_code == 303
    assert answer(phones[1], jinhu.token, overall="满意").status_code == 303
    assert _problems() == []  # 2 responses: fewer than the minimum
    assert answer(phones[2], jinhu.token, overall="基本满意").status_code == 303  # 66.7% < 80%
    rq_queue()  # with REDIS_URL the follow-up is an rq job; without, it ran inline after the request
    problems = _problems(u["金湖社区"])
    assert len(problems) == 1
    p = problems[0]
    assert p.source == "inspection" and p.extra["category"] == "其他" and p.status == "open"
    assert "满意率66.7%" in p.description and "低于本次测评设定的80%" in p.description
    assert p.created_by_id == district["users"]["admin"].id and p.found_on.isoformat() == "2022-07-01"
    assert db.session.get(SurveyLink, jinhu.id).problem_id == p.id
    # More low answers and a re-evaluation never add a second entry.
    assert answer(phones[3], jinhu.token, overall="不满意").status_code == 303
    rq_queue()
    assert jobs.evaluate_survey(survey.id) == 0
    assert len(_problems()) == 1


def test_evaluation_records_only_units_below_the_threshold(district, opened, login_as, rq_queue):
    campaign, survey = opened
    u = district["units"]
    for i in range(3):
        _submit(link_of(survey, u["高殿社区"]), i, overall="不满意" if i == 0 else "满意")  # 66.7%
        _submit(link_of(survey, u["兴隆社区"]), i, overall="满意")  # 100%
        _submit(link_of(survey, u["湖边社区"]), i, overall="满意" if i == 0 else "不满意") if i < 2 else None  # 2 only
    db.session.commit()
    admin = login_as(district["users"]["admin"])
    r = admin.post_form(f"/campaigns/{campaign.id}/survey/evaluate")
    assert r.status_code == 302
    rq_queue()
    assert [p.org_unit.name for p in _problems()] == ["高殿社区"]
    page = admin.get(f"/campaigns/{campaign.id}/survey?unit={u['殿前街道'].id}").get_data(as_text=True)
    assert "已登记问题清单" in page and "低于预警线" in page
    assert admin.post_form(f"/campaigns/{campaign.id}/survey/evaluate").status_code == 302
    rq_queue()
    assert db.session.scalar(select(func.count()).select_from(Problem)) == 1


def test_a_follow_up_that_cannot_be_recorded_waits_for_the_next_evaluation(district, opened):
    campaign, survey = opened
    gaodian = link_of(survey, district["units"]["高殿社区"])
    for i in range(3):
        _submit(gaodian, i, overall="不满意")
    campaign.status = "closed"  # the lists take no entries now: nothing is recorded, nothing breaks
    db.session.commit()
    assert jobs.evaluate_survey(survey.id) == 0 and _problems() == []
    campaign.status = "published"
    db.session.commit()
    assert jobs.evaluate_survey(survey.id) == 1 and len(_problems()) == 1
