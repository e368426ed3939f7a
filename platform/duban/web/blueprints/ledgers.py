"""The ledgers (台账) a campaign type declares: see them per unit, fill in rows, import, export."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from ...campaigns.access import focus_unit, get_visible
from ...campaigns.registry import definition
from ...extensions import db
from ...ledgers import services
from ...ledgers.mapping import norm
from ...ledgers.models import LedgerRow
from ...ledgers.writer import temp_xlsx
from ...screening import export as screening_export
from ...screening.models import ImportBatch
from ...screening.privacy import may_view_full
from ...tenancy.access import require
from ...tenancy.permissions import Permission
from ...evidence.services import XLSX_MIME
from ..forms import one_transaction
from ..rejects import send_rejects

bp = Blueprint("ledgers", __name__)
PER_PAGE = 100


@bp.before_request
@login_required
def _login():
    pass


def _campaign(campaign_id: int):
    return get_visible(db.session, current_user, campaign_id)


def _unit(campaign, unit_id):
    unit = focus_unit(db.session, current_user, campaign, unit_id)
    require(current_user, Permission.CAMPAIGN_VIEW, unit)
    return unit


def _ledger(campaign, key: str):
    try:
        return services.ledger(campaign, key)
    except LookupError:
        abort(404)


def _is_visit_ledger(campaign, ld) -> bool:
    visit = screening_export.visit_ledger(campaign)
    return visit is not None and visit.key == ld.key


@bp.route("/campaigns/<int:campaign_id>/ledgers")
def index(campaign_id: int):
    campaign = _campaign(campaign_id)
    unit = _unit(campaign, request.args.get("unit"))
    visit = screening_export.visit_ledger(campaign)
    items = []
    for ld in definition(campaign.type_key).ledgers.values():
        count = None if visit and ld.key == visit.key else services.rows(db.session, campaign, ld, unit, limit=1)[0]
        items.append((ld, count))
    return render_template("ledgers/index.html", campaign=campaign, unit=unit, items=items,
                           visit_key=visit.key if visit else None)


@bp.route("/campaigns/<int:campaign_id>/ledgers/<ledger_key>")
def show(campaign_id: int, ledger_key: str):
    campaign = _campaign(campaign_id)
    ld = _ledger(campaign, ledger_key)
    unit = _unit(campaign, request.args.get("unit"))
    if _is_visit_ledger(campaign, ld):
        return redirect(url_for("screening.index", campaign_id=campaign.id, unit=unit.id))
    return _render(campaign, ld, unit)


def _render(campaign, ld, unit, *, form=None, errors=None, editing=None, status=200):
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    count, page_rows = services.rows(db.session, campaign, ld, unit, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    units = services.unit_map(db.session, unit)
    full = False  # pages always mask; the full numbers leave only through an audited export
    shown = [(r, services.display(ld, r, units, (page - 1) * PER_PAGE + i, full=full))
             for i, r in enumerate(page_rows, start=1)]
    return render_template(
        "ledgers/show.html", campaign=campaign, ld=ld, unit=unit, rows=shown, count=count, page=page,
        pages=max(1, -(-count // PER_PAGE)), fields=services.fields(ld),
        may_edit=services.may_edit(current_user, campaign, ld, unit), full_export=may_view_full(current_user, unit),
        form=form or {}, errors=errors or {}, editing=editing), status


@bp.route("/campaigns/<int:campaign_id>/ledgers/<ledger_key>/rows", methods=["POST"])
def add_row(campaign_id: int, ledger_key: str):
    campaign = _campaign(campaign_id)
    ld = _ledger(campaign, ledger_key)
    unit = _unit(campaign, request.form.get("unit_id") or "x")
    if not services.may_edit(current_user, campaign, ld, unit):
        abort(403)
    with one_transaction() as ok:
        services.save_row(db.session, current_user, campaign, ld, unit, request.form.to_dict())
    if ok:
        flash("已添加一行。", "success")
        return redirect(url_for(".show", campaign_id=campaign.id, ledger_key=ld.key, unit=unit.id))
    return _render(campaign, ld, unit, form=request.form.to_dict(), errors=ok.errors, status=400)


def _row(campaign, ld, row_id: int) -> LedgerRow:
    row = db.session.get(LedgerRow, row_id)
    if row is None or row.campaign_id != campaign.id or row.ledger_key != ld.key:
        abort(404)
    require(current_user, Permission.CAMPAIGN_VIEW, row.org_unit)
    return row


@bp.route("/campaigns/<int:campaign_id>/ledgers/<ledger_key>/rows/<int:row_id>", methods=["GET", "POST"])
def edit_row(campaign_id: int, ledger_key: str, row_id: int):
    campaign = _campaign(campaign_id)
    ld = _ledger(campaign, ledger_key)
    row = _row(campaign, ld, row_id)
    if not services.may_edit(current_user, campaign, ld, row.org_unit):
        abort(403)
    if request.method == "POST":
        with one_transaction() as ok:
            services.save_row(db.session, current_user, campaign, ld, row.org_unit, request.form.to_dict(), row=row)
        if ok:
            flash("已保存修改。", "success")
            return redirect(url_for(".show", campaign_id=campaign.id, ledger_key=ld.key, unit=row.org_unit_id))
        return _render(campaign, ld, row.org_unit, form=request.form.to_dict(), errors=ok.errors, editing=row,
                       status=400)
    values = {k: ("" if v is None else str(v)) for k, v in row.data.items()}
    return _render(campaign, ld, row.org_unit, form=values, editing=row)


@bp.route("/campaigns/<int:campaign_id>/ledgers/<ledger_key>/export")
def export(campaign_id: int, ledger_key: str):
    campaign = _campaign(campaign_id)
    ld = _ledger(campaign, ledger_key)
    unit = _unit(campaign, request.args.get("unit"))
    if _is_visit_ledger(campaign, ld):
        return redirect(url_for("screening.export_ledger", campaign_id=campaign.id, unit=unit.id))
    fh = temp_xlsx()
    with one_transaction():
        services.export(db.session, current_user, campaign, ld, unit, fh)
    fh.seek(0)
    return send_file(fh, mimetype=XLSX_MIME, as_attachment=True, download_name=f"{ld.title}-{unit.name}.xlsx", max_age=0)


@bp.route("/campaigns/<int:campaign_id>/ledgers/<ledger_key>/import", methods=["POST"])
def upload(campaign_id: int, ledger_key: str):
    campaign = _campaign(campaign_id)
    ld = _ledger(campaign, ledger_key)
    unit = _unit(campaign, request.form.get("unit_id") or "x")
    if not services.may_edit(current_user, campaign, ld, unit):
        abort(403)
    f = request.files.get("file")
    with one_transaction() as ok:
        batch = services.upload(db.session, current_user, campaign, ld, unit, f.filename if f else "",
                                f.stream if f else None)
    if not ok:
        return redirect(url_for(".show", campaign_id=campaign.id, ledger_key=ld.key, unit=unit.id))
    return redirect(url_for(".batch", campaign_id=campaign.id, ledger_key=ld.key, batch_id=batch.id))


def _batch(campaign, ld, batch_id: int) -> ImportBatch:
    b = db.session.get(ImportBatch, batch_id)
    if b is None or b.campaign_id != campaign.id or b.kind != f"ledger:{ld.key}":
        abort(404)
    require(current_user, Permission.CAMPAIGN_VIEW, b.org_unit)
    if not services.may_edit(current_user, campaign, ld, b.org_unit):
        abort(403)
    return b


@bp.route("/campaigns/<int:campaign_id>/ledgers/<ledger_key>/imports/<int:batch_id>", methods=["GET", "POST"])
def batch(campaign_id: int, ledger_key: str, batch_id: int):
    campaign = _campaign(campaign_id)
    ld = _ledger(campaign, ledger_key)
    b = _batch(campaign, ld, batch_id)
    fields = services.fields(ld)
    chosen, errors, status = None, {}, 200
    if request.method == "POST":
        chosen = {f.key: request.form.get(f"map_{f.key}", "") for f in fields}
        with one_transaction() as ok:
            services.run_import(db.session, current_user, campaign, ld, b, chosen)
        if ok:
            flash(f"导入完成：新增{b.added}行，更新{b.updated}行，未变{b.unchanged}行，未导入{b.rejected}行。",
                  "success" if not b.rejected else "info")
            return redirect(url_for(".batch", campaign_id=campaign.id, ledger_key=ld.key, batch_id=b.id))
        errors, status = ok.errors, 400
        db.session.refresh(b)
    if chosen is None and b.status == "mapping":
        chosen = services.suggested(db.session, campaign, ld, b)
    return render_template("ledgers/batch.html", campaign=campaign, ld=ld, batch=b, fields=fields,
                           chosen=chosen or b.mapping or {}, errors=errors, norm=norm), status


@bp.route("/campaigns/<int:campaign_id>/ledgers/<ledger_key>/imports/<int:batch_id>/rejects.xlsx")
def rejects(campaign_id: int, ledger_key: str, batch_id: int):
    campaign = _campaign(campaign_id)
    ld = _ledger(campaign, ledger_key)
    b = _batch(campaign, ld, batch_id)
    return send_rejects(b, f"{ld.title}，{b.filename}", campaign_id=campaign.id)
