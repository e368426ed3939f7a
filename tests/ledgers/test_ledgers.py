"""A ledger a campaign type declares: fill in, edit, import with column mapping, export in its order."""
import io

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from duban import create_app, hookimpl
from duban.audit.models import AuditEvent
from duban.campaigns.types import (
    CampaignType, DeadlineRule, LedgerColumn, LedgerDefinition, ListColumn, MonthDay, Phase, TaskTemplate,
)
from duban.extensions import db
from duban.ledgers.models import LedgerRow

from ..conftest import Client
from ..screening.helpers import pid, xlsx

KEY = "ledgered"
# 附件1 of 002 (滨海新区社会救助家庭排查情况统计表（在保）), in its order.
COLUMNS = (
    LedgerColumn("seq", "序号", "int"), LedgerColumn("applicant", "申请人", required=True),
    LedgerColumn("id_number", "身份证号", "id_number", required=True), LedgerColumn("size", "家庭人口", "int"),
    LedgerColumn("township", "乡镇（街道）"), LedgerColumn("village", "村（居委会）"),
    LedgerColumn("income", "家庭收入", "decimal"), LedgerColumn("assets", "家庭财产"),
    LedgerColumn("category", "救助类别", "choice", choices=("低保", "低收入", "特困")),
    LedgerColumn("amount", "保障金额", "decimal"), LedgerColumn("cause", "致困原因"),
    LedgerColumn("result", "入户核查结果"), LedgerColumn("notes", "备注"),
)


class LedgerPlugin:
    @hookimpl
    def register_campaign_types(self, app):
        return [CampaignType(key=KEY, name="台账测试", source_document="测试方案")]

    @hookimpl
    def campaign_phases(self, campaign_type):
        if campaign_type == KEY:
            return [Phase("only", "唯一阶段", MonthDay(1, 1), MonthDay(12, 31))]

    @hookimpl
    def task_templates(self, campaign_type):
        if campaign_type == KEY:
            return [TaskTemplate("t", "填报台账", "only", "village", DeadlineRule("phase_end"))]

    @hookimpl
    def list_columns(self, campaign_type, list_kind):
        if campaign_type == KEY:
            return [ListColumn("description", "描述")]

    @hookimpl
    def campaign_ledgers(self, campaign_type):
        if campaign_type == KEY:
            return {"recipients": LedgerDefinition("recipients", "社会救助家庭排查情况统计表（在保）", COLUMNS,
                                                   source="附件1")}


@pytest.fixture
def world(app, district):
    other = create_app({**app.config, "DUBAN_PLUGINS": [], "DUBAN_EXTRA_PLUGINS": [LedgerPlugin()]})
    unit_ids = {n: u.id for n, u in district["units"].items()}
    user_ids = {n: u.id for n, u in district["users"].items()}
    with other.app_context():
        from duban.campaigns.services import create_draft, publish
        from duban.tenancy.models import OrgUnit, User
        from duban.tenancy.scoping import set_tenant

        units = {n: db.session.get(OrgUnit, i) for n, i in unit_ids.items()}
        users = {n: db.session.get(User, i) for n, i in user_ids.items()}
        set_tenant(db.session, units["湖里区民政局"].tenant_id)
        c = create_draft(db.session, users["admin"], type_key=KEY, root_unit=units["湖里区民政局"], year=2022,
                         title="台账测试")
        publish(db.session, users["admin"], c)
        db.session.commit()
        other.test_client_class = Client

        def login(who):
            client = other.test_client()
            assert client.login(users[who].username).status_code == 302
            return client

        yield {"campaign": c, "units": units, "users": users, "login": login}
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def _url(w, tail=""):
    return f"/campaigns/{w['campaign'].id}/ledgers/recipients{tail}"


def _row(**over):
    return {"applicant": "张三", "id_number": pid(1), "size": "3", "income": "12000", "assets": "无",
            "category": "低保", "amount": "2040", "cause": "因病", "result": "属实", "notes": "", **over}


