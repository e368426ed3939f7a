"""Background jobs: follow up low satisfaction with a 问题清单 entry.

A unit whose satisfaction rate is below the survey's threshold, once it has the minimum number
of responses, gets one problem in its 问题清单 (recorded through lists.services.record_problem,
source 督导检查, by the admin who opened the survey). The link remembers the problem, so
evaluating again never records a second one. Runs in an rq worker or inline after the request.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from .. import clock
from ..errors import ValidationError
from ..extensions import db
from ..lists.services import record_problem
from ..tenancy.scoping import set_tenant
from .models import Survey, SurveyLink
from .public import below_threshold, unit_rate

log = logging.getLogger(__name__)
PROBLEM_SOURCE = "inspection"


def problem_text(survey: Survey, unit_name: str, responses: int, satisfied: int) -> str:
    rate = 100 * satisfied / responses if responses else 0
    return (f"群众满意度测评：{unit_name}收回有效问卷{responses}份，满意率{rate:.1f}%"
            f"（满意和基本满意{satisfied}份），低于本次测评设定的{survey.threshold}%，"
            f"请查找原因、制定整改措施并向群众做好解释回应。")


def _follow_up(session, survey: Survey, link: SurveyLink) -> bool:
    """Record the problem for link if it is due; True when one was recorded."""
    if link.problem_id is not None:
        return False
    responses, satisfied = unit_rate(session, survey, link)
    if not below_threshold(survey, responses, satisfied):
        return False
    actor = survey.opened_by or survey.created_by
    data = {**(survey.problem_fields or {}), "source": PROBLEM_SOURCE,
            "description": problem_text(survey, link.org_unit.name, responses, satisfied),
            "found_on": clock.today().isoformat()}
    try:
        with session.begin_nested():
            problem = record_problem(session, actor, survey.campaign, link.org_unit, data)
    except (ValidationError, HTTPException) as e:
        # e.g. the campaign has ended, or the admin lost the right: leave it for a later evaluation.
        log.warning("survey %s: no problem recorded for unit %s: %s", survey.id, link.org_unit_id, e)
        return False
    link.problem_id = problem.id
    session.flush()
    return True


def _load_survey(session, survey_id: int) -> Survey:
    set_tenant(session, None)
    survey = session.get(Survey, survey_id, execution_options={"all_tenants": True})
    if survey is None:
        raise LookupError(f"survey {survey_id} does not exist")
    set_tenant(session, survey.tenant_id)
    return survey


def evaluate_link(link_id: int) -> bool:
    """Evaluate one unit after a submission; the link row is locked so two jobs cannot both record."""
    session = db.session
    set_tenant(session, None)
    link = session.get(SurveyLink, link_id, execution_options={"all_tenants": True})
    if link is None:
        raise LookupError(f"survey link {link_id} does not exist")
    set_tenant(session, link.tenant_id)
    link = session.scalar(select(SurveyLink).where(SurveyLink.id == link_id).with_for_update(of=SurveyLink)
                          .execution_options(populate_existing=True))
    recorded = _follow_up(session, link.survey, link)
    session.commit()
    return recorded


def evaluate_survey(survey_id: int) -> int:
    """Evaluate every unit of a survey; return the number of problems recorded."""
    session = db.session
    survey = _load_survey(session, survey_id)
    count = 0
    ids = list(session.scalars(select(SurveyLink.id).where(SurveyLink.survey_id == survey.id,
                                                           SurveyLink.problem_id.is_(None))))
    for link_id in ids:
        link = session.scalar(select(SurveyLink).where(SurveyLink.id == link_id).with_for_update(of=SurveyLink)
                              .execution_options(populate_existing=True))
        count += _follow_up(session, survey, link)
        session.commit()
    return count
