"""Import a department's file: store it, find its header, map columns, validate every row, upsert.

A file is imported in two steps — upload (stored by sha256, header found, mapping suggested) and
run (with the confirmed mapping) — inside one transaction each: either every good row is written
and every bad row is reported (with its row number and reason, and an xlsx of them to download),
or, if anything unexpected fails, nothing is. The same file imported again changes nothing (by
content hash); a new file with the same people updates their rows (by person and natural key);
a roster imported as the whole list also marks who is no longer on it.

Upload reads only the top of the file (ledgers.xlsx_head). The import reads it whole once, converts
it column by column in chunks (ledgers.mapping.validate_chunks) and writes each chunk as columns
(bulk.Loader: one COPY on PostgreSQL). A big sheet is parsed in pieces in background threads
(ledgers.xlsx_pieces), so the converting and writing of its first rows overlap the parsing of the
rest; bench/import.py measures it against reading alone.
"""
from __future__ import annotations

import hashlib
import json
import time
from itertools import repeat
from operator import itemgetter, methodcaller

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..audit.services import record
from ..errors import ValidationError
from ..evidence.services import clean_filename
from ..ledgers import models as ledger_models
from ..ledgers.cells import plain
from ..ledgers.mapping import Chunk, check_mapping, header_score, suggest, validate_chunks
from ..ledgers.rejects import Rejects
from ..ledgers.uploads import open_batch, peek_stored, store_tabular
from ..tenancy.models import OrgUnit, User
from . import bulk
from .models import ImportBatch, SourceRecord
from .places import Places
from .sources import COLUMNS, LOCATORS, SourceKind, kind as source_kind

CHUNK = 5000
_hexdigest = methodcaller("hexdigest")
_first, _second = itemgetter(0), itemgetter(1)
_NUL = {None: "\x00"}
# Record columns a source's own fields land in (besides name and ID number; the rest go to extra).
RECORD_COLUMNS = tuple(c for c in COLUMNS if c not in ("name", "id_number"))
# What a row's hash covers: everything stored about the person except which batch wrote it, less
# what another hashed column already determines (the kind is the same for every row compared, the
# natural key holds the ID number and the other key fields, the path holds the unit's id).
HASHED = ("natural_key", "id_number", "name", "unit_path", *RECORD_COLUMNS, "extra")
# What queries over the records filter and join on: their planner statistics are refreshed after a
# load (without them PostgreSQL may plan a join over 100k fresh rows as nested loops: minutes).
ANALYZED = ("tenant_id", "kind", "id_number", "unit_path", "retired_batch_id", *(c for c in RECORD_COLUMNS
                                                                             if c not in ("household_id", "phone")))
# Columns holding text or None (extra holds JSON text): hashed as they are, the others by repr.
TEXT_HASHED = {c for c in HASHED if c == "extra" or SourceRecord.__table__.c[c].type.python_type is str}


def scope(kind: SourceKind) -> str:
    return f"source:{kind.key}"


def upload(session: Session, user: User, unit: OrgUnit, kind_key: str, filename: str, stream) -> tuple[ImportBatch, bool]:
    """Store an uploaded file and find its header row. Returns (batch, is_new); when the very same
    file is the last one imported for this source, returns that batch and writes nothing."""
    try:
        kind = source_kind(kind_key)
    except LookupError:
        raise ValidationError(fields={"kind": "请选择数据类别"}) from None
    if not filename:
        raise ValidationError(fields={"file": "请选择要导入的文件"})
    sha, size = store_tabular(stream)
    last = session.scalar(select(ImportBatch).where(ImportBatch.kind == kind.key, ImportBatch.status == "done")
                          .order_by(ImportBatch.id.desc()).limit(1))
    if last is not None and last.sha256 == sha:
        return last, False
    header_row, headers = peek_stored(sha, header_score(kind.fields))
    batch = ImportBatch(org_unit_id=unit.id, kind=kind.key, filename=clean_filename(filename), sha256=sha, size=size,
                        status="mapping", header_row=header_row, headers=headers,
                        created_by_id=user.id, tenant_id=unit.tenant_id)
    session.add(batch)
    session.flush()
    return batch, True


def suggested(session: Session, batch: ImportBatch) -> dict[str, str]:
    kind = source_kind(batch.kind)
    return suggest(kind.fields, batch.headers, ledger_models.remembered(session, batch.org_unit, scope(kind)))


