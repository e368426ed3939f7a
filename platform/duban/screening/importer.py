"""Import a department's file: store it, find its header, map columns, validate every row, upsert.

A file is imported in two steps — upload (stored by sha256, header found, mapping suggested) and
run (with the confirmed mapping) — inside one transaction each: either every good row is written
and every bad row is reported (with its row number and reason, and an xlsx of them to download),
or, if anything unexpected fails, nothing is. The same file imported again changes nothing (by
content hash); a new file with the same people updates their rows (by person and natural key).
"""
from __future__ import annotations

import hashlib
import io
import time
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..audit.services import record
from ..errors import ValidationError
from ..evidence.services import clean_filename
from ..evidence.storage import blob_path, store_bytes
from ..ledgers import models as ledger_models
from ..ledgers.cells import plain
from ..ledgers.mapping import check_mapping, header_score, suggest, validate_rows
from ..ledgers.uploads import open_stored, store_tabular
from ..ledgers.writer import write_xlsx
from ..tenancy.models import OrgUnit, User
from . import bulk
from .models import ImportBatch, SourceRecord
from .places import Places
from .sources import LOCATORS, SourceKind, kind as source_kind

CHUNK = 5000
# What a row's hash covers: everything stored about the person except which batch wrote it.
HASHED = ("kind", "natural_key", "id_number", "name", "org_unit_id", "unit_path", "programme", "grade", "amount",
          "amount2", "on_date", "year", "household_id", "phone", "extra")
SAMPLE = 200


def scope(kind: SourceKind) -> str:
    return f"source:{kind.key}"


def upload(session: Session, user: User, unit: OrgUnit, kind_key: str, filename: str, stream) -> tuple[ImportBatch, bool]:
    """Store an uploaded file and find its header row. Returns (batch, is_new); when the very same
    file was already imported for this source, returns that earlier batch and writes nothing."""
    try:
        kind = source_kind(kind_key)
    except LookupError:
        raise ValidationError(fields={"kind": "请选择数据类别"}) from None
    if not filename:
        raise ValidationError(fields={"file": "请选择要导入的文件"})
    sha, size = store_tabular(stream)
    done = session.scalar(select(ImportBatch).where(ImportBatch.kind == kind.key, ImportBatch.sha256 == sha,
                                                    ImportBatch.status == "done").order_by(ImportBatch.id).limit(1))
    if done is not None:
        return done, False
    table = open_stored(sha, header_score(kind.fields))
    batch = ImportBatch(org_unit_id=unit.id, kind=kind.key, filename=clean_filename(filename), sha256=sha, size=size,
                        status="mapping", header_row=table.header_row, headers=table.headers,
                        created_by_id=user.id, tenant_id=unit.tenant_id)
    session.add(batch)
    session.flush()
    return batch, True


def suggested(session: Session, batch: ImportBatch) -> dict[str, str]:
    kind = source_kind(batch.kind)
    return suggest(kind.fields, batch.headers, ledger_models.remembered(session, batch.org_unit, scope(kind)))


def run(session: Session, user: User, batch: ImportBatch, chosen: dict[str, str]) -> ImportBatch:
    """Import batch's file with the user's column mapping {field key: header}."""
    if batch.status != "mapping":
        raise ValidationError("该文件已经导入过，不能重复导入")
    kind = source_kind(batch.kind)
    mapping = check_mapping(kind.fields, batch.headers, chosen)
    if not ({"village", "division_code"} & set(mapping)):
        raise ValidationError(fields={"village": "请为“村（居委会）”或“区划代码”选择对应的列，否则无法确定所属村（社区）"})
    ledger_models.remember(session, user, batch.org_unit, scope(kind), mapping)
    started = time.perf_counter()
    folder = current_app.config["UPLOAD_FOLDER"]
    table = open_stored(batch.sha256, header_score(kind.fields))
    if table.headers != batch.headers:
        raise ValidationError("文件的表头与上传时不一致，请重新上传")
    counts = _Upsert(session, batch, kind, Places(session, batch.org_unit)).run(validate_rows(table, kind.fields, mapping))
    batch.mapping = mapping
    batch.status = "done"
    batch.total_rows, batch.added, batch.updated, batch.unchanged, batch.rejected = counts.totals()
    batch.rejects_sample = counts.sample
    batch.rejects_sha256 = counts.rejects_file(folder, batch) if counts.rejected else None
    batch.seconds = round(time.perf_counter() - started, 3)
    batch.finished_at = clock.now()
    record(session, user, "screening.imported", object_type="import_batch", object_id=batch.id, org_unit=batch.org_unit,
           new={"kind": kind.key, "file": batch.filename, "rows": batch.total_rows, "added": batch.added,
                "updated": batch.updated, "unchanged": batch.unchanged, "rejected": batch.rejected})
    return batch


