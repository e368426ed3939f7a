"""The audit trail is append-only and keeps old and new values."""
import pytest
from sqlalchemy import select

from duban.audit.models import AuditEvent, AuditImmutable
from duban.audit.services import record
from duban.extensions import db


def test_record_and_refuse_changes(district):
    unit, admin = district["units"]["湖里街道"], district["users"]["admin"]
    ev = record(db.session, admin, "unit.renamed", object_type="org_unit", object_id=unit.id, org_unit=unit,
                old={"name": "旧名"}, new={"name": unit.name})
    db.session.commit()
    stored = db.session.scalar(select(AuditEvent))
    assert stored.old == {"name": "旧名"} and stored.unit_path == unit.path and stored.actor.username == "admin"
    ev.note = "改写"
    with pytest.raises(AuditImmutable):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, stored.id))
    with pytest.raises(AuditImmutable):
        db.session.flush()
    db.session.rollback()
