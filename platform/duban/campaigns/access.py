"""Which campaigns a user may see, and at which unit they look at one."""
from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..tenancy.access import can, primary_unit, roots, sees
from ..tenancy.models import OrgUnit, User
from ..tenancy.permissions import Permission
from .models import Campaign


def can_see(user: User, campaign: Campaign) -> bool:
    """Members inside the campaign's scope and superiors above its launching unit see it;
    a draft only those who may launch at its launching unit."""
    if campaign.tenant_id != user.tenant_id:
        return False
    if campaign.status == "draft":
        return can(user, Permission.CAMPAIGN_LAUNCH, campaign.root_unit)
    return sees(user, campaign.root_unit) or any(r.is_within(campaign.root_unit) for r in roots(user))


def visible_campaigns(session: Session, user: User, *, status: str | None = None) -> list[Campaign]:
    stmt = select(Campaign).order_by(Campaign.year.desc(), Campaign.id.desc())
    if status:
        stmt = stmt.where(Campaign.status == status)
    return [c for c in session.scalars(stmt) if can_see(user, c)]


def get_visible(session: Session, user: User, campaign_id: int, *, published: bool = True) -> Campaign:
    """Return the campaign or answer 404 (also for drafts when published is required)."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or not can_see(user, campaign) or (published and campaign.status == "draft"):
        abort(404)
    return campaign


def focus_unit(session: Session, user: User, campaign: Campaign, unit_id: str | int | None) -> OrgUnit:
    """The unit to show a campaign at: the requested one if the user sees it and it is in scope,
    otherwise the user's own unit inside the scope, or the launching unit for superiors."""
    if unit_id not in (None, ""):
        try:
            unit = session.get(OrgUnit, int(unit_id))
        except (TypeError, ValueError):
            abort(404)
        if unit is None or not sees(user, unit) or not unit.is_within(campaign.root_unit):
            abort(404)
        return unit
    own = primary_unit(user)
    if own is not None and own.is_within(campaign.root_unit):
        return own
    return campaign.root_unit
