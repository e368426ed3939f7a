"""The screening_rules hook: a plugin's rules drive the matching; a bad rule stops the type."""
import pytest
from sqlalchemy import select

from duban import create_app, hookimpl
from duban.campaigns.registry import DefinitionError
from duban.campaigns.types import CampaignType, DeadlineRule, ListColumn, MonthDay, Phase, ScreeningCategory, TaskTemplate
from duban.extensions import db
from duban.screening import matching
from duban.screening.models import Subject
from duban.screening.spec import Condition, Link, ScreeningRule, ScreeningRules, parse_rules

from .helpers import load, pid

KEY = "exits"
JH = ("湖里街道", "金湖社区")


class ExitRules:
    """应退尽退 in code: recipients found in the deaths list, and people in both 低保 and 特困."""

    def __init__(self, rules):
        self.rules = rules

    @hookimpl
    def register_campaign_types(self, app):
        return [CampaignType(key=KEY, name="清退", source_document="测试方案")]

    @hookimpl
    def campaign_phases(self, campaign_type):
        if campaign_type == KEY:
            return [Phase("p", "阶段", MonthDay(1, 1), MonthDay(12, 31))]

    @hookimpl
    def task_templates(self, campaign_type):
        if campaign_type == KEY:
            return [TaskTemplate("t", "清退", "p", "village", DeadlineRule("phase_end"))]

    @hookimpl
    def list_columns(self, campaign_type, list_kind):
        if campaign_type == KEY:
            return [ListColumn("description", "描述")]

    @hookimpl
    def screening_categories(self, campaign_type):
        if campaign_type == KEY:
            return [ScreeningCategory("deceased", "已死亡在保对象")]

    @hookimpl
    def screening_rules(self, campaign_type):
        return self.rules if campaign_type == KEY else None


RULES = ScreeningRules(rules=(
    ScreeningRule("deceased", "deceased", "recipients", require=(Link("death"),)),
    ScreeningRule("double", "double", "recipients", where=(Condition("programme", "eq", "低保"),),
                  require=(Link("recipients", (Condition("programme", "eq", "特困"),)),), name="重复享受低保和特困"),
))


def _other_app(app, district, rules):
    other = create_app({**app.config, "DUBAN_PLUGINS": [], "DUBAN_EXTRA_PLUGINS": [ExitRules(rules)]})
    return other, {n: u.id for n, u in district["units"].items()}, {n: u.id for n, u in district["users"].items()}


def test_hook_screening_rules(app, district):
    other, unit_ids, user_ids = _other_app(app, district, RULES)
    with other.app_context():
        from duban.campaigns.services import create_draft, publish
        from duban.tenancy.models import OrgUnit, User
        from duban.tenancy.scoping import set_tenant

        bureau = db.session.get(OrgUnit, unit_ids["湖里区民政局"])
        admin = db.session.get(User, user_ids["admin"])
        set_tenant(db.session, bureau.tenant_id)
        c = create_draft(db.session, admin, type_key=KEY, root_unit=bureau, year=2022, title="清退")
        publish(db.session, admin, c)
        db.session.commit()
        load(admin, bureau, "recipients", [["甲", pid(1), "低保", pid(1), "", *JH], ["乙", pid(2), "低保", pid(2), "", *JH],
                                           ["乙", pid(2), "特困", pid(2), "", *JH], ["丙", pid(3), "特困", pid(3), "", *JH]])
        load(admin, bureau, "death", [["甲", pid(1), "2022-03-01", *JH], ["丁", pid(4), "2022-03-01", *JH]])
        assert matching.rules_for(KEY) is RULES or matching.rules_for(KEY) == RULES
        assert matching.category_names(c) == {"deceased": "已死亡在保对象", "double": "重复享受低保和特困"}
        matching.run_rules(db.session, admin, c)
        db.session.commit()
        found = {s.id_number: s.categories for s in db.session.scalars(select(Subject))}
        assert found == {pid(1): ["deceased"], pid(2): ["double"]}
        db.session.remove()
    other.extensions  # keep a reference until here
    with other.app_context():
        db.engine.dispose()


