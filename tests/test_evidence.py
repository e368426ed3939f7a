"""Evidence files: checked by content, size limited, content-addressed, downloaded only by those who see them."""
from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from urllib.parse import quote

import pytest
from flask import current_app
from sqlalchemy import func, select

from duban.campaigns.models import TaskSpec
from duban.evidence.models import Attachment
from duban.evidence.storage import blob_path
from duban.extensions import db
from duban.tasks.models import Task, TaskEvent

from . import factories
from .factories import launch

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def png_bytes(width: int = 2, height: int = 2, seed: int = 0) -> bytes:
    """A real PNG image (seed varies the pixels, so the bytes and the sha256)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes([seed % 256, 0, 0]) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def pdf_bytes() -> bytes:
    from pypdf import PdfWriter

    out = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.write(out)
    return out.getvalue()


def office_bytes(part: str) -> bytes:
    """A minimal OOXML package: part "xl" for a workbook, "word" for a document."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr(f"{part}/{'workbook' if part == 'xl' else 'document'}.xml", "<x/>")
    return out.getvalue()


def fetch(client, url):
    """GET url and close the response (a sent file stays open until closed)."""
    with client.get(url) as r:
        return r.status_code, r.headers, r.get_data()


@pytest.fixture
def setup(district, login_as):
    launch(district["units"]["湖里区民政局"], district["users"]["admin"])
    task = db.session.scalars(select(Task).join(TaskSpec, TaskSpec.id == Task.spec_id).where(
        Task.org_unit_id == district["units"]["金湖社区"].id, TaskSpec.template_key == "household_screening")).one()
    return {"task": task, "village": login_as(district["users"]["village"]), **district}


def upload(client, task, data: bytes, name: str):
    return client.post_form(f"/tasks/{task.id}/evidence", {"file": (io.BytesIO(data), name)})


def attachments() -> list[Attachment]:
    db.session.expire_all()
    return list(db.session.scalars(select(Attachment).order_by(Attachment.id)))


def flashed(client, task) -> str:
    return client.get(f"/tasks/{task.id}").get_data(as_text=True)


@pytest.mark.parametrize("data, name, mime", [
    (png_bytes(seed=1), "照片.png", "image/png"),
    (pdf_bytes(), "台账.pdf", "application/pdf"),
    (office_bytes("xl"), "台账.xlsx", XLSX),
    (office_bytes("word"), "总结.docx", DOCX),
])
def test_allowed_types_are_detected_by_content(setup, data, name, mime):
    r = upload(setup["village"], setup["task"], data, name)
    assert r.status_code == 302
    [att] = attachments()
    assert (att.mime, att.filename, att.size) == (mime, name, len(data))
    assert att.sha256 == hashlib.sha256(data).hexdigest()
    assert blob_path(current_app.config["UPLOAD_FOLDER"], att.sha256).read_bytes() == data
    assert att.task_id == setup["task"].id and att.org_unit_id == setup["units"]["金湖社区"].id


@pytest.mark.parametrize("data, name", [
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200 + b"This program cannot be run in DOS mode",
     "照片.jpg"),
    ("这是一份纯文本，不是照片。".encode() * 10, "入户照片.png"),
    (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00"
     b"\x02\x02D\x01\x00;", "动图.gif"),
    (b"PK\x05\x06" + b"\x00" * 18, "空压缩包.xlsx"),
])
def test_wrong_types_are_rejected_and_not_stored(setup, data, name):
    r = upload(setup["village"], setup["task"], data, name)
    assert r.status_code == 302
    message = "不支持该文件类型，请上传照片(JPG/PNG)、PDF、Excel(xlsx)、Word(docx)"
    assert message in flashed(setup["village"], setup["task"])
    assert attachments() == []
    assert not blob_path(current_app.config["UPLOAD_FOLDER"], hashlib.sha256(data).hexdigest()).exists()
    assert db.session.scalar(select(func.count()).select_from(TaskEvent).where(TaskEvent.kind == "evidence_added")) == 0


def test_empty_and_missing_files_are_rejected(setup):
    village, task = setup["village"], setup["task"]
    upload(village, task, b"", "空.png")
    assert "上传的文件是空的" in flashed(village, task)
    village.post_form(f"/tasks/{task.id}/evidence", {})
    assert "请选择要上传的文件" in flashed(village, task)
    assert attachments() == []


def test_oversize_is_rejected(setup, monkeypatch):
    monkeypatch.setitem(current_app.config, "UPLOAD_MAX_BYTES", 1024)
    big = png_bytes(width=400, height=400, seed=7)
    assert len(big) > 1024
    upload(setup["village"], setup["task"], big, "大照片.png")
    assert "文件超过1KB，请压缩后再上传" in flashed(setup["village"], setup["task"])
    assert attachments() == []
    assert not blob_path(current_app.config["UPLOAD_FOLDER"], hashlib.sha256(big).hexdigest()).exists()


def test_one_bad_file_rejects_the_whole_batch(setup):
    good = png_bytes(seed=11)
    setup["village"].post_form(f"/tasks/{setup['task'].id}/evidence", {
        "file": [(io.BytesIO(good), "好.png"), (io.BytesIO(b"plain text here"), "坏.jpg")]})
    assert "“坏.jpg”：不支持该文件类型" in flashed(setup["village"], setup["task"])
    assert attachments() == []


