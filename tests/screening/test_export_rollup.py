"""The visit ledger exported in the official columns, and the progress form counted from it."""
import io

from python_calamine import CalamineWorkbook
from sqlalchemy import select

from duban.audit.models import AuditEvent
from duban.campaigns.registry import definition
from duban.extensions import db
from duban.lists.models import Problem
from duban.screening import matching
from duban.screening.models import Subject
from duban.tasks.models import Task

from .. import factories
from .helpers import load, pid
from .test_visits import _visit

JH, HB, GD = ("湖里街道", "金湖社区"), ("湖里街道", "湖边社区"), ("殿前街道", "高殿社区")


def _world(district, login_as):
    u, users = district["units"], district["users"]
    campaign = factories.launch(u["湖里区民政局"], users["admin"])
    load(users["admin"], u["湖里区民政局"], "recipients", [["甲", pid(1), "低保", pid(1), "13912345678", *JH]])
    load(users["admin"], u["湖里区民政局"], "medical", [["甲", pid(1), 2021, 20000, 15000, *JH]])
    load(users["admin"], u["湖里区民政局"], "petition", [
        ["乙", pid(2), "2021-05-01", "申请低保", *JH], ["丙", pid(3), "2021-06-01", "申请低保", *HB],
        ["丁", pid(4), "2021-06-01", "申请低保", *GD]])
    matching.run_rules(db.session, users["admin"], campaign)
    db.session.commit()
    s = {x.id_number: x for x in db.session.scalars(select(Subject))}
    worker = login_as(users["village"])
    _visit(worker, campaign, s[pid(1)], outcome="included", programme="低保（单列对象）", included_on="2022-06-25",
           temp_aid_amount="2000")
    _visit(worker, campaign, s[pid(2)], outcome="monitored", temp_aid_amount="500.5")
    return campaign


def _sheet(response):
    data = response.data
    response.close()
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()


def test_visit_ledger_exports_in_the_official_columns(district, login_as):
    campaign = _world(district, login_as)
    ledger = definition("loubao_loujiu").ledgers["screening_visits"]
    township = login_as(district["users"]["township"])
    r = township.get(f"/campaigns/{campaign.id}/screening/export")
    assert r.status_code == 200
    rows = _sheet(r)
    assert rows[0][0].startswith("困难群众“漏保”“漏救”入户走访排查台账（湖里街道）")
    assert rows[1] == [c.label for c in ledger.columns]
    data = {row[1]: dict(zip(rows[1], row)) for row in rows[2:] if row[1]}
    assert set(data) == {"甲", "乙", "丙"}  # 湖里街道's people only
    a = data["甲"]
    assert a["身份证号"] == "350206********" + pid(1)[-4:] and a["联系电话"] == "139****5678"  # masked for a township
    assert (a["乡镇（街道）"], a["村（居委会）"], a["排查结果"], a["纳入保障类别"]) == (
        "湖里街道", "金湖社区", "符合条件，已纳入保障", "低保（单列对象）")
    assert a["临时救助金额（元）"] == 2000 and "12,000" not in a["比对依据"] and "15,000.00元" in a["比对依据"]
    assert data["丙"]["排查结果"] == "未走访"
    admin = login_as(district["users"]["admin"])
    rows = _sheet(admin.get(f"/campaigns/{campaign.id}/screening/export"))
    assert pid(1) in [row[2] for row in rows[2:]]  # a bureau admin's export carries the full number
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "ledger.exported")).all()
    assert [e.new["full_numbers"] for e in events] == [False, True] and events[0].new["rows"] == 3


def test_every_visit_is_a_row_of_the_ledger(district, login_as):
    campaign = _world(district, login_as)
    s = {x.id_number: x for x in db.session.scalars(select(Subject))}
    worker = login_as(district["users"]["village"])
    # 乙 was not at home the first time (June 20); the second visit settles it.
    r = _visit(worker, campaign, s[pid(2)], visited_on="2022-06-28", outcome="included", programme="低保",
               included_on="2022-06-30", notes="第二次走访，本人在家")
    assert r.status_code == 302
    rows = _sheet(login_as(district["users"]["township"]).get(f"/campaigns/{campaign.id}/screening/export"))
    body = [dict(zip(rows[1], row)) for row in rows[2:] if row[1]]
    second = [row for row in body if row["姓名"] == "乙"]
    assert [row["排查结果"] for row in second] == ["不符合条件，备案并纳入监测预警", "符合条件，已纳入保障"]
    assert second[1]["备注"] == "第二次走访，本人在家" and second[1]["纳入保障类别"] == "低保"
    assert [int(row["序号"]) for row in body] == list(range(1, len(body) + 1)) and len(body) == 4
    assert [row["排查结果"] for row in body if row["姓名"] == "丙"] == ["未走访"]
    # A village's own export names its street too.
    rows = _sheet(worker.get(f"/campaigns/{campaign.id}/screening/export"))
    assert {(row[3], row[4]) for row in rows[2:] if row[1]} == {("湖里街道", "金湖社区")}


def test_ledgers_tab_lists_the_visit_ledger(district, login_as):
    campaign = _world(district, login_as)
    html = login_as(district["users"]["township"]).get(f"/campaigns/{campaign.id}/ledgers").get_data(as_text=True)
    assert "入户走访排查台账" in html and "由入户走访记录生成" in html


def test_progress_form_counts_come_from_the_ledger(district, login_as):
    campaign = _world(district, login_as)
    u = district["units"]
    db.session.add(Problem(campaign_id=campaign.id, org_unit_id=u["金湖社区"].id, unit_path=u["金湖社区"].path,
                           source="self_check", description="漏报", found_on=campaign.published_on, extra={},
                           created_by_id=district["users"]["village"].id, status="closed"))
    db.session.commit()
    task = db.session.scalar(select(Task).where(Task.org_unit_id == u["湖里街道"].id)
                             .where(Task.spec.has(template_key="progress_report_1")))
    township = login_as(district["users"]["township"])
    html = township.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "来自台账" in html and "已填入下方表单" in html
    values = dict(zip(("to_screen", "screened", "new_dibao", "single_listed", "temp_aid_count", "temp_aid_amount",
                       "monitored", "petitions_answered", "problems_found", "problems_fixed"),
                      ("3", "2", "1", "1", "2", "2500.50", "1", "2", "1", "1")))
    for key, value in values.items():
        assert f'name="{key}" value="{value}"' in html, key
    # The operator confirms by saving; a saved value that differs from the ledger is pointed out.
    form = {**values, "new_tekun": "0", "new_children": "0", "monitored": "4"}
    r = township.post_form(f"/tasks/{task.id}/form", form)
    assert r.status_code == 302
    html = township.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert html.count("与台账不一致") == 1 and "用台账数据填入表单" in html
    html = township.get(f"/tasks/{task.id}?prefill=ledger").get_data(as_text=True)
    assert 'name="monitored" value="1"' in html
