"""Ledgers (台账) a campaign type declares: rows per unit, filled in by page or imported, exported
in exactly the declared column order.

Columns the unit never types: 序号 (numbered on export) and the 乡镇（街道）/ 村（居委会）columns
(filled from the row's unit). A ledger with a 身份证号 column keys its rows by person: importing the
same person again updates the row; an identical row is never added twice.
"""
from __future__ import annotations

import hashlib
import time
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import clock
from ..audit.services import record
from ..campaigns.models import Campaign
from ..campaigns.registry import definition
from ..campaigns.types import LedgerColumn, LedgerDefinition
from ..errors import ValidationError
from ..evidence.services import clean_filename
from ..screening.models import ImportBatch
from ..screening.privacy import may_view_full, record_export
from ..tasks.services import works_at
from ..tenancy.models import OrgUnit, User
from ..tenancy.permissions import Permission
from ..tenancy.tree import descendants, path_range
from . import models
from .cells import Field, converter, plain
from .idnumber import mask_id, mask_phone
from .mapping import check_mapping, header_score, norm, suggest, validate_rows
from .models import LedgerRow
from .rejects import Rejects
from .uploads import open_batch, peek_stored, store_tabular
from .writer import write_xlsx

SEQ_KEYS = ("seq", "serial", "no", "index", "xh")


def ledger(campaign: Campaign, key: str) -> LedgerDefinition:
    found = definition(campaign.type_key).ledgers.get(key)
    if found is None:
        raise LookupError(key)
    return found


def role_of(col: LedgerColumn) -> str:
    """"seq", "township", "village" for the columns filled by the platform, "input" otherwise."""
    label = norm(col.label)
    if col.key in SEQ_KEYS or label == "序号":
        return "seq"
    if col.key == "township" or label in ("乡镇(街道)", "镇(街道)", "乡镇", "街道"):
        return "township"
    if col.key == "village" or label in ("村(居委会)", "村(社区)", "社区", "村(居)", "居委会"):
        return "village"
    return "input"


def fields(ld: LedgerDefinition) -> list[Field]:
    """The columns a unit fills, as fields (id_number and phone columns are checked as such)."""
    out = []
    for c in ld.columns:
        if role_of(c) != "input":
            continue
        kind = c.type if c.type in ("text", "int", "decimal", "date", "choice", "id_number", "phone") else "text"
        out.append(Field(c.key, c.label, kind, c.required, c.choices, max_length=500,
                         min=0 if kind in ("int", "decimal") else None))
    return out


def may_edit(user: User, campaign: Campaign, ld: LedgerDefinition, unit: OrgUnit) -> bool:
    return (campaign.status == "published" and unit.kind == ld.level
            and works_at(user, unit, Permission.LIST_EDIT))


def _person_key(ld: LedgerDefinition) -> str | None:
    return next((c.key for c in ld.columns if c.type == "id_number"), None)


def _hash(data: dict) -> str:
    return hashlib.md5(repr(sorted(data.items())).encode()).hexdigest()


def clean(ld: LedgerDefinition, raw: dict) -> dict:
    """Validate a row typed into the page; raise ValidationError with a message per field."""
    data, errors = {}, {}
    for f in fields(ld):
        value, error = converter(f)((raw.get(f.key) or "").strip() if isinstance(raw.get(f.key), str) else raw.get(f.key))
        if error:
            errors[f.key] = error
        elif value is not None:
            data[f.key] = plain(value)
    if errors:
        raise ValidationError(fields=errors)
    if not data:
        raise ValidationError("请至少填写一项")
    return data


def _existing(session: Session, campaign: Campaign, ld: LedgerDefinition, unit: OrgUnit) -> list[LedgerRow]:
    return list(session.scalars(select(LedgerRow).where(LedgerRow.campaign_id == campaign.id,
                                                        LedgerRow.ledger_key == ld.key,
                                                        LedgerRow.org_unit_id == unit.id)))


