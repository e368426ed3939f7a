"""Supervision objects under 湖里街道 / 金湖社区 for the tenancy walk (tests/test_tenancy_routes.py)."""
from __future__ import annotations

from sqlalchemy import select

from duban.extensions import db
from duban.notifications.services import notify
from duban.supervision import circulars, clues, escalations, spotchecks
from duban.tasks.models import Task


def supervision_objects(district, campaign) -> dict[str, int]:
    u, users = district["units"], district["users"]
    inspector = users["inspector"]
    esc = escalations.create(db.session, inspector, campaign, u["金湖社区"], {
        "kind": "supervised", "reason": "摸排滞后", "on_date": "2022-07-01", "follow_up_by": "2022-07-15"})
    clue = clues.record_clue(db.session, inspector, campaign, u["金湖社区"],
                             {"summary": "线索", "recorded_on": "2022-07-01"})
    circular = circulars.create_draft(db.session, users["admin"], campaign, "2022-07-01")
    task = db.session.scalar(select(Task).where(Task.org_unit_id == u["金湖社区"].id))
    task.status = "submitted"
    check = spotchecks.create(db.session, inspector, campaign, u["金湖社区"],
                              {"population": "tasks", "sample_size": "1", "seed": "1"})
    [note] = notify(db.session, [users["village"]], kind="urge", title="请加快", tenant_id=campaign.tenant_id,
                    task_id=task.id)
    db.session.commit()
    return {"escalation_id": esc.id, "clue_id": clue.id, "circular_id": circular.id, "spot_check_id": check.id,
            "item_id": check.items[0].id, "notification_id": note}
