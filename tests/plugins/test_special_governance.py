"""The 专项治理 type follows seed 003 (信民字〔2022〕5号): phases, the monthly deadlines (one task per
month per township, each with its own state), 5/30 and 6/25, the nine problems, the five task
groups, and the coverage metric with its 4%–5% band, summed up the tree."""
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from duban.campaigns.deadlines import phase_dates
from duban.campaigns.models import TaskSpec
from duban.campaigns.registry import definition
from duban.campaigns.services import create_draft
from duban.errors import ValidationError
from duban.extensions import db
from duban.periodic.services import band_summaries, tables
from duban.tasks import services as work
from duban.tasks.models import Task

from ..factories import launch

SEEDS = next((p / "shared" / "seeds" for p in Path(__file__).resolve().parents if (p / "shared" / "seeds").is_dir()),
             None)
KEY = "special_governance"


@pytest.fixture
def d(app):
    return definition(KEY)


def _specs(district):
    c = create_draft(db.session, district["users"]["admin"], type_key=KEY,
                     root_unit=district["units"]["湖里区民政局"], year=2022, title="t")
    return c, {s.template_key: s for s in c.specs}


def test_four_phases_from_the_implementation_steps(d):
    assert [p.name for p in d.phases] == ["动员部署阶段", "自查整改阶段", "整改督导阶段", "总结提升阶段"]
    assert [phase_dates(p, 2022) for p in d.phases] == [
        (date(2022, 3, 21), date(2022, 3, 31)),   # 3月下旬
        (date(2022, 4, 1), date(2022, 5, 31)),    # 4月至5月
        (date(2022, 6, 1), date(2022, 6, 20)),    # 6月上中旬
        (date(2022, 6, 21), date(2022, 6, 30)),   # 6月下旬
    ]


def test_monthly_deadlines_make_one_task_spec_per_month(district):
    _, specs = _specs(district)
    for key in ("monthly_status", "monthly_payment"):
        months = sorted((k, s) for k, s in specs.items() if s.base_key == key)
        # 每月10日前 within 3/21–6/30: April, May and June.
        assert [k for k, _ in months] == [f"{key}@2022-04", f"{key}@2022-05", f"{key}@2022-06"]
        assert [s.due_on for _, s in months] == [date(2022, 4, 10), date(2022, 5, 10), date(2022, 6, 10)]
        assert [s.period_label for _, s in months] == ["2022年4月", "2022年5月", "2022年6月"]
        assert months[0][1].title.endswith("（2022年4月）") and months[0][1].deadline_rule == "每月10日前"
        assert [s.phase_key for _, s in months] == ["self_check", "self_check", "supervision"]
        assert all(s.level == "township" for _, s in months)


def test_one_off_deadlines(district):
    _, specs = _specs(district)
    assert specs["dishonest_list"].due_on == date(2022, 5, 30)   # 对5月30前未退缴的人员列入失信名单
    assert specs["township_report"].due_on == date(2022, 6, 25)  # 6月25日前形成专项治理工作情况报告
    assert specs["township_report"].evidence_required
    assert specs["township_plan"].due_on == date(2022, 3, 31)


@pytest.mark.skipif(SEEDS is None, reason="shared/seeds is not beside the repository")
def test_dates_and_band_appear_in_seed_text(d):
    text = (SEEDS / "003_c2d391277ba601fd.txt").read_text(encoding="utf-8")
    for phrase in ("3月下旬", "4月至5月", "6月上中旬", "6月下旬", "6月25日前", "5月30前", "每月10号前",
                   "每月 10 日前", "4%-5%", "三个不精准", "三个不规范", "三个不经常"):
        assert phrase in text, phrase
    for p in d.phases:
        assert p.name.removesuffix("阶段") in text


def test_nine_problems_and_five_task_groups(d):
    nine = d.checklists["nine_problems"].items
    assert len(nine) == 9
    assert [i.text.split("：")[0] for i in nine] == ["不精准"] * 3 + ["不规范"] * 3 + ["不经常"] * 3
    category = next(c for c in d.lists["problem"] if c.key == "category")
    assert len(category.choices) == 10 and category.choices[0] == "城乡低保对象认定不精准"
    groups = [d.checklists[f"group_{i}"] for i in range(1, 6)]
    assert [len(g.items) for g in groups] == [4, 3, 3, 4, 4]  # 二(一)1-4 … 二(五)1-4
    assert groups[0].items[3].text.startswith("4. 保持动态平衡") and "4%-5%" in groups[0].items[3].text