def save_row(session: Session, user: User, campaign: Campaign, ld: LedgerDefinition, unit: OrgUnit, raw: dict,
             row: LedgerRow | None = None) -> LedgerRow:
    if not may_edit(user, campaign, ld, unit):
        raise ValidationError("您不能修改该单位的台账")
    data = clean(ld, raw)
    key = _person_key(ld)
    if key and data.get(key):
        clash = next((r for r in _existing(session, campaign, ld, unit)
                      if r.data.get(key) == data[key] and (row is None or r.id != row.id)), None)
        if clash is not None:
            raise ValidationError(fields={key: "该身份证号已在本台账中，请直接修改原有的行"})
    if row is None:
        row = LedgerRow(campaign_id=campaign.id, ledger_key=ld.key, org_unit_id=unit.id, unit_path=unit.path,
                        data=data, row_hash=_hash(data), created_by_id=user.id, tenant_id=unit.tenant_id)
        session.add(row)
        action, old = "ledger.row_added", None
    else:
        action, old = "ledger.row_changed", dict(row.data)
        row.data, row.row_hash, row.updated_by_id, row.updated_at = data, _hash(data), user.id, clock.now()
    session.flush()
    record(session, user, action, object_type="ledger_row", object_id=row.id, org_unit=unit, campaign_id=campaign.id,
           old=_masked(ld, old) if old else None, new=_masked(ld, data), note=ld.title)
    return row


def _masked(ld: LedgerDefinition, data: dict) -> dict:
    kinds = {c.key: c.type for c in ld.columns}
    return {k: mask_id(v) if kinds.get(k) == "id_number" else mask_phone(v) if kinds.get(k) == "phone" else v
            for k, v in data.items()}


def rows(session: Session, campaign: Campaign, ld: LedgerDefinition, unit: OrgUnit, *, limit: int | None = None,
         offset: int = 0) -> tuple[int, list[LedgerRow]]:
    low, high = path_range(unit.path)
    where = (LedgerRow.campaign_id == campaign.id, LedgerRow.ledger_key == ld.key,
             LedgerRow.unit_path >= low, LedgerRow.unit_path < high)
    count = session.scalar(select(func.count()).select_from(LedgerRow).where(*where)) or 0
    stmt = select(LedgerRow).where(*where).order_by(LedgerRow.unit_path, LedgerRow.id).offset(offset)
    if limit:
        stmt = stmt.limit(limit)
    return count, list(session.scalars(stmt))


def display(ld: LedgerDefinition, row: LedgerRow, units: dict, seq: int, *, full: bool) -> list:
    """A row's values in column order, with 序号, the unit columns and masking applied."""
    village = units.get(row.org_unit_id) or row.org_unit
    township = units.get(village.parent_id)
    out = []
    for c in ld.columns:
        role = role_of(c)
        if role == "seq":
            out.append(seq)
        elif role == "township":
            out.append(row.data.get(c.key) or (township.name if township else ""))
        elif role == "village":
            out.append(row.data.get(c.key) or village.name)
        else:
            v = _typed(c, row.data.get(c.key))
            if not full and c.type == "id_number":
                v = mask_id(v)
            elif not full and c.type == "phone":
                v = mask_phone(v)
            out.append(v)
    return out


def _typed(col: LedgerColumn, value):
    """A stored JSON value back as what the column holds (amounts and dates are kept as strings)."""
    if isinstance(value, str) and value:
        if col.type == "decimal":
            return Decimal(value)
        if col.type == "date":
            return date.fromisoformat(value)
    return value


def unit_map(session: Session, unit: OrgUnit) -> dict:
    units = {u.id: u for u in [unit, *descendants(session, unit)]}
    if unit.parent_id:
        units[unit.parent_id] = unit.parent
    return units


def export(session: Session, user: User, campaign: Campaign, ld: LedgerDefinition, unit: OrgUnit, target) -> int:
    """Write the ledger of unit's subtree to target as xlsx, in the declared column order; audited."""
    full = may_view_full(user, unit)
    units = unit_map(session, unit)
    _, all_rows = rows(session, campaign, ld, unit)
    n = write_xlsx(target, title=f"{ld.title}（{unit.name}）", labels=[c.label for c in ld.columns],
                   kinds=[c.type for c in ld.columns],
                   groups=[c.group for c in ld.columns],
                   rows=(display(ld, r, units, i, full=full) for i, r in enumerate(all_rows, start=1)),
                   note="\n".join(filter(None, [getattr(ld, "note", ""),
                                                f"说明：{campaign.title} · 身份证号{'为完整号码，请妥善保管' if full else '已脱敏'}"])))
    record_export(session, user, unit=unit, what=ld.title, rows=n, full=full, campaign_id=campaign.id)
    return n


