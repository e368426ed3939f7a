"""Importing department data: mapping, row-level validation, rejects xlsx, idempotence, limits."""
import io
import zipfile

from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from duban.audit.models import AuditEvent
from duban.extensions import db
from duban.ledgers.models import ColumnMapping
from duban.screening.models import ImportBatch, SourceRecord

from .helpers import import_file, pid, xlsx

MEDICAL = ["序号", "姓名", "公民身份号码", "结算年度", "医疗费用总额", "个人自付金额", "所属街道", "所属社区"]


def _count(kind=None):
    stmt = select(func.count()).select_from(SourceRecord)
    if kind:
        stmt = stmt.where(SourceRecord.kind == kind)
    return db.session.scalar(stmt)


def _medical_rows():
    return [
        [1, "张三", pid(1), 2021, 30000.0, 12000.5, "湖里街道", "金湖社区"],
        [2, "李四", pid(2), 2021, 5000, 1000, "殿前街道", "高殿社区"],
        [3, "王五", pid(3)[:-1] + ("1" if pid(3)[-1] != "1" else "2"), 2021, 100, 50, "湖里街道", "金湖社区"],  # bad check digit
        [4, "赵六", float(pid(4)), 2021, 100, 50, "湖里街道", "金湖社区"],  # ID typed as a number
        [5, "钱七", pid(5), 2021, 100, 50, "湖里街道", "不存在社区"],  # unknown community
        [6, "孙八", pid(6), "二〇二一", 100, 50, "湖里街道", "湖边社区"],  # bad year
        [7, "张三", pid(1), 2021, 30000.0, 12000.5, "湖里街道", "金湖社区"],  # the same row twice in a file
        [8, "周九", pid(9), 2020, 100, 50, "", "兴隆社区"],  # community name unique: street may be blank
    ]


def test_import_validates_every_row_and_keeps_the_good_ones(district, login_as):
    admin = login_as(district["users"]["admin"])
    bureau = district["units"]["湖里区民政局"]
    data = xlsx(MEDICAL, _medical_rows(), title="2021年度医保自付费用明细（医保局提供）")
    page, batch_url = import_file(admin, bureau.id, "medical", data, "医保.xlsx")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert _count("medical") == 3  # rows 1, 2 and 8
    # Row numbers are those Excel shows (title on row 1, header on row 2, data from row 3).
    assert "第5行" in html and "身份证号校验位不正确" in html
    assert "第6行" in html and "文本" in html
    assert "第7行" in html and "不存在社区" in html
    assert "第8行" in html and "年度" in html
    assert "第9行" in html and "与第3行是同一人的同一条记录" in html
    batch = db.session.scalar(select(ImportBatch))
    assert (batch.added, batch.rejected, batch.header_row) == (3, 5, 2)
    rec = db.session.scalar(select(SourceRecord).where(SourceRecord.id_number == pid(1)))
    assert rec.year == 2021 and str(rec.amount) == "12000.50" and str(rec.amount2) == "30000.00"
    assert rec.org_unit_id == district["units"]["金湖社区"].id
    # The rejects download: every bad row with its reason and the row as it was.
    r = admin.get(batch_url + "/rejects.xlsx")
    assert r.status_code == 200
    content = r.data
    r.close()
    rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert rows[1][:4] == ["原文件行号", "未导入原因", "序号", "姓名"]
    assert [int(x[0]) for x in rows[2:7]] == [5, 6, 7, 8, 9]
    assert "e+17" in str(rows[3][4])  # the number as Excel kept it, so the user sees what was lost
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "ledger.exported")) is not None


