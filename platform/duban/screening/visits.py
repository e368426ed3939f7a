"""Recording household visits against the 摸排对象清单, and adding people to it by hand."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..audit.services import record
from ..campaigns.models import Campaign
from ..campaigns.registry import definition
from ..errors import ValidationError
from ..ledgers.cells import Field, converter
from ..tasks.services import works_at
from ..tenancy.models import OrgUnit, User
from ..tenancy.permissions import Permission
from .matching import category_names, rules_for
from .models import OUTCOMES, Subject, Visit

CHECK_ANSWERS = {"yes": "是", "no": "否", "na": "不适用"}


def may_record(user: User, subject: Subject, campaign: Campaign) -> bool:
    """The village's own workers record its visits (or a bureau admin above it), while the campaign runs."""
    return campaign.status == "published" and subject.status == "listed" and works_at(
        user, subject.org_unit, Permission.TASK_WORK)


def campaign_window(campaign: Campaign) -> tuple[date, date]:
    phases = campaign.phases
    return min(p.starts_on for p in phases), max(p.ends_on for p in phases)


def _date(raw: str, label: str, errors: dict, key: str, *, required: bool) -> date | None:
    value, error = converter(Field(key, label, "date", required=required))(raw)
    if error:
        errors[key] = error
    elif value and value > clock.today():
        errors[key] = f"“{label}”不能晚于今天"
        return None
    return value


def record_visit(session: Session, user: User, campaign: Campaign, subject: Subject, raw: dict) -> Visit:
    """Validate and store one visit; the subject's latest outcome follows the latest visit."""
    if not may_record(user, subject, campaign):
        raise ValidationError("您不能为该对象登记走访")
    raw = {k: (v if isinstance(v, str) else "") for k, v in raw.items()}
    errors: dict[str, str] = {}
    visited_on = _date(raw.get("visited_on", ""), "走访日期", errors, "visited_on", required=True)
    start, _ = campaign_window(campaign)
    if visited_on and visited_on < start:
        errors["visited_on"] = f"走访日期不能早于专项行动开始日期（{start.isoformat()}）"
    visitor = raw.get("visitor", "").strip()
    if not visitor:
        errors["visitor"] = "请填写走访人"
    elif len(visitor) > 60:
        errors["visitor"] = "走访人不能超过60个字"
    outcome = raw.get("outcome", "")
    if outcome not in OUTCOMES:
        errors["outcome"] = "请选择排查结果"
    programmes = rules_for(campaign.type_key).programmes
    programme = raw.get("programme", "").strip() or None
    included_on = _date(raw.get("included_on", ""), "纳入时间", errors, "included_on", required=False)
    if outcome == "included":
        if programme not in programmes:
            errors["programme"] = "请选择纳入的保障类别"
        if included_on is None and "included_on" not in errors:
            errors["included_on"] = "请填写纳入保障的时间"
    elif programme or included_on:
        errors.setdefault("programme", "只有“符合条件，已纳入保障”时才填写保障类别和纳入时间")
    amount, error = converter(Field("temp_aid_amount", "临时救助金额", "decimal", min=0, max=1_000_000))(
        raw.get("temp_aid_amount", ""))
    if error:
        errors["temp_aid_amount"] = error
    checks = {}
    for item in definition(campaign.type_key).screening_checks:
        answer = raw.get(f"check_{item.key}", "na") or "na"
        if answer not in CHECK_ANSWERS:
            errors[f"check_{item.key}"] = "请选择“是”“否”或“不适用”"
        checks[item.key] = answer
    notes = raw.get("notes", "").strip()
    if len(notes) > 1000:
        errors["notes"] = "备注不能超过1000个字"
    if errors:
        raise ValidationError(fields=errors)
    visit = Visit(campaign_id=campaign.id, subject_id=subject.id, org_unit_id=subject.org_unit_id,
                  unit_path=subject.unit_path, visited_on=visited_on, visitor=visitor, outcome=outcome,
                  programme=programme if outcome == "included" else None,
                  included_on=included_on if outcome == "included" else None,
                  temp_aid_amount=amount if amount else None, checks=checks, notes=notes,
                  created_by_id=user.id, tenant_id=subject.tenant_id)
    session.add(visit)
    if subject.last_visited_on is None or visited_on >= subject.last_visited_on:
        subject.last_visited_on, subject.last_outcome = visited_on, outcome
    session.flush()
    record(session, user, "screening.visit_recorded", object_type="screening_visit", object_id=visit.id,
           org_unit=subject.org_unit, campaign_id=campaign.id,
           new={"subject": subject.id, "visited_on": visited_on, "outcome": outcome, "programme": programme,
                "temp_aid_amount": amount or Decimal("0")})
    return visit


def visits_of(session: Session, subject: Subject) -> list[Visit]:
    return list(session.scalars(select(Visit).where(Visit.subject_id == subject.id)
                                .order_by(Visit.visited_on.desc(), Visit.id.desc())))


def add_subject(session: Session, user: User, campaign: Campaign, unit: OrgUnit, raw: dict) -> Subject:
    """Add a person the village found itself (category 7, “其他未纳入兜底保障的困难群众”, or any other)."""
    if campaign.status != "published":
        raise ValidationError("专项行动不在进行中")
    if unit.kind != "village" or not works_at(user, unit, Permission.TASK_WORK):
        raise ValidationError("只有村（社区）可以在本村（社区）的清单中添加对象")
    errors: dict[str, str] = {}
    name, error = converter(Field("name", "姓名", required=True, max_length=60))(raw.get("name", ""))
    if error:
        errors["name"] = error
    id_number, error = converter(Field("id_number", "身份证号", "id_number", required=True))(raw.get("id_number", ""))
    if error:
        errors["id_number"] = error
    names = category_names(campaign)
    category = raw.get("category", "")
    if category not in names:
        errors["category"] = "请选择排查类别"
    reason = (raw.get("reason") or "").strip()
    if not reason:
        errors["reason"] = "请说明纳入清单的原因（如家庭困难情况）"
    elif len(reason) > 500:
        errors["reason"] = "原因不能超过500个字"
    if errors:
        raise ValidationError(fields=errors)
    existing = session.scalar(select(Subject).where(Subject.campaign_id == campaign.id, Subject.id_number == id_number))
    if existing is not None and existing.status == "listed":
        raise ValidationError(fields={"id_number": f"该身份证号已在清单中（{existing.org_unit.name}）"})
    evidence = {"category": category, "rule": "manual", "source": "manual",
                "text": f"{unit.name}主动发现：{reason}（{user.display_name}登记）"}
    if existing is not None:
        existing.status, existing.origin = "listed", "manual"
        existing.categories = sorted({*existing.categories, category}, key=list(names).index)
        existing.evidence = [evidence, *existing.evidence]
        subject = existing
    else:
        subject = Subject(campaign_id=campaign.id, id_number=id_number, name=name, org_unit_id=unit.id,
                          unit_path=unit.path, categories=[category], evidence=[evidence], origin="manual",
                          status="listed", tenant_id=unit.tenant_id)
        session.add(subject)
    session.flush()
    record(session, user, "screening.subject_added", object_type="screening_subject", object_id=subject.id,
           org_unit=unit, campaign_id=campaign.id, new={"category": category, "reason": reason})
    return subject
