"""The 百日会战 type follows seed 002: a 100-day campaign across the new year, the five tasks, the training
before year end, the festival deadlines before the Spring Festival, the periodic “作战台账” summed up the
tree with the final report by 2/20, and the two attachment ledgers with exactly their columns."""
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from duban.campaigns.deadlines import phase_dates
from duban.campaigns.models import TaskSpec
from duban.campaigns.registry import definition
from duban.campaigns.services import create_draft
from duban.extensions import db
from duban.periodic.services import tables
from duban.tasks import services as work
from duban.tasks.models import Task

from ..factories import launch

SEEDS = next((p / "shared" / "seeds" for p in Path(__file__).resolve().parents if (p / "shared" / "seeds").is_dir()),
             None)
KEY = "precision_100days"


@pytest.fixture
def d(app):
    return definition(KEY)


@pytest.fixture
def specs(district):
    c = create_draft(db.session, district["users"]["admin"], type_key=KEY,
                     root_unit=district["units"]["湖里区民政局"], year=2018, title="t")
    return {s.template_key: s for s in c.specs}


def test_phases_run_from_mid_november_to_end_of_february(d):
    dates = [phase_dates(p, 2018) for p in d.phases]
    assert dates[0][0] == date(2018, 11, 15)                # 从今年11月中旬开始
    assert max(end for _, end in dates) == date(2019, 2, 28)  # 至2019年2月底结束
    assert (date(2019, 2, 28) - date(2018, 11, 15)).days + 1 == 106  # about a hundred days
    assert dict(zip((p.key for p in d.phases), dates, strict=True))["screening"] == (date(2018, 11, 15), date(2018, 12, 31))


def test_the_five_tasks_are_there(d):
    titles = [t.title for t in d.tasks]
    for prefix in ("（一）全面摸底排查", "（二）加大宣传力度", "（三）组织区、街镇、居村三级", "（四）落实工作机制"):
        assert any(t.startswith(prefix) for t in titles), prefix
    assert any("春节前" in t and "补贴" in t for t in titles)  # （五）两节
    mech = [i.text for i in d.checklists["mechanisms"].items]
    for word in ("主动发现", "一门受理", "经济状况核对", "复审", "公示", "投诉举报电话"):
        assert any(word in m for m in mech), word


def test_deadlines_from_the_text(specs):
    assert specs["issue_plan"].due_on == date(2018, 11, 19)           # 落款 2018年11月19日
    assert specs["district_training"].due_on == date(2018, 12, 31)    # 年底前…培训班
    assert specs["district_training"].level == "bureau"
    assert specs["final_report"].due_on == date(2019, 2, 20)          # 2月20日前…报送区民政局
    assert specs["final_report"].deadline_rule == "次年2月20日前"
    # 春节之前: the official Spring Festival holiday of 2019 began on 4 February (除夕).
    for key in ("festival_payments", "institution_safety", "dispersed_tekun_visits"):
        assert specs[key].due_on == date(2019, 2, 3), key
        assert specs[key].deadline_rule == "春节前"
    assert specs["institution_safety"].level == "bureau" and specs["festival_payments"].level == "township"


def test_spring_festival_moves_with_the_lunar_calendar(district):
    c = create_draft(db.session, district["users"]["admin"], type_key=KEY,
                     root_unit=district["units"]["湖里区民政局"], year=2022, title="t")
    due = {s.template_key: s.due_on for s in c.specs}
    assert due["festival_payments"] == date(2023, 1, 20)  # 2023's holiday began on 21 January
    assert due["final_report"] == date(2023, 2, 20)


def test_periodic_battle_reports_once_per_period(specs):
    periodic = sorted((s for s in specs.values() if s.base_key == "battle_progress"), key=lambda s: s.due_on)
    assert [s.due_on for s in periodic] == [date(2018, 11, 30), date(2018, 12, 31), date(2019, 1, 31)]
    assert [s.template_key for s in periodic] == [
        "battle_progress@2018-11-30", "battle_progress@2018-12-31", "battle_progress@2019-01-31"]
    assert all(s.level == "village" and s.form_key == "battle_ledger" for s in periodic)
    assert specs["final_report"].form_key == "battle_ledger"


def test_battle_ledger_has_the_figures_the_plan_names(d):
    form = d.forms["battle_ledger"]
    labels = [f.label for f in form.fields]
    for word in ("全面复核救助对象", "新增救助", "基层主动发现", "主动退保", "清查退保", "群众举报退保",
                 "查处违法违纪案件", "发现的问题"):
        assert any(word in label for label in labels), word
    assert [m.key for m in form.rollup.metrics] == ["exits"]


def _task(c, unit, key):
    return db.session.scalars(select(Task).join(TaskSpec, TaskSpec.id == Task.spec_id).where(
        Task.campaign_id == c.id, Task.org_unit_id == unit.id, TaskSpec.template_key == key)).one()