def test_reimport_changes_nothing_and_a_new_file_updates_by_person(district, login_as):
    admin = login_as(district["users"]["admin"])
    bureau = district["units"]["湖里区民政局"]
    data = xlsx(MEDICAL, _medical_rows()[:2])
    import_file(admin, bureau.id, "medical", data)
    first = {r.id: r.row_hash for r in db.session.scalars(select(SourceRecord))}
    page, _ = import_file(admin, bureau.id, "medical", data)  # the very same file
    assert "本次未作任何更改" in page.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 1
    changed = _medical_rows()[:2]
    changed[1][5] = 2000  # 李四's self-paid cost corrected
    changed.append([3, "吴十", pid(10), 2021, 10, 5, "湖里街道", "湖边社区"])
    page, _ = import_file(admin, bureau.id, "medical", xlsx(MEDICAL, changed))
    db.session.expire_all()
    batch = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    assert (batch.added, batch.updated, batch.unchanged, batch.rejected) == (1, 1, 1, 0)
    now = {r.id: r.row_hash for r in db.session.scalars(select(SourceRecord))}
    assert len(now) == 3 and set(first) <= set(now)
    assert str(db.session.scalar(select(SourceRecord.amount).where(SourceRecord.id_number == pid(2)))) == "2000.00"


def test_mapping_is_suggested_and_remembered(district, login_as):
    admin = login_as(district["users"]["admin"])
    bureau = district["units"]["湖里区民政局"]
    headers = ["人员姓名", "证件号", "年份", "自付", "社区"]
    rows = [["张三", pid(1), 2021, 11000, "金湖社区"]]
    # "证件号", "年份" and "自付" are not recognisable: the user maps them by hand.
    page, _ = import_file(admin, bureau.id, "medical", xlsx(headers, rows),
                          mapping={"id_number": "证件号", "year": "年份", "self_paid": "自付"})
    assert _count("medical") == 1
    saved = db.session.scalar(select(ColumnMapping))
    assert saved.scope == "source:medical" and saved.mapping["id_number"] == "证件号"
    # Next time the same headers come pre-selected.
    r = admin.post_form("/screening/data/upload", {"unit_id": bureau.id, "kind": "medical",
                                                   "file": (io.BytesIO(xlsx(headers, [["李四", pid(2), 2021, 1, "金湖社区"]])), "b.xlsx")},
                        content_type="multipart/form-data")
    html = admin.get(r.headers["Location"]).get_data(as_text=True)
    assert '<option value="证件号" selected' in html and '<option value="自付" selected' in html


def test_mapping_errors_write_nothing(district, login_as):
    admin = login_as(district["users"]["admin"])
    bureau = district["units"]["湖里区民政局"]
    r = admin.post_form("/screening/data/upload", {"unit_id": bureau.id, "kind": "medical",
                                                   "file": (io.BytesIO(xlsx(MEDICAL, _medical_rows()[:1])), "a.xlsx")},
                        content_type="multipart/form-data")
    r2 = admin.post_form(r.headers["Location"], {"map_name": "姓名", "map_id_number": "", "map_year": "结算年度",
                                                 "map_self_paid": "结算年度", "map_village": "所属社区"})
    html = r2.get_data(as_text=True)
    assert r2.status_code == 400
    assert "请为必填项“身份证号”选择对应的列" in html and "同一列不能对应两个项目" in html
    assert _count() == 0


def test_files_that_are_not_tables_are_refused(district, login_as, app):
    admin = login_as(district["users"]["admin"])
    bureau = district["units"]["湖里区民政局"]
    from .helpers import jpeg

    r = admin.post_form("/screening/data/upload", {"unit_id": bureau.id, "kind": "medical",
                                                   "file": (io.BytesIO(jpeg(1)), "photo.xlsx")},
                        content_type="multipart/form-data")
    assert r.status_code == 400 and "请上传Excel（xlsx）或CSV文件" in r.get_data(as_text=True)
    # A zip that would inflate past the limit is refused before it is parsed.
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<x/>")
        z.writestr("xl/worksheets/sheet1.xml", b"0" * (3 * 1024 * 1024))
    app.config["DUBAN_IMPORT_MAX_UNZIPPED"] = 1024 * 1024
    try:
        r = admin.post_form("/screening/data/upload", {"unit_id": bureau.id, "kind": "medical",
                                                       "file": (io.BytesIO(bomb.getvalue()), "big.xlsx")},
                            content_type="multipart/form-data")
    finally:
        app.config.pop("DUBAN_IMPORT_MAX_UNZIPPED")
    assert r.status_code == 400 and "解压后超过1MB" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_csv_in_gb18030_is_read(district, login_as):
    admin = login_as(district["users"]["admin"])
    bureau = district["units"]["湖里区民政局"]
    text = "姓名,身份证号,死亡日期,乡镇（街道）,村（居委会）\r\n张三,%s,2021-05-01,湖里街道,金湖社区\r\n" % pid(1)
    import_file(admin, bureau.id, "death", text.encode("gb18030"), "死亡.csv")
    assert _count("death") == 1


