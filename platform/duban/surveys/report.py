"""The survey's section of the summary PDF (reports/services.py puts it in the context)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from ..campaigns.models import Campaign
from ..tenancy.models import OrgUnit
from .charts import distribution_chart, rate_chart
from .results import TEXT_PREVIEW, results
from .services import survey_for


def survey_section(session: Session, campaign: Campaign, unit: OrgUnit) -> dict | None:
    """Results, charts and latest free-text answers of campaign's survey at unit; None without a survey."""
    survey = survey_for(session, campaign)
    if survey is None:
        return None
    res = results(session, survey, unit)
    return {
        "survey": survey, "results": res, "text_preview": TEXT_PREVIEW,
        "rate_chart": rate_chart(res.rows, survey.threshold) if res.rows and res.total.responses else None,
        "charts": [(d, distribution_chart(d)) for d in res.distributions] if res.total.responses else [],
    }
