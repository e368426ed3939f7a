"""Periodic report forms on the dashboard: units × periods, summed up the tree, with banded metrics."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from ...campaigns.access import focus_unit, get_visible
from ...extensions import db
from ...periodic import services
from ...tenancy.access import can, require
from ...tenancy.permissions import Permission

bp = Blueprint("periodic", __name__)


@bp.before_request
@login_required
def _login():
    pass


@bp.app_template_global()
def periodic_forms(campaign):
    """The campaign's periodic forms (for the 报表汇总 tab); empty for a draft."""
    if campaign.status == "draft":
        return []
    return services.rollup_forms(campaign)


@bp.app_template_global()
def band_snapshot(campaign, unit):
    """Banded metrics (e.g. coverage 4%–5%) per child unit in the latest period, for the dashboard."""
    if not current_user.is_authenticated or not can(current_user, Permission.CAMPAIGN_VIEW, unit):
        return []
    return services.band_summaries(db.session, campaign, unit)


@bp.route("/campaigns/<int:campaign_id>/periodic")
def index(campaign_id: int):
    campaign = get_visible(db.session, current_user, campaign_id)
    unit = focus_unit(db.session, current_user, campaign, request.args.get("unit"))
    require(current_user, Permission.CAMPAIGN_VIEW, unit)
    tables = services.tables(db.session, campaign, unit)
    table = next((t for t in tables if t.form.key == request.args.get("form")), tables[0] if tables else None)
    column = table.column(request.args.get("col")) if table else None
    return render_template("periodic/index.html", campaign=campaign, unit=unit, tables=tables, table=table,
                           column=column)
