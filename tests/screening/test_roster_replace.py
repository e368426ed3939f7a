"""A roster imported as the whole list tells who has left; department data only adds."""
import io

import pytest
from sqlalchemy import select

from duban.errors import ValidationError
from duban.extensions import db
from duban.screening import importer, matching
from duban.screening.models import ImportBatch, SourceRecord, Subject

from .. import factories
from .helpers import HEADERS, import_file, load, pid, xlsx

JH, HB = ("湖里街道", "金湖社区"), ("湖里街道", "湖边社区")
ROSTER = [["低保甲", pid(1), "低保", pid(1), "", *JH], ["低保乙", pid(2), "低保", pid(2), "", *HB],
          ["特困丙", pid(3), "特困", pid(3), "", *JH]]


def _state():
    return {r.id_number: r.retired_batch_id is not None for r in db.session.scalars(
        select(SourceRecord).where(SourceRecord.kind == "recipients"))}


def test_a_whole_roster_marks_who_left_and_brings_them_back(district, login_as):
    admin = login_as(district["users"]["admin"])
    bureau = district["units"]["湖里区民政局"]
    page, _ = import_file(admin, bureau.id, "recipients", xlsx(HEADERS["recipients"], ROSTER))
    assert _state() == {pid(1): False, pid(2): False, pid(3): False}
    # Next month's roster: 低保乙 is gone. The form offers 整表替换 for a roster, ticked.
    page, _ = import_file(admin, bureau.id, "recipients", xlsx(HEADERS["recipients"], [ROSTER[0], ROSTER[2]]),
                          "九月花名册.xlsx")
    html = page.get_data(as_text=True)
    assert "已退出" in html
    batch = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    assert (batch.replace, batch.retired, batch.unchanged, batch.added) == (True, 1, 2, 0)
    assert _state() == {pid(1): False, pid(2): True, pid(3): False}  # kept, marked
    data = admin.get(f"/screening/data?unit={bureau.id}").get_data(as_text=True)
    assert "另有1条已退出" in data
    # The first file again (it is no longer the last one imported): 低保乙 is back.
    import_file(admin, bureau.id, "recipients", xlsx(HEADERS["recipients"], ROSTER))
    batch = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    assert (batch.updated, batch.unchanged, batch.retired) == (1, 2, 0)
    assert _state() == {pid(1): False, pid(2): False, pid(3): False}


def test_a_partial_roster_retires_nobody_and_only_the_subtree_is_replaced(district, login_as):
    users, u = district["users"], district["units"]
    admin, bureau = users["admin"], u["湖里区民政局"]
    load(admin, bureau, "recipients", ROSTER)
    # Unticked: a supplementary list adds and updates, nobody leaves.
    load(admin, bureau, "recipients", [["新增丁", pid(4), "低保", pid(4), "", *JH]])
    assert _state() == {pid(1): False, pid(2): False, pid(3): False, pid(4): False}
    # A whole list imported for 湖里街道 only leaves the rest of the district alone.
    street = u["湖里街道"]
    batch, _ = importer.upload(db.session, admin, street, "recipients", "湖里街道.xlsx",
                               io.BytesIO(xlsx(HEADERS["recipients"], [ROSTER[0], ROSTER[1]])))
    importer.run(db.session, admin, batch, importer.suggested(db.session, batch), replace=True)
    db.session.commit()
    assert batch.retired == 2  # 特困丙 and 新增丁 of 金湖社区; 低保乙 (湖边社区) is in the file
    assert _state() == {pid(1): False, pid(2): False, pid(3): True, pid(4): True}


def test_only_a_roster_can_replace(district):
    users, u = district["users"], district["units"]
    batch, _ = importer.upload(db.session, users["admin"], u["湖里区民政局"], "death", "死亡.xlsx",
                               io.BytesIO(xlsx(HEADERS["death"], [["甲", pid(1), "2022-01-02", *JH]])))
    with pytest.raises(ValidationError, match="不是完整名单"):
        importer.run(db.session, users["admin"], batch, importer.suggested(db.session, batch), replace=True)


def test_people_who_left_the_roster_are_not_matched(district):
    users, u = district["users"], district["units"]
    admin, bureau = users["admin"], u["湖里区民政局"]
    campaign = factories.launch(bureau, admin)
    load(admin, bureau, "recipients", ROSTER)
    load(admin, bureau, "medical", [["低保甲", pid(1), 2021, 20000, 12000, *JH],
                                    ["低保乙", pid(2), 2021, 20000, 12000, *HB]])
    matching.run_rules(db.session, admin, campaign)
    db.session.commit()
    listed = {s.id_number for s in db.session.scalars(select(Subject).where(Subject.status == "listed"))}
    assert {pid(1), pid(2)} <= listed
    # 低保乙 left 低保: with 12,000 yuan self-paid they are now an ordinary resident (< 42,000), not a 低保 case.
    load(admin, bureau, "recipients", [ROSTER[0], ROSTER[2]], replace=True)
    result = matching.run_rules(db.session, admin, campaign)
    db.session.commit()
    listed = {s.id_number for s in db.session.scalars(select(Subject).where(Subject.status == "listed"))}
    assert pid(1) in listed and pid(2) not in listed and result["withdrawn"] == 1
