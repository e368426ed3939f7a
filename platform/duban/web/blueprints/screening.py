"""A campaign's 摸排对象清单: run the rules, see the list per unit, record visits with photos,
export the visit ledger and the evidence pack, and review flagged photos."""
from __future__ import annotations

import tempfile

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ... import clock
from ...audit.models import AuditEvent
from ...campaigns.access import focus_unit, get_visible
from ...campaigns.registry import definition
from ...evidence.storage import blob_path
from ...extensions import db
from ...ledgers.writer import temp_xlsx
from ...screening import export, listing, matching, photos, privacy, visits
from ...screening.models import OUTCOMES, Subject, Visit, VisitPhoto
from ...tenancy.access import can, require, sees
from ...tenancy.permissions import Permission
from ...evidence.services import XLSX_MIME
from ..forms import one_transaction

bp = Blueprint("screening", __name__)
PER_PAGE = 50


@bp.before_request
@login_required
def _login():
    pass


@bp.app_template_global()
def campaign_has_screening(campaign) -> bool:
    """Whether the campaign's type matches data into a 摸排对象清单 (for the campaign tabs)."""
    return bool(matching.rules_for(campaign.type_key).rules)


@bp.app_template_global()
def campaign_has_ledgers(campaign) -> bool:
    return bool(definition(campaign.type_key).ledgers)


def _campaign(campaign_id: int):
    return get_visible(db.session, current_user, campaign_id)


def _unit(campaign, unit_id):
    unit = focus_unit(db.session, current_user, campaign, unit_id)
    require(current_user, Permission.CAMPAIGN_VIEW, unit)
    return unit


def _subject(campaign, subject_id: int) -> Subject:
    s = db.session.get(Subject, subject_id)
    if s is None or s.campaign_id != campaign.id or not s.org_unit.is_within(campaign.root_unit):
        abort(404)
    require(current_user, Permission.CAMPAIGN_VIEW, s.org_unit)
    return s


def _photo(campaign, photo_id: int) -> VisitPhoto:
    p = db.session.get(VisitPhoto, photo_id)
    if p is None or p.campaign_id != campaign.id:
        abort(404)
    _subject(campaign, p.subject_id)
    return p


def _may_run(campaign) -> bool:
    return campaign.status == "published" and can(current_user, Permission.SCREENING_IMPORT, campaign.root_unit)


def _last_run(campaign):
    return db.session.scalar(select(AuditEvent).where(AuditEvent.action == "screening.matched",
                                                      AuditEvent.campaign_id == campaign.id)
                             .order_by(AuditEvent.id.desc()).limit(1))


@bp.route("/campaigns/<int:campaign_id>/screening")
def index(campaign_id: int):
    campaign = _campaign(campaign_id)
    unit = _unit(campaign, request.args.get("unit"))
    return _render_index(campaign, unit)


