"""Visits with photos: EXIF evidence, stripped copies, duplicate and date flags, evidence pack, privacy."""
import io
import zipfile

from PIL import Image
from sqlalchemy import select

from duban.audit.models import AuditEvent
from duban.extensions import db
from duban.screening import matching
from duban.screening.models import Subject, Visit, VisitPhoto
from duban.screening.photos import distance

from .. import factories
from .helpers import jpeg, load, pid

JH, HB = ("湖里街道", "金湖社区"), ("湖里街道", "湖边社区")


def _listed(district):
    u, users = district["units"], district["users"]
    campaign = factories.launch(u["湖里区民政局"], users["admin"])
    load(users["admin"], u["湖里区民政局"], "petition", [
        ["甲", pid(1), "2021-05-01", "申请低保", *JH], ["乙", pid(2), "2021-06-01", "申请低保", *JH],
        ["丙", pid(3), "2021-06-01", "申请低保", *HB]])
    matching.run_rules(db.session, users["admin"], campaign)
    db.session.commit()
    subjects = {s.id_number: s for s in db.session.scalars(select(Subject))}
    return campaign, subjects


def _visit(client, campaign, subject, photos=(), **form):
    data = {"visited_on": "2022-06-20", "visitor": "李秀英", "outcome": "monitored", "notes": "家中有病人",
            "check_petitions_answered": "yes", **form}
    if photos:
        data["photos"] = [(io.BytesIO(p), f"p{i}.jpg") for i, p in enumerate(photos)]
    return client.post_form(f"/campaigns/{campaign.id}/screening/subjects/{subject.id}/visits", data,
                            content_type="multipart/form-data")


def test_a_village_worker_records_a_visit_with_photos(district, login_as):
    campaign, subjects = _listed(district)
    worker = login_as(district["users"]["village"])
    r = _visit(worker, campaign, subjects[pid(1)], photos=[jpeg(1)], outcome="included", programme="低保",
               included_on="2022-06-25", temp_aid_amount="1500")
    assert r.status_code == 302, r.get_data(as_text=True)
    visit = db.session.scalar(select(Visit))
    assert (visit.outcome, visit.programme, str(visit.temp_aid_amount)) == ("included", "低保", "1500.00")
    assert visit.checks["petitions_answered"] == "yes"
    photo = db.session.scalar(select(VisitPhoto))
    assert photo.taken_at.isoformat() == "2022-08-05T10:30:00" and abs(photo.lat - 24.5) < 1e-4
    assert abs(photo.lon - 118.13) < 1e-4 and photo.flags == []
    subject = db.session.get(Subject, subjects[pid(1)].id)
    assert subject.last_outcome == "included"
    html = worker.get(r.headers["Location"]).get_data(as_text=True)
    assert "北纬24.50000°" in html and "拍摄：2022-08-05 10:30" in html
    # The copy shown to others carries no EXIF, GPS included; the original keeps it.
    shown = worker.get(f"/campaigns/{campaign.id}/screening/photos/{photo.id}")
    img = Image.open(io.BytesIO(shown.data))
    shown.close()
    assert not img.getexif() and "exif" not in img.info
    township = login_as(district["users"]["township"])
    assert township.get(f"/campaigns/{campaign.id}/screening/photos/{photo.id}/original").status_code == 403
    original = worker.get(f"/campaigns/{campaign.id}/screening/photos/{photo.id}/original")
    assert Image.open(io.BytesIO(original.data)).getexif().get_ifd(0x8825)
    original.close()
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.id_viewed")) is not None


def test_visit_validation(district, login_as):
    campaign, subjects = _listed(district)
    worker = login_as(district["users"]["village"])
    r = _visit(worker, campaign, subjects[pid(1)], visited_on="2022-07-02", outcome="included", temp_aid_amount="-5")
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "“走访日期”不能晚于今天" in html and "请选择纳入的保障类别" in html and "不能小于0" in html
    r = _visit(worker, campaign, subjects[pid(1)], photos=[b"not a photo at all"])
    assert r.status_code == 400 and "照片文件已损坏或不是图片" in r.get_data(as_text=True)
    assert db.session.scalar(select(Visit)) is None  # nothing half-written


def test_only_the_own_village_records(district, login_as):
    campaign, subjects = _listed(district)
    township = login_as(district["users"]["township"])
    assert _visit(township, campaign, subjects[pid(1)]).status_code == 403
    worker = login_as(district["users"]["village"])
    assert _visit(worker, campaign, subjects[pid(3)]).status_code == 404  # 湖边社区's person


