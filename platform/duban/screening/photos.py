"""Visit photos: EXIF time and GPS kept as evidence, EXIF stripped from the copy others see, a
perceptual hash to flag the same photo used for two households, and a flag for a photo taken
outside the campaign.

The perceptual hash is a 64-bit difference hash (dHash) computed with Pillow: the image shrunk to
9×8 greys, one bit per horizontal neighbour pair. It survives re-encoding, resizing and small
edits, which is what re-uploading a photo for another household does. imagehash would bring numpy,
scipy and PyWavelets (~100 MB) for the same dozen lines, so it is not used.
"""
from __future__ import annotations

import io
from datetime import datetime

from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..audit.services import record
from ..campaigns.models import Campaign
from ..errors import ValidationError
from ..evidence.services import clean_filename
from ..evidence.storage import store_bytes
from .models import Subject, Visit, VisitPhoto
from .visits import campaign_window

MAX_PIXELS = 60_000_000
DUPLICATE_DISTANCE = 6  # of 64 bits; re-encoded copies of one photo differ by 0-3 here
THUMB = (360, 360)
FLAG_LABELS = {"duplicate": "疑似与其他户重复使用的照片", "outside": "拍摄时间不在专项行动期间", "no_time": "照片没有拍摄时间（EXIF）"}
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
DATETIME_ORIGINAL, DATETIME = 36867, 306


def dhash(img: Image.Image) -> str:
    """Return the 64-bit difference hash of img as 16 hex digits."""
    small = img.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    px = small.tobytes()  # mode "L": one byte per pixel, row by row
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = (bits << 1) | (px[row * 9 + col] > px[row * 9 + col + 1])
    return f"{bits:016x}"


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def _rational(value) -> float:
    try:
        return float(value)
    except (TypeError, ZeroDivisionError, ValueError):
        num, den = value
        return num / den if den else 0.0


