"""督查督办: a campaign's supervision page per unit — urges, escalations, clues, spot checks and
circulars — and the `flask supervision` commands (the daily reminder job)."""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ... import clock
from ...audit.services import record
from ...campaigns.access import focus_unit, get_visible
from ...extensions import db
from ...lists.models import Problem
from ...lists.services import form_fields
from ...notifications.cli import COMMANDS
from ...reports.progress import breakdown, league
from ...supervision import circular_pdf, circulars, clues, escalations, spotchecks, urges
from ...supervision.access import may_see_clues, may_urge, supervises
from ...supervision.models import (
    CLUE_STATUS, ESCALATION_KINDS, Circular, Clue, Escalation, SpotCheck, SpotCheckItem,
)
from ...tasks.models import OPEN_STATUSES, Task
from ...tenancy.access import require_visible
from ...tenancy.tree import path_range
from ..forms import one_transaction

bp = Blueprint("supervision", __name__, cli_group="supervision")
for _command in COMMANDS:
    bp.cli.add_command(_command)


@bp.app_context_processor
def _dashboard_helpers():
    """For the workbench and campaign pages: units under 挂牌督办, and the league table."""
    def supervised_units():
        return escalations.open_supervised(db.session, current_user) if current_user.is_authenticated else []

    def can_urge(unit) -> bool:
        return current_user.is_authenticated and may_urge(current_user, unit)
    return {"supervised_units": supervised_units, "league_of": league, "can_urge": can_urge}


@bp.before_request
@login_required
def _login():
    pass


def _page(campaign, unit, anchor: str = ""):
    return redirect(url_for(".index", campaign_id=campaign.id, unit=unit.id) + (f"#{anchor}" if anchor else ""))


def _open_items(campaign, unit):
    """The unit's open tasks (overdue first) and unresolved problems, to link to an escalation."""
    low, high = path_range(unit.path)
    tasks = db.session.scalars(select(Task).where(
        Task.campaign_id == campaign.id, Task.unit_path >= low, Task.unit_path < high,
        Task.status.in_(OPEN_STATUSES)).order_by(Task.due_on, Task.id).limit(40)).all()
    problems = db.session.scalars(select(Problem).where(
        Problem.campaign_id == campaign.id, Problem.unit_path >= low, Problem.unit_path < high,
        Problem.status != "closed").order_by(Problem.found_on, Problem.id).limit(40)).all()
    return tasks, problems


@bp.route("/campaigns/<int:campaign_id>/supervision")
def index(campaign_id: int):
    campaign = get_visible(db.session, current_user, campaign_id)
    unit = focus_unit(db.session, current_user, campaign, request.args.get("unit"))
    today = clock.today()
    total, rows = breakdown(db.session, campaign, unit, today)
    is_issuer = supervises(current_user, campaign.root_unit, strictly_above=False)
    tasks, problems = _open_items(campaign, unit) if supervises(current_user, unit) else ([], [])
    return render_template(
        "supervision/index.html", campaign=campaign, unit=unit, total=total, rows=rows,
        can_urge=may_urge(current_user, unit), can_escalate=supervises(current_user, unit),
        can_clues=may_see_clues(current_user, unit), is_issuer=is_issuer,
        urges=urges.urges_for(db.session, campaign, unit), escalations=escalations.for_unit(db.session, campaign, unit),
        clues=clues.for_unit(db.session, current_user, campaign, unit),
        spot_checks=spotchecks.for_unit(db.session, campaign, unit),
        circulars=circulars.for_campaign(db.session, campaign, issued_only=not is_issuer),
        open_tasks=tasks, open_problems=problems, KINDS=ESCALATION_KINDS, POPULATIONS=spotchecks.POPULATIONS,
        may_urge_row=lambda r: may_urge(current_user, r.unit))


# --- 催办 ------------------------------------------------------------------------------------

@bp.route("/campaigns/<int:campaign_id>/urge", methods=["POST"])
def urge_unit(campaign_id: int):
    campaign = get_visible(db.session, current_user, campaign_id)
    unit = focus_unit(db.session, current_user, campaign, request.form.get("unit") or "0")
    with one_transaction() as ok:
        urges.urge(db.session, current_user, campaign, unit, request.form.get("message", ""))
    if ok:
        flash(f"已向{unit.name}发出催办", "success")
    target = request.form.get("back")
    if target == "parent" and unit.parent_id:
        return redirect(url_for(".index", campaign_id=campaign.id, unit=unit.parent_id))
    return _page(campaign, unit, "urge")