def _ledger(n):
    return {"rechecked": str(10 * n), "new_recipients": str(n), "new_proactive": "1", "exit_voluntary": "1",
            "exit_cleanup": str(n), "exit_reported": "0", "violation_cases": "0", "problems_found": "2"}


def test_battle_ledger_sums_up_the_tree(district, login_as):
    u, users = district["units"], district["users"]
    c = launch(u["湖里区民政局"], users["admin"], type_key=KEY, year=2018)
    village = users["village"]  # 金湖社区 under 湖里街道
    first = _task(c, u["金湖社区"], "battle_progress@2018-11-30")
    work.save_form(db.session, village, first, _ledger(3))
    work.submit(db.session, village, first)
    work.review(db.session, users["township"], first, approve=True)
    draft_only = _task(c, u["金湖社区"], "battle_progress@2018-12-31")
    work.save_form(db.session, village, draft_only, _ledger(9))  # saved, not submitted: not counted
    final = _task(c, u["湖里街道"], "final_report")
    work.save_form(db.session, users["township"], final, _ledger(5))
    db.session.commit()

    table = tables(db.session, c, u["湖里区民政局"])[0]
    assert [p.label for p in table.periods] == ["2018年11月30日", "2018年12月31日", "2019年1月31日",
                                                "2月20日终报"]
    nov, dec = table.periods[0].spec_id, table.periods[1].spec_id
    rows = {r.unit.name: r for r in table.rows}
    assert table.cell(rows["湖里街道"].by_spec[nov], table.column("rechecked")).value == 30
    assert table.cell(rows["湖里街道"].by_spec[nov], table.column("exits")).value == 4  # 1 + 3 + 0
    assert table.cell(rows["殿前街道"].by_spec[nov], table.column("rechecked")).value is None
    assert (table.cell(table.total[nov], table.column("rechecked")).reported,
            table.cell(table.total[nov], table.column("rechecked")).expected) == (1, 4)
    assert table.cell(table.total[dec], table.column("rechecked")).value is None

    street = tables(db.session, c, u["湖里街道"])[0]
    assert [r.unit.name for r in street.rows] == ["湖里街道", "金湖社区", "湖边社区"]  # its own final report first
    final_col = street.periods[-1].spec_id
    assert street.cell(street.rows[0].by_spec[final_col], street.column("rechecked")).value is None  # saved, not sent
    admin = login_as(users["admin"])
    page = admin.get(f"/campaigns/{c.id}/periodic?col=exits").get_data(as_text=True)
    assert "退出救助合计（人）" in page and "已报 1/4" in page


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_two_ledgers_with_exactly_the_attachment_columns(d):
    assert list(d.ledgers) == ["in_care", "rejected_2018"]
    in_care, rejected = d.ledgers["in_care"], d.ledgers["rejected_2018"]
    assert in_care.title == "滨海新区社会救助家庭排查情况统计表（在保）"
    assert [c.label for c in in_care.columns] == [
        "序号", "申请人", "身份证号", "家庭人口", "乡镇（街道）", "村（居委会）", "家庭收入", "家庭财产", "救助类别",
        "保障金额", "致困原因", "入户核查结果", "备注"]
    assert rejected.title == "滨海新区社会救助家庭排查情况统计表（2018年申请社会救助审批未通过）"
    assert [c.label for c in rejected.columns] == [
        "序号", "申请人", "身份证号", "家庭人口", "乡镇（街道）", "村（居委会）", "家庭收入", "家庭财产", "申请救助时间",
        "申请救助类别", "未批准救助原因", "核查结果（是否达到救助条件、并注明享受何种救助）", "调查人"]
    assert [c.group for c in rejected.columns][-2:] == ["入户核查结果", "入户核查结果"]
    assert in_care.columns[2].type == "id_number" and rejected.columns[2].type == "id_number"
    assert in_care.note.startswith("注：备注栏中写明以下情况")


@pytest.mark.skipif(SEEDS is None, reason="shared/seeds is not beside the repository")
def test_ledger_columns_and_dates_appear_in_seed_text(d):
    text = (SEEDS / "002_c7ff4ad1053a34c0.txt").read_text(encoding="utf-8")
    flat = _norm(text)
    attachment_1 = flat[flat.index("附件1滨海新区"):flat.index("附件2滨海新区")]
    attachment_2 = flat[flat.index("附件2滨海新区"):]
    for ledger, part in ((d.ledgers["in_care"], attachment_1), (d.ledgers["rejected_2018"], attachment_2)):
        positions = [part.index(_norm(c.label)) for c in ledger.columns]
        assert positions == sorted(positions), ledger.key  # in the attachment's order
        assert _norm(ledger.title) in flat
    assert _norm(d.ledgers["in_care"].note) in flat
    for phrase in ("11月中旬开始", "2019年2月底结束", "年底前", "春节之前", "2月20日前"):
        assert phrase in text, phrase


def test_every_source_cites_the_plan(d):
    for item in (*d.phases, *d.tasks):
        assert "实施方案" in item.source, item
