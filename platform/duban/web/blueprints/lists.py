"""The three lists of a campaign: problems, rectifications and results, rolled up by unit."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ...campaigns.access import focus_unit, get_visible
from ...campaigns.types import LIST_KIND_LABELS
from ...errors import ValidationError
from ...extensions import db
from ...lists import services
from ...lists.models import PROBLEM_SOURCES, RECTIFICATION_STATUS, Problem, Rectification, Result
from ...lists.rollup import rollup
from ...tenancy.access import sees
from ...tenancy.models import OrgUnit
from ..forms import one_transaction

bp = Blueprint("lists", __name__)

PER_PAGE = 50
KINDS = {"problems": "problem", "rectifications": "rectification", "results": "result"}


@bp.before_request
@login_required
def _login():
    pass


@bp.context_processor
def _helpers():
    return {"evidence_url": evidence_url, "evidence_delete_url": evidence_delete_url, "cell": services.cell, "KIND_LABELS": LIST_KIND_LABELS,
            "CHOICE_LABELS": {"source": PROBLEM_SOURCES, "status": RECTIFICATION_STATUS}}


def evidence_url(attachment_id: int) -> str:
    """Link to an attachment through the evidence blueprint (which checks access on download)."""
    if "evidence.download" in current_app.view_functions:
        return url_for("evidence.download", attachment_id=attachment_id)
    return f"/evidence/{attachment_id}"


def evidence_delete_url(attachment_id: int) -> str | None:
    if "evidence.delete" in current_app.view_functions:
        return url_for("evidence.delete", attachment_id=attachment_id)
    return None


# --- Loading, with tenancy -----------------------------------------------------------------

def _campaign(campaign_id: int):
    return get_visible(db.session, current_user, campaign_id)


def _unit(campaign, unit_id) -> OrgUnit:
    unit = focus_unit(db.session, current_user, campaign, unit_id)
    services.require_view(current_user, unit)
    return unit


def _posted_unit(campaign) -> OrgUnit:
    unit_id = request.form.get("unit_id", "")
    if not unit_id.strip():
        abort(404)
    return _unit(campaign, unit_id)


def _entry(campaign, model, entry_id: int):
    """Load an entry of this campaign; 404 when it is another campaign's or outside the user's subtree."""
    entry = db.session.get(model, entry_id)
    if entry is None or entry.campaign_id != campaign.id:
        abort(404)
    if not entry.org_unit.is_within(campaign.root_unit):
        abort(404)
    services.require_view(current_user, entry.org_unit)
    return entry


def _trail(campaign, unit: OrgUnit) -> list[OrgUnit]:
    """The units the user sees from the campaign's launching unit down to unit."""
    ids = unit.ancestor_ids
    start = ids.index(campaign.root_unit_id) if campaign.root_unit_id in ids else len(ids) - 1
    wanted = ids[start:]
    units = {u.id: u for u in db.session.query(OrgUnit).filter(OrgUnit.id.in_(wanted))}
    return [units[i] for i in wanted if i in units and sees(current_user, units[i])]


def _open(campaign) -> bool:
    return campaign.status == "published"


# --- The lists page --------------------------------------------------------------------------

@bp.route("/campaigns/<int:campaign_id>/lists")
def index(campaign_id: int):
    campaign = _campaign(campaign_id)
    unit = _unit(campaign, request.args.get("unit"))
    kind = request.args.get("kind", "problem")
    if kind not in services.MODELS:
        kind = "problem"
    return _render_index(campaign, unit, kind)


