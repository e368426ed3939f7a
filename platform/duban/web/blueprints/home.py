"""The workbench (工作台): the user's campaigns with their progress, worst units first."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ... import clock
from ...campaigns.access import focus_unit, visible_campaigns
from ...extensions import db
from ...reports.progress import LIGHT_ORDER, breakdown

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index():
    today = clock.today()
    cards = []
    for campaign in visible_campaigns(db.session, current_user, status="published"):
        unit = focus_unit(db.session, current_user, campaign, None)
        total, rows = breakdown(db.session, campaign, unit, today)
        cards.append({"campaign": campaign, "unit": unit, "total": total, "rows": rows})
    cards.sort(key=lambda c: (LIGHT_ORDER[c["total"].overall.light], c["total"].overall.pct))
    drafts = visible_campaigns(db.session, current_user, status="draft")
    return render_template("home/index.html", cards=cards, drafts=drafts)
