"""Department data for screening: upload a file, confirm its column mapping, see what was imported."""
from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import click
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from ...extensions import db
from ...ledgers.mapping import norm
from ...screening import importer
from ...screening.models import ImportBatch, SourceRecord
from ...screening.sources import KINDS
from ...screening.synthetic import generate
from ...tenancy.access import require, roots
from ...tenancy.models import OrgUnit, Tenant
from ...tenancy.permissions import Permission
from ...tenancy.scoping import set_tenant
from ...tenancy.tree import descendants, path_range
from ..forms import one_transaction
from ..rejects import send_rejects

bp = Blueprint("screening_data", __name__, cli_group="screening")


@bp.before_request
@login_required
def _login():
    pass


def _import_unit(unit_id) -> OrgUnit:
    units = roots(current_user, Permission.SCREENING_IMPORT)
    if unit_id in (None, ""):
        if not units:
            abort(403)
        return min(units, key=lambda u: (u.depth, u.id))
    try:
        unit = db.session.get(OrgUnit, int(unit_id))
    except (TypeError, ValueError):
        abort(404)
    require(current_user, Permission.SCREENING_IMPORT, unit)
    return unit


def _batch(batch_id: int) -> ImportBatch:
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.kind not in KINDS:
        abort(404)
    require(current_user, Permission.SCREENING_IMPORT, batch.org_unit)
    return batch


@bp.route("/screening/data")
def index():
    unit = _import_unit(request.args.get("unit"))
    return _render_index(unit)


def _render_index(unit, form=None, status=200):
    low, high = path_range(unit.path)
    counts, retired = {}, {}
    for kind, left, n in db.session.execute(
            select(SourceRecord.kind, SourceRecord.retired_batch_id.is_not(None), func.count())
            .where(SourceRecord.unit_path >= low, SourceRecord.unit_path < high)
            .group_by(SourceRecord.kind, SourceRecord.retired_batch_id.is_not(None))):
        (retired if left else counts)[kind] = n
    batches = db.session.scalars(select(ImportBatch).where(
        ImportBatch.org_unit_id == unit.id, ImportBatch.campaign_id.is_(None))
        .order_by(ImportBatch.id.desc()).limit(30)).all()
    return render_template("screening/data.html", unit=unit, kinds=KINDS, counts=counts, retired=retired, batches=batches,
                           form=form or {}, demo=bool(current_app.config.get("DUBAN_DEMO"))), status


@bp.route("/screening/data/upload", methods=["POST"])
def upload():
    unit = _import_unit(request.form.get("unit_id") or "")
    f = request.files.get("file")
    with one_transaction() as ok:
        batch, new = importer.upload(db.session, current_user, unit, request.form.get("kind", ""),
                                     f.filename if f else "", f.stream if f else None)
    if not ok:
        return _render_index(unit, request.form, 400)
    if not new:
        flash(f"该文件已于{batch.finished_at:%Y-%m-%d %H:%M}导入过（第{batch.id}批），本次未作任何更改。", "info")
    return redirect(url_for(".batch", batch_id=batch.id))


@bp.route("/screening/data/batches/<int:batch_id>", methods=["GET", "POST"])
def batch(batch_id: int):
    b = _batch(batch_id)
    kind = KINDS[b.kind]
    chosen, errors, status = None, {}, 200
    replace = kind.snapshot  # a roster is the whole list unless the user says otherwise
    if request.method == "POST":
        chosen = {f.key: request.form.get(f"map_{f.key}", "") for f in kind.fields}
        replace = request.form.get("replace") == "1"
        with one_transaction() as ok:
            importer.run(db.session, current_user, b, chosen, replace=replace)
        if ok:
            left = f"，{b.retired}人已不在名单中、记为已退出" if b.retired else ""
            flash(f"导入完成：新增{b.added}行，更新{b.updated}行，未变{b.unchanged}行，未导入{b.rejected}行{left}。",
                  "success" if not b.rejected else "info")
            return redirect(url_for(".batch", batch_id=b.id))
        errors, status = ok.errors, 400
        db.session.refresh(b)
    if chosen is None and b.status == "mapping":
        chosen = importer.suggested(db.session, b)
    return render_template("screening/batch.html", batch=b, kind=kind, chosen=chosen or b.mapping or {},
                           errors=errors, norm=norm, replace=replace), status


@bp.route("/screening/data/batches/<int:batch_id>/rejects.xlsx")
def rejects(batch_id: int):
    b = _batch(batch_id)
    return send_rejects(b, b.filename)


def _places(units) -> list[tuple[str, str]]:
    """(township, village) names of the villages among units whose township is among them too."""
    units = {u.id: u for u in units}
    return [(units[u.parent_id].name, u.name) for u in units.values() if u.kind == "village" and u.parent_id in units]


@bp.route("/screening/data/sample.zip")
def sample():
    """In the demo: synthetic files (with a few bad rows) for the user's own villages, to try the import."""
    unit = _import_unit(request.args.get("unit"))
    if not current_app.config.get("DUBAN_DEMO"):
        abort(404)
    places = _places([unit, *descendants(db.session, unit)])
    if not places:
        abort(404)
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(buf, "w") as z:
        for path in generate(Path(tmp), places, recipients=3000).values():
            z.write(path, f"演示数据/{path.name}")
    buf.seek(0)
    return send_file(buf, mimetype="application/zip", as_attachment=True, download_name="摸排演示数据.zip", max_age=0)


@bp.cli.command("sample-files")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--tenant", default="huli", help="The tenant's slug (default: the demo tenant).")
@click.option("--recipients", default=2000, help="Rows of the recipients roster.")
@click.option("--clean", is_flag=True, help="No deliberately bad rows.")
def sample_files(out: str, tenant: str, recipients: int, clean: bool):
    """Write synthetic screening files (roster and five department files) for a tenant's villages."""
    t = db.session.scalar(select(Tenant).where(Tenant.slug == tenant))
    if t is None:
        raise click.ClickException(f"没有标识为“{tenant}”的租户")
    set_tenant(db.session, t.id)
    places = _places(db.session.scalars(select(OrgUnit)))
    if not places:
        raise click.ClickException("该租户还没有村（社区）")
    for kind, path in generate(Path(out), places, recipients=recipients, bad=not clean).items():
        click.echo(f"{KINDS[kind].name}: {path}")