def exif_facts(img: Image.Image) -> tuple[datetime | None, float | None, float | None]:
    """Return (time taken, latitude, longitude) from EXIF; None where absent or unreadable."""
    exif = img.getexif()
    taken = None
    raw = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL) or exif.get(DATETIME)
    if raw:
        try:
            taken = datetime.strptime(str(raw).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
        except ValueError:
            taken = None
    lat = lon = None
    gps = exif.get_ifd(GPS_IFD)
    try:
        if gps.get(2) and gps.get(4):
            lat = sum(_rational(v) / 60 ** i for i, v in enumerate(gps[2]))
            lon = sum(_rational(v) / 60 ** i for i, v in enumerate(gps[4]))
            lat = -lat if str(gps.get(1, "N")).upper().startswith("S") else lat
            lon = -lon if str(gps.get(3, "E")).upper().startswith("W") else lon
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                lat = lon = None
    except (TypeError, ValueError, ZeroDivisionError):
        lat = lon = None
    return taken, (round(lat, 6) if lat is not None else None), (round(lon, 6) if lon is not None else None)


def _encode(img: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        img.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    else:
        img.save(out, "PNG", optimize=True)
    return out.getvalue()


def _without_metadata(img: Image.Image) -> Image.Image:
    """A new image with img's pixels only: no EXIF, GPS, XMP or comments can ride along."""
    mode = img.mode if img.mode in ("RGB", "RGBA", "L") else ("RGBA" if "A" in img.getbands() else "RGB")
    pixels = img.convert(mode)
    return Image.frombytes(mode, pixels.size, pixels.tobytes())


def _open(data: bytes) -> Image.Image:
    try:
        img = Image.open(io.BytesIO(data))
        if img.format not in ("JPEG", "PNG"):
            raise ValidationError("走访照片只能是JPG或PNG图片")
        if img.width * img.height > MAX_PIXELS:
            raise ValidationError("照片像素过大，请压缩后上传")
        img.load()
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise ValidationError("照片文件已损坏或不是图片") from None
    return img


def household(subject: Subject) -> str:
    return subject.household_id or subject.id_number


def add_photos(session: Session, user, campaign: Campaign, visit: Visit, files: list[tuple[str, bytes]]) -> list[VisitPhoto]:
    """Store photos of a visit (all or none) with their EXIF facts, clean copies and flags."""
    files = [(n, d) for n, d in files if n]
    if not files:
        raise ValidationError("请选择要上传的照片")
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    folder = current_app.config["UPLOAD_FOLDER"]
    prepared = []
    for name, data in files:
        label = clean_filename(name)
        if not data:
            raise ValidationError(f"“{label}”是空文件")
        if len(data) > limit:
            raise ValidationError(f"“{label}”超过{limit // (1024 * 1024)}MB，请压缩后上传")
        try:
            img = _open(data)
        except ValidationError as e:
            raise ValidationError(*(f"“{label}”：{m}" for m in e.messages)) from None
        taken, lat, lon = exif_facts(img)
        fmt = img.format
        upright = ImageOps.exif_transpose(img)
        clean = _without_metadata(upright)
        thumb = upright.copy()
        thumb.thumbnail(THUMB)
        prepared.append((label, data, fmt, taken, lat, lon, _encode(clean, fmt), _encode(thumb, "JPEG"), dhash(upright)))
    subject = visit.subject
    start, end = campaign_window(campaign)
    others = session.execute(
        select(VisitPhoto, Subject).join(Subject, Subject.id == VisitPhoto.subject_id)
        .where(VisitPhoto.campaign_id == campaign.id)).all()
    added = []
    for label, data, fmt, taken, lat, lon, clean, thumb, hash_ in prepared:
        flags = []
        if taken is None:
            flags.append({"kind": "no_time"})
        elif not start <= taken.date() <= end:
            flags.append({"kind": "outside", "taken_at": taken.isoformat(sep=" ")})
        photo = VisitPhoto(visit_id=visit.id, campaign_id=campaign.id, subject_id=subject.id,
                           org_unit_id=subject.org_unit_id, unit_path=subject.unit_path, filename=label,
                           mime="image/jpeg" if fmt == "JPEG" else "image/png", size=len(data),
                           original_sha256=store_bytes(folder, data), display_sha256=store_bytes(folder, clean),
                           thumb_sha256=store_bytes(folder, thumb), taken_at=taken, lat=lat, lon=lon, dhash=hash_,
                           flags=flags, uploaded_by_id=user.id, tenant_id=subject.tenant_id)
        session.add(photo)
        session.flush()
        for other, other_subject in others:
            if household(other_subject) == household(subject):
                continue
            d = distance(other.dhash, hash_)
            if d <= DUPLICATE_DISTANCE:
                photo.flags = [*photo.flags, {"kind": "duplicate", "photo": other.id, "subject": other_subject.id,
                                              "distance": d}]
                other.flags = [*other.flags, {"kind": "duplicate", "photo": photo.id, "subject": subject.id,
                                              "distance": d}]
        others.append((photo, subject))
        added.append(photo)
    record(session, user, "screening.photos_added", object_type="screening_visit", object_id=visit.id,
           org_unit=subject.org_unit, campaign_id=campaign.id,
           new={"photos": [p.filename for p in added], "flags": sum(len(p.flags) for p in added)})
    return added


def flag_texts(photo: VisitPhoto) -> list[str]:
    out = []
    for f in photo.flags or ():
        label = FLAG_LABELS.get(f.get("kind"), f.get("kind"))
        if f.get("kind") == "outside":
            label += f"（拍摄于{f.get('taken_at', '')[:16]}）"
        elif f.get("kind") == "duplicate":
            label += f"（相似度差异{f.get('distance')}/64）"
        out.append(label)
    return out


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """Convert phone GPS (WGS-84) to GCJ-02, the datum of Chinese map services."""
    import math

    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lon - 105.0, lat - 35.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
            + (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
            + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
            + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
            + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    rad = lat / 180.0 * math.pi
    magic = 1 - ee * math.sin(rad) ** 2
    sq = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((a * (1 - ee)) / (magic * sq) * math.pi)
    dlon = (dlon * 180.0) / (a / sq * math.cos(rad) * math.pi)
    return round(lat + dlat, 6), round(lon + dlon, 6)