class _Upsert:
    """Streams validated rows into SourceRecord in chunks, collecting the rejected ones."""

    def __init__(self, session: Session, batch: ImportBatch, kind: SourceKind, places: Places):
        self.session, self.batch, self.kind, self.places = session, batch, kind, places
        self.table = SourceRecord.__table__
        own = [(f.key, kind.column(f.key)) for f in kind.fields if f.key not in LOCATORS + ("id_number", "name")]
        self.direct = [(k, c) for k, c in own if c != "extra"]
        self.extras = [k for k, c in own if c == "extra"]
        self.existing = dict(
            (k, (i, h)) for k, i, h in session.execute(
                select(SourceRecord.natural_key, SourceRecord.id, SourceRecord.row_hash)
                .where(SourceRecord.kind == kind.key, SourceRecord.tenant_id == batch.tenant_id)))
        self.seen: dict[str, int] = {}
        self.added = self.updated = self.unchanged = self.rejected = 0
        self.sample: list = []
        self.rejects: list[tuple[int, str, list]] = []

    def reject(self, row, reasons: list[str]) -> None:
        self.rejected += 1
        text = "；".join(reasons)
        if len(self.sample) < SAMPLE:
            self.sample.append([row.number, text])
        self.rejects.append((row.number, text, [_cell_text(c) for c in row.cells]))

    def run(self, rows):
        inserts, updates = [], []
        for row in rows:
            values = row.values
            reasons = list(row.errors)
            unit, why = self.places.find(values.get("township"), values.get("village"), values.get("division_code"))
            if why:
                reasons.append(why)
            if reasons:
                self.reject(row, reasons)
                continue
            key = "|".join([str(values.get(k, "")) for k in self.kind.natural_key])
            if key in self.seen:
                self.reject(row, [f"与第{self.seen[key]}行是同一人的同一条记录（重复）"])
                continue
            self.seen[key] = row.number
            rec = {"kind": self.kind.key, "natural_key": key, "id_number": values["id_number"],
                   "name": values.get("name", ""), "org_unit_id": unit.id, "unit_path": unit.path,
                   "programme": None, "grade": None, "amount": None, "amount2": None, "on_date": None,
                   "year": None, "household_id": None, "phone": None}
            for field_key, column in self.direct:
                rec[column] = values.get(field_key)
            extra = {k: plain(values[k]) for k in self.extras if k in values}
            rec["extra"] = extra or None
            rec["row_hash"] = hashlib.md5(repr([rec[c] for c in HASHED]).encode()).hexdigest()
            rec["batch_id"] = self.batch.id
            old = self.existing.get(key)
            if old is None:
                rec["tenant_id"] = self.batch.tenant_id
                inserts.append(rec)
                self.added += 1
            elif old[1] == rec["row_hash"]:
                self.unchanged += 1
            else:
                rec["_id"] = old[0]
                updates.append(rec)
                self.updated += 1
            if len(inserts) >= CHUNK:
                bulk.insert_rows(self.session, self.table, inserts)
                inserts = []
            if len(updates) >= CHUNK:
                bulk.update_rows(self.session, self.table, updates)
                updates = []
        bulk.insert_rows(self.session, self.table, inserts)
        bulk.update_rows(self.session, self.table, updates)
        if self.added + self.updated >= 1000:
            bulk.analyze(self.session, self.table)
        return self

    def totals(self):
        total = self.added + self.updated + self.unchanged + self.rejected
        return total, self.added, self.updated, self.unchanged, self.rejected

    def rejects_file(self, folder: str, batch: ImportBatch) -> str:
        """Write every rejected row (reason first, then the row as it was) to an xlsx in the store."""
        buf = io.BytesIO()
        write_xlsx(buf, title=f"{batch.filename} 未导入的行（共{self.rejected}行）",
                   labels=["原文件行号", "未导入原因", *batch.headers],
                   kinds=["int", "text", *(["text"] * len(batch.headers))],
                   rows=([n, why, *cells] for n, why, cells in self.rejects),
                   note="说明：请按“未导入原因”修改后，将这些行另存为新文件重新导入。")
        return store_bytes(folder, buf.getvalue())


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if not value.is_integer() or abs(value) >= 1e15 else str(int(value))
    return str(value)


def rejects_path(batch: ImportBatch) -> Path | None:
    if not batch.rejects_sha256:
        return None
    return blob_path(current_app.config["UPLOAD_FOLDER"], batch.rejects_sha256)
