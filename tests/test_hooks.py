"""One test per hook: a code plugin implements it and the core is seen to use the answer."""

import pytest
from sqlalchemy import func, select

from duban import hookimpl
from duban.campaigns.registry import definition
from duban.campaigns.services import create_draft, publish
from duban.campaigns.types import (
    CampaignType, Checklist, ChecklistItem, DeadlineRule, FormDefinition, FormField, LedgerColumn, LedgerDefinition,
    ListColumn, MonthDay,
    Phase, ScreeningCategory, TaskTemplate,
)
from duban.errors import ValidationError
from duban.extensions import db
from duban.tasks import services as tasks
from duban.tasks.models import FormEntry, Task

from . import factories

KEY = "hooked"


class Recorder:
    """A campaign plugin in code, recording the events it receives."""

    def __init__(self):
        self.events = []

    @hookimpl
    def register_campaign_types(self, app):
        return [CampaignType(key=KEY, name="钩子测试", source_document="测试方案（测〔2024〕1号）")]

    @hookimpl
    def campaign_phases(self, campaign_type):
        if campaign_type == KEY:
            return [Phase("only", "唯一阶段", MonthDay(4, 1), MonthDay(4, 30))]

    @hookimpl
    def task_templates(self, campaign_type):
        if campaign_type == KEY:
            return [TaskTemplate("report", "填报", "only", "township", DeadlineRule("fixed", on=MonthDay(4, 20)),
                                 checklist="cl", form="f")]

    @hookimpl
    def campaign_checklists(self, campaign_type):
        if campaign_type == KEY:
            return {"cl": Checklist("cl", "清单", (ChecklistItem("a", "第一项"),))}

    @hookimpl
    def campaign_forms(self, campaign_type):
        if campaign_type == KEY:
            return ["f"]

    @hookimpl
    def form_definition(self, campaign_type, form_key):
        if campaign_type == KEY and form_key == "f":
            return FormDefinition("f", "测试表", (FormField("n", "人数", min=0),))

    @hookimpl
    def screening_categories(self, campaign_type):
        if campaign_type == KEY:
            return [ScreeningCategory("c1", "第一类")]

    @hookimpl
    def screening_checks(self, campaign_type):
        if campaign_type == KEY:
            return [ChecklistItem("q1", "是否及时")]

    @hookimpl
    def campaign_ledgers(self, campaign_type):
        if campaign_type == KEY:
            return {"roster": LedgerDefinition("roster", "花名册", (LedgerColumn("name", "姓名"), LedgerColumn("id", "身份证号", "id_number")))}

    @hookimpl
    def list_columns(self, campaign_type, list_kind):
        if campaign_type == KEY:
            return [ListColumn("description", f"{list_kind}描述")]

    @hookimpl
    def validate_submission(self, campaign, org_unit, form_key, data):
        return ["人数不能是13"] if data.get("n") == 13 else []

    @hookimpl
    def campaign_published(self, campaign, actor):
        self.events.append(("published", campaign.title, actor.username))

    @hookimpl
    def task_status_changed(self, task, previous, actor):
        self.events.append(("status", previous, task.status))


@pytest.fixture
def hooked(app, district):
    rec = Recorder()
    with factories.app_with_plugins(app, district, rec) as world:
        yield rec, world


def _campaign(district, do_publish=True):
    c = create_draft(db.session, district["users"]["admin"], type_key=KEY,
                     root_unit=district["units"]["湖里区民政局"], year=2024, title="钩子")
    if do_publish:
        publish(db.session, district["users"]["admin"], c)
    db.session.commit()
    return c


def _task(c, unit_name):
    return db.session.scalar(select(Task).join(Task.org_unit).where(Task.campaign_id == c.id)
                             .where(Task.org_unit.has(name=unit_name)))


def test_hook_register_campaign_types(hooked):
    assert definition(KEY).type.source_document == "测试方案（测〔2024〕1号）"


def test_hook_campaign_phases(hooked):
    c = _campaign(hooked[1], do_publish=False)
    assert [(p.name, p.starts_on.isoformat(), p.ends_on.isoformat()) for p in c.phases] == [
        ("唯一阶段", "2024-04-01", "2024-04-30")]


def test_hook_task_templates(hooked):
    c = _campaign(hooked[1])
    tasks_ = db.session.scalars(select(Task).where(Task.campaign_id == c.id)).all()
    assert sorted(t.org_unit.name for t in tasks_) == ["殿前街道", "湖里街道"]
    assert {t.due_on.isoformat() for t in tasks_} == {"2024-04-20"}


def test_hook_campaign_checklists(hooked):
    rec, district = hooked
    c = _campaign(district)
    task = _task(c, "湖里街道")
    assert "检查清单还有1项未完成" in tasks.missing_for_submit(db.session, task)
    tasks.set_ticks(db.session, district["users"]["township"], task, {"a"})
    assert not any("检查清单" in m for m in tasks.missing_for_submit(db.session, task))


def test_hook_campaign_forms(hooked):
    assert list(definition(KEY).forms) == ["f"]


def test_hook_form_definition(hooked):
    rec, district = hooked
    task = _task(_campaign(district), "湖里街道")
    with pytest.raises(ValidationError) as e:
        tasks.save_form(db.session, district["users"]["township"], task, {"n": "-1"})
    assert "“人数”不能小于0" in e.value.messages


def test_hook_validate_submission(hooked):
    rec, district = hooked
    task = _task(_campaign(district), "湖里街道")
    user = district["users"]["township"]
    with pytest.raises(ValidationError) as e:
        tasks.save_form(db.session, user, task, {"n": "13"})
    assert e.value.messages == ["人数不能是13"]
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(FormEntry)) == 0
    tasks.save_form(db.session, user, task, {"n": "12"})
    assert db.session.scalar(select(func.count()).select_from(FormEntry)) == 1


def test_hook_screening_categories(hooked):
    assert [c.name for c in definition(KEY).screening_categories] == ["第一类"]


def test_hook_screening_checks(hooked):
    assert [c.text for c in definition(KEY).screening_checks] == ["是否及时"]


def test_hook_list_columns(hooked):
    assert definition(KEY).lists["result"][0].label == "result描述"


def test_hook_campaign_published(hooked):
    rec, district = hooked
    _campaign(district)
    assert rec.events == [("published", "钩子", "admin")]


def test_hook_task_status_changed(hooked):
    rec, district = hooked
    task = _task(_campaign(district), "湖里街道")
    user = district["users"]["township"]
    tasks.set_ticks(db.session, user, task, {"a"})
    tasks.save_form(db.session, user, task, {"n": "3"})
    tasks.submit(db.session, user, task)
    assert rec.events[-1] == ("status", "in_progress", "submitted")


def test_hook_campaign_ledgers(hooked):
    ledger = definition(KEY).ledgers["roster"]
    assert [c.label for c in ledger.columns] == ["姓名", "身份证号"] and ledger.level == "village"