def test_fill_in_edit_and_export_in_the_declared_order(world):
    village = world["login"]("village")
    jh = world["units"]["金湖社区"]
    bad = village.post_form(_url(world, "/rows"), {"unit_id": jh.id, **_row(id_number="350206", size="三")})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "身份证号应为18位" in html and "“家庭人口”应填写整数" in html
    assert village.post_form(_url(world, "/rows"), {"unit_id": jh.id, **_row()}).status_code == 302
    dup = village.post_form(_url(world, "/rows"), {"unit_id": jh.id, **_row(applicant="张三丰")})
    assert dup.status_code == 400 and "该身份证号已在本台账中" in dup.get_data(as_text=True)
    row = db.session.scalar(select(LedgerRow))
    assert village.post_form(_url(world, f"/rows/{row.id}"), {"unit_id": jh.id, **_row(amount="3060")}).status_code == 302
    db.session.expire_all()
    assert db.session.get(LedgerRow, row.id).data["amount"] == "3060.00"
    page = village.get(_url(world, f"?unit={jh.id}")).get_data(as_text=True)
    assert pid(1) not in page and "350206********" in page  # the page masks
    r = village.get(_url(world, f"/export?unit={jh.id}"))
    data = r.data
    r.close()
    rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
    assert rows[1] == [c.label for c in COLUMNS]
    assert rows[2][:6] == [1, "张三", pid(1), 3, "湖里街道", "金湖社区"]  # the village's own worker: full number
    assert rows[2][9] == 3060
    township = world["login"]("township")
    r = township.get(_url(world, f"/export?unit={world['units']['湖里街道'].id}"))
    rows = CalamineWorkbook.from_filelike(io.BytesIO(r.data)).get_sheet_by_index(0).to_python()
    r.close()
    assert rows[2][2] == "350206********" + pid(1)[-4:]
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "ledger.exported")).all()) == 2
    # A township reviews; it does not write the village's ledger.
    assert township.post_form(_url(world, "/rows"), {"unit_id": jh.id, **_row()}).status_code == 403


def test_import_maps_columns_updates_by_person_and_reports_bad_rows(world):
    village = world["login"]("village")
    jh = world["units"]["金湖社区"]
    headers = ["序号", "申请人", "身份证号", "家庭\n人口", "乡镇\n（街道）", "村\n（居委会）", "家庭\n收入", "家庭\n财产",
               "救助\n类别", "保障\n金额", "致困   原因", "入户核查结果", "备注"]
    rows = [[1, "张三", pid(1), 3, "湖里街道", "金湖社区", 12000, "无", "低保", 2040, "因病", "属实", ""],
            [2, "李四", pid(2)[:-1] + "0" if pid(2)[-1] != "0" else pid(2)[:-1] + "1", 2, "", "", 1, "", "低保", 1, "", "", ""],
            [3, "王五", pid(3), 1, "", "", 1, "", "救济", 1, "", "", ""]]
    data = xlsx(headers, rows, title="滨海新区社会救助家庭排查情况统计表（在保）")

    def run(content):
        r = village.post_form(_url(world, "/import"), {"unit_id": jh.id, "file": (io.BytesIO(content), "台账.xlsx")},
                              content_type="multipart/form-data")
        assert r.status_code == 302, r.get_data(as_text=True)
        html = village.get(r.headers["Location"]).get_data(as_text=True)
        import re

        form = {}
        for name, options in re.findall(r'<select name="(map_\w+)"[^>]*>(.*?)</select>', html, re.S):
            m = re.search(r'<option value="([^"]*)" selected', options)
            form[name] = m.group(1) if m else ""
        assert form["map_size"] == "家庭人口" and form["map_cause"] == "致困原因"  # suggested despite line breaks
        r2 = village.post_form(r.headers["Location"], form)
        assert r2.status_code == 302
        return village.get(r2.headers["Location"]).get_data(as_text=True)

    html = run(data)
    assert "第4行" in html and "校验位" in html and "第5行" in html and "救助类别" in html
    # Every rejected row, with its reason and as it was, to download, correct and import again.
    import re

    link = re.search(r'href="([^"]+/rejects\.xlsx)"', html).group(1)
    r = village.get(link)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(r.data)).get_sheet_by_index(0).to_python()
    r.close()
    assert sheet[1][:4] == ["原文件行号", "未导入原因", "序号", "申请人"]
    assert [(int(x[0]), x[3]) for x in sheet[2:4]] == [(4, "李四"), (5, "王五")] and "救助类别" in sheet[3][1]
    assert world["login"]("township").get(link).status_code == 403  # the village's own file
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "ledger.exported",
                                                      AuditEvent.object_type == "import_batch")) is not None
    assert [r.data["applicant"] for r in db.session.scalars(select(LedgerRow))] == ["张三"]
    run(data)  # the same file again: nothing new
    from duban.screening.models import ImportBatch

    last = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    assert (last.added, last.updated, last.unchanged, last.rejected) == (0, 0, 1, 2)
    assert len(db.session.scalars(select(LedgerRow)).all()) == 1
    rows[0][9] = 3000
    run(xlsx(headers, rows[:1]))
    db.session.expire_all()
    only = db.session.scalars(select(LedgerRow)).all()
    assert len(only) == 1 and only[0].data["amount"] == "3000.00"


