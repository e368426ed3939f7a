"""Launching campaigns (draft → publish) and watching their progress."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ... import clock
from ...campaigns import services
from ...campaigns.access import focus_unit, get_visible, visible_campaigns
from ...campaigns.registry import definition, launchable
from ...extensions import db
from ...reports.progress import breakdown_with_departments, overdue_tasks, task_light, due_soon_days
from ...tasks.models import Task
from ...tenancy.access import require, roots
from ...tenancy.permissions import Permission
from ...tenancy.tree import path_range
from ..forms import one_transaction

bp = Blueprint("campaigns", __name__)


@bp.before_request
@login_required
def _login():
    pass


@bp.route("/campaigns")
def index():
    campaigns = visible_campaigns(db.session, current_user)
    can_launch = bool(roots(current_user, Permission.CAMPAIGN_LAUNCH))
    return render_template("campaigns/index.html", campaigns=campaigns, can_launch=can_launch)


@bp.route("/campaigns/new", methods=["GET", "POST"])
def new():
    launch_units = roots(current_user, Permission.CAMPAIGN_LAUNCH)
    if not launch_units:
        abort(403)
    form, errors = dict(request.form), {}
    if request.method == "POST":
        unit = next((u for u in launch_units if str(u.id) == form.get("root_unit_id")), None)
        with one_transaction() as ok:
            if unit is None:
                from ...errors import ValidationError
                raise ValidationError(fields={"root_unit_id": "请选择发起单位"})
            campaign = services.create_draft(
                db.session, current_user, type_key=form.get("type_key", ""), root_unit=unit,
                year=form.get("year", ""), title=form.get("title", ""), doc_number=form.get("doc_number", ""))
        if ok:
            flash("已生成草稿，请核对阶段和截止日期后发布。", "success")
            return redirect(url_for(".draft", campaign_id=campaign.id))
        errors = ok.errors
    else:
        form = {"year": str(clock.today().year), "type_key": request.args.get("type_key", "")}
    return render_template("campaigns/new.html", types=launchable(), units=launch_units, form=form,
                           errors=errors), 400 if errors else 200


def _draft_or_404(campaign_id: int):
    campaign = get_visible(db.session, current_user, campaign_id, published=False)
    require(current_user, Permission.CAMPAIGN_LAUNCH, campaign.root_unit)
    if campaign.status != "draft":
        return campaign, redirect(url_for(".show", campaign_id=campaign.id))
    return campaign, None


@bp.route("/campaigns/<int:campaign_id>/draft", methods=["GET", "POST"])
def draft(campaign_id: int):
    campaign, done = _draft_or_404(campaign_id)
    if done:
        return done
    errors, form = {}, {}
    if request.method == "POST":
        form = dict(request.form)
        with one_transaction() as ok:
            services.update_draft(db.session, current_user, campaign, form)
        if ok:
            flash("草稿已保存。", "success")
            return redirect(url_for(".draft", campaign_id=campaign.id))
        errors = ok.errors
    d = definition(campaign.type_key)
    counts = {lvl: len(services.target_units(db.session, campaign.root_unit, lvl)) for lvl in ("bureau", "township", "village")}
    return render_template("campaigns/draft.html", campaign=campaign, d=d, errors=errors, form=form,
                           counts=counts), 400 if errors else 200


@bp.route("/campaigns/<int:campaign_id>/publish", methods=["POST"])
def publish(campaign_id: int):
    campaign, done = _draft_or_404(campaign_id)
    if done:
        return done
    with one_transaction() as ok:
        count = services.publish(db.session, current_user, campaign)
    if ok:
        flash(f"已发布，向各单位下发任务 {count} 项。", "success")
        return redirect(url_for(".show", campaign_id=campaign.id))
    return redirect(url_for(".draft", campaign_id=campaign.id))


@bp.route("/campaigns/<int:campaign_id>")
def show(campaign_id: int):
    campaign = get_visible(db.session, current_user, campaign_id)
    unit = focus_unit(db.session, current_user, campaign, request.args.get("unit"))
    today = clock.today()
    total, rows, department_rows = breakdown_with_departments(db.session, campaign, unit, today)
    low, high = path_range(unit.path)
    own_tasks = db.session.query(Task).filter(Task.campaign_id == campaign.id, Task.org_unit_id == unit.id) \
        .order_by(Task.due_on, Task.id).all()
    ancestors = _trail(campaign, unit)
    return render_template(
        "campaigns/show.html", campaign=campaign, unit=unit, total=total, rows=rows, own_tasks=own_tasks,
        department_rows=department_rows,
        overdue=overdue_tasks(db.session, campaign, unit, today, limit=50), trail=ancestors,
        light=lambda t: task_light(t.status, t.due_on, today, due_soon_days(campaign)))


def _trail(campaign, unit):
    """The units from the campaign's launching unit down to unit, for the breadcrumb."""
    from ...tenancy.models import OrgUnit

    ids = unit.ancestor_ids
    start = ids.index(campaign.root_unit_id) if campaign.root_unit_id in ids else len(ids) - 1
    wanted = ids[start:]
    units = {u.id: u for u in db.session.query(OrgUnit).filter(OrgUnit.id.in_(wanted))}
    return [units[i] for i in wanted if i in units]


@bp.route("/campaigns/<int:campaign_id>/definition")
def show_definition(campaign_id: int):
    campaign = get_visible(db.session, current_user, campaign_id, published=False)
    return render_template("campaigns/definition.html", campaign=campaign, d=definition(campaign.type_key))
