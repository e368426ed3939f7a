"""Shared helpers of the survey tests: a campaign with an open survey, answering through the public page."""
from __future__ import annotations

import re

from sqlalchemy import select

from duban.extensions import db
from duban.surveys import services
from duban.surveys.models import SurveyLink
from duban.tenancy.scoping import set_tenant

from .. import factories

GOOD = {"policy_awareness": "了解", "policy_channels": ["村(社区)宣传栏", "政策宣讲会"], "home_visit": "走访过",
        "help_in_time": "4", "staff_attitude": "5", "overall": "满意", "suggestions": "希望多宣传政策"}


def open_survey(district, *, opens="2022-07-01", closes="2022-07-31", threshold="80", minimum="3"):
    """Launch the 漏保漏救 campaign at the bureau, create its survey and open it (today is 2022-07-01)."""
    admin, bureau = district["users"]["admin"], district["units"]["湖里区民政局"]
    campaign = factories.launch(bureau, admin)
    set_tenant(db.session, bureau.tenant_id)
    survey = services.create_survey(db.session, admin, campaign)
    services.update_settings(db.session, admin, survey, {
        "title": survey.title, "intro": survey.intro, "opens_on": opens, "closes_on": closes,
        "threshold": threshold, "min_responses": minimum})
    services.open_survey(db.session, admin, survey)
    db.session.commit()
    return campaign, survey


def link_of(survey, unit) -> SurveyLink:
    return db.session.scalar(select(SurveyLink).where(SurveyLink.survey_id == survey.id,
                                                      SurveyLink.org_unit_id == unit.id))


def nonce(html: str) -> str:
    m = re.search(r'name="nonce" value="([^"]+)"', html)
    assert m, "no nonce on the survey page"
    return m.group(1)


def answer(client, token: str, answers: dict | None = None, **overrides):
    """Open the public page like a phone would, then submit answers; returns the POST response."""
    page = client.get(f"/s/{token}")
    assert page.status_code == 200, page.get_data(as_text=True)
    data = dict(GOOD if answers is None else answers, **overrides)
    data = {k: v for k, v in data.items() if v is not None}
    data["nonce"] = nonce(page.get_data(as_text=True))
    return client.post(f"/s/{token}", data=data)


def fresh_browser(app):
    """A new test client: its own cookie jar, i.e. another phone."""
    from ..conftest import Client

    app.test_client_class = Client
    return app.test_client()