# --- Import ------------------------------------------------------------------------------------

def scope(campaign: Campaign, ld: LedgerDefinition) -> str:
    return f"ledger:{campaign.type_key}:{ld.key}"


def upload(session: Session, user: User, campaign: Campaign, ld: LedgerDefinition, unit: OrgUnit,
           filename: str, stream) -> ImportBatch:
    if not may_edit(user, campaign, ld, unit):
        raise ValidationError("您不能向该单位的台账导入数据")
    if not filename:
        raise ValidationError("请选择要导入的文件")
    sha, size = store_tabular(stream)
    header_row, headers = peek_stored(sha, header_score(fields(ld)))
    batch = ImportBatch(org_unit_id=unit.id, campaign_id=campaign.id, kind=f"ledger:{ld.key}",
                        filename=clean_filename(filename), sha256=sha, size=size, status="mapping",
                        header_row=header_row, headers=headers, created_by_id=user.id,
                        tenant_id=unit.tenant_id)
    session.add(batch)
    session.flush()
    return batch


def suggested(session: Session, campaign: Campaign, ld: LedgerDefinition, batch: ImportBatch) -> dict:
    return suggest(fields(ld), batch.headers, models.remembered(session, batch.org_unit, scope(campaign, ld)))


def run_import(session: Session, user: User, campaign: Campaign, ld: LedgerDefinition, batch: ImportBatch,
               chosen: dict) -> ImportBatch:
    """Import the batch's rows into the unit's ledger: new people added, known people updated,
    identical rows skipped, bad rows reported with their row number and reason."""
    unit = batch.org_unit
    if batch.status != "mapping":
        raise ValidationError("该文件已经导入过，不能重复导入")
    if not may_edit(user, campaign, ld, unit):
        raise ValidationError("您不能向该单位的台账导入数据")
    mapping = check_mapping(fields(ld), batch.headers, chosen)
    models.remember(session, user, unit, scope(campaign, ld), mapping)
    started = time.perf_counter()
    key = _person_key(ld)
    existing = _existing(session, campaign, ld, unit)
    by_person = {r.data.get(key): r for r in existing if key and r.data.get(key)}
    hashes = {r.row_hash for r in existing}
    added = updated = unchanged = 0
    with open_batch(batch, header_score(fields(ld))) as table:
        rejects, seen = Rejects(table.headers), {}
        for row in validate_rows(table, fields(ld), mapping):
            if row.errors:
                rejects.add(row.number, row.errors, row.cells)
                continue
            data = {k: plain(v) for k, v in row.values.items()}
            h = _hash(data)
            person = data.get(key) if key else None
            if person and person in seen:
                rejects.add(row.number, [f"与第{seen[person]}行是同一人（身份证号重复）"], row.cells)
                continue
            if person:
                seen[person] = row.number
            if h in hashes:
                unchanged += 1
                continue
            old = by_person.get(person) if person else None
            if old is not None:
                old.data, old.row_hash, old.updated_by_id, old.updated_at = data, h, user.id, clock.now()
                updated += 1
            else:
                session.add(LedgerRow(campaign_id=campaign.id, ledger_key=ld.key, org_unit_id=unit.id, unit_path=unit.path,
                                      data=data, row_hash=h, created_by_id=user.id, tenant_id=unit.tenant_id))
                added += 1
            hashes.add(h)
    batch.mapping, batch.status = mapping, "done"
    batch.added, batch.updated, batch.unchanged, batch.rejected = added, updated, unchanged, len(rejects)
    batch.total_rows = added + updated + unchanged + len(rejects)
    batch.rejects_sample = rejects.sample
    batch.rejects_sha256 = rejects.store(batch)
    batch.seconds = round(time.perf_counter() - started, 3)
    batch.finished_at = clock.now()
    record(session, user, "ledger.imported", object_type="import_batch", object_id=batch.id, org_unit=unit,
           campaign_id=campaign.id, new={"ledger": ld.key, "file": batch.filename, "added": added,
                                         "updated": updated, "unchanged": unchanged, "rejected": len(rejects)})
    return batch
