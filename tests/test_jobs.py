"""Background jobs: the summary-report job's progress and failure handling, the inline path,
and — when REDIS_URL is set — the same job through a real rq worker.

How the rq tests get the test configuration: rq's SimpleWorker runs jobs in this process, inside
the test's app context, and jobs.run_in_worker uses the app whose context is active (falling back
to create_app() from the environment only when there is none, as under a bare `rq worker`).
Each test uses a queue of its own (DUBAN_QUEUE), emptied before and after, because other test
runs share the Redis.
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import select, text

from duban import jobs
from duban.extensions import db
from duban.reports import jobs as report_jobs
from duban.reports import pdf
from duban.reports.models import ReportJob

from .test_reports import HEADINGS, build_campaign, make_job, pdf_text, stored_pdf

JOB = "duban.reports.jobs:render_summary"
needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set")


@pytest.fixture
def job(district):
    campaign, _ = build_campaign(district)
    return make_job(campaign, district["units"]["湖里街道"], district["users"]["township"])


def reload(job_id: int) -> ReportJob:
    db.session.expire_all()
    return db.session.get(ReportJob, job_id)


def test_progress_is_committed_step_by_step(job, monkeypatch):
    """While the PDF is laid out, another connection already sees the job running at 60%."""
    seen = []
    real_render = pdf.render_pdf

    def watching_render(html, css, static_folder):
        with db.engine.connect() as other:
            seen.append(tuple(other.execute(
                text("SELECT status, progress FROM report_jobs WHERE id = :id"), {"id": job.id}).one()))
        return real_render(html, css, static_folder)

    monkeypatch.setattr(pdf, "render_pdf", watching_render)
    sha = report_jobs.render_summary(job.id)

    assert seen == [("running", 60)]
    done = reload(job.id)
    assert (done.status, done.progress, done.sha256) == ("done", 100, sha)
    assert done.finished_at is not None and done.message == f"已生成，共 {done.pages} 页"
    text_, pages = pdf_text(stored_pdf(done))
    assert pages == done.pages and all(h in text_ for h in HEADINGS)


def test_failure_marks_the_job_failed_and_reraises(job, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pdf, "render_pdf", broken)
    with pytest.raises(OSError, match="disk full"):
        report_jobs.render_summary(job.id)
    failed = reload(job.id)
    assert failed.status == "failed" and failed.status_label == "生成失败"
    assert failed.message == report_jobs.FAILED_MESSAGE and failed.progress == 60
    assert failed.finished_at is not None and failed.sha256 is None


def test_a_refused_resource_fails_the_job(job, monkeypatch):
    """A template that points outside the static files fails the job (no silent gap in the PDF)."""
    real = report_jobs.render_html

    def with_remote_image(session, job):
        html, css = real(session, job)
        return html.replace("</body>", '<img src="http://127.0.0.1:9/x.png"></body>'), css

    monkeypatch.setattr(report_jobs, "render_html", with_remote_image)
    with pytest.raises(pdf.RenderError):
        report_jobs.render_summary(job.id)
    assert reload(job.id).status == "failed"


def test_unknown_job_id_raises():
    with pytest.raises(LookupError):
        report_jobs.render_summary(987654)


def test_job_ignores_the_callers_tenant_scope(job, district):
    """The job loads its row across tenants, then scopes itself to that row's tenant."""
    from duban.tenancy.scoping import TENANT_KEY, set_tenant

    set_tenant(db.session, job.tenant_id + 1000)
    report_jobs.render_summary(job.id)
    assert db.session.info[TENANT_KEY] == job.tenant_id
    assert reload(job.id).status == "done"


def test_enqueue_runs_inline_without_redis(app, job, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    assert jobs.queue() is None
    assert jobs.enqueue(JOB, job.id) is None
    assert reload(job.id).status == "done"


def test_inline_failure_propagates(app, job, monkeypatch):
    """The embedded mode does not swallow a failing job (unlike rq's is_async=False)."""
    monkeypatch.setitem(app.config, "REDIS_URL", "")
    monkeypatch.setattr(pdf, "render_pdf", lambda *a: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        jobs.enqueue(JOB, job.id)
    assert reload(job.id).status == "failed"


def test_run_in_worker_uses_the_active_app_and_disposes_only_after_fork(app, monkeypatch):
    disposed = []
    monkeypatch.setattr(db.engine, "dispose", lambda close=True: disposed.append(close))
    assert jobs.run_in_worker("builtins:len", [1, 2, 3]) == 3
    assert disposed == []  # in-process: the connections are this process's own
    monkeypatch.setattr(jobs, "_forked", True)
    assert jobs.run_in_worker("builtins:len", [1]) == 1
    assert disposed == [False] and jobs._forked is False  # the parent's sockets stay open
    assert jobs._worker_app is None  # no second app was built


@needs_redis
def test_summary_job_through_a_real_rq_worker(app, job, rq_queue):
    rq_id = jobs.enqueue(JOB, job.id)
    assert rq_id and jobs.queue().name == app.config["DUBAN_QUEUE"]
    assert reload(job.id).status == "queued"  # nothing runs until a worker takes it

    rq_queue()

    from rq.job import Job

    done = reload(job.id)
    assert (done.status, done.progress) == ("done", 100), done.message
    assert Job.fetch(rq_id, connection=jobs.queue().connection).get_status() == "finished"
    text_, pages = pdf_text(stored_pdf(done))
    assert pages == done.pages and "各单位进度" in text_ and "湖里街道" in text_


@needs_redis
def test_failing_job_through_a_real_rq_worker(app, job, rq_queue, monkeypatch):
    monkeypatch.setattr(pdf, "render_pdf", lambda *a: 1 / 0)
    rq_id = jobs.enqueue(JOB, job.id)
    rq_queue()

    assert reload(job.id).status == "failed"
    queue = jobs.queue()
    assert rq_id in queue.failed_job_registry.get_job_ids()
    assert db.session.scalar(select(ReportJob.status).where(ReportJob.id == job.id)) == "failed"