def run(session: Session, user: User, batch: ImportBatch, chosen: dict[str, str], *, replace: bool = False) -> ImportBatch:
    """Import batch's file with the user's column mapping {field key: header}. With replace (a
    roster, SourceKind.snapshot), the file is the whole list of the importing unit's subtree: the
    people on earlier imports who are not in it are marked as having left (kept, not deleted)."""
    if batch.status != "mapping":
        raise ValidationError("该文件已经导入过，不能重复导入")
    kind = source_kind(batch.kind)
    if replace and not kind.snapshot:
        raise ValidationError(f"“{kind.name}”不是完整名单，不能按整表替换导入")
    mapping = check_mapping(kind.fields, batch.headers, chosen)
    if not ({"village", "division_code"} & set(mapping)):
        raise ValidationError(fields={"village": "请为“村（居委会）”或“区划代码”选择对应的列，否则无法确定所属村（社区）"})
    ledger_models.remember(session, user, batch.org_unit, scope(kind), mapping)
    started = time.perf_counter()
    with open_batch(batch, header_score(kind.fields)) as table:  # a big sheet is parsed on from here, in pieces
        upsert = _Upsert(session, batch, kind, Places(session, batch.org_unit))
        with bulk.loading(session), upsert.loader:
            for chunk in validate_chunks(table, kind.fields, mapping):
                upsert.add(chunk)
            upsert.flush_updates()
            if replace:
                upsert.retire_missing()
    if upsert.added + upsert.updated + upsert.retired >= 1000:
        bulk.analyze(session, SourceRecord.__table__, ANALYZED)
    batch.mapping = mapping
    batch.replace = replace
    batch.status = "done"
    batch.total_rows, batch.added, batch.updated, batch.unchanged, batch.rejected = upsert.totals()
    batch.retired = upsert.retired
    batch.rejects_sample = upsert.rejects.sample
    batch.rejects_sha256 = upsert.rejects.store(batch)
    batch.seconds = round(time.perf_counter() - started, 3)
    batch.finished_at = clock.now()
    record(session, user, "screening.imported", object_type="import_batch", object_id=batch.id, org_unit=batch.org_unit,
           new={"kind": kind.key, "file": batch.filename, "rows": batch.total_rows, "added": batch.added,
                "updated": batch.updated, "unchanged": batch.unchanged, "rejected": batch.rejected,
                "retired": batch.retired, "replace": replace})
    return batch