def test_a_rule_on_an_unknown_source_is_refused(app, district):
    bad = ScreeningRules(rules=(ScreeningRule("x", "x", "weather"),
                                ScreeningRule("y", "y", "medical", where=(Condition("nickname", "eq", "a"),))))
    other, _, _ = _other_app(app, district, bad)
    with other.app_context():
        with pytest.raises(DefinitionError, match="unknown source 'weather'.*no matchable field 'nickname'"):
            matching.rules_for(KEY)
        db.engine.dispose()


def test_rules_yaml_parses_groups_and_rollup():
    rules = parse_rules({"rules": [{"key": "k", "from": "disability", "where": [
        {"any": [{"field": "grade", "in": ["一级"]}, {"all": [{"field": "grade", "eq": "三级"}]}]}]}],
        "rollup": {"form": "f", "fields": {"a": "visited", "b": {"measure": "included", "values": "低保"}}}})
    cond = rules.rules[0].where[0]
    assert cond.op == "any" and cond.items[0].value == ("一级",) and cond.items[1].items[0].op == "eq"
    assert rules.rollup[1].values == ("低保",) and rules.rollup_form == "f"
    with pytest.raises(ValueError, match="unknown measure"):
        parse_rules({"rollup": {"form": "f", "fields": {"a": "nonsense"}}})
    with pytest.raises(ValueError, match="exactly one of"):
        parse_rules({"rules": [{"key": "k", "from": "medical", "where": [{"field": "year"}]}]})


def test_loubao_loujiu_rules_follow_the_seven_categories(app):
    from duban.campaigns.registry import definition

    with app.app_context():
        rules = matching.rules_for("loubao_loujiu")
        categories = [c.key for c in definition("loubao_loujiu").screening_categories]
    assert [r.category for r in rules.rules] == categories[:6]  # 7: 其他 — found by the villages themselves
    dibao = next(r for r in rules.rules if r.key == "dibao_medical")
    assert dibao.where[1] == Condition("self_paid", "gte", 10000)
    resident = next(r for r in rules.rules if r.key == "resident_medical")
    assert resident.where[1] == Condition("self_paid", "gte", 42000) and resident.exclude[0].source == "recipients"


def test_special_governance_finds_who_should_exit(app, district):
    """应退尽退 (信民字〔2022〕5号 二(一)3): deceased recipients and double coverage."""
    from duban.campaigns.registry import registry

    from .. import factories

    if "special_governance" not in registry():
        pytest.skip("special_governance is not installed")
    u, users = district["units"], district["users"]
    c = factories.launch(u["湖里区民政局"], users["admin"], type_key="special_governance")
    load(users["admin"], u["湖里区民政局"], "recipients", [
        ["甲", pid(1), "低保", pid(1), "", *JH], ["乙", pid(2), "低保", pid(2), "", *JH],
        ["乙", pid(2), "特困", pid(2), "", *JH], ["丙", pid(3), "特困", pid(3), "", *JH]])
    load(users["admin"], u["湖里区民政局"], "death", [["甲", pid(1), "2022-03-01", *JH]])
    load(users["admin"], u["湖里区民政局"], "monitoring", [["丁", pid(4), 2022, *JH], ["丙", pid(3), 2022, *JH]])
    from duban.screening.models import SourceRecord

    for rec in db.session.scalars(select(SourceRecord).where(SourceRecord.kind == "monitoring")):
        rec.programme = "边缘易致贫户"
    db.session.commit()
    matching.run_rules(db.session, users["admin"], c)
    db.session.commit()
    found = {s.id_number: s.categories for s in db.session.scalars(select(Subject))}
    assert found == {pid(1): ["deceased"], pid(2): ["double_coverage"], pid(4): ["edge_of_poverty"]}
