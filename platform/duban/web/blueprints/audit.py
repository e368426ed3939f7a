"""The audit trail (操作记录): per unit (and campaign), filtered, paged, exported as xlsx. Admins only."""
from __future__ import annotations

import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ... import clock
from ...audit import trail
from ...campaigns.access import can_see
from ...campaigns.models import Campaign
from ...errors import ValidationError
from ...extensions import db
from ...tenancy.access import require, roots
from ...tenancy.models import OrgUnit
from ...tenancy.permissions import Permission
from ...evidence.services import XLSX_MIME
from ..forms import one_transaction

bp = Blueprint("audit", __name__)
PER_PAGE = 100


@bp.before_request
@login_required
def _login():
    pass


@bp.route("/audit")
def home():
    units = roots(current_user, Permission.ORG_MANAGE)
    if not units:
        abort(403)
    top = min(units, key=lambda u: (u.depth, u.id))
    return redirect(url_for(".unit", unit_id=top.id, **request.args))


def _load(unit_id: int) -> tuple[OrgUnit, list[Campaign], trail.Filters | None]:
    unit = db.session.get(OrgUnit, unit_id)
    if unit is None:
        abort(404)
    require(current_user, Permission.ORG_MANAGE, unit)
    campaigns = [c for c in db.session.scalars(select(Campaign).order_by(Campaign.year.desc(), Campaign.id.desc()))
                 if can_see(current_user, c)]
    try:
        filters = trail.Filters.parse(unit, request.args, {c.id for c in campaigns})
    except ValidationError as e:
        for m in e.messages:
            flash(m, "error")
        filters = None
    return unit, campaigns, filters


@bp.route("/audit/<int:unit_id>")
def unit(unit_id: int):
    pick = request.args.get("unit_pick", "")
    rest = {k: v for k, v in request.args.items() if k not in ("unit_pick", "page")}
    if pick.isdigit() and int(pick) != unit_id:
        return redirect(url_for(".unit", unit_id=int(pick), **rest))
    unit, campaigns, filters = _load(unit_id)
    try:
        page = max(1, int(request.args.get("page", "1")))
    except ValueError:
        page = 1
    total, events = trail.page(db.session, filters, limit=PER_PAGE, offset=(page - 1) * PER_PAGE) if filters \
        else (0, [])
    units = db.session.scalars(select(OrgUnit).where(OrgUnit.path >= unit.path, OrgUnit.path < unit.path[:-1] + "0")
                               .order_by(OrgUnit.path)).all()
    args = rest
    return render_template("audit/index.html", unit=unit, units=units, campaigns=campaigns, events=events, total=total,
                           page=page, pages=max(1, -(-total // PER_PAGE)), args=args, trail=trail,
                           names={u.id: u.name for u in units}), 200 if filters else 400


@bp.route("/audit/<int:unit_id>/export")
def export(unit_id: int):
    unit, _, filters = _load(unit_id)
    if filters is None:
        return redirect(url_for(".unit", unit_id=unit.id))
    buffer = io.BytesIO()
    with one_transaction():
        trail.export(db.session, current_user, filters, buffer)
    buffer.seek(0)
    name = f"操作记录-{unit.name}-{clock.today().isoformat()}.xlsx"
    return send_file(buffer, as_attachment=True, download_name=name, max_age=0,
                     mimetype=XLSX_MIME)
