"""Bureau departments named by a draft campaign's tasks: show which are missing, create or map them."""
from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, url_for
from flask import request
from flask_login import current_user, login_required

from ...campaigns import departments
from ...campaigns.access import get_visible
from ...extensions import db
from ...tenancy.access import require
from ...tenancy.models import OrgUnit
from ...tenancy.permissions import Permission
from ..forms import one_transaction

bp = Blueprint("departments", __name__)


@bp.before_request
@login_required
def _login():
    pass


@dataclass
class DraftDepartments:
    named: list[str]
    missing: list[str]
    existing: list[OrgUnit]
    below_bureau: bool  # launched at a unit without departments: the launching unit does their tasks


@bp.app_template_global()
def draft_departments(campaign) -> DraftDepartments:
    """What the draft page shows about the departments the tasks name."""
    have = departments.departments_of(db.session, campaign.root_unit)
    return DraftDepartments(departments.named_departments(campaign), departments.missing_departments(db.session, campaign),
                            list(have.values()), not departments.has_departments(campaign.root_unit))


@bp.route("/campaigns/<int:campaign_id>/draft/departments", methods=["POST"])
def resolve(campaign_id: int):
    campaign = get_visible(db.session, current_user, campaign_id, published=False)
    require(current_user, Permission.CAMPAIGN_LAUNCH, campaign.root_unit)
    if campaign.status != "draft":
        abort(404)
    missing = departments.missing_departments(db.session, campaign)
    choices = {name: request.form.get(f"dept-{i}", "") for i, name in enumerate(missing)}
    with one_transaction() as ok:
        done = departments.resolve(db.session, current_user, campaign, choices)
    if ok:
        flash("责任股室(中心)已落实：" + "；".join(done), "success")
    return redirect(url_for("campaigns.draft", campaign_id=campaign.id) + "#departments")
