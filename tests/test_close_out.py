"""Core capabilities the later campaign types need: departments as assignees, the close-out
evaluation (and its hook), and both in the summary PDF next to the periodic forms."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from duban import create_app, hookimpl
from duban.audit.models import AuditEvent
from duban.campaigns.registry import DefinitionError, definition
from duban.campaigns.services import create_draft, publish
from duban.campaigns.types import (
    CampaignType, DeadlineRule, EvaluationDefinition, Grade, ListColumn, MonthDay, Phase, TaskTemplate,
)
from duban.errors import ValidationError
from duban.evaluations.models import Evaluation
from duban.evaluations.services import record_evaluations
from duban.extensions import db
from duban.reports import jobs as report_jobs
from duban.reports.models import ReportJob
from duban.reports.progress import breakdown, breakdown_with_departments
from duban.tasks import services as work
from duban.tasks.models import Task
from duban.tenancy import services as org
from duban.tenancy.tree import add_unit

from . import factories
from .test_reports import make_job, pdf_text, stored_pdf


class Graded:
    """A code plugin with a 验收 of villages only, graded 合格/不合格."""

    key = "graded"

    @hookimpl
    def register_campaign_types(self):
        return [CampaignType(key=self.key, name="验收测试", source_document="验收方案")]

    @hookimpl
    def campaign_phases(self, campaign_type):
        if campaign_type == self.key:
            return [Phase("p", "阶段", MonthDay(9, 1), MonthDay(9, 30))]

    @hookimpl
    def task_templates(self, campaign_type):
        if campaign_type == self.key:
            return [TaskTemplate("t", "总结", "p", "village", DeadlineRule("phase_end")),
                    TaskTemplate("d", "股室任务", "p", "department", DeadlineRule("phase_end"), responsible=("办公室",))]

    @hookimpl
    def list_columns(self, campaign_type, list_kind):
        if campaign_type == self.key:
            return [ListColumn("description", "描述")]

    @hookimpl
    def campaign_evaluation(self, campaign_type):
        if campaign_type == self.key:
            return EvaluationDefinition(title="整治成果验收", levels=("village",),
                                        grades=(Grade("合格", 60), Grade("不合格", 0)), source="验收方案 三")


@pytest.fixture
def graded(app, district):
    with factories.app_with_plugins(app, district, Graded()) as world:
        yield world["units"], world["users"]


def test_hook_campaign_evaluation(graded):
    units, users = graded
    spec = definition("graded").evaluation
    assert (spec.title, spec.levels, [g.name for g in spec.grades]) == ("整治成果验收", ("village",), ["合格", "不合格"])
    add_unit(db.session, tenant_id=units["湖里区民政局"].tenant_id, name="办公室", kind="department",
             parent=units["湖里区民政局"])
    c = create_draft(db.session, users["admin"], type_key="graded", root_unit=units["湖里区民政局"], year=2022, title="验收")
    publish(db.session, users["admin"], c)
    # The street accepts (验收) its villages; it does not evaluate itself or the bureau's street level.
    jinhu = units["金湖社区"]
    assert record_evaluations(db.session, users["township"], c, units["湖里街道"],
                              {f"score-{jinhu.id}": "59", f"comment-{jinhu.id}": "台账不全"}) == 1
    ev = db.session.scalar(select(Evaluation).where(Evaluation.org_unit_id == jinhu.id))
    assert (ev.grade, ev.score_text, ev.evaluator_unit.name) == ("不合格", "59", "湖里街道")
    with pytest.raises(ValidationError, match="无权"):
        record_evaluations(db.session, users["admin"], c, units["湖里区民政局"],
                           {f"score-{units['湖里街道'].id}": "90"})  # streets are not evaluated in this type


def test_default_evaluation_when_a_type_declares_none(app):
    spec = definition("loubao_loujiu").evaluation
    assert spec.title == "考核评价" and spec.levels == ("township", "village")
    assert [spec.grade_for(s) for s in (100, 90, 89.9, 80, 60, 59.9, 0)] == [
        "优秀", "优秀", "良好", "良好", "合格", "不合格", "不合格"]


@pytest.fixture
def campaign(district):
    return factories.launch(district["units"]["湖里区民政局"], district["users"]["admin"])


def test_evaluation_input_is_validated_all_or_nothing(district, campaign):
    u, admin = district["units"], district["users"]["admin"]
    hl, dq = u["湖里街道"].id, u["殿前街道"].id
    bad = [({f"score-{hl}": "101"}, "0至100"), ({f"score-{hl}": "88.25"}, "一位小数"), ({f"score-{hl}": "八十"}, "0至100"),
           ({f"grade-{hl}": "特优"}, "请从优秀、良好、合格、不合格中选择"), ({f"comment-{hl}": "好"}, "请填写得分或选择等次"),
           ({f"score-{hl}": "90", f"comment-{hl}": "字" * 501}, "评语不能超过500个字")]
    for form, message in bad:
        with pytest.raises(ValidationError, match=message):
            record_evaluations(db.session, admin, campaign, u["湖里区民政局"], {**form, f"score-{dq}": "80"})
        db.session.rollback()
    assert db.session.scalar(select(Evaluation.id)) is None
    assert record_evaluations(db.session, admin, campaign, u["湖里区民政局"],
                              {f"grade-{hl}": "良好", f"score-{dq}": "60.5"}) == 2
    db.session.commit()
    # Re-saving the same values changes nothing; a change is audited with the old and new values.
    assert record_evaluations(db.session, admin, campaign, u["湖里区民政局"], {f"grade-{hl}": "良好"}) == 0
    assert record_evaluations(db.session, admin, campaign, u["湖里区民政局"], {f"score-{hl}": "91"}) == 1
    db.session.commit()
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("evaluation.%"))
                               .order_by(AuditEvent.id)).all()
    assert [a.action for a in audit] == ["evaluation.recorded", "evaluation.recorded", "evaluation.changed"]
    assert audit[-1].old["grade"] == "良好" and audit[-1].new == {"score": "91", "grade": "优秀", "comment": ""}


def test_evaluation_pages_and_permissions(district, campaign, login_as):
    u, users = district["units"], district["users"]
    url = f"/campaigns/{campaign.id}/evaluations"
    village = login_as(users["village"])
    assert village.get(url).status_code == 200
    assert village.post_form(url, {"unit": u["金湖社区"].id}).status_code == 403
    inspector = login_as(users["inspector"])
    page = inspector.get(url).get_data(as_text=True)
    assert "湖里街道" in page and "保存评价" not in page  # inspectors read, they do not score
    street = login_as(users["township"])
    r = street.post_form(url, {"unit": u["湖里街道"].id, f"score-{u['金湖社区'].id}": "85"})
    assert r.status_code == 302
    page = street.get(f"{url}?unit={u['湖里街道'].id}").get_data(as_text=True)
    assert "金湖社区" in page and "良好" in page


def test_a_department_task_needs_a_named_responsible(app):
    from .test_hookspecs import _code_plugin

    bad = _code_plugin("dept_bad", tasks=[TaskTemplate("t1", "上报", "p1", "department", DeadlineRule("phase_end"))])
    with pytest.raises(DefinitionError, match="needs responsible departments"):
        create_app({**app.config, "DUBAN_PLUGINS": [], "DUBAN_EXTRA_PLUGINS": [bad]})
    at = _code_plugin("at_bad", tasks=[TaskTemplate("a@b", "上报", "p1", "township", DeadlineRule("phase_end"))])
    with pytest.raises(DefinitionError, match="reserved"):
        create_app({**app.config, "DUBAN_PLUGINS": [], "DUBAN_EXTRA_PLUGINS": [at]})


def test_departments_have_members_and_are_not_townships(district, login_as):
    u, users = district["units"], district["users"]
    bureau = u["湖里区民政局"]
    dept = org.add_child_unit(db.session, users["admin"], bureau, name="社会救助服务中心", kind="department")
    assert ("department_staff", "股室/中心工作人员") in org.role_choices(dept)
    staff = org.create_user(db.session, users["admin"], username="centre1", display_name="周敏", password=factories.PASSWORD,
                            role="department_staff", unit=dept)
    with pytest.raises(ValidationError, match="股室/中心工作人员"):
        org.create_user(db.session, users["admin"], username="centre2", display_name="吴强", password="centre-pass-1",
                        role="village_worker", unit=dept)
    db.session.commit()
    c = factories.launch(bureau, users["admin"], type_key="efficiency_2023", year=2023, publish=False)
    with pytest.raises(ValidationError, match="规划财务股、慈善救助服务中心"):
        publish(db.session, users["admin"], c)  # 社会救助服务中心 exists; the other two do not
    db.session.rollback()
    for name in ("规划财务股", "慈善救助服务中心"):
        add_unit(db.session, tenant_id=bureau.tenant_id, name=name, kind="department", parent=bureau)
    publish(db.session, users["admin"], c)
    db.session.commit()
    total, rows, depts = breakdown_with_departments(db.session, c, bureau, date(2023, 7, 1))
    assert {r.unit.kind for r in rows} == {"township"}
    assert {r.unit.name for r in depts} == {"社会救助服务中心", "规划财务股", "慈善救助服务中心"}
    assert total.overall.total == sum(r.overall.total for r in (*rows, *depts)) + sum(
        1 for t in db.session.scalars(select(Task).where(Task.campaign_id == c.id, Task.org_unit_id == bureau.id)))
    assert [r.unit.kind for r in breakdown(db.session, c, bureau, date(2023, 7, 1))[1]] == ["township", "township"]
    mine = work.my_tasks(db.session, staff, date(2023, 7, 1), 3)
    assert mine.works and {r.task.org_unit.name for g in mine.phases for r in g.rows} == {"社会救助服务中心"}
    client = login_as(staff)
    own = client.get(f"/campaigns/{c.id}").get_data(as_text=True)
    assert "社会救助服务中心的任务" in own and "湖里街道" not in own


def test_below_a_bureau_the_launching_unit_does_the_department_tasks(district):
    u = district["units"]
    street = u["湖里街道"]
    operator = factories.make_user(street, "bureau_admin", "street_admin")  # may launch at the street
    c = create_draft(db.session, operator, type_key="efficiency_2023", root_unit=street, year=2023, title="街道效能")
    publish(db.session, operator, c)
    training = db.session.scalars(select(Task).where(Task.campaign_id == c.id)).all()
    assert {t.org_unit.name for t in training if t.spec.template_key == "training"} == {"湖里街道"}


def test_relative_deadlines_count_from_the_publishing_day(app, district):
    from duban.campaigns.models import TaskSpec

    u, admin = district["units"], district["users"]["admin"]
    c = create_draft(db.session, admin, type_key="loubao_loujiu", root_unit=u["湖里区民政局"], year=2022, title="t")
    c.specs.append(TaskSpec(template_key="x", seq=99, title="x", phase_key="planning", level="township",
                            due_on=date(2022, 7, 1), tenant_id=c.tenant_id))
    publish(db.session, admin, c)  # a spec no rule knows keeps its date
    assert next(s for s in c.specs if s.template_key == "x").due_on == date(2022, 7, 1)


def test_summary_pdf_shows_periodic_forms_departments_and_evaluations(district, glyph_guard):  # noqa: F811
    u, users = district["units"], district["users"]
    c = factories.launch(u["湖里区民政局"], users["admin"], type_key="special_governance")
    for name, user, population, dibao in (("湖里街道", users["township"], 10000, 450), ("殿前街道", users["sibling"], 8000, 560)):
        task = db.session.scalars(select(Task).where(Task.campaign_id == c.id, Task.org_unit_id == u[name].id,
                                                     Task.title.like("报送专项整治情况统计表（2022年4月）"))).one()
        work.save_form(db.session, user, task, {"population": str(population), "dibao": str(dibao), "tekun": "0",
                                                "marginal": "0", "expense": "0", "three_kinds_checked": "5",
                                                "newly_included": "1", "single_person": "0", "exited": "0",
                                                "recovered_amount": "0", "problems_found": "1", "problems_fixed": "1"})
        work.submit(db.session, user, task)
    record_evaluations(db.session, users["admin"], c, u["湖里区民政局"],
                       {f"score-{u['湖里街道'].id}": "93", f"comment-{u['湖里街道'].id}": "覆盖面适度，资金发放及时"})
    db.session.commit()
    job = make_job(c, u["湖里区民政局"], users["admin"])
    report_jobs.render_summary(job.id)
    db.session.expire_all()
    text, pages = pdf_text(stored_pdf(db.session.get(ReportJob, job.id)))
    flat = "".join(text.split())
    for heading in ("定期报表汇总", "信丰县2022年社会救助领域专项治理工作情况统计表", "救助对象占户籍人口比例",
                    "专项治理成效评价"):
        assert heading in flat, heading
    assert "4.50%（适度）" in flat and "7.00%（偏高）" in flat and "5.61%（偏高）" in flat  # 1010 / 18000
    assert "覆盖面适度，资金发放及时" in flat and "优秀" in flat