class _Upsert:
    """Writes validated chunks into SourceRecord column by column, collecting the rejected rows."""

    def __init__(self, session: Session, batch: ImportBatch, kind: SourceKind, places: Places):
        self.session, self.batch, self.kind, self.places = session, batch, kind, places
        self.table = t = SourceRecord.__table__
        own = [(f.key, kind.column(f.key)) for f in kind.fields if f.key not in LOCATORS + ("id_number", "name")]
        self.direct = {c: k for k, c in own if c != "extra"}
        self.extras = [k for k, c in own if c == "extra"]
        in_key = {kind.column(k) for k in kind.natural_key}
        self.hashed = [c for c in HASHED if c == "natural_key" or c not in in_key]
        # natural key -> (id, hash, retired batch, path); fetched at once as plain tuples (row by row took 0.6 s for 100k)
        stored = bulk.fetch_rows(session, select(t.c.natural_key, t.c.id, t.c.row_hash, t.c.retired_batch_id, t.c.unit_path)
                                 .where(t.c.kind == kind.key, t.c.tenant_id == batch.tenant_id))
        self.existing = dict(zip(map(_first, stored), map(itemgetter(1, 2, 3, 4), stored)))
        self.seen: dict[str, int] = {}  # natural key -> the row it was first seen on
        self.located: dict[tuple, tuple | str] = {}  # (township, village, code) -> (unit id, path) or why not
        self.extra_json: dict[tuple, str | None] = {}
        self.added = self.updated = self.unchanged = self.retired = 0
        self.rejects = Rejects(batch.headers)
        self.loader = bulk.Loader(session, t, json_text=("extra",))
        self.updates: list[dict] = []  # run between COPYs: PostgreSQL takes no other statement during one

    def _locate(self, chunk: Chunk) -> list:
        """Each row's (unit id, path); a row whose village is not found is rejected."""
        n, v = len(chunk), chunk.values
        none = [None] * n
        located, find = self.located, self.places.find
        keys = list(zip(v.get("township", none), v.get("village", none), v.get("division_code", none)))
        for key in [key for key in set(keys) if key not in located]:
            unit, why = find(*key)
            located[key] = (unit.id, unit.path) if unit is not None else why
        out = list(map(located.__getitem__, keys))
        if any(hit.__class__ is str for hit in set(out)):
            for pos in range(n):
                if out[pos].__class__ is str:
                    chunk.reject(pos, out[pos])
        return out

    def _keys(self, chunk: Chunk) -> list[str]:
        parts = [chunk.values[k] for k in self.kind.natural_key]
        if len(parts) == 1:
            return parts[0]
        return list(map("|".join, zip(*(map(str, p) for p in parts))))

    def _extra(self, chunk: Chunk, keep) -> list:
        """Each row's extra fields as JSON text, encoded once per distinct combination."""
        names = [k for k in self.extras if k in chunk.values]
        if not names:
            return [None] * (len(chunk) - len(chunk.errors))
        memo = self.extra_json
        combinations = list(zip(*(keep(chunk.values[k]) for k in names)))
        for values in [values for values in set(combinations) if values not in memo]:
            data = {k: plain(x) for k, x in zip(names, values) if x is not None}
            memo[values] = json.dumps(data, ensure_ascii=False) if data else None
        return list(map(memo.__getitem__, combinations))

    def add(self, chunk: Chunk) -> None:
        n, v, errors = len(chunk), chunk.values, chunk.errors
        located = self._locate(chunk)
        keys = self._keys(chunk)
        seen, numbers = self.seen, chunk.numbers
        if not errors and len(set(keys)) == n and seen.keys().isdisjoint(keys):
            seen.update(zip(keys, numbers))  # no row of the chunk repeats an earlier one
        else:
            for pos in range(n):
                if pos in errors:
                    continue
                first = seen.get(keys[pos])
                if first is None:
                    seen[keys[pos]] = numbers[pos]
                else:
                    chunk.reject(pos, f"与第{first}行是同一人的同一条记录（重复）")
        if errors:
            for pos in sorted(errors):
                self.rejects.add(numbers[pos], errors[pos], chunk.cells(pos))
            kept = [pos for pos in range(n) if pos not in errors]

            def keep(column):
                return [column[pos] for pos in kept]
        else:
            def keep(column):
                return column
        m = n - len(errors)
        if not m:
            return
        located = keep(located)
        # A column every row has the same value in is given as that value (bulk.Loader).
        cols = {"tenant_id": self.batch.tenant_id, "kind": self.kind.key, "natural_key": keep(keys),
                "id_number": keep(v["id_number"]), "name": keep(v["name"]),
                "org_unit_id": list(map(_first, located)), "unit_path": list(map(_second, located))}
        for column in RECORD_COLUMNS:
            cols[column] = keep(v[self.direct[column]]) if self.direct.get(column) in v else None
        cols["extra"] = self._extra(chunk, keep)
        cols["row_hash"] = self._hashes(cols, m)
        cols["batch_id"] = self.batch.id
        cols["retired_batch_id"] = None
        self._write(cols, m)

    def _hashes(self, cols: dict[str, list | object], m: int) -> list[str]:
        """Each row's hash over its hashed columns: text columns as they are, the others by repr,
        each distinct value turned into text once."""
        parts = []
        for c in self.hashed:
            column = cols[c]
            if column.__class__ is not list:  # the same in every row
                text = ("\x00" if column is None else column) if c in TEXT_HASHED else repr(column)
                parts.append(repeat(text, m))
            elif c in TEXT_HASHED:
                parts.append(column if None not in column else list(map(_NUL.get, column, column)))  # None as "\x00"
            else:
                parts.append(bulk.each_distinct(repr, column))
        rows = map(str.encode, map("\x1f".join, zip(*parts)))
        return list(map(_hexdigest, map(hashlib.md5, rows)))

    def _write(self, cols: dict[str, list], m: int) -> None:
        existing = self.existing
        if existing:
            inserts = []
            for pos, key, h in zip(range(m), cols["natural_key"], cols["row_hash"]):
                old = existing.get(key)
                if old is None:
                    inserts.append(pos)
                elif old[1] == h and old[2] is None:
                    self.unchanged += 1
                else:
                    row = {c: col[pos] if col.__class__ is list else col for c, col in cols.items()
                           if c not in ("tenant_id", "kind", "natural_key")}
                    row["extra"] = json.loads(row["extra"]) if row["extra"] else None
                    self.updates.append({"_id": old[0], **row})
            if len(self.updates) >= CHUNK:
                self.flush_updates()
            if len(inserts) < m:
                cols = {c: [col[pos] for pos in inserts] if col.__class__ is list else col for c, col in cols.items()}
        self.added += self.loader.add(cols)

    def flush_updates(self) -> None:
        if self.updates:
            self.loader.pause()
            bulk.update_rows(self.session, self.table, self.updates)
            self.updated += len(self.updates)
            self.updates = []

    def retire_missing(self) -> None:
        """Mark the importing unit's records that this file no longer lists as having left."""
        self.loader.pause()
        prefix = self.places.root.path
        gone = [{"_id": i, "retired_batch_id": self.batch.id} for key, (i, _, retired, path) in self.existing.items()
                if retired is None and key not in self.seen and path.startswith(prefix)]
        for chunk in bulk.chunks(gone, CHUNK):
            bulk.update_rows(self.session, self.table, chunk)
        self.retired = len(gone)

    def totals(self):
        rejected = len(self.rejects)
        total = self.added + self.updated + self.unchanged + rejected
        return total, self.added, self.updated, self.unchanged, rejected