@bp.route("/tasks/<int:task_id>/urge", methods=["POST"])
def urge_task(task_id: int):
    task = db.session.get(Task, task_id)
    if task is None or task.campaign.status == "draft":
        abort(404)
    require_visible(current_user, task.org_unit)
    with one_transaction() as ok:
        urges.urge(db.session, current_user, task.campaign, task.org_unit, request.form.get("message", ""), task=task)
    if ok:
        flash(f"已向{task.org_unit.name}发出催办", "success")
    return redirect(url_for("tasks.show", task_id=task.id) + "#history")


# --- 约谈 / 通报 / 挂牌督办 -------------------------------------------------------------------

@bp.route("/campaigns/<int:campaign_id>/escalations", methods=["POST"])
def create_escalation(campaign_id: int):
    campaign = get_visible(db.session, current_user, campaign_id)
    unit = focus_unit(db.session, current_user, campaign, request.form.get("unit") or "0")
    form = request.form.to_dict()
    form["task_ids"], form["problem_ids"] = request.form.getlist("task_ids"), request.form.getlist("problem_ids")
    with one_transaction() as ok:
        esc = escalations.create(db.session, current_user, campaign, unit, form)
    if ok:
        flash(f"已对{unit.name}{esc.kind_label}，并通知该单位", "success")
        return redirect(url_for(".escalation", escalation_id=esc.id))
    return _page(campaign, unit, "escalate")


def _in_campaign(model, object_id: int):
    """Load a supervision record, or 404 unless the user sees its campaign (the caller checks its unit)."""
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    get_visible(db.session, current_user, obj.campaign_id)
    return obj


def _escalation(escalation_id: int) -> Escalation:
    esc = _in_campaign(Escalation, escalation_id)
    require_visible(current_user, esc.org_unit)
    return esc


@bp.route("/escalations/<int:escalation_id>")
def escalation(escalation_id: int):
    esc = _escalation(escalation_id)
    return render_template("supervision/escalation.html", esc=esc, campaign=esc.campaign, today=clock.today(),
                           can_resolve=supervises(current_user, esc.org_unit) and esc.status == "open")


@bp.route("/escalations/<int:escalation_id>/resolve", methods=["POST"])
def resolve_escalation(escalation_id: int):
    esc = _escalation(escalation_id)
    with one_transaction() as ok:
        escalations.resolve(db.session, current_user, esc, resolution=request.form.get("resolution", ""),
                            resolved_on=request.form.get("resolved_on", ""))
    if ok:
        flash("督办事项已办结", "success")
    return redirect(url_for(".escalation", escalation_id=esc.id))


# --- 问题线索 ----------------------------------------------------------------------------------

@bp.route("/campaigns/<int:campaign_id>/clues", methods=["POST"])
def create_clue(campaign_id: int):
    campaign = get_visible(db.session, current_user, campaign_id)
    unit = focus_unit(db.session, current_user, campaign, request.form.get("unit") or "0")
    with one_transaction() as ok:
        clue = clues.record_clue(db.session, current_user, campaign, unit, request.form.to_dict())
    if ok:
        flash("问题线索已登记", "success")
        return redirect(url_for(".clue", clue_id=clue.id))
    return _page(campaign, unit, "clues")


def _clue(clue_id: int) -> Clue:
    clue = _in_campaign(Clue, clue_id)
    clues.require_clues(current_user, clue.org_unit)
    return clue


@bp.route("/clues/<int:clue_id>")
def clue(clue_id: int):
    c = _clue(clue_id)
    problem = db.session.get(Problem, c.problem_id) if c.problem_id else None
    return render_template("supervision/clue.html", clue=c, campaign=get_visible(db.session, current_user, c.campaign_id),
                           problem=problem, STATUS=CLUE_STATUS, default_to=clues.DEFAULT_RECIPIENT)


@bp.route("/clues/<int:clue_id>/transfer", methods=["POST"])
def transfer_clue(clue_id: int):
    c = _clue(clue_id)
    with one_transaction() as ok:
        clues.transfer(db.session, current_user, c, transferred_to=request.form.get("transferred_to", ""),
                       transferred_on=request.form.get("transferred_on", ""), note=request.form.get("transfer_note", ""))
    if ok:
        flash("已标记为移交纪检监察", "success")
    return redirect(url_for(".clue", clue_id=c.id))


# --- 通报 ------------------------------------------------------------------------------------

@bp.route("/campaigns/<int:campaign_id>/circulars", methods=["POST"])
def create_circular(campaign_id: int):
    campaign = get_visible(db.session, current_user, campaign_id)
    with one_transaction() as ok:
        c = circulars.create_draft(db.session, current_user, campaign, request.form.get("as_of", ""))
    if ok:
        flash("已根据实时数据生成通报草稿，请修改后印发", "success")
        return redirect(url_for(".circular", circular_id=c.id))
    return redirect(url_for(".index", campaign_id=campaign.id) + "#circulars")


