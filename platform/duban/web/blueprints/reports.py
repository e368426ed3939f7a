"""Summary PDFs: list a unit's reports with their progress, request one, download it."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from ... import jobs
from ...campaigns.access import focus_unit, get_visible
from ...evidence.storage import blob_path
from ...extensions import db
from ...reports import services
from ...reports.models import ReportJob
from ...tenancy.access import can, require_visible
from ...tenancy.permissions import Permission
from ..forms import one_transaction

bp = Blueprint("reports", __name__)
log = logging.getLogger(__name__)
RENDER_JOB = "duban.reports.jobs:render_summary"


@bp.before_request
@login_required
def _login():
    pass


@bp.route("/campaigns/<int:campaign_id>/reports")
def index(campaign_id: int):
    campaign = get_visible(db.session, current_user, campaign_id)
    unit = focus_unit(db.session, current_user, campaign, request.args.get("unit"))
    report_jobs = services.jobs_for(db.session, campaign, unit)
    return render_template(
        "reports/index.html", campaign=campaign, unit=unit, report_jobs=report_jobs,
        busy=any(services.is_active(j) for j in report_jobs),
        can_generate=can(current_user, Permission.REPORT_GENERATE, unit))


@bp.route("/campaigns/<int:campaign_id>/reports", methods=["POST"])
def create(campaign_id: int):
    campaign = get_visible(db.session, current_user, campaign_id)
    unit = focus_unit(db.session, current_user, campaign, request.form.get("unit"))
    with one_transaction() as ok:
        job_id = services.request_summary(db.session, current_user, campaign, unit).id
    if ok:
        try:
            rq_id = jobs.enqueue(RENDER_JOB, job_id)
        except Exception:
            # Inline mode runs the job right here; it has already marked itself failed.
            log.exception("summary report job %s could not be run", job_id)
            flash("汇总报告生成失败，请重试。", "error")
        else:
            flash("已开始生成汇总报告，完成后可在下方下载。" if rq_id else "汇总报告已生成。", "success")
    return redirect(url_for(".index", campaign_id=campaign.id, unit=unit.id))


@bp.route("/reports/<int:job_id>/download")
def download(job_id: int):
    job = db.session.get(ReportJob, job_id)
    if job is None:
        abort(404)
    require_visible(current_user, job.org_unit)
    if job.status != "done" or not job.sha256:
        abort(404)
    path = blob_path(current_app.config["REPORT_FOLDER"], job.sha256)
    if not path.is_file():
        log.error("report job %s: file %s is missing", job.id, path)
        abort(404)
    return send_file(path, mimetype="application/pdf", as_attachment=True,
                     download_name=services.download_name(job), max_age=0)