def _render_index(campaign, unit, kind, *, form=None, errors=None, status=200):
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    total, rows = rollup(db.session, campaign, unit)
    count, entries = services.subtree_entries(db.session, campaign, unit, kind,
                                              limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    mode = services.edit_mode(current_user, unit) if _open(campaign) else None
    problem_fields = services.form_fields(campaign, "problem")
    sources = PROBLEM_SOURCES if mode == "self" else {k: PROBLEM_SOURCES[k] for k in services.SUPERIOR_SOURCES}
    own_problems = []
    if mode == "self" and kind == "result":
        own_problems = db.session.query(Problem).filter(
            Problem.campaign_id == campaign.id, Problem.org_unit_id == unit.id).order_by(Problem.id.desc()).all()
    return render_template(
        "lists/index.html", campaign=campaign, unit=unit, kind=kind, trail=_trail(campaign, unit),
        total=total, rows=rows, count=count, entries=entries, page=page,
        pages=max(1, -(-count // PER_PAGE)), columns=services.display_columns(campaign, kind),
        evidence=services.evidence_for(db.session, kind, [e.id for e in entries]),
        mode=mode, problem_fields=problem_fields, result_fields=services.form_fields(campaign, "result"),
        sources=sources, own_problems=own_problems, form=form or {}, errors=errors or {},
    ), status


@bp.route("/campaigns/<int:campaign_id>/lists/problems", methods=["POST"])
def add_problem(campaign_id: int):
    campaign = _campaign(campaign_id)
    unit = _posted_unit(campaign)
    form = request.form.to_dict()
    with one_transaction() as ok:
        problem = services.record_problem(db.session, current_user, campaign, unit, form)
    if ok:
        flash("已登记问题。", "success")
        return redirect(url_for(".problem", campaign_id=campaign.id, problem_id=problem.id))
    return _render_index(campaign, unit, "problem", form=form, errors=ok.errors, status=400)


@bp.route("/campaigns/<int:campaign_id>/lists/results", methods=["POST"])
def add_result(campaign_id: int):
    campaign = _campaign(campaign_id)
    unit = _posted_unit(campaign)
    form = request.form.to_dict()
    with one_transaction() as ok:
        problem = None
        if form.get("problem_id", "").strip():
            try:
                problem = db.session.get(Problem, int(form["problem_id"]))
            except ValueError:
                problem = None
            if problem is None:
                raise ValidationError(fields={"problem_id": "所选问题不存在，请重新选择"})
        result = services.record_result(db.session, current_user, campaign, unit, form, problem=problem)
    if ok:
        flash("已登记成果。", "success")
        return redirect(url_for(".result", campaign_id=campaign.id, result_id=result.id))
    return _render_index(campaign, unit, "result", form=form, errors=ok.errors, status=400)


# --- One problem with its rectifications; one result -----------------------------------------

@bp.route("/campaigns/<int:campaign_id>/lists/problems/<int:problem_id>")
def problem(campaign_id: int, problem_id: int):
    campaign = _campaign(campaign_id)
    return _render_problem(campaign, _entry(campaign, Problem, problem_id))


def _render_problem(campaign, problem, *, form=None, errors=None, status_form=None, status=200):
    rects = list(problem.rectifications)
    results = db.session.query(Result).filter(Result.problem_id == problem.id).order_by(Result.id).all()
    mode = services.edit_mode(current_user, problem.org_unit) if _open(campaign) else None
    return render_template(
        "lists/problem.html", campaign=campaign, problem=problem, unit=problem.org_unit,
        trail=_trail(campaign, problem.org_unit), rects=rects, results=results,
        problem_columns=services.display_columns(campaign, "problem"),
        rect_columns=services.display_columns(campaign, "rectification"),
        result_columns=services.display_columns(campaign, "result"),
        rect_fields=services.form_fields(campaign, "rectification"),
        evidence=services.evidence_for(db.session, "problem", [problem.id])[problem.id],
        rect_evidence=services.evidence_for(db.session, "rectification", [r.id for r in rects]),
        can_edit=mode == "self", can_attach=_open(campaign) and services.can_attach(current_user, problem),
        form=form or {"status": "planned"}, errors=errors or {}, status_form=status_form or {},
    ), status


@bp.route("/campaigns/<int:campaign_id>/lists/problems/<int:problem_id>/rectifications", methods=["POST"])
def add_rectification(campaign_id: int, problem_id: int):
    campaign = _campaign(campaign_id)
    problem = _entry(campaign, Problem, problem_id)
    form = request.form.to_dict()
    with one_transaction() as ok:
        services.add_rectification(db.session, current_user, problem, form)
    if ok:
        flash("已添加整改措施。", "success")
        return redirect(url_for(".problem", campaign_id=campaign.id, problem_id=problem.id))
    return _render_problem(campaign, problem, form=form, errors=ok.errors, status=400)


@bp.route("/campaigns/<int:campaign_id>/lists/rectifications/<int:rect_id>/status", methods=["POST"])
def rectification_status(campaign_id: int, rect_id: int):
    campaign = _campaign(campaign_id)
    rect = _entry(campaign, Rectification, rect_id)
    form = request.form.to_dict()
    with one_transaction() as ok:
        services.update_rectification_status(db.session, current_user, rect, form.get("status", ""),
                                             form.get("completed_on", ""))
    if ok:
        flash("整改状态已更新。", "success")
        return redirect(url_for(".problem", campaign_id=campaign.id, problem_id=rect.problem_id))
    problem = _entry(campaign, Problem, rect.problem_id)
    return _render_problem(campaign, problem, status_form={"id": rect.id, **form, "errors": ok.errors},
                           status=400)


@bp.route("/campaigns/<int:campaign_id>/lists/results/<int:result_id>")
def result(campaign_id: int, result_id: int):
    campaign = _campaign(campaign_id)
    entry = _entry(campaign, Result, result_id)
    return render_template(
        "lists/result.html", campaign=campaign, result=entry, unit=entry.org_unit,
        trail=_trail(campaign, entry.org_unit), columns=services.display_columns(campaign, "result"),
        evidence=services.evidence_for(db.session, "result", [entry.id])[entry.id],
        can_attach=_open(campaign) and services.can_attach(current_user, entry))


# --- Evidence ----------------------------------------------------------------------------------

@bp.route("/campaigns/<int:campaign_id>/lists/<any(problems, rectifications, results):kind>/<int:entry_id>/evidence",
          methods=["POST"])
def upload(campaign_id: int, kind: str, entry_id: int):
    campaign = _campaign(campaign_id)
    entry = _entry(campaign, services.MODELS[KINDS[kind]], entry_id)
    upload_file = request.files.get("file")
    with one_transaction() as ok:
        if upload_file is None or not upload_file.filename:
            raise ValidationError("请选择要上传的文件")
        att = services.attach_evidence(db.session, current_user, entry, filename=upload_file.filename,
                                       stream=upload_file.stream)
    if ok:
        flash(f"已上传佐证材料：{att.filename}", "success")
    if isinstance(entry, Result):
        return redirect(url_for(".result", campaign_id=campaign.id, result_id=entry.id))
    problem_id = entry.id if isinstance(entry, Problem) else entry.problem_id
    return redirect(url_for(".problem", campaign_id=campaign.id, problem_id=problem_id))
