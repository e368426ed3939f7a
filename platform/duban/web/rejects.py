"""The download of an import's rejected rows, shared by the screening and the ledger imports."""
from __future__ import annotations

from flask import abort, send_file
from flask_login import current_user

from ..evidence.services import XLSX_MIME
from ..extensions import db
from ..ledgers.rejects import rejects_path
from ..screening.privacy import record_export
from .forms import one_transaction


def send_rejects(batch, what: str, campaign_id: int | None = None):
    """The batch's xlsx of rejected rows as a download (404 when it has none), recorded in the
    audit log as an export with full ID numbers: the rows are the file as it was uploaded."""
    path = rejects_path(batch)
    if path is None or not path.is_file():
        abort(404)
    with one_transaction():
        record_export(db.session, current_user, unit=batch.org_unit, what=f"未导入的行（{what}）", rows=batch.rejected,
                      full=True, object_type="import_batch", object_id=batch.id, campaign_id=campaign_id)
    return send_file(path, mimetype=XLSX_MIME, as_attachment=True, max_age=0,
                     download_name=f"未导入的行-{batch.filename.rsplit('.', 1)[0]}.xlsx")
