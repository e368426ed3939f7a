"""Evidence files: download (or show a photo) and soft delete."""
from flask import Blueprint, abort, current_app, flash, redirect, request, send_file, url_for
from flask_login import current_user, login_required

from ...evidence.models import Attachment
from ...evidence.services import is_inline, soft_delete
from ...evidence.storage import blob_path
from ...extensions import db
from ...tasks import services as tasks
from ...tasks.models import Task
from ...tenancy.access import require
from ...tenancy.permissions import Permission
from ..forms import one_transaction

bp = Blueprint("evidence", __name__)


@bp.before_request
@login_required
def _login():
    pass


def _attachment_or_404(attachment_id: int) -> Attachment:
    att = db.session.get(Attachment, attachment_id)
    if att is None or att.deleted:
        abort(404)
    require(current_user, Permission.EVIDENCE_VIEW, att.org_unit)
    return att


@bp.route("/evidence/<int:attachment_id>")
def download(attachment_id: int):
    att = _attachment_or_404(attachment_id)
    path = blob_path(current_app.config["UPLOAD_FOLDER"], att.sha256)
    if not path.is_file():
        current_app.logger.error("evidence blob %s of attachment %s is missing", att.sha256, att.id)
        abort(404)
    inline = is_inline(att) and not request.args.get("download")
    # download_name makes Werkzeug send filename*=UTF-8''… (RFC 5987) beside an ASCII fallback.
    resp = send_file(path, mimetype=att.mime, as_attachment=not inline, download_name=att.filename,
                     conditional=True, etag=att.sha256, max_age=0)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    resp.headers["Cache-Control"] = "private, no-cache"
    return resp


def _next_url() -> str | None:
    target = request.form.get("next") or ""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else None


@bp.route("/evidence/<int:attachment_id>/delete", methods=["POST"])
def delete(attachment_id: int):
    att = _attachment_or_404(attachment_id)
    if att.task_id is not None:
        task = db.session.get(Task, att.task_id)
        if task is None or not tasks.may_work(current_user, task):
            abort(403)
        with one_transaction() as ok:
            tasks.remove_evidence(db.session, current_user, task, att)
        target = url_for("tasks.show", task_id=task.id) + "#evidence"
    else:
        # Evidence of a list entry: the entry's own unit edits it (or a bureau admin above it).
        if not tasks.works_at(current_user, att.org_unit, Permission.LIST_EDIT):
            abort(403)
        with one_transaction() as ok:
            soft_delete(db.session, att, actor=current_user)
        target = _next_url() or url_for("home.index")
    if ok:
        flash(f"已删除“{att.filename}”", "success")
    return redirect(target)