def test_only_a_bureau_admin_imports(district, login_as):
    for who in ("township", "village", "inspector"):
        c = login_as(district["users"][who])
        assert c.get("/screening/data").status_code == 403


def test_demo_sample_files_import_with_row_level_errors(district, login_as, app, tmp_path):
    admin = login_as(district["users"]["admin"])
    assert admin.get("/screening/data/sample.zip").status_code == 404  # only in the demo
    app.config["DUBAN_DEMO"] = True
    try:
        r = admin.get("/screening/data/sample.zip")
        content = r.data
        r.close()
    finally:
        app.config["DUBAN_DEMO"] = False
    names = sorted(zipfile.ZipFile(io.BytesIO(content)).namelist())
    assert len(names) == 6 and "演示数据/在保对象花名册.xlsx" in names
    data = zipfile.ZipFile(io.BytesIO(content)).read("演示数据/在保对象花名册.xlsx")
    page, _ = import_file(admin, district["units"]["湖里区民政局"].id, "recipients", data, "在保对象花名册.xlsx")
    batch = db.session.scalar(select(ImportBatch))
    assert batch.added > 2500 and 0 < batch.rejected < 100 and batch.added + batch.rejected == batch.total_rows
    # The CLI writes the same kind of files for a tenant.
    runner = app.test_cli_runner()
    result = runner.invoke(args=["screening", "sample-files", str(tmp_path), "--tenant", _slug(district),
                                 "--recipients", "50"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "医保自付费用.xlsx").is_file()


def _slug(district):
    from duban.tenancy.models import Tenant

    return db.session.get(Tenant, district["units"]["湖里区民政局"].tenant_id).slug


def test_a_failure_half_way_writes_nothing(district, monkeypatch):
    """An import that breaks after some chunks were written (on PostgreSQL, inside an open COPY)
    leaves no row behind and the session usable."""
    import pytest

    from duban.ledgers import mapping
    from duban.screening import importer

    from .helpers import HEADERS, load

    users, bureau = district["users"], district["units"]["湖里区民政局"]
    load(users["admin"], bureau, "death", [["甲", pid(1), "2022-01-02", "湖里街道", "金湖社区"]])
    rows = [[f"人{i}", pid(i + 10), "2022-01-02", "湖里街道", "金湖社区"] for i in range(12)]
    batch, _ = importer.upload(db.session, users["admin"], bureau, "death", "死亡.xlsx",
                               io.BytesIO(xlsx(HEADERS["death"], rows)))
    db.session.commit()
    calls = []
    real = importer._Upsert.add

    def add(self, chunk):
        calls.append(len(chunk))
        if len(calls) == 3:
            raise RuntimeError("disk full")
        real(self, chunk)

    monkeypatch.setattr(importer, "validate_chunks", lambda *a, **k: mapping.validate_chunks(*a, size=4))
    monkeypatch.setattr(importer._Upsert, "add", add)
    with pytest.raises(RuntimeError):
        importer.run(db.session, users["admin"], batch, importer.suggested(db.session, batch))
    db.session.rollback()
    assert calls == [4, 4, 4]
    assert _count("death") == 1  # only the earlier import's row
    assert db.session.get(ImportBatch, batch.id).status == "mapping"  # can be run again