def test_same_photo_for_two_households_and_photos_outside_the_campaign_are_flagged(district, login_as):
    campaign, subjects = _listed(district)
    worker = login_as(district["users"]["village"])
    _visit(worker, campaign, subjects[pid(1)], photos=[jpeg(7)])
    # The same picture, re-encoded smaller, for another household; and a photo from 2019.
    small = Image.open(io.BytesIO(jpeg(7)))
    small.thumbnail((320, 240))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=70)
    _visit(worker, campaign, subjects[pid(2)], photos=[out.getvalue(), jpeg(99, taken="2019:01:01 08:00:00")])
    photos = db.session.scalars(select(VisitPhoto).order_by(VisitPhoto.id)).all()
    assert distance(photos[0].dhash, photos[1].dhash) <= 6
    assert [f["kind"] for f in photos[0].flags] == ["duplicate"] and photos[0].flags[0]["subject"] == subjects[pid(2)].id
    assert [f["kind"] for f in photos[1].flags] == ["no_time", "duplicate"]  # re-saving dropped the EXIF
    assert [f["kind"] for f in photos[2].flags] == ["outside"]
    assert distance(photos[0].dhash, photos[2].dhash) > 6
    inspector = login_as(district["users"]["inspector"])
    html = inspector.get(f"/campaigns/{campaign.id}/screening/flags").get_data(as_text=True)
    assert html.count("疑似与其他户重复使用的照片") == 2 and "拍摄时间不在专项行动期间" in html


def test_evidence_pack_names_files_by_unit_household_and_date(district, login_as):
    campaign, subjects = _listed(district)
    worker = login_as(district["users"]["village"])
    _visit(worker, campaign, subjects[pid(1)], photos=[jpeg(1), jpeg(2)])
    _visit(worker, campaign, subjects[pid(2)], photos=[jpeg(3)], visited_on="2022-06-21")
    r = worker.get(f"/campaigns/{campaign.id}/screening/pack?unit={district['units']['金湖社区'].id}")
    assert r.status_code == 200
    z = zipfile.ZipFile(io.BytesIO(r.data))
    r.close()
    names = sorted(z.namelist())
    tail1, tail2 = pid(1)[-4:], pid(2)[-4:]
    assert names == sorted([f"金湖社区/甲_{tail1}/2022-06-20_01.jpg", f"金湖社区/甲_{tail1}/2022-06-20_02.jpg",
                            f"金湖社区/乙_{tail2}/2022-06-21_01.jpg", "金湖社区/照片清单.xlsx"])
    assert not Image.open(z.open(names[0])).getexif()
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "ledger.exported")).new["rows"] == 3


def test_full_numbers_only_on_request_and_audited(district, login_as):
    campaign, subjects = _listed(district)
    s = subjects[pid(1)]
    url = f"/campaigns/{campaign.id}/screening/subjects/{s.id}"
    worker = login_as(district["users"]["village"])
    html = worker.get(url).get_data(as_text=True)
    assert pid(1) not in html and "显示完整身份证号" in html
    html = worker.post_form(url + "/reveal").get_data(as_text=True)
    assert pid(1) in html
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "person.id_viewed"))
    assert event.actor_id == district["users"]["village"].id and event.object_id == s.id
    township = login_as(district["users"]["township"])
    assert "显示完整身份证号" not in township.get(url).get_data(as_text=True)
    assert township.post_form(url + "/reveal").status_code == 403


def test_a_village_adds_a_person_it_found(district, login_as):
    campaign, _ = _listed(district)
    worker = login_as(district["users"]["village"])
    unit = district["units"]["金湖社区"]
    bad = worker.post_form(f"/campaigns/{campaign.id}/screening/subjects",
                           {"unit_id": unit.id, "name": "新发现", "id_number": "123", "category": "other", "reason": ""})
    assert bad.status_code == 400 and "身份证号应为18位" in bad.get_data(as_text=True)
    r = worker.post_form(f"/campaigns/{campaign.id}/screening/subjects",
                         {"unit_id": unit.id, "name": "新发现", "id_number": pid(30), "category": "other",
                          "reason": "独居老人，子女在外地，收入低"})
    assert r.status_code == 302
    s = db.session.scalar(select(Subject).where(Subject.id_number == pid(30)))
    assert s.origin == "manual" and s.categories == ["other"] and s.org_unit_id == unit.id
