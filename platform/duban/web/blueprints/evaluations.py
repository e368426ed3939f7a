"""Close-out evaluation: a superior records a score, a grade and a comment for each unit below it."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ... import clock
from ...campaigns.access import focus_unit, get_visible
from ...evaluations import services
from ...extensions import db
from ...reports.progress import breakdown
from ...tenancy.access import require, sees
from ...tenancy.permissions import Permission
from ..forms import one_transaction

bp = Blueprint("evaluations", __name__)


@bp.before_request
@login_required
def _login():
    pass


def _page(campaign, unit, *, errors=None, form=None, status=200):
    spec = services.evaluation_of(campaign)
    units = [u for u in services.evaluable_units(db.session, campaign, unit) if sees(current_user, u)]
    existing = services.evaluations_for(db.session, campaign, units)
    own = services.evaluations_for(db.session, campaign, [unit]).get(unit.id)
    _, rows = breakdown(db.session, campaign, unit, clock.today())
    progress = {r.unit.id: r.overall for r in rows}
    editable = {u.id for u in units if services.may_evaluate(current_user, campaign, u)}
    return render_template("evaluations/index.html", campaign=campaign, unit=unit, spec=spec, units=units,
                           existing=existing, own=own, progress=progress, editable=editable,
                           errors=errors or {}, form=form), status


@bp.app_template_global()
def evaluation_title(campaign) -> str:
    """The name of the campaign's close-out evaluation (年终评价, 验收…), for the tabs."""
    return services.evaluation_of(campaign).title


@bp.route("/campaigns/<int:campaign_id>/evaluations")
def index(campaign_id: int):
    campaign = get_visible(db.session, current_user, campaign_id)
    unit = focus_unit(db.session, current_user, campaign, request.args.get("unit"))
    require(current_user, Permission.CAMPAIGN_VIEW, unit)
    return _page(campaign, unit)


@bp.route("/campaigns/<int:campaign_id>/evaluations", methods=["POST"])
def save(campaign_id: int):
    campaign = get_visible(db.session, current_user, campaign_id)
    unit = focus_unit(db.session, current_user, campaign, request.form.get("unit") or request.args.get("unit"))
    require(current_user, Permission.TASK_REVIEW, unit)
    with one_transaction() as ok:
        changed = services.record_evaluations(db.session, current_user, campaign, unit, request.form)
    if ok:
        flash(f"已保存{changed}个单位的评价" if changed else "评价没有变化", "success")
        return redirect(url_for(".index", campaign_id=campaign.id, unit=unit.id))
    return _page(campaign, unit, errors=ok.errors, form=request.form, status=400)