def test_coverage_metric_is_the_four_kinds_over_population(d):
    form = d.forms["monthly_status"]
    coverage = next(m for m in form.rollup.metrics if m.key == "coverage")
    assert coverage.sum == ("dibao", "tekun", "marginal", "expense") and coverage.per == "population"
    assert coverage.percent and coverage.band == (4.0, 5.0)
    assert coverage.band_of(Decimal("3.99")) == "below" and coverage.band_of(Decimal("4")) == "inside"
    assert coverage.band_of(Decimal("5")) == "inside" and coverage.band_of(Decimal("5.01")) == "above"


def _report(task, user, population, dibao, tekun=0, marginal=0, expense=0):
    data = {"population": population, "dibao": dibao, "tekun": tekun, "marginal": marginal, "expense": expense,
            "three_kinds_checked": 10, "newly_included": 2, "single_person": 1, "exited": 3,
            "recovered_amount": "1200.50", "problems_found": 4, "problems_fixed": 2}
    work.save_form(db.session, user, task, {k: str(v) for k, v in data.items()})
    work.submit(db.session, user, task)


def _task(campaign, unit, key):
    return db.session.scalars(select(Task).join(TaskSpec, TaskSpec.id == Task.spec_id).where(
        Task.campaign_id == campaign.id, Task.org_unit_id == unit.id, TaskSpec.template_key == key)).one()


def test_coverage_per_unit_and_summed_up_the_tree(district, login_as):
    u, users = district["units"], district["users"]
    c = launch(u["湖里区民政局"], users["admin"], type_key=KEY)
    april = {name: _task(c, u[name], "monthly_status@2022-04") for name in ("湖里街道", "殿前街道")}
    _report(april["湖里街道"], users["township"], 10000, 300, 50, 80, 20)   # 4.5%
    _report(april["殿前街道"], users["sibling"], 10000, 250, 20, 20, 10)    # 3.0%
    db.session.commit()
    # Each month is its own task with its own state.
    may = _task(c, u["湖里街道"], "monthly_status@2022-05")
    assert april["湖里街道"].status == "submitted" and may.status == "todo"

    table = tables(db.session, c, u["湖里区民政局"], "monthly_status")[0]
    assert [p.label for p in table.periods] == ["2022年4月", "2022年5月", "2022年6月"]
    col = table.column("coverage")
    by_unit = {r.unit.name: table.cell(r.by_spec.get(table.periods[0].spec_id), col) for r in table.rows}
    assert (by_unit["湖里街道"].value, by_unit["湖里街道"].band) == (Decimal("4.50"), "inside")
    assert (by_unit["殿前街道"].value, by_unit["殿前街道"].band) == (Decimal("3.00"), "below")
    county = table.cell(table.total[table.periods[0].spec_id], col)
    assert county.value == Decimal("3.75") and county.band == "below" and county.text == "3.75%"  # 750 / 20000
    assert (county.reported, county.expected) == (2, 2)
    recipients = table.cell(table.total[table.periods[0].spec_id], table.column("recipients"))
    assert recipients.value == 750
    assert table.cell(table.total[table.periods[1].spec_id], col).value is None  # May: nothing reported yet

    bands = band_summaries(db.session, c, u["湖里区民政局"])
    assert [(b.column.key, b.period.label) for b in bands] == [("coverage", "2022年4月")]

    admin = login_as(users["admin"])
    dashboard = admin.get(f"/campaigns/{c.id}").get_data(as_text=True)
    assert "救助对象占户籍人口比例" in dashboard and "偏低" in dashboard and "适度" in dashboard
    page = admin.get(f"/campaigns/{c.id}/periodic?form=monthly_status&col=coverage").get_data(as_text=True)
    assert "4.50%" in page and "3.00%" in page and "3.75%" in page and "已报 2/2" in page
    # A street sees its own row only.
    street = login_as(users["township"]).get(f"/campaigns/{c.id}/periodic").get_data(as_text=True)
    assert "殿前街道" not in street and "报表汇总" in street


def test_payment_not_socialised_needs_a_reason(district):
    u, users = district["units"], district["users"]
    c = launch(u["湖里区民政局"], users["admin"], type_key=KEY)
    task = _task(c, u["湖里街道"], "monthly_payment@2022-04")
    raw = {"households": "10", "people": "20", "amount": "5000", "paid_on": "2022-04-08", "entrusted": "0"}
    with pytest.raises(ValidationError, match="未按时发放的原因"):
        work.save_form(db.session, users["township"], task, raw)
    work.save_form(db.session, users["township"], task, {**raw, "socialised": "1"})
    work.save_form(db.session, users["township"], task, {**raw, "notes": "银行系统升级，4月12日补发"})


def test_every_source_cites_the_plan(d):
    for item in (*d.phases, *d.tasks, *d.checklists.values(), *d.forms.values()):
        assert "信民字〔2022〕5号" in item.source, item
