"""The 漏保漏救 type follows seeds 000 and 001: phases, deadlines, categories, checklist, form, lists."""
from datetime import date
from pathlib import Path

import pytest

from duban.campaigns.deadlines import phase_dates
from duban.campaigns.registry import definition
from duban.campaigns.services import create_draft
from duban.extensions import db

# The plans live in shared/seeds beside the repository (CI checks out shared/ next to it).
SEEDS = next((p / "shared" / "seeds" for p in Path(__file__).resolve().parents if (p / "shared" / "seeds").is_dir()),
             None)


@pytest.fixture
def d(app):
    return definition("loubao_loujiu")


def test_four_phases_with_the_plan_months(d):
    assert [p.name for p in d.phases] == ["谋划部署阶段", "推动落实阶段", "巩固提升阶段", "总结评价阶段"]
    dates = [phase_dates(p, 2022) for p in d.phases]
    assert dates == [
        (date(2022, 6, 1), date(2022, 6, 30)),   # 谋划部署阶段（6月）
        (date(2022, 6, 1), date(2022, 8, 31)),   # 推动落实阶段（6-8月）
        (date(2022, 9, 1), date(2022, 9, 30)),   # 巩固提升阶段（9月）
        (date(2022, 9, 1), date(2022, 10, 31)),  # 总结评价阶段（9-10月）
    ]


def test_report_deadlines_from_the_text(district, d):
    units = district["units"]
    c = create_draft(db.session, district["users"]["admin"], type_key="loubao_loujiu",
                     root_unit=units["湖里区民政局"], year=2022, title="t")
    due = {s.template_key: (s.due_on, s.level) for s in c.specs}
    # 000 四(四): 6月17日、7月19日、8月18日前盖章分次报送《特殊困难群体排查成效进度表》
    assert [due[f"progress_report_{i}"] for i in (1, 2, 3)] == [
        (date(2022, 6, 17), "township"), (date(2022, 7, 19), "township"), (date(2022, 8, 18), "township")]
    assert due["household_screening"] == (date(2022, 8, 31), "village")  # 8月底前完成逐户逐人排查
    assert due["township_summary"] == (date(2022, 9, 28), "township")    # 9月28日前向区民政局报送书面报告
    assert due["village_three_lists"] == (date(2022, 9, 30), "village")  # 001: 9月30日前向镇社会事务办报送
    assert due["village_acceptance"][1] == "township"
    assert due["satisfaction_survey"][1] == "township"


@pytest.mark.skipif(SEEDS is None, reason="shared/seeds is not beside the repository")
def test_deadline_dates_appear_in_seed_text(d):
    text = (SEEDS / "000_90a7f92d902cf201.txt").read_text(encoding="utf-8")
    for day in ("6月17日", "7月19日", "8月18日", "9月28日"):
        assert day in text


def test_seven_screening_categories_with_thresholds(d):
    cats = d.screening_categories
    assert len(cats) == 7
    assert cats[1].name == "2021年自付医疗费用1万元以上低保对象" and cats[1].threshold["self_paid_min"] == 10000
    assert cats[2].threshold["self_paid_min"] == 42000
    assert "三级" in cats[3].name
    assert [c.key for c in d.screening_checks] == ["covered_in_time", "single_listed", "petitions_answered"]


def test_checklist_and_form_and_lists(d):
    req = d.checklists["screening_requirements"]
    assert len(req.items) == 4 and "包片" in req.items[0].text and "抽查" not in req.items[0].text
    form = d.forms["progress_report"]
    assert form.title == "特殊困难群体排查成效进度表"
    assert {r.left for r in form.rules} == {"screened", "problems_fixed"}
    assert [c.label for c in d.lists["problem"]][:1] == ["问题来源"]
    assert all(d.lists[k] for k in ("problem", "rectification", "result"))


def test_every_source_cites_a_seed_document(d):
    for item in (*d.phases, *d.tasks):
        assert "厦湖民〔2022〕15号" in item.source or "龙政〔2022〕63号" in item.source, item
