"""Doing the work: my tasks, a task's page, ticking, filling, uploading, submitting, reviewing."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required

from ... import clock
from ...errors import ValidationError
from ...evidence.services import ALLOWED, ALLOWED_TEXT, size_label
from ...extensions import db
from ...reports.progress import due_soon_days, task_light
from ...tasks import services
from ...tasks.models import STATUS_LABELS, Task
from ...tenancy.access import require_visible
from ...screening.rollup import for_task as ledger_figures
from ..forms import one_transaction

bp = Blueprint("tasks", __name__)


@bp.before_request
@login_required
def _login():
    pass


@bp.route("/tasks")
def mine():
    choices = services.campaign_choices(db.session, current_user)
    selected, status = None, 200
    try:
        selected = services.pick_campaign(choices, request.args.get("campaign"))
    except ValidationError as e:
        for m in e.messages:
            flash(m, "error")
        status = 400
    soon = due_soon_days(selected)
    data = services.my_tasks(db.session, current_user, clock.today(), soon, selected)
    return render_template("tasks/mine.html", data=data, choices=choices, selected=selected, soon=soon), status


def _task_or_404(task_id: int) -> Task:
    """The task, if the user may see it: in their subtree and of a launched campaign."""
    task = db.session.get(Task, task_id)
    if task is None or task.campaign.status not in services.VIEWABLE_CAMPAIGNS:
        abort(404)
    require_visible(current_user, task.org_unit)
    return task


def _task_for_work(task_id: int) -> Task:
    task = _task_or_404(task_id)
    if not services.may_work(current_user, task):
        abort(403)
    return task


def _back(task: Task, anchor: str = ""):
    return redirect(url_for(".show", task_id=task.id) + (f"#{anchor}" if anchor else ""))


def _render(task: Task, *, values: dict | None = None, errors: dict | None = None, status: int = 200):
    session, user = db.session, current_user
    form = services.form_for(task)
    versions = services.form_versions(session, task) if form else []
    # A form the campaign type counts from the screening ledger: offer the figures, marked 来自台账.
    figures = ledger_figures(session, task) if form else None
    prefilled = False
    if values is None:
        values = services.form_values(versions[0][0] if versions else None)
        if figures and (not versions or request.args.get("prefill") == "ledger"):
            values, prefilled = {**values, **figures.values}, True
    can_work = services.may_work(user, task) and task.status in services.EDITABLE
    return render_template(
        "tasks/show.html", task=task, campaign=task.campaign, spec=task.spec,
        phase=services.phase_of(session, task),
        light=task_light(task.status, task.due_on, clock.today(), due_soon_days(task.campaign)),
        checklist=services.checklist_for(task), ticks=services.ticks(session, task),
        form=form, values=values, errors=errors or {}, versions=versions,
        evidence=services.evidence_for(session, task), history=task.events,
        missing=services.missing_for_submit(session, task) if can_work else [],
        top_level=services.is_top_level(task), can_work=can_work,
        can_review=services.may_review(user, task) and task.status == "submitted",
        can_comment=services.may_comment(user, task),
        EVENT_LABELS=services.EVENT_LABELS, STATUS_LABELS=STATUS_LABELS, size_label=size_label, type_labels=ALLOWED,
        allowed_text=ALLOWED_TEXT, max_mb=current_app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024),
        figures=figures, prefilled=prefilled,
    ), status


@bp.route("/tasks/<int:task_id>")
def show(task_id: int):
    return _render(_task_or_404(task_id))


@bp.route("/tasks/<int:task_id>/checklist", methods=["POST"])
def checklist(task_id: int):
    task = _task_for_work(task_id)
    with one_transaction() as ok:
        services.set_ticks(db.session, current_user, task, set(request.form.getlist("done")))
    if ok:
        flash("检查清单已保存", "success")
    return _back(task, "checklist")


@bp.route("/tasks/<int:task_id>/form", methods=["POST"])
def save_form(task_id: int):
    task = _task_for_work(task_id)
    with one_transaction() as ok:
        entry = services.save_form(db.session, current_user, task, request.form)
    if ok:
        flash(f"已保存第{entry.version}版", "success")
        return _back(task, "form")
    # Show the page again with what the user typed and a message beside each wrong field,
    # flashing one summary instead of every field's message.
    if ok.errors:
        others = [m for _, m in session.pop("_flashes", []) if m not in ok.errors.values()]
        flash(f"表单有{len(ok.errors)}处需要修改，请查看标红的栏目", "error")
        for m in others:
            flash(m, "error")
    return _render(task, values=request.form.to_dict(), errors=ok.errors, status=400)


@bp.route("/tasks/<int:task_id>/evidence", methods=["POST"])
def upload(task_id: int):
    task = _task_for_work(task_id)
    files = [(f.filename or "", f.stream) for f in request.files.getlist("file")]
    with one_transaction() as ok:
        added = services.add_evidence(db.session, current_user, task, files)
    if ok:
        flash(f"已上传{len(added)}个文件", "success")
    return _back(task, "evidence")


@bp.route("/tasks/<int:task_id>/submit", methods=["POST"])
def submit(task_id: int):
    task = _task_for_work(task_id)
    with one_transaction() as ok:
        services.submit(db.session, current_user, task, request.form.get("comment", ""))
    if ok:
        flash("任务已办结" if task.status == "approved" else "已提交，等待上级审核", "success")
    return _back(task, "submit")


@bp.route("/tasks/<int:task_id>/review", methods=["POST"])
def review(task_id: int):
    task = _task_or_404(task_id)
    if not services.may_review(current_user, task):
        abort(403)
    decision = {"approve": True, "return": False}.get(request.form.get("decision", ""))
    with one_transaction() as ok:
        if decision is None:
            raise ValidationError("请选择审核结论：通过或退回")
        services.review(db.session, current_user, task, approve=decision, comment=request.form.get("comment", ""))
    if ok:
        flash("已审核通过" if decision else "已退回，并通知承办单位修改", "success")
    return _back(task, "review")


@bp.route("/tasks/<int:task_id>/comment", methods=["POST"])
def comment(task_id: int):
    task = _task_or_404(task_id)
    if not services.may_comment(current_user, task):
        abort(403)
    with one_transaction() as ok:
        services.comment_on(db.session, current_user, task, request.form.get("comment", ""))
    if ok:
        flash("意见已记录", "success")
    return _back(task, "history")
