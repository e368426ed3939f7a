"""The rows of an imported file that were not imported: why, and the row as it was, for the page
and as an xlsx to download, correct and import again."""
from __future__ import annotations

import io
from pathlib import Path

from flask import current_app

from ..evidence.storage import blob_path, store_bytes
from .writer import write_xlsx

SAMPLE = 200  # reasons kept on the batch for its page; the xlsx has every row


def cell_text(value) -> str:
    """A cell as the user typed it (an ID number Excel turned into a float shows as 3.5e+17)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if not value.is_integer() or abs(value) >= 1e15 else str(int(value))
    return str(value)


class Rejects:
    def __init__(self, headers: list[str]):
        self.headers = headers
        self.sample: list[list] = []  # [row number, reasons] for the page
        self.rows: list[list] = []  # row number, reasons, then the cells

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, number: int, reasons: list[str], cells: list) -> None:
        text = "；".join(reasons)
        if len(self.sample) < SAMPLE:
            self.sample.append([number, text])
        self.rows.append([number, text, *(cell_text(c) for c in cells[:len(self.headers)])])

    def store(self, batch) -> str | None:
        """Write every rejected row (reason first, then the row as it was) to an xlsx in the store;
        return its sha256, or None when nothing was rejected."""
        if not self.rows:
            return None
        buf = io.BytesIO()
        write_xlsx(buf, title=f"{batch.filename} 未导入的行（共{len(self.rows)}行）",
                   labels=["原文件行号", "未导入原因", *self.headers],
                   kinds=["int", "text", *(["text"] * len(self.headers))], rows=self.rows,
                   note="说明：请按“未导入原因”修改后，将这些行另存为新文件重新导入。")
        return store_bytes(current_app.config["UPLOAD_FOLDER"], buf.getvalue())


def rejects_path(batch) -> Path | None:
    """Where the batch's xlsx of rejected rows is stored, or None when it has none."""
    if not batch.rejects_sha256:
        return None
    return blob_path(current_app.config["UPLOAD_FOLDER"], batch.rejects_sha256)