def test_same_bytes_share_one_blob_never_overwritten(setup):
    data = png_bytes(seed=21)
    upload(setup["village"], setup["task"], data, "第一次.png")
    path = blob_path(current_app.config["UPLOAD_FOLDER"], hashlib.sha256(data).hexdigest())
    first_mtime = path.stat().st_mtime_ns
    upload(setup["village"], setup["task"], data, "第二次.png")
    a, b = attachments()
    assert a.sha256 == b.sha256 and a.id != b.id and (a.filename, b.filename) == ("第一次.png", "第二次.png")
    assert path.stat().st_mtime_ns == first_mtime
    assert len(list(path.parent.iterdir())) == 1


def test_download_headers_and_access(setup, login_as):
    village, task, users = setup["village"], setup["task"], setup["users"]
    photo, pdf = png_bytes(seed=31), pdf_bytes()
    upload(village, task, photo, "金湖社区入户照片.png")
    upload(village, task, pdf, "排查台账 (第一批).pdf")
    img, doc = attachments()

    status, headers, body = fetch(village, f"/evidence/{img.id}")
    assert status == 200 and body == photo
    assert headers["Content-Type"] == "image/png"
    assert headers["X-Content-Type-Options"] == "nosniff"
    cd = headers["Content-Disposition"]
    assert cd.startswith("inline") and f"filename*=UTF-8''{quote('金湖社区入户照片.png')}" in cd

    status, headers, body = fetch(village, f"/evidence/{doc.id}")
    assert body == pdf and headers["Content-Type"] == "application/pdf"
    cd = headers["Content-Disposition"]
    assert cd.startswith("attachment") and "UTF-8''" in cd and quote("排查台账") in cd
    assert fetch(village, f"/evidence/{img.id}?download=1")[1]["Content-Disposition"].startswith("attachment")

    # Superiors in the subtree see it; a sibling street, another village and another tenant do not.
    for who in ("township", "inspector", "admin"):
        assert fetch(login_as(users[who]), f"/evidence/{img.id}")[0] == 200
    assert fetch(login_as(users["sibling"]), f"/evidence/{img.id}")[0] == 404
    assert login_as(users["sibling"]).post_form(f"/evidence/{img.id}/delete").status_code == 404
    neighbour = factories.make_user(setup["units"]["湖边社区"], "village_worker", "hb_worker")
    other = factories.make_tree({"思明区民政局": {"甲街道": ["乙社区"]}})
    outsider = factories.make_user(other["思明区民政局"], "bureau_admin", "outsider")
    db.session.commit()
    neighbour_client = login_as(neighbour)
    assert fetch(neighbour_client, f"/evidence/{img.id}")[0] == 404
    neighbours_task = db.session.scalar(select(Task.id).where(Task.org_unit_id == setup["units"]["湖边社区"].id))
    assert neighbour_client.get(f"/tasks/{neighbours_task}").status_code == 200  # the 404 above is not vacuous
    assert fetch(village, "/evidence/999999")[0] == 404
    assert fetch(login_as(outsider), f"/evidence/{img.id}")[0] == 404


def test_soft_delete_keeps_blob_and_history(setup, login_as):
    village, task, users = setup["village"], setup["task"], setup["users"]
    data = png_bytes(seed=41)
    upload(village, task, data, "删掉的.png")
    [att] = attachments()
    # Only the uploading unit's workers (or a bureau admin) delete; the township reviews.
    assert login_as(users["township"]).post_form(f"/evidence/{att.id}/delete").status_code == 403
    assert login_as(users["inspector"]).post_form(f"/evidence/{att.id}/delete").status_code == 403
    r = village.post_form(f"/evidence/{att.id}/delete")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/tasks/{task.id}#evidence")
    [att] = attachments()
    assert att.deleted
    assert blob_path(current_app.config["UPLOAD_FOLDER"], att.sha256).read_bytes() == data
    assert fetch(village, f"/evidence/{att.id}")[0] == 404
    html = flashed(village, task)
    assert "删除佐证材料" in html and "删掉的.png" in html.split("办理记录")[1]
    assert "删掉的.png" not in html.split("办理记录")[0]
    assert "尚未上传佐证材料" in html
    assert village.post_form(f"/evidence/{att.id}/delete").status_code == 404  # already gone
    kinds = list(db.session.scalars(select(TaskEvent.kind).where(TaskEvent.task_id == task.id)))
    assert kinds[-2:] == ["evidence_added", "evidence_deleted"]


def test_no_delete_after_submit(setup):
    village, task = setup["village"], setup["task"]
    upload(village, task, png_bytes(seed=51), "证据.png")
    village.post_form(f"/tasks/{task.id}/checklist", {"done": ["zoning", "door_to_door", "records", "supervision"]})
    village.post_form(f"/tasks/{task.id}/submit")
    db.session.expire_all()
    assert db.session.get(Task, task.id).status == "submitted"
    [att] = attachments()
    village.post_form(f"/evidence/{att.id}/delete")
    assert "不能修改" in flashed(village, task)
    assert not attachments()[0].deleted
    upload(village, task, png_bytes(seed=52), "补充.png")
    assert len(attachments()) == 1


def test_bureau_admin_may_delete_below(setup, login_as):
    upload(setup["village"], setup["task"], png_bytes(seed=61), "证据.png")
    [att] = attachments()
    assert login_as(setup["users"]["admin"]).post_form(f"/evidence/{att.id}/delete").status_code == 302
    assert attachments()[0].deleted
