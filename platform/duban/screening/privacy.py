"""Who may see a person's full ID number and phone, and the audit record of every full view.

Everyone who may see a subject sees the ID masked (first 6 and last 4) and the phone masked. In
full, on an explicit request that is audited: a bureau admin over the person's unit, and the
village workers of the person's own village (they verify identity at the door). Township
operators and inspectors review and supervise with masked numbers.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..audit.services import record
from ..ledgers.idnumber import mask_id, mask_phone
from ..tenancy.models import OrgUnit, User
from ..tenancy.permissions import Role

__all__ = ["may_view_full", "mask_id", "mask_phone", "record_full_view", "record_export"]


def may_view_full(user: User, unit: OrgUnit) -> bool:
    for m in user.memberships:
        if m.role == Role.BUREAU_ADMIN and unit.is_within(m.org_unit):
            return True
        if m.role == Role.VILLAGE_WORKER and m.org_unit_id == unit.id:
            return True
    return False


def record_full_view(session: Session, user: User, subject, *, campaign_id: int | None = None, what: str = "身份证号、联系电话") -> None:
    record(session, user, "person.id_viewed", object_type="screening_subject", object_id=subject.id,
           org_unit=subject.org_unit, campaign_id=campaign_id or subject.campaign_id,
           note=f"查看{subject.name}（{mask_id(subject.id_number)}）的完整{what}")


def record_export(session: Session, user: User, *, unit: OrgUnit, what: str, rows: int, full: bool,
                  campaign_id: int | None = None, object_type: str = "ledger", object_id: int | None = None) -> None:
    record(session, user, "ledger.exported", object_type=object_type, object_id=object_id, org_unit=unit,
           campaign_id=campaign_id, new={"what": what, "rows": rows, "full_numbers": full},
           note=f"导出{what}（{rows}行，{'含完整身份证号' if full else '身份证号已脱敏'}）")
