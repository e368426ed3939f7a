"""Keep an uploaded xlsx/csv in the content-addressed store and reopen it for the import step."""
from __future__ import annotations

from pathlib import Path

from flask import current_app

from ..errors import ValidationError
from ..evidence.storage import TooLarge, blob_path, store
from .reader import DEFAULT_MAX_UNZIPPED, Table, open_table, peek_header, same_header, sniff_upload


def store_tabular(stream) -> tuple[str, int]:
    """Store an uploaded table file; return (sha256, size). Images, PDFs and binaries are refused."""

    def check(head: bytes, path) -> None:
        if not head:
            raise ValidationError("上传的文件是空的")
        sniff_upload(head)

    try:
        sha, size, _ = store(current_app.config["UPLOAD_FOLDER"], stream, current_app.config["UPLOAD_MAX_BYTES"],
                             check=check)
    except TooLarge:
        raise ValidationError("文件过大，请拆分后分批导入") from None
    return sha, size


def stored_path(sha256: str) -> Path:
    return blob_path(current_app.config["UPLOAD_FOLDER"], sha256)


def _limit() -> int:
    return int(current_app.config.get("DUBAN_IMPORT_MAX_UNZIPPED", DEFAULT_MAX_UNZIPPED))


def open_stored(sha256: str, score_header) -> Table:
    return open_table(stored_path(sha256), score_header, max_unzipped=_limit())


def open_batch(batch, score_header) -> Table:
    """Open an uploaded batch's file for its import; refuse it when the whole file's header is not
    the one read from its top at upload (the mapping was chosen against that one)."""
    table = open_stored(batch.sha256, score_header)
    if not same_header(table.headers, batch.headers):
        raise ValidationError("文件的表头与上传时不一致，请重新上传")
    batch.headers = table.headers
    return table


def peek_stored(sha256: str, score_header) -> tuple[int, list[str]]:
    """(header row, headers) of a stored file, read from its top only where possible."""
    return peek_header(stored_path(sha256), score_header, max_unzipped=_limit())