def _render_index(campaign, unit, form=None, errors=None, status=200):
    args = request.args
    try:
        page = max(1, int(args.get("page", 1)))
    except ValueError:
        page = 1
    names = matching.category_names(campaign)
    category = args.get("category", "") if args.get("category", "") in names else ""
    state = args.get("state", "") if args.get("state", "") in listing.STATES else ""
    count, people = listing.subjects(db.session, campaign, unit, category=category, state=state,
                                     query=args.get("q", "")[:40], limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    return render_template(
        "screening/index.html", campaign=campaign, unit=unit, ov=listing.overview(db.session, campaign, unit),
        names=names, people=people, count=count, page=page, pages=max(1, -(-count // PER_PAGE)),
        category=category, state=state, q=args.get("q", ""), STATES=listing.STATES, OUTCOMES=OUTCOMES,
        may_run=_may_run(campaign), last_run=_last_run(campaign), rules=matching.rules_for(campaign.type_key),
        may_add=campaign.status == "published" and unit.kind == "village" and visits.works_at(
            current_user, unit, Permission.TASK_WORK),
        has_ledger=export.visit_ledger(campaign) is not None, form=form or {}, errors=errors or {},
        mask_id=privacy.mask_id), status


@bp.route("/campaigns/<int:campaign_id>/screening/run", methods=["POST"])
def run(campaign_id: int):
    campaign = _campaign(campaign_id)
    if not _may_run(campaign):
        abort(403)
    with one_transaction() as ok:
        result = matching.run_rules(db.session, current_user, campaign)
    if ok:
        flash(f"比对完成（{result['seconds']}秒）：清单共{result['people']}人，新增{result['added']}人，"
              f"更新{result['updated']}人，移出{result['withdrawn']}人。", "success")
    return redirect(url_for(".index", campaign_id=campaign.id))


@bp.route("/campaigns/<int:campaign_id>/screening/subjects", methods=["POST"])
def add(campaign_id: int):
    campaign = _campaign(campaign_id)
    unit = _unit(campaign, request.form.get("unit_id") or "x")
    with one_transaction() as ok:
        subject = visits.add_subject(db.session, current_user, campaign, unit, request.form.to_dict())
    if ok:
        flash(f"已将{subject.name}加入摸排对象清单。", "success")
        return redirect(url_for(".subject", campaign_id=campaign.id, subject_id=subject.id))
    return _render_index(campaign, unit, request.form.to_dict(), ok.errors, 400)


@bp.route("/campaigns/<int:campaign_id>/screening/subjects/<int:subject_id>")
def subject(campaign_id: int, subject_id: int):
    campaign = _campaign(campaign_id)
    return _render_subject(campaign, _subject(campaign, subject_id))


def _render_subject(campaign, s, *, full=False, form=None, errors=None, status=200):
    history = visits.visits_of(db.session, s)
    d = definition(campaign.type_key)
    defaults = {"visited_on": clock.today().isoformat(), "visitor": current_user.display_name}
    return render_template(
        "screening/subject.html", campaign=campaign, s=s, unit=s.org_unit, visits=history, full=full,
        may_full=privacy.may_view_full(current_user, s.org_unit), names=matching.category_names(campaign),
        may_record=visits.may_record(current_user, s, campaign), checks=d.screening_checks,
        programmes=matching.rules_for(campaign.type_key).programmes, OUTCOMES=OUTCOMES,
        CHECK_ANSWERS=visits.CHECK_ANSWERS, form=form or defaults, errors=errors or {},
        flag_texts=photos.flag_texts, gcj=photos.wgs84_to_gcj02, mask_id=privacy.mask_id,
        mask_phone=privacy.mask_phone), status


@bp.route("/campaigns/<int:campaign_id>/screening/subjects/<int:subject_id>/reveal", methods=["POST"])
def reveal(campaign_id: int, subject_id: int):
    campaign = _campaign(campaign_id)
    s = _subject(campaign, subject_id)
    if not privacy.may_view_full(current_user, s.org_unit):
        abort(403)
    with one_transaction():
        privacy.record_full_view(db.session, current_user, s)
    return _render_subject(campaign, s, full=True)


@bp.route("/campaigns/<int:campaign_id>/screening/subjects/<int:subject_id>/visits", methods=["POST"])
def record_visit(campaign_id: int, subject_id: int):
    campaign = _campaign(campaign_id)
    s = _subject(campaign, subject_id)
    if not visits.may_record(current_user, s, campaign):
        abort(403)
    files = [(f.filename or "", f.read()) for f in request.files.getlist("photos") if f.filename]
    with one_transaction() as ok:
        visit = visits.record_visit(db.session, current_user, campaign, s, request.form.to_dict())
        if files:
            photos.add_photos(db.session, current_user, campaign, visit, files)
    if ok:
        flash("已登记走访" + (f"，上传照片{len(files)}张" if files else "") + "。", "success")
        return redirect(url_for(".subject", campaign_id=campaign.id, subject_id=s.id))
    return _render_subject(campaign, s, form=request.form.to_dict(), errors=ok.errors, status=400)


@bp.route("/campaigns/<int:campaign_id>/screening/visits/<int:visit_id>/photos", methods=["POST"])
def add_photos(campaign_id: int, visit_id: int):
    campaign = _campaign(campaign_id)
    visit = db.session.get(Visit, visit_id)
    if visit is None or visit.campaign_id != campaign.id:
        abort(404)
    s = _subject(campaign, visit.subject_id)
    if not visits.may_record(current_user, s, campaign):
        abort(403)
    files = [(f.filename or "", f.read()) for f in request.files.getlist("photos") if f.filename]
    with one_transaction() as ok:
        added = photos.add_photos(db.session, current_user, campaign, visit, files)
    if ok:
        flash(f"已上传照片{len(added)}张。", "success")
    return redirect(url_for(".subject", campaign_id=campaign.id, subject_id=s.id) + f"#visit-{visit.id}")


@bp.route("/campaigns/<int:campaign_id>/screening/photos/<int:photo_id>")
def photo(campaign_id: int, photo_id: int):
    """The photo without EXIF (or its thumbnail with ?size=thumb); the original never leaves this way."""
    p = _photo(_campaign(campaign_id), photo_id)
    thumb = request.args.get("size") == "thumb"
    sha = p.thumb_sha256 if thumb else p.display_sha256
    resp = send_file(blob_path(current_app.config["UPLOAD_FOLDER"], sha),
                     mimetype="image/jpeg" if thumb else p.mime, etag=sha, max_age=0, conditional=True)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp


@bp.route("/campaigns/<int:campaign_id>/screening/photos/<int:photo_id>/original")
def original(campaign_id: int, photo_id: int):
    """The photo as uploaded, EXIF and GPS included: for those who may see the person in full; audited."""
    campaign = _campaign(campaign_id)
    p = _photo(campaign, photo_id)
    s = db.session.get(Subject, p.subject_id)
    if not privacy.may_view_full(current_user, s.org_unit):
        abort(403)
    with one_transaction():
        privacy.record_full_view(db.session, current_user, s, what="走访照片原图（含拍摄时间和位置）")
    return send_file(blob_path(current_app.config["UPLOAD_FOLDER"], p.original_sha256), mimetype=p.mime,
                     as_attachment=True, download_name=p.filename, max_age=0)


@bp.route("/campaigns/<int:campaign_id>/screening/flags")
def flags(campaign_id: int):
    campaign = _campaign(campaign_id)
    unit = _unit(campaign, request.args.get("unit"))
    flagged = listing.flagged_photos(db.session, campaign, unit)
    subjects = {s.id: s for s in db.session.scalars(select(Subject).where(
        Subject.id.in_({p.subject_id for p in flagged} | {f.get("subject") for p in flagged for f in p.flags
                                                          if f.get("subject")})))} if flagged else {}
    # The other household of a duplicate may lie outside the viewer's subtree: name it only if visible.
    subjects = {k: v for k, v in subjects.items() if sees(current_user, v.org_unit)}
    return render_template("screening/flags.html", campaign=campaign, unit=unit, photos=flagged, subjects=subjects,
                           flag_texts=photos.flag_texts, mask_id=privacy.mask_id)


@bp.route("/campaigns/<int:campaign_id>/screening/export")
def export_ledger(campaign_id: int):
    campaign = _campaign(campaign_id)
    unit = _unit(campaign, request.args.get("unit"))
    ledger = export.visit_ledger(campaign)
    if ledger is None:
        abort(404)
    full = privacy.may_view_full(current_user, unit)
    fh = temp_xlsx()
    with one_transaction():
        n = export.write_visit_ledger(db.session, campaign, unit, fh, full=full)
        privacy.record_export(db.session, current_user, unit=unit, what=ledger.title, rows=n, full=full,
                              campaign_id=campaign.id)
    fh.seek(0)
    return send_file(fh, mimetype=XLSX_MIME, as_attachment=True, download_name=f"{ledger.title}-{unit.name}.xlsx", max_age=0)


@bp.route("/campaigns/<int:campaign_id>/screening/pack")
def pack(campaign_id: int):
    campaign = _campaign(campaign_id)
    unit = _unit(campaign, request.args.get("unit"))
    if unit.kind != "village":
        flash("证据包按村（社区）打包，请先选择一个村（社区）", "error")
        return redirect(url_for(".index", campaign_id=campaign.id, unit=unit.id))
    require(current_user, Permission.EVIDENCE_VIEW, unit)
    fh = tempfile.TemporaryFile(suffix=".zip")
    with one_transaction():
        n = export.write_pack(db.session, campaign, unit, fh)
        privacy.record_export(db.session, current_user, unit=unit, what="入户走访照片证据包", rows=n, full=False,
                              campaign_id=campaign.id, object_type="evidence_pack")
    fh.seek(0)
    return send_file(fh, mimetype="application/zip", as_attachment=True,
                     download_name=f"入户走访证据包-{unit.name}-{clock.today().isoformat()}.zip", max_age=0)

