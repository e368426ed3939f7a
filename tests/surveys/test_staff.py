"""The survey for staff: the plugin declaration (hook and YAML), creating, editing, opening,
results rolled up by unit, and who may see or change what."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from duban import create_app, hookimpl
from duban.campaigns.registry import plugin_manager
from duban.campaigns.types import CampaignType, DeadlineRule, ListColumn, MonthDay, Phase, TaskTemplate
from duban.errors import ValidationError
from duban.extensions import db
from duban.surveys import public, services
from duban.surveys.models import Survey, SurveyLink
from duban.surveys.results import results
from duban.surveys.types import SurveyDefinition, SurveyQuestion, survey_from_yaml

from .. import factories
from .helpers import GOOD, link_of


class SurveyPlugin:
    """A code-only campaign type that declares a two-question survey."""

    @hookimpl
    def register_campaign_types(self, app):
        return [CampaignType(key="surveyed", name="测评插件", source_document="测试方案")]

    @hookimpl
    def campaign_phases(self, campaign_type):
        if campaign_type == "surveyed":
            return [Phase("only", "唯一阶段", MonthDay(6, 1), MonthDay(12, 31))]

    @hookimpl
    def task_templates(self, campaign_type):
        if campaign_type == "surveyed":
            return [TaskTemplate("t", "上报", "only", "village", DeadlineRule("phase_end"))]

    @hookimpl
    def list_columns(self, campaign_type, list_kind):
        if campaign_type == "surveyed":
            return [ListColumn("description", "描述")]

    @hookimpl
    def campaign_survey(self, campaign_type):
        if campaign_type == "surveyed":
            return SurveyDefinition(
                title="插件问卷", satisfaction_question="score", satisfied=("4", "5"), level="township",
                threshold=60, min_responses=2,
                questions=(SurveyQuestion("score", "likert", "总体打几分？"),
                           SurveyQuestion("why", "text", "为什么？", required=False, max_length=50)))


def test_hook_campaign_survey(app, district):
    other = create_app({**app.config, "DUBAN_PLUGINS": [], "DUBAN_EXTRA_PLUGINS": [SurveyPlugin()]})
    bureau_id, admin_id = district["units"]["湖里区民政局"].id, district["users"]["admin"].id
    with other.app_context():
        from duban.campaigns.services import create_draft, publish
        from duban.tenancy.models import OrgUnit, User
        from duban.tenancy.scoping import set_tenant

        bureau, admin = db.session.get(OrgUnit, bureau_id), db.session.get(User, admin_id)
        set_tenant(db.session, bureau.tenant_id)
        assert plugin_manager().hook.campaign_survey(campaign_type="loubao_loujiu") is None  # not loaded here
        c = create_draft(db.session, admin, type_key="surveyed", root_unit=bureau, year=2022, title="测评")
        publish(db.session, admin, c)
        survey = services.create_survey(db.session, admin, c)
        got = (survey.title, [q["key"] for q in survey.questions], survey.satisfied, survey.threshold,
               sorted(link.org_unit.name for link in services.links_under(db.session, survey, bureau)))
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
    assert got == ("插件问卷", ["score", "why"], ["4", "5"], 60, ["殿前街道", "湖里街道"])


def test_the_loubao_survey_asks_what_the_plan_aims_at(app):
    with app.app_context():
        d = plugin_manager().hook.campaign_survey(campaign_type="loubao_loujiu")
    texts = " ".join(q.text for q in d.questions)
    for aim in ("政策", "及时得到帮助", "服务态度", "总体评价"):  # awareness, help in time, staff, overall
        assert aim in texts, aim
    assert {q.type for q in d.questions} == {"single", "multiple", "likert", "text"}
    overall = d.question(d.satisfaction_question)
    assert overall.options == ("满意", "基本满意", "不满意") and d.satisfied == ("满意", "基本满意")
    assert d.level == "village" and d.problems() == []


def test_a_broken_survey_yaml_stops_the_app():
    with pytest.raises(ValueError, match="satisfaction_question"):
        survey_from_yaml({"title": "x", "questions": [{"key": "a", "type": "text", "text": "说说"}],
                          "satisfaction": {"question": "nope"}})
    with pytest.raises(ValueError, match="needs 2 to"):
        survey_from_yaml({"title": "x", "satisfaction": {"question": "a", "satisfied": ["好"]},
                          "questions": [{"key": "a", "type": "single", "text": "如何", "options": ["好"]}]})


def test_creating_copies_the_declaration_and_gives_every_village_a_link(district):
    admin = district["users"]["admin"]
    campaign = factories.launch(district["units"]["湖里区民政局"], admin)
    survey = services.create_survey(db.session, admin, campaign)
    db.session.commit()
    assert survey.status == "draft" and len(survey.questions) == 7
    # Defaults: the campaign's close-out phase (总结评价阶段, 9/1–10/31).
    assert (survey.opens_on.isoformat(), survey.closes_on.isoformat()) == ("2022-09-01", "2022-10-31")
    links = db.session.scalars(select(SurveyLink).where(SurveyLink.survey_id == survey.id)).all()
    assert sorted(link.org_unit.name for link in links) == ["兴隆社区", "湖边社区", "金湖社区", "高殿社区"]
    assert len({link.token for link in links}) == 4 and all(len(link.token) >= 16 for link in links)
    with pytest.raises(ValidationError, match="已有满意度测评"):
        services.create_survey(db.session, admin, campaign)


def test_only_the_bureau_admin_creates_and_edits(district, login_as):
    admin, street = district["users"]["admin"], district["users"]["township"]
    campaign = factories.launch(district["units"]["湖里区民政局"], admin)
    c = login_as(street)
    assert "<button class=\"primary\">创建测评问卷" not in c.get(f"/campaigns/{campaign.id}/survey").get_data(as_text=True)
    assert c.post_form(f"/campaigns/{campaign.id}/survey/create").status_code in (403, 404)
    assert db.session.scalar(select(func.count()).select_from(Survey)) == 0
    a = login_as(admin)
    page = a.get(f"/campaigns/{campaign.id}/survey").get_data(as_text=True)
    assert "创建测评问卷" in page and "您对民政经办人员" in page  # the declared questions, before creating
    r = a.post_form(f"/campaigns/{campaign.id}/survey/create")
    assert r.status_code == 302 and r.headers["Location"].endswith("/survey/edit")
    editor = a.get(r.headers["Location"]).get_data(as_text=True)
    assert "保存题目" in editor and "总体满意度题" in editor and 'name="q-overall-delete"' not in editor
    for url in ("edit", "open", "close", "evaluate"):
        assert c.post_form(f"/campaigns/{campaign.id}/survey/{url}", {"part": "settings"}).status_code in (403, 404)
    assert c.get(f"/campaigns/{campaign.id}/survey/edit").status_code in (403, 404)
    page = c.get(f"/campaigns/{campaign.id}/survey").get_data(as_text=True)
    assert "开启测评" not in page and "湖里街道" in page


def _editor_form(survey, **changes):
    form = {"part": "questions"}
    for n, q in enumerate(survey.question_list(), start=1):
        p = f"q-{q.key}"
        form.update({f"{p}-order": str(n), f"{p}-text": q.text, f"{p}-options": "\n".join(q.options),
                     f"{p}-labels": "\n".join(q.labels), f"{p}-max_length": str(q.max_length),
                     f"{p}-max_choices": str(q.max_choices), f"{p}-help": q.help})
        if q.required:
            form[f"{p}-required"] = "1"
    form.update(changes)
    return form


def test_the_admin_edits_questions_before_opening(district, login_as):
    admin = district["users"]["admin"]
    campaign = factories.launch(district["units"]["湖里区民政局"], admin)
    survey = services.create_survey(db.session, admin, campaign)
    db.session.commit()
    a = login_as(admin)
    url = f"/campaigns/{campaign.id}/survey/edit"
    r = a.post_form(url, _editor_form(survey, **{
        "q-home_visit-text": "今年村干部上门走访过您家吗？", "q-policy_channels-delete": "1",
        "q-overall-delete": "1",  # the satisfaction question cannot be deleted
        "q-suggestions-order": "1", "q-policy_awareness-order": "2", "new-type": "single", "new-text": "您家是否领取低保？",
        "new-options": "是\n否", "new-order": "2"}))
    assert r.status_code == 302
    db.session.expire_all()
    qs = survey.question_list()
    assert [q.key for q in qs][:3] == ["suggestions", "policy_awareness", "q1"]
    assert "policy_channels" not in [q.key for q in qs] and "overall" in [q.key for q in qs]
    assert survey.question("home_visit").text == "今年村干部上门走访过您家吗？"
    assert survey.question("q1").options == ("是", "否")

    before = list(survey.questions)
    bad = a.post_form(url, _editor_form(survey, **{"q-home_visit-text": "", "q-policy_awareness-options": "只有一个",
                                                  "new-type": "likert", "new-text": "打分", "new-labels": "1\n2"}))
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "请填写题目内容" in page and "选项应为2至12个" in page and "需要5个等级说明" in page
    db.session.expire_all()
    assert survey.questions == before


def test_settings_are_validated_and_questions_freeze_when_open(district, login_as):
    admin = district["users"]["admin"]
    campaign = factories.launch(district["units"]["湖里区民政局"], admin)
    survey = services.create_survey(db.session, admin, campaign)
    db.session.commit()
    a = login_as(admin)
    url = f"/campaigns/{campaign.id}/survey/edit"
    r = a.post_form(url, {"part": "settings", "title": "", "opens_on": "2022-07-10", "closes_on": "2022-07-01",
                          "threshold": "120", "min_responses": "x"})
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    for msg in ("请填写问卷标题", "截止日期不能早于开始日期", "满意率预警线（%）应在0至100之间", "最少答卷数应为整数"):
        assert msg in page
    assert a.post_form(url, {"part": "settings", "title": "测评", "opens_on": "2022-07-01", "closes_on": "2022-07-20",
                             "threshold": "85", "min_responses": "5"}).status_code == 302
    assert a.post_form(f"/campaigns/{campaign.id}/survey/open").status_code == 302
    db.session.expire_all()
    assert survey.status == "open" and survey.threshold == 85 and survey.opened_by_id == admin.id
    with pytest.raises(ValidationError, match="不能再修改"):
        services.update_questions(db.session, admin, survey, _editor_form(survey))
    db.session.rollback()
    # An open survey's closing date may move, but not into the past.
    r = a.post_form(url, {"part": "settings", "closes_on": "2022-06-30", "threshold": "85", "min_responses": "5"})
    assert "截止日期不能早于" in r.get_data(as_text=True)
    assert a.post_form(url, {"part": "settings", "closes_on": "2022-08-10", "threshold": "70",
                             "min_responses": "5"}).status_code == 302
    db.session.expire_all()
    assert survey.closes_on.isoformat() == "2022-08-10" and survey.title == "测评"


def test_opening_needs_dates_that_have_not_passed(district):
    admin = district["users"]["admin"]
    campaign = factories.launch(district["units"]["湖里区民政局"], admin)
    survey = services.create_survey(db.session, admin, campaign)
    survey.opens_on = survey.closes_on = None
    with pytest.raises(ValidationError, match="开始日期和截止日期"):
        services.open_survey(db.session, admin, survey)
    survey.opens_on = survey.closes_on = date(2022, 6, 30)
    with pytest.raises(ValidationError, match="截止日期已过"):
        services.open_survey(db.session, admin, survey)


def _submit(link, n_browser, **answers):
    public.submit(db.session, link, f"browser-{link.id}-{n_browser}", dict(GOOD, **answers))


def test_results_roll_up_from_village_to_district(district, opened):
    campaign, survey = opened
    u = district["units"]
    jinhu, hubian, gaodian = (link_of(survey, u[n]) for n in ("金湖社区", "湖边社区", "高殿社区"))
    for i, overall in enumerate(["满意", "满意", "基本满意", "不满意"]):
        _submit(jinhu, i, overall=overall, staff_attitude=str(5 - i))
    _submit(hubian, 0, overall="不满意", suggestions="")
    _submit(gaodian, 0, overall="满意", policy_channels=["政策宣讲会"])
    db.session.commit()

    top = results(db.session, survey, u["湖里区民政局"])
    assert (top.total.responses, top.total.satisfied, top.pct) == (6, 4, 66.7)
    rows = {r.unit.name: (r.rate.responses, r.rate.pct) for r in top.rows}
    assert rows == {"湖里街道": (5, 60.0), "殿前街道": (1, 100.0)}
    street = results(db.session, survey, u["湖里街道"])
    assert {r.unit.name: r.rate.pct for r in street.rows} == {"金湖社区": 75.0, "湖边社区": 0.0}
    assert [r.below for r in street.rows] == [True, False]  # 湖边 has 1 response, fewer than the minimum 3
    overall = next(d for d in top.distributions if d.question.key == "overall")
    assert [(o.value, o.count) for o in overall.options] == [("满意", 3), ("基本满意", 1), ("不满意", 2)]
    staff = next(d for d in street.distributions if d.question.key == "staff_attitude")
    assert staff.mean == round((5 + 4 + 3 + 2 + 5) / 5, 2) and staff.options[0].value == "5"
    channels = next(d for d in top.distributions if d.question.key == "policy_channels")
    assert {o.value: o.count for o in channels.options}["政策宣讲会"] == 6
    assert top.text_total == 5 and top.texts[0].text == "希望多宣传政策"
    village = results(db.session, survey, u["金湖社区"])
    assert village.total.responses == 4 and village.rows == []


def test_results_pages_show_each_user_their_own_subtree(district, opened, login_as):
    campaign, survey = opened
    u = district["units"]
    _submit(link_of(survey, u["金湖社区"]), 0, suggestions="金湖的意见")
    _submit(link_of(survey, u["高殿社区"]), 0, suggestions="高殿的意见")
    db.session.commit()
    village = login_as(district["users"]["village"]).get(f"/campaigns/{campaign.id}/survey").get_data(as_text=True)
    assert "金湖的意见" in village and "高殿的意见" not in village and "/s/" in village
    sibling = login_as(district["users"]["sibling"])
    assert sibling.get(f"/campaigns/{campaign.id}/survey?unit={u['金湖社区'].id}").status_code == 404
    page = sibling.get(f"/campaigns/{campaign.id}/survey").get_data(as_text=True)
    assert "高殿的意见" in page and "金湖的意见" not in page
    assert sibling.get(f"/campaigns/{campaign.id}/survey/texts?unit={u['金湖社区'].id}").status_code == 404
    texts = login_as(district["users"]["inspector"]).get(f"/campaigns/{campaign.id}/survey/texts").get_data(as_text=True)
    assert "金湖的意见" in texts and "高殿的意见" in texts


def test_the_dashboard_shows_the_survey(district, opened, login_as):
    campaign, survey = opened
    _submit(link_of(survey, district["units"]["金湖社区"]), 0, overall="基本满意")
    db.session.commit()
    page = login_as(district["users"]["admin"]).get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "群众满意度测评" in page and "100.0%" in page and "<svg" in page and "满意度测评</a>" in page
