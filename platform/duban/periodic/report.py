"""What the summary PDF shows of the periodic forms and the close-out evaluation."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..campaigns.models import Campaign
from ..evaluations.services import evaluation_of, in_subtree
from ..tenancy.models import OrgUnit
from .services import tables


def summary_sections(session: Session, campaign: Campaign, unit: OrgUnit) -> dict:
    """Template variables: ``periodic_tables`` (units × periods per periodic form) and
    ``evaluations`` / ``evaluation_spec`` (the scores and grades recorded in unit's subtree)."""
    return {
        "periodic_tables": tables(session, campaign, unit),
        "evaluations": in_subtree(session, campaign, unit),
        "evaluation_spec": evaluation_of(campaign),
    }
