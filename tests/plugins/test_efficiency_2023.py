"""The 效能提升 type follows seed 004: five phases June–December, six key works with goals, bureau
departments and townships as responsible units, quarterly dispatch, 9/5 and 11/10 reports, the district
inspection at the end of August and the year-end evaluation of every town."""
import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from duban.campaigns import departments
from duban.campaigns.deadlines import phase_dates
from duban.campaigns.models import TaskSpec
from duban.campaigns.registry import definition
from duban.campaigns.services import create_draft, publish
from duban.errors import ValidationError
from duban.evaluations.services import in_subtree, record_evaluations
from duban.extensions import db
from duban.reports.services import summary_context
from duban.tasks import services as work
from duban.tasks.models import Task
from duban.tenancy.tree import add_unit

from .. import factories
from ..test_evidence import png_bytes

SEEDS = next((p / "shared" / "seeds" for p in Path(__file__).resolve().parents if (p / "shared" / "seeds").is_dir()),
             None)
KEY = "efficiency_2023"
DEPARTMENTS = ["社会救助服务中心", "规划财务股", "慈善救助服务中心"]


@pytest.fixture
def d(app):
    return definition(KEY)


def _draft(district):
    return create_draft(db.session, district["users"]["admin"], type_key=KEY,
                        root_unit=district["units"]["湖里区民政局"], year=2023, title="效能提升")


def test_five_phases_june_to_december(d):
    assert [p.name for p in d.phases] == ["制定方案", "动员部署", "组织实施", "建章立制", "总结提升"]
    assert [phase_dates(p, 2023) for p in d.phases] == [
        (date(2023, 6, 1), date(2023, 6, 30)),    # 6月
        (date(2023, 7, 1), date(2023, 7, 31)),    # 7月
        (date(2023, 7, 1), date(2023, 11, 30)),   # 7月—11月
        (date(2023, 9, 1), date(2023, 10, 31)),   # 9月—10月
        (date(2023, 11, 1), date(2023, 12, 31)),  # 11月—12月
    ]


def test_six_key_works_with_goals_departments_and_items(d):
    works = [t for t in d.tasks if t.key[:6] in {f"work_{i}" for i in range(1, 7)} and not t.key.endswith("_bureau")]
    assert [t.title[:3] for t in works] == ["（一）", "（二）", "（三）", "（四）", "（五）", "（六）"]
    assert all(t.description.startswith("工作目标：") and t.level == "township" for t in works)
    assert [t.responsible for t in works] == [
        ("社会救助服务中心",), ("社会救助服务中心",), ("规划财务股", "社会救助服务中心"), ("社会救助服务中心",),
        ("社会救助服务中心",), ("社会救助服务中心", "慈善救助服务中心")]
    assert [len(d.checklists[t.checklist].items) for t in works] == [3, 3, 2, 3, 2, 3]
    assert d.checklists["work_6"].items[1].text.startswith("2. 加强基层救助队伍建设：每年至少组织2次")


def test_report_and_inspection_deadlines(district):
    specs = {s.template_key: s for s in _draft(district).specs}
    assert specs["stage_report"].due_on == date(2023, 9, 5)         # 9月5日前报送阶段性工作情况
    assert specs["work_summary"].due_on == date(2023, 11, 10)       # 11月10日前报送工作总结
    assert specs["stage_report"].evidence_required and specs["work_summary"].evidence_required  # 盖章版和电子版
    assert specs["district_inspection"].due_on == date(2023, 8, 31)  # 8月底督导检查
    assert specs["year_end_evaluation"].due_on == date(2023, 12, 31)
    quarterly = sorted((s for s in specs.values() if s.base_key == "quarterly_dispatch"), key=lambda s: s.due_on)
    assert [(s.period_key, s.due_on, s.phase_key) for s in quarterly] == [
        ("2023-Q3", date(2023, 9, 30), "implementation"), ("2023-Q4", date(2023, 12, 31), "summary")]
    assert quarterly[0].title.endswith("（2023年第三季度）")


@pytest.mark.skipif(SEEDS is None, reason="shared/seeds is not beside the repository")
def test_dates_and_units_appear_in_seed_text(d):
    text = (SEEDS / "004_736aed071ea21500.txt").read_text(encoding="utf-8")
    for phrase in ("9月5日前", "11月10日前", "8月底", "按季度进行调度", "年底对全区效能提升行动进行评价",
                   "（一）制定方案（6月）", "（三）组织实施（7月—11月）", "（五）总结提升（11月—12月）"):
        assert phrase in text, phrase
    for name in DEPARTMENTS:
        assert f"{name}" in text


def test_missing_departments_block_publishing_until_settled(district, login_as):
    u, users = district["units"], district["users"]
    c = _draft(district)
    db.session.commit()
    assert departments.missing_departments(db.session, c) == DEPARTMENTS
    with pytest.raises(ValidationError, match="社会救助服务中心、规划财务股、慈善救助服务中心"):
        publish(db.session, users["admin"], c)
    db.session.rollback()
    page = login_as(users["admin"]).get(f"/campaigns/{c.id}/draft").get_data(as_text=True)
    assert "尚未在本局组织机构中设立：社会救助服务中心、规划财务股、慈善救助服务中心" in page

    # The bureau calls its finance office differently: map the plan's name onto it; create the other two.
    finance = add_unit(db.session, tenant_id=c.tenant_id, name="计划财务股", kind="department", parent=u["湖里区民政局"])
    db.session.commit()
    admin = login_as(users["admin"])
    r = admin.post_form(f"/campaigns/{c.id}/draft/departments",
                        {"dept-0": "create", "dept-1": str(finance.id), "dept-2": "create"})
    assert r.status_code == 302
    db.session.expire_all()
    assert departments.missing_departments(db.session, c) == []
    spec = db.session.scalars(select(TaskSpec).where(TaskSpec.campaign_id == c.id,
                                                      TaskSpec.template_key == "work_3_funds")).one()
    assert spec.responsible == ["计划财务股", "社会救助服务中心"]
    r = admin.post_form(f"/campaigns/{c.id}/publish")
    assert r.status_code == 302 and f"/campaigns/{c.id}" in r.headers["Location"]
    db.session.expire_all()
    at = {t.org_unit.name for t in db.session.scalars(select(Task).join(TaskSpec).where(
        Task.campaign_id == c.id, TaskSpec.template_key == "work_3_funds"))}
    assert at == {"计划财务股", "社会救助服务中心", "湖里街道", "殿前街道"}