def test_attachment_2_keeps_its_two_row_header_and_reimports(district, login_as):
    """百日会战 附件2: 入户核查结果 is merged over 核查结果（…）and 调查人; our export reads back in."""
    from duban.campaigns.registry import registry
    from duban.screening.models import ImportBatch

    from .. import factories

    if "precision_100days" not in registry():
        pytest.skip("precision_100days is not installed")
    u, users = district["units"], district["users"]
    c = factories.launch(u["湖里区民政局"], users["admin"], type_key="precision_100days")
    ld = registry()["precision_100days"].ledgers["rejected_2018"]
    village = login_as(users["village"])
    url = f"/campaigns/{c.id}/ledgers/rejected_2018"
    values = {"applicant": "王五", "id_number": pid(5), "household_size": "2", "household_income": "8000",
              "applied_on": "2018-05-02", "applied_type": "低保", "rejection_reason": "收入超标",
              "check_result": "未达到救助条件", "investigator": "李秀英"}
    r = village.post_form(url + "/rows", {"unit_id": u["金湖社区"].id, **values})
    assert r.status_code == 302, r.get_data(as_text=True)
    r = village.get(url + f"/export?unit={u['金湖社区'].id}")
    content = r.data
    r.close()
    rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    labels = [col.label for col in ld.columns]
    assert rows[1][:2] == ["序号", "申请人"] and rows[1][11] == "入户核查结果"
    assert rows[2][11:13] == labels[11:13]
    assert rows[3][:3] == [1, "王五", pid(5)] and rows[3][12] == "李秀英"
    # The exported file imports again: the two header rows are recognised, the row is unchanged.
    r = village.post_form(url + "/import", {"unit_id": u["金湖社区"].id, "file": (io.BytesIO(content), "导出.xlsx")},
                          content_type="multipart/form-data")
    batch = db.session.scalar(select(ImportBatch))
    assert batch.header_row == 2 and batch.headers[11:13] == labels[11:13]
    import re

    html = village.get(r.headers["Location"]).get_data(as_text=True)
    form = {}
    for name, options in re.findall(r'<select name="(map_\w+)"[^>]*>(.*?)</select>', html, re.S):
        m = re.search(r'<option value="([^"]*)" selected', options)
        form[name] = m.group(1) if m else ""
    assert village.post_form(r.headers["Location"], form).status_code == 302
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch.id)
    assert (batch.added, batch.unchanged, batch.rejected) == (0, 1, 0), batch.rejects_sample
