"""The public survey page /s/<token>: no login, no JavaScript, anonymous answers, one answer per
browser, dates enforced, bad or oversized answers refused with nothing stored, per-link limits."""
from __future__ import annotations

import pytest
from sqlalchemy import func, inspect, select

from duban.extensions import db
from duban.surveys import services
from duban.surveys.models import SurveyAnswer, SurveyGuard, SurveyResponse

from .. import factories
from .helpers import GOOD, answer, fresh_browser, link_of, nonce


def _count(model=SurveyResponse) -> int:
    db.session.expire_all()
    return db.session.execute(select(func.count()).select_from(model).execution_options(all_tenants=True)).scalar()


@pytest.fixture
def jinhu(district, opened):
    return link_of(opened[1], district["units"]["金湖社区"])


def test_a_phone_answers_without_logging_in_and_stays_anonymous(client, jinhu):
    page = client.get(f"/s/{jinhu.token}", headers={"User-Agent": "TestPhone/1.0"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "金湖社区" in html and "总体评价" in html
    assert "<script" not in html and "src=" not in html and "stylesheet" not in html  # one request, no JS
    assert len(page.data) < 20_000
    cookies = page.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith("duban_survey=")
    assert "HttpOnly" in cookies[0] and "SameSite=Lax" in cookies[0] and "Path=/s/" in cookies[0]
    assert page.headers["Cache-Control"] == "no-store"
    data = dict(GOOD, nonce=nonce(html))
    r = client.post(f"/s/{jinhu.token}", data=data, headers={"User-Agent": "TestPhone/1.0"},
                    environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert r.status_code == 303 and r.headers["Location"].endswith(f"/s/{jinhu.token}/thanks")
    assert not any(c.startswith("session=") for c in r.headers.getlist("Set-Cookie"))
    assert "提交成功" in client.get(r.headers["Location"]).get_data(as_text=True)
    assert _count() == 1 and _count(SurveyGuard) == 1
    # Nothing about the respondent is stored: only unit, day and answers.
    assert {c.name for c in inspect(SurveyResponse).columns} == {"id", "tenant_id", "survey_id", "link_id",
                                                                 "unit_path", "submitted_on"}
    assert {c.name for c in inspect(SurveyGuard).columns} == {"tenant_id", "survey_id", "token_hash"}
    stored = db.session.execute(select(SurveyAnswer.question_key, SurveyAnswer.value)
                                .execution_options(all_tenants=True)).all()
    assert sorted(stored) == sorted([(k, v) for k, vs in GOOD.items() for v in (vs if isinstance(vs, list) else [vs])])
    everything = " ".join(str(row) for model in (SurveyResponse, SurveyAnswer, SurveyGuard)
                          for row in db.session.execute(select(model.__table__)).all())
    for secret in ("203.0.113.7", "127.0.0.1", "TestPhone", client.get_cookie("duban_survey", path="/s/").value):
        assert secret not in everything


def test_one_answer_per_browser(app, client, jinhu):
    assert answer(client, jinhu.token).status_code == 303
    again = client.get(f"/s/{jinhu.token}")
    assert "已经提交过" in again.get_data(as_text=True) and 'name="nonce"' not in again.get_data(as_text=True)
    # Replaying an old form from the same browser is refused too.
    other = fresh_browser(app)
    page = other.get(f"/s/{jinhu.token}")
    cookie = other.get_cookie("duban_survey", path="/s/").value
    client.set_cookie("duban_survey", cookie, path="/s/")
    assert answer(other, jinhu.token).status_code == 303  # a second phone may answer
    r = client.post(f"/s/{jinhu.token}", data=dict(GOOD, nonce=nonce(page.get_data(as_text=True))))
    assert r.status_code == 409 and "已经提交过" in r.get_data(as_text=True)
    assert _count() == 2


@pytest.mark.parametrize("bad, message", [
    ({"overall": None}, "请回答第6题"),
    ({"overall": "非常满意"}, "第6题的答案无效"),
    ({"staff_attitude": "6"}, "第5题的答案无效"),
    ({"policy_channels": ["村(社区)宣传栏", "村(社区)宣传栏"]}, "第2题的选项无效"),
    ({"policy_channels": ["电视广告"]}, "第2题的选项无效"),
    ({"home_visit": ["走访过", "没有走访过"]}, "第3题只能有一个答案"),
    ({"suggestions": "长" * 501}, "第7题最多填写500个字"),
])
def test_bad_answers_are_refused_and_nothing_is_stored(client, jinhu, bad, message):
    r = answer(client, jinhu.token, **bad)
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and message in html and "提交未成功" in html
    assert 'value="了解" checked' in html  # what was answered is kept
    assert _count() == 0 and _count(SurveyAnswer) == 0 and _count(SurveyGuard) == 0


def test_an_oversized_submission_is_refused(client, jinhu):
    r = answer(client, jinhu.token, suggestions="x" * 200_000)
    assert r.status_code == 413 and "内容过长" in r.get_data(as_text=True)
    assert _count() == 0


def test_a_submission_needs_the_form_nonce_and_the_browser_cookie(app, client, district, opened, jinhu):
    client.get(f"/s/{jinhu.token}")
    for forged in ("", "not-a-nonce"):
        r = client.post(f"/s/{jinhu.token}", data=dict(GOOD, nonce=forged))
        assert r.status_code == 400 and "页面已失效" in r.get_data(as_text=True)
    # A nonce of another link, or of another browser, does not fit.
    hubian = link_of(opened[1], district["units"]["湖边社区"])
    other_nonce = nonce(client.get(f"/s/{hubian.token}").get_data(as_text=True))
    assert client.post(f"/s/{jinhu.token}", data=dict(GOOD, nonce=other_nonce)).status_code == 400
    stranger = fresh_browser(app)
    stranger.get(f"/s/{jinhu.token}")
    my_nonce = nonce(client.get(f"/s/{jinhu.token}").get_data(as_text=True))
    assert stranger.post(f"/s/{jinhu.token}", data=dict(GOOD, nonce=my_nonce)).status_code == 400
    # Without the cookie (a cross-site POST does not carry a SameSite=Lax cookie) nothing is taken.
    cookieless = fresh_browser(app)
    r = cookieless.post(f"/s/{jinhu.token}", data=dict(GOOD, nonce=my_nonce))
    assert r.status_code == 400 and "Cookie" in r.get_data(as_text=True)
    assert _count() == 0


def test_the_form_nonce_expires_but_the_answers_stay(app, client, jinhu):
    page = client.get(f"/s/{jinhu.token}").get_data(as_text=True)
    app.config["DUBAN_SURVEY_FORM_MAX_AGE"] = -1
    try:
        r = client.post(f"/s/{jinhu.token}", data=dict(GOOD, nonce=nonce(page)))
    finally:
        app.config.pop("DUBAN_SURVEY_FORM_MAX_AGE")
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "页面打开时间过长" in html and "希望多宣传政策" in html
    assert client.post(f"/s/{jinhu.token}", data=dict(GOOD, nonce=nonce(html))).status_code == 303


def test_answers_are_taken_only_between_the_dates(app, client, jinhu):
    page = client.get(f"/s/{jinhu.token}").get_data(as_text=True)
    app.config["DUBAN_TODAY"] = "2022-08-01"  # the day after the closing date, in Asia/Shanghai
    try:
        assert "已于2022年7月31日结束" in client.get(f"/s/{jinhu.token}").get_data(as_text=True)
        r = client.post(f"/s/{jinhu.token}", data=dict(GOOD, nonce=nonce(page)))
        assert r.status_code == 400 and "已于2022年7月31日结束" in r.get_data(as_text=True)
    finally:
        app.config["DUBAN_TODAY"] = "2022-07-01"
    assert _count() == 0
    app.config["DUBAN_TODAY"] = "2022-07-31"  # the closing day itself is included
    try:
        assert answer(client, jinhu.token).status_code == 303
    finally:
        app.config["DUBAN_TODAY"] = "2022-07-01"


def test_a_draft_or_future_or_closed_survey_takes_no_answers(district, client, login_as, rq_queue):
    admin = district["users"]["admin"]
    campaign = factories.launch(district["units"]["湖里区民政局"], admin)
    survey = services.create_survey(db.session, admin, campaign)
    db.session.commit()
    link = link_of(survey, district["units"]["金湖社区"])
    assert "尚未开始" in client.get(f"/s/{link.token}").get_data(as_text=True)
    services.open_survey(db.session, admin, survey)  # default dates: from 2022-09-01
    db.session.commit()
    assert "将于2022年9月1日开始" in client.get(f"/s/{link.token}").get_data(as_text=True)
    survey.opens_on = survey.opens_on.replace(month=7, day=1)
    db.session.commit()
    assert answer(client, link.token).status_code == 303
    assert login_as(admin).post_form(f"/campaigns/{campaign.id}/survey/close").status_code == 302
    rq_queue()  # closing evaluates the units (an rq job with REDIS_URL)
    assert "已于" in client.get(f"/s/{link.token}").get_data(as_text=True)
    assert _count() == 1


def test_an_unknown_link_is_not_found(client, opened):
    assert client.get("/s/no-such-link").status_code == 404
    assert client.post("/s/no-such-link", data={"overall": "满意"}).status_code == 404


def test_submissions_are_rate_limited_per_link(app, district, opened, jinhu):
    app.config["DUBAN_SURVEY_SUBMIT_LIMIT"] = "2 per minute"
    try:
        phones = [fresh_browser(app) for _ in range(3)]
        assert [answer(p, jinhu.token).status_code for p in phones[:2]] == [303, 303]
        r = answer(phones[2], jinhu.token)
        html = r.get_data(as_text=True)
        assert r.status_code == 429 and "请稍等一分钟" in html and "希望多宣传政策" in html
        # Another community's link has its own allowance.
        hubian = link_of(opened[1], district["units"]["湖边社区"])
        assert answer(phones[2], hubian.token).status_code == 303
    finally:
        app.config.pop("DUBAN_SURVEY_SUBMIT_LIMIT")
    assert _count() == 3


def test_page_views_are_rate_limited_per_link(app, client, jinhu):
    app.config["DUBAN_SURVEY_VIEW_LIMIT"] = "2 per minute"
    try:
        assert [client.get(f"/s/{jinhu.token}").status_code for _ in range(3)] == [200, 200, 429]
    finally:
        app.config.pop("DUBAN_SURVEY_VIEW_LIMIT")