def test_department_staff_do_their_tasks_and_the_bureau_reviews(district, login_as):
    u, users = district["units"], district["users"]
    centre = add_unit(db.session, tenant_id=u["湖里区民政局"].tenant_id, name="社会救助服务中心", kind="department",
                      parent=u["湖里区民政局"])
    for name in DEPARTMENTS[1:]:
        add_unit(db.session, tenant_id=centre.tenant_id, name=name, kind="department", parent=u["湖里区民政局"])
    staff = factories.make_user(centre, "department_staff", "centre_staff")
    c = factories.launch(u["湖里区民政局"], users["admin"], type_key=KEY, year=2023)
    task = db.session.scalars(select(Task).join(TaskSpec).where(
        Task.campaign_id == c.id, Task.org_unit_id == centre.id, TaskSpec.template_key == "training")).one()
    client = login_as(staff)
    assert "组织基层经办人员政策业务培训" in client.get("/tasks").get_data(as_text=True)
    work.save_form(db.session, staff, task, {"first_on": "2023-08-10", "first_trainees": "60",
                                              "second_on": "2023-10-20", "second_trainees": "55",
                                              "content": "低保审核确认、临时救助先行救助"})
    work.add_evidence(db.session, staff, task, [("培训签到表.png", io.BytesIO(png_bytes()))])
    db.session.commit()
    r = client.post_form(f"/tasks/{task.id}/submit", {"comment": ""})
    assert r.status_code == 302
    db.session.expire_all()
    task = db.session.get(Task, task.id)
    assert task.status == "submitted" and work.may_review(users["admin"], task)
    assert not work.may_work(users["township"], task)
    # The dashboard shows departments apart from the streets.
    page = login_as(users["admin"]).get(f"/campaigns/{c.id}").get_data(as_text=True)
    streets, depts = page.split("局内股室/中心进度")
    assert "社会救助服务中心" in depts and "湖里街道" in streets
    assert "社会救助服务中心" not in streets.split("下级单位进度")[1]


def test_year_end_evaluation_of_every_town(district, login_as):
    u, users = district["units"], district["users"]
    for name in DEPARTMENTS:
        add_unit(db.session, tenant_id=u["湖里区民政局"].tenant_id, name=name, kind="department",
                 parent=u["湖里区民政局"])
    c = factories.launch(u["湖里区民政局"], users["admin"], type_key=KEY, year=2023)
    spec = definition(KEY).evaluation
    assert spec.title == "年终评价" and spec.levels == ("township",)
    admin = login_as(users["admin"])
    page = admin.get(f"/campaigns/{c.id}/evaluations").get_data(as_text=True)
    assert "年终评价" in page and "湖里街道" in page and "社会救助服务中心" not in page.split("对下级单位的评价")[1]
    hl, dq = u["湖里街道"].id, u["殿前街道"].id
    r = admin.post_form(f"/campaigns/{c.id}/evaluations", {"unit": u["湖里区民政局"].id, f"score-{hl}": "85",
                                                            f"grade-{hl}": "优秀", f"score-{dq}": "70"})
    assert r.status_code == 400 and "对应的等次是“良好”" in r.get_data(as_text=True)
    r = admin.post_form(f"/campaigns/{c.id}/evaluations", {"unit": u["湖里区民政局"].id, f"score-{hl}": "92.5",
                                                            f"comment-{hl}": "主动发现机制健全", f"score-{dq}": "78"})
    assert r.status_code == 302
    db.session.expire_all()
    found = {e.org_unit.name: (e.score_text, e.grade) for e in in_subtree(db.session, c, u["湖里区民政局"])}
    assert found == {"湖里街道": ("92.5", "优秀"), "殿前街道": ("78", "合格")}
    # A street cannot evaluate itself or its sibling; it sees its own result.
    street = login_as(users["township"])
    assert street.post_form(f"/campaigns/{c.id}/evaluations",
                            {"unit": u["殿前街道"].id, f"score-{dq}": "100"}).status_code == 404
    own = street.get(f"/campaigns/{c.id}/evaluations").get_data(as_text=True)
    assert "湖里街道所获评价" in own and "92.5" in own and "78" not in own
    ctx = summary_context(db.session, c, u["湖里区民政局"], date(2023, 12, 31))
    assert [(e.org_unit.name, e.grade) for e in ctx["evaluations"]] == [("湖里街道", "优秀"), ("殿前街道", "合格")]
    with pytest.raises(ValidationError, match="无权"):
        record_evaluations(db.session, users["village"], c, u["金湖社区"], {})


def test_every_source_cites_the_plan(d):
    for item in (*d.phases, *d.tasks, *d.checklists.values(), *d.forms.values()):
        assert "实施方案" in item.source, item
