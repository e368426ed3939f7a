"""The visit ledger (走访排查台账) of a unit's subtree, in the campaign type's official column order,
and the per-village evidence pack (ZIP) of its photos."""
from __future__ import annotations

import io
import zipfile
from datetime import date

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..campaigns.models import Campaign
from ..campaigns.registry import definition
from ..campaigns.types import LedgerDefinition
from ..evidence.storage import blob_path
from ..ledgers.idnumber import mask_id, mask_phone
from ..ledgers.services import unit_map
from ..ledgers.writer import write_xlsx
from ..tenancy.models import OrgUnit
from ..tenancy.tree import path_range
from .matching import category_names, rules_for
from .models import OUTCOMES, Subject, Visit, VisitPhoto
from .photos import flag_texts
from .visits import CHECK_ANSWERS


def visit_ledger(campaign: Campaign) -> LedgerDefinition | None:
    key = rules_for(campaign.type_key).visit_ledger
    return definition(campaign.type_key).ledgers.get(key) if key else None


def _visits(session: Session, campaign: Campaign, low: str, high: str) -> tuple[dict, dict]:
    """The subtree's visits by subject, in the order they were made, and each visit's photo count."""
    by_subject, photos = {}, {}
    for v in session.scalars(select(Visit).where(Visit.campaign_id == campaign.id, Visit.unit_path >= low,
                                                 Visit.unit_path < high).order_by(Visit.visited_on, Visit.id)):
        by_subject.setdefault(v.subject_id, []).append(v)
    for visit_id, n in session.execute(
            select(VisitPhoto.visit_id, func.count()).where(VisitPhoto.campaign_id == campaign.id,
                                                            VisitPhoto.unit_path >= low, VisitPhoto.unit_path < high)
            .group_by(VisitPhoto.visit_id)):
        photos[visit_id] = n
    return by_subject, photos


def ledger_rows(session: Session, campaign: Campaign, unit: OrgUnit, ledger: LedgerDefinition, *, full: bool):
    """Yield the ledger of unit's subtree, values in ledger column order: a row for every visit
    (a household visited twice has two rows, the earlier first) and one for every listed person
    not visited yet."""
    low, high = path_range(unit.path)
    units = unit_map(session, unit)  # a village's own export names its township too
    names = category_names(campaign)
    checks = {c.key: c.text for c in definition(campaign.type_key).screening_checks}
    visits, photos = _visits(session, campaign, low, high)
    stmt = (select(Subject).where(Subject.campaign_id == campaign.id, Subject.status == "listed",
                                  Subject.unit_path >= low, Subject.unit_path < high)
            .order_by(Subject.unit_path, Subject.id).execution_options(yield_per=2000))
    seq = 0
    for s in session.scalars(stmt):
        village = units.get(s.org_unit_id)
        township = units.get(village.parent_id) if village else None
        person = {
            "name": s.name, "id_number": s.id_number if full else mask_id(s.id_number),
            "township": township.name if township else "", "village": village.name if village else "",
            "phone": (s.phone if full else mask_phone(s.phone)) or "",
            "categories": "；".join(names.get(c, c) for c in s.categories),
            "evidence": "\n".join(e.get("text", "") for e in s.evidence),
        }
        for v in visits.get(s.id) or [None]:
            seq += 1
            values = {"seq": seq, **person}
            if v is None:
                values["outcome"] = "未走访"
            else:
                values.update({
                    "visited_on": v.visited_on, "visitor": v.visitor, "outcome": OUTCOMES.get(v.outcome, v.outcome),
                    "programme": v.programme or "", "included_on": v.included_on, "temp_aid_amount": v.temp_aid_amount,
                    "checks": "\n".join(f"{checks.get(k, k)}：{CHECK_ANSWERS.get(a, a)}"
                                        for k, a in (v.checks or {}).items() if a != "na"),
                    "photos": photos.get(v.id, 0), "notes": v.notes,
                })
            yield [values.get(c.key) for c in ledger.columns]


def write_visit_ledger(session: Session, campaign: Campaign, unit: OrgUnit, target, *, full: bool) -> int:
    ledger = visit_ledger(campaign)
    if ledger is None:
        raise LookupError("no visit ledger")
    title = f"{ledger.title}（{unit.name}）"
    return write_xlsx(target, title=title, labels=[c.label for c in ledger.columns],
                      kinds=[c.type for c in ledger.columns], groups=[c.group for c in ledger.columns],
                      rows=ledger_rows(session, campaign, unit, ledger, full=full),
                      note=f"说明：{campaign.title}（{campaign.doc_number}）· 身份证号{'为完整号码，请妥善保管' if full else '已脱敏'}")


def _safe(text: str) -> str:
    return "".join(ch for ch in str(text) if ch not in '\\/:*?"<>|\n\r\t').strip() or "未命名"


def write_pack(session: Session, campaign: Campaign, village: OrgUnit, fh) -> int:
    """Write village's photos (EXIF-free copies) to a ZIP named 单位/姓名_身份证后4位/走访日期_序号.jpg,
    with an index sheet of every file's EXIF time, location and flags. Returns the number of photos."""
    folder = current_app.config["UPLOAD_FOLDER"]
    rows = session.execute(
        select(VisitPhoto, Visit, Subject).join(Visit, Visit.id == VisitPhoto.visit_id)
        .join(Subject, Subject.id == VisitPhoto.subject_id)
        .where(VisitPhoto.campaign_id == campaign.id, VisitPhoto.org_unit_id == village.id)
        .order_by(Subject.name, Subject.id, Visit.visited_on, VisitPhoto.id)).all()
    index, counters = [], {}
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as z:
        for photo, visit, subject in rows:
            household = f"{_safe(subject.name)}_{subject.id_number[-4:]}"
            day = visit.visited_on.isoformat() if isinstance(visit.visited_on, date) else str(visit.visited_on)
            n = counters[(household, day)] = counters.get((household, day), 0) + 1
            ext = "jpg" if photo.mime == "image/jpeg" else "png"
            name = f"{_safe(village.name)}/{household}/{day}_{n:02d}.{ext}"
            z.write(blob_path(folder, photo.display_sha256), name)
            index.append([name, village.name, subject.name, mask_id(subject.id_number), visit.visited_on,
                          photo.taken_at.isoformat(sep=" ") if photo.taken_at else "",
                          f"{photo.lat:.6f}, {photo.lon:.6f}" if photo.lat is not None else "",
                          "；".join(flag_texts(photo)), photo.filename])
        buf = io.BytesIO()
        write_xlsx(buf, title=f"{village.name}入户走访照片清单", labels=[
            "文件", "村（社区）", "姓名", "身份证号", "走访日期", "拍摄时间（EXIF）", "拍摄位置（WGS-84）", "核查标记", "原文件名"],
            kinds=["text", "text", "text", "id_number", "date", "text", "text", "text", "text"], rows=index)
        z.writestr(f"{_safe(village.name)}/照片清单.xlsx", buf.getvalue())
    return len(index)
