"""Shared builders for the screening tests: xlsx files, JPEG photos with EXIF, importing through the web."""
from __future__ import annotations

import io
import re
from datetime import date, datetime

import xlsxwriter
from PIL import Image, ImageDraw

from duban.ledgers.idnumber import check_char

PLACES = [("湖里街道", "金湖社区"), ("湖里街道", "湖边社区"), ("殿前街道", "高殿社区"), ("殿前街道", "兴隆社区")]


def pid(n: int, born: str = "19600101") -> str:
    """A valid ID number, different for every n."""
    first = f"350206{born}{n % 1000:03d}"
    return first + check_char(first)


def xlsx(headers: list[str], rows: list[list], title: str | None = None) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False})
    ws = wb.add_worksheet()
    r = 0
    if title:
        ws.write_string(0, 0, title)
        r = 1
    for c, h in enumerate(headers):
        ws.write_string(r, c, h)
    for row in rows:
        r += 1
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                ws.write_number(r, c, v)
            elif isinstance(v, (date, datetime)):
                ws.write_datetime(r, c, datetime.combine(v, datetime.min.time()) if not isinstance(v, datetime) else v,
                                  wb.add_format({"num_format": "yyyy-mm-dd"}))
            else:
                ws.write_string(r, c, str(v))
    wb.close()
    return buf.getvalue()


def jpeg(seed: int, *, taken: str | None = "2022:08:05 10:30:00", gps: tuple[float, float] | None = (24.5, 118.13),
         size=(640, 480)) -> bytes:
    """A JPEG whose picture depends on seed, with EXIF time and GPS if given."""
    img = Image.new("RGB", size, ((seed * 53) % 255, (seed * 97) % 255, (seed * 31) % 255))
    d = ImageDraw.Draw(img)
    for i in range(8):
        x = (seed * 37 + i * 71) % size[0]
        d.rectangle([x, i * 50, x + 120, i * 50 + 90], fill=((seed + i * 40) % 255, 200 - i * 20, (i * 60) % 255))
    exif = Image.Exif()
    if taken:
        exif[306] = taken
        exif.get_ifd(0x8769)[36867] = taken
    if gps:
        def dms(v):
            deg = int(v)
            minutes = int((v - deg) * 60)
            seconds = round(((v - deg) * 60 - minutes) * 60, 4)
            return (float(deg), float(minutes), float(seconds))
        g = exif.get_ifd(0x8825)
        g[1], g[2], g[3], g[4] = "N", dms(gps[0]), "E", dms(gps[1])
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


def import_file(client, unit_id: int, kind: str, data: bytes, filename: str = "数据.xlsx", mapping: dict | None = None,
                replace: bool | None = None):
    """Upload through the web, accept the suggested mapping (or the given one) and the form's
    default for a roster's 整表替换 (or the given choice); return the report page."""
    r = client.post_form("/screening/data/upload", {"unit_id": unit_id, "kind": kind,
                                                    "file": (io.BytesIO(data), filename)},
                         content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    page = client.get(r.headers["Location"])
    html = page.get_data(as_text=True)
    if "开始导入" not in html:
        return page, r.headers["Location"]
    form = {}
    for name, options in re.findall(r'<select name="(map_\w+)"[^>]*>(.*?)</select>', html, re.S):
        m = re.search(r'<option value="([^"]*)" selected', options)
        form[name] = m.group(1) if m else ""
    for key, header in (mapping or {}).items():
        form[f"map_{key}"] = header
    box = re.search(r'<input type="checkbox" name="replace" value="1"( checked)?', html)
    if replace if replace is not None else bool(box and box.group(1)):
        assert box, "the form offers no 整表替换"
        form["replace"] = "1"
    r2 = client.post_form(r.headers["Location"], form)
    assert r2.status_code == 302, r2.get_data(as_text=True)
    return client.get(r2.headers["Location"]), r.headers["Location"]


HEADERS = {
    "recipients": ["姓名", "身份证号", "救助类别", "户主身份证号", "联系电话", "乡镇（街道）", "村（居委会）"],
    "medical": ["姓名", "身份证号", "年度", "医疗总费用", "个人自付费用", "乡镇（街道）", "村（居委会）"],
    "disability": ["姓名", "身份证号", "残疾类别", "残疾等级", "发证日期", "乡镇（街道）", "村（居委会）"],
    "petition": ["姓名", "身份证号", "信访日期", "信访事项", "乡镇（街道）", "村（居委会）"],
    "monitoring": ["姓名", "身份证号", "监测年度", "乡镇（街道）", "村（居委会）"],
    "death": ["姓名", "身份证号", "死亡日期", "乡镇（街道）", "村（居委会）"],
}


def load(admin, bureau, kind: str, rows: list[list], *, replace: bool = False):
    """Import rows of one source with the service functions (as a bureau admin); returns the batch."""
    from duban.extensions import db
    from duban.screening import importer

    batch, _ = importer.upload(db.session, admin, bureau, kind, f"{kind}.xlsx", io.BytesIO(xlsx(HEADERS[kind], rows)))
    importer.run(db.session, admin, batch, importer.suggested(db.session, batch), replace=replace)
    db.session.commit()
    assert batch.rejected == 0, batch.rejects_sample
    return batch


def screening_objects(district, campaign) -> dict:
    """One object of every screening/ledger kind under 金湖社区 (or the bureau, for an import), for
    tests/test_tenancy_routes.py: returns the URL parameter values."""
    from duban.evidence.storage import store_bytes
    from duban.extensions import db
    from duban.ledgers.models import LedgerRow
    from duban.screening.models import ImportBatch, Subject, Visit, VisitPhoto

    u, users = district["units"], district["users"]
    village, worker = u["金湖社区"], users["village"]
    batch = ImportBatch(org_unit_id=u["湖里区民政局"].id, kind="medical", filename="医保.xlsx", sha256="0" * 64, size=1,
                        status="mapping", headers=["姓名"], created_by_id=users["admin"].id)
    subject = Subject(campaign_id=campaign.id, id_number=pid(1), name="泄露检查对象", org_unit_id=village.id,
                      unit_path=village.path, categories=["petitioners"], evidence=[])
    db.session.add_all([batch, subject])
    db.session.flush()
    visit = Visit(campaign_id=campaign.id, subject_id=subject.id, org_unit_id=village.id, unit_path=village.path,
                  visited_on=date(2022, 6, 20), visitor="李秀英", outcome="monitored", checks={},
                  created_by_id=worker.id)
    db.session.add(visit)
    db.session.flush()
    from flask import current_app

    sha = store_bytes(current_app.config["UPLOAD_FOLDER"], jpeg(1))
    photo = VisitPhoto(visit_id=visit.id, campaign_id=campaign.id, subject_id=subject.id, org_unit_id=village.id,
                       unit_path=village.path, filename="p.jpg", mime="image/jpeg", size=1, original_sha256=sha,
                       display_sha256=sha, thumb_sha256=sha, dhash="0" * 16, flags=[], uploaded_by_id=worker.id)
    row = LedgerRow(campaign_id=campaign.id, ledger_key="screening_visits", org_unit_id=village.id,
                    unit_path=village.path, data={"name": "泄露检查对象"}, row_hash="0", created_by_id=worker.id)
    db.session.add_all([photo, row])
    db.session.commit()
    return {"batch_id": batch.id, "subject_id": subject.id, "visit_id": visit.id, "photo_id": photo.id,
            "ledger_key": "screening_visits", "row_id": row.id}
