"""Background job: render a campaign's summary PDF for one org unit and store it.

Runs in an rq worker (or inline in the embedded mode) with an app context but no request
and no user: it loads its ReportJob across tenants, then scopes the session to that job's
tenant. Each progress step is committed on its own, so the report page sees it while the
PDF is still being laid out.
"""
from __future__ import annotations

import logging

from flask import current_app, render_template
from sqlalchemy.orm import Session

from .. import clock
from ..evidence.storage import store_bytes
from ..extensions import db
from ..tenancy.scoping import set_tenant
from . import pdf
from .models import ReportJob
from .services import summary_context

log = logging.getLogger(__name__)
FAILED_MESSAGE = "报告生成失败，请重新生成；如仍失败，请联系系统管理员。"


def _load(session: Session, job_id: int) -> ReportJob:
    set_tenant(session, None)
    job = session.get(ReportJob, job_id, execution_options={"all_tenants": True})
    if job is None:
        raise LookupError(f"report job {job_id} does not exist")
    set_tenant(session, job.tenant_id)
    return job


def _step(session: Session, job: ReportJob, progress: int, message: str, status: str = "running") -> None:
    job.status, job.progress, job.message = status, progress, message
    if status in ("done", "failed"):
        job.finished_at = clock.now()
    session.commit()


def render_html(session: Session, job: ReportJob) -> tuple[str, str]:
    """Return the summary's HTML and its print stylesheet."""
    context = summary_context(session, job.campaign, job.org_unit, clock.today())
    html = render_template("reports/summary_pdf.html", **context)
    css = render_template("reports/summary_pdf.css", font_url=pdf.font_url(), font_family=pdf.FONT_FAMILY)
    return html, css


def render_summary(job_id: int) -> str:
    """Render the summary PDF of ReportJob job_id, store it content-addressed under
    REPORT_FOLDER and mark the job done; return the PDF's sha256.

    On any error the job is marked failed with a Chinese message and the error is raised
    again, so rq records it as a failed job too.
    """
    session = db.session
    job = _load(session, job_id)
    try:
        _step(session, job, 10, "正在汇总进度和三项清单")
        html, css = render_html(session, job)
        _step(session, job, 60, "正在排版生成 PDF")
        result = pdf.render_pdf(html, css, current_app.static_folder)
        sha = store_bytes(current_app.config["REPORT_FOLDER"], result.data)
        job.sha256, job.pages = sha, result.pages
        _step(session, job, 100, f"已生成，共 {result.pages} 页", status="done")
        return sha
    except Exception:
        log.exception("summary report job %s failed", job_id)
        try:
            session.rollback()
            job = _load(session, job_id)
            _step(session, job, job.progress or 0, FAILED_MESSAGE, status="failed")
        except Exception:
            log.exception("could not mark summary report job %s as failed", job_id)
        raise