def _circular(circular_id: int) -> Circular:
    c = _in_campaign(Circular, circular_id)
    if c.status == "draft":
        circulars.require_issuer(current_user, c.campaign)
    return c


@bp.route("/circulars/<int:circular_id>", methods=["GET", "POST"])
def circular(circular_id: int):
    c = _circular(circular_id)
    errors, form = {}, {}
    if request.method == "POST":
        form = request.form.to_dict()
        with one_transaction() as ok:
            circulars.update(db.session, current_user, c, form)
        if ok:
            flash("通报已保存", "success")
            return redirect(url_for(".circular", circular_id=c.id))
        errors = ok.errors
    editable = c.status == "draft" and supervises(current_user, c.campaign.root_unit, strictly_above=False)
    return render_template("supervision/circular.html", c=c, campaign=c.campaign, form=form, errors=errors,
                           editable=editable, paragraphs=circulars.paragraphs(c.body)), 400 if errors else 200


@bp.route("/circulars/<int:circular_id>/issue", methods=["POST"])
def issue_circular(circular_id: int):
    c = _circular(circular_id)
    with one_transaction() as ok:
        count = circulars.issue(db.session, current_user, c)
    if ok:
        flash(f"通报已印发，已通知下级单位{count}人", "success")
    return redirect(url_for(".circular", circular_id=c.id))


@bp.route("/circulars/<int:circular_id>/pdf")
def circular_file(circular_id: int):
    c = _circular(circular_id)
    result = circular_pdf.render(c)
    with one_transaction():
        record(db.session, current_user, "circular.exported", object_type="circular", object_id=c.id,
               org_unit=c.org_unit, campaign_id=c.campaign_id, new={"status": c.status, "pages": result.pages})
    return send_file(io.BytesIO(result.data), mimetype="application/pdf", as_attachment=True,
                     download_name=circular_pdf.download_name(c), max_age=0)


# --- 抽查 ------------------------------------------------------------------------------------

@bp.route("/campaigns/<int:campaign_id>/spot-checks", methods=["POST"])
def create_spot_check(campaign_id: int):
    campaign = get_visible(db.session, current_user, campaign_id)
    unit = focus_unit(db.session, current_user, campaign, request.form.get("unit") or "0")
    with one_transaction() as ok:
        check = spotchecks.create(db.session, current_user, campaign, unit, request.form.to_dict())
    if ok:
        flash(f"已随机抽取{check.sample_size}项（随机种子 {check.seed}）", "success")
        return redirect(url_for(".spot_check", spot_check_id=check.id))
    return _page(campaign, unit, "spot-checks")


def _spot_check(spot_check_id: int) -> SpotCheck:
    check = _in_campaign(SpotCheck, spot_check_id)
    require_visible(current_user, check.org_unit)
    return check


def _item(check: SpotCheck, item_id: int) -> SpotCheckItem:
    item = db.session.get(SpotCheckItem, item_id)
    if item is None or item.spot_check_id != check.id:
        abort(404)
    return item


@bp.route("/spot-checks/<int:spot_check_id>")
def spot_check(spot_check_id: int):
    check = _spot_check(spot_check_id)
    same = spotchecks.redraw(db.session, check) == [(i.subject_type, i.subject_id) for i in check.items]
    return render_template("supervision/spot_check.html", check=check, campaign=check.campaign,
                           can_check=may_urge(current_user, check.org_unit), reproducible=same,
                           problem_fields=[f for f in form_fields(check.campaign, "problem") if f.key != "source"],
                           POPULATIONS=spotchecks.POPULATIONS)


@bp.route("/spot-checks/<int:spot_check_id>/items/<int:item_id>", methods=["POST"])
def record_finding(spot_check_id: int, item_id: int):
    check = _spot_check(spot_check_id)
    item = _item(check, item_id)
    with one_transaction() as ok:
        spotchecks.record_finding(db.session, current_user, item, finding=request.form.get("finding", ""),
                                  note=request.form.get("note", ""))
    if ok:
        flash(f"第{item.seq}项核查结果已保存", "success")
    return redirect(url_for(".spot_check", spot_check_id=check.id) + f"#item-{item.id}")


@bp.route("/spot-checks/<int:spot_check_id>/items/<int:item_id>/problem", methods=["POST"])
def finding_to_problem(spot_check_id: int, item_id: int):
    check = _spot_check(spot_check_id)
    item = _item(check, item_id)
    with one_transaction() as ok:
        spotchecks.to_problem(db.session, current_user, item, request.form.to_dict())
    if ok:
        flash(f"第{item.seq}项已转入{item.org_unit.name}的问题清单", "success")
    return redirect(url_for(".spot_check", spot_check_id=check.id) + f"#item-{item.id}")
