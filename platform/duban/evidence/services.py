"""Attaching evidence files: type checked by content, size limited, stored by sha256."""
from __future__ import annotations

import io
import zipfile

import filetype
from flask import current_app
from sqlalchemy.orm import Session

from ..errors import ValidationError
from ..tenancy.models import OrgUnit, User
from .models import Attachment
from .storage import TooLarge, store

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# What the platform accepts as evidence, by detected content type.
ALLOWED = {
    "image/jpeg": "JPG 照片",
    "image/png": "PNG 图片",
    "application/pdf": "PDF 文件",
    XLSX_MIME: "Excel 表格(xlsx)",
    DOCX_MIME: "Word 文档(docx)",
}
ALLOWED_TEXT = "照片(JPG/PNG)、PDF、Excel(xlsx)、Word(docx)"


def sniff(head: bytes, full_path=None) -> str | None:
    """Return the MIME type detected from the file's content, or None when not allowed."""
    kind = filetype.guess(head)
    mime = kind.mime if kind else None
    if mime == "application/zip" and full_path is not None:
        mime = _office_type(full_path)
    return mime if mime in ALLOWED else None


def _office_type(path) -> str | None:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except zipfile.BadZipFile:
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(n.startswith("xl/") for n in names):
        return XLSX_MIME
    if any(n.startswith("word/") for n in names):
        return DOCX_MIME
    return None


def clean_filename(name: str) -> str:
    name = (name or "").replace("\\", "/").split("/")[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:200] or "未命名文件"


class _Rejected(Exception):
    def __init__(self, message: str):
        self.message = message


def attach(session: Session, user: User, *, org_unit: OrgUnit, filename: str, stream, **target) -> Attachment:
    """Store an uploaded file and attach it to target (task_id=… or problem_id=… etc.).

    The type is detected from the content (the name's extension is ignored); a rejected file
    never reaches the store. The same bytes uploaded twice share one stored blob.
    """
    root = current_app.config["UPLOAD_FOLDER"]
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    if not filename:
        raise ValidationError("请选择要上传的文件")
    detected = {}

    def check(head: bytes, path) -> None:
        if not head:
            raise _Rejected("上传的文件是空的")
        mime = sniff(head, path)
        if mime is None:
            raise _Rejected(f"不支持该文件类型，请上传{ALLOWED_TEXT}")
        detected["mime"] = mime

    try:
        sha, size, _ = store(root, stream, limit, check=check)
    except TooLarge:
        raise ValidationError(f"文件超过{_size_text(limit)}，请压缩后再上传") from None
    except _Rejected as e:
        raise ValidationError(e.message) from None
    att = Attachment(sha256=sha, filename=clean_filename(filename), mime=detected["mime"], size=size,
                     org_unit_id=org_unit.id, uploaded_by_id=user.id, tenant_id=org_unit.tenant_id, **target)
    session.add(att)
    session.flush()
    return att


def _size_text(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g}MB"
    if n >= 1024:
        return f"{n / 1024:g}KB"
    return f"{n}字节"


def size_label(n: int) -> str:
    """A file size for people: 12.3 KB, 4.5 MB."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} 字节"


def soft_delete(session: Session, attachment: Attachment, actor: User | None = None) -> None:
    """Hide an attachment; its row and stored bytes are kept for the record (and the audit trail)."""
    from ..audit.services import record

    if attachment.deleted:
        raise ValidationError("该文件已删除")
    attachment.deleted = True
    record(session, actor, "evidence.deleted", object_type="attachment", object_id=attachment.id,
           org_unit=attachment.org_unit, campaign_id=_campaign_of(session, attachment),
           old={"deleted": False}, new={"deleted": True, "filename": attachment.filename, "sha256": attachment.sha256})


def _campaign_of(session: Session, attachment: Attachment) -> int | None:
    """The campaign of what the attachment belongs to (a task or a list entry)."""
    from ..lists.models import Problem, Rectification, Result
    from ..tasks.models import Task

    for model, key in ((Task, attachment.task_id), (Problem, attachment.problem_id),
                       (Rectification, attachment.rectification_id), (Result, attachment.result_id)):
        if key is not None:
            owner = session.get(model, key)
            return owner.campaign_id if owner is not None else None
    return None


def is_inline(attachment: Attachment) -> bool:
    """Photos may be shown in the browser; every other type is downloaded."""
    return attachment.mime in ("image/jpeg", "image/png")


def attach_bytes(session: Session, user: User, *, org_unit: OrgUnit, filename: str, data: bytes, **target):
    return attach(session, user, org_unit=org_unit, filename=filename, stream=io.BytesIO(data), **target)
