"""The three lists: recording, validation, problem status, roll-up, and who may see or write what."""
from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from flask import g
from sqlalchemy import func, select

from duban.errors import ValidationError
from duban.evidence.models import Attachment
from duban.extensions import db
from duban.lists import services
from duban.lists.models import Problem, Rectification, Result
from duban.lists.rollup import rollup
from duban.tenancy.scoping import set_tenant

from . import factories

PROBLEM = {"source": "self_check", "category": "主动摸排不到位", "description": "张某家庭未纳入低保",
           "person_involved": "张某", "found_on": "2022-06-20"}
RECT = {"measure": "入户核查后纳入低保", "responsible_person": "李主任", "due_on": "2022-07-15", "status": "planned"}
RESULT = {"description": "新纳入低保1户3人", "outcome": "新纳入低保", "people": "3", "achieved_on": "2022-06-30"}


@pytest.fixture
def login_as(login_as):
    """Clients that never inherit another client's user.

    The test's app context is shared by every request, and Flask-Login caches the user in ``g``;
    drop the cached user and CSRF token before each request so each client is known by its own session cookie.
    """
    def forget():
        g.pop("_login_user", None)
        g.pop("csrf_token", None)

    def make(user):
        forget()
        client = login_as(user)
        plain_open = client.open

        def open_(*args, **kwargs):
            forget()
            return plain_open(*args, **kwargs)

        client.open = open_
        return client
    return make


@pytest.fixture
def campaign(district):
    return factories.launch(district["units"]["湖里区民政局"], district["users"]["admin"])


def _counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Problem, Rectification, Result))


def _problem(district, campaign, unit="金湖社区", user="village", **data):
    return services.record_problem(db.session, district["users"][user], campaign, district["units"][unit],
                                   {**PROBLEM, **data})


def _png() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = zlib.compress(b"\x00\xff\x00\x00")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


# --- Recording, as a village worker, through the pages ----------------------------------------

def test_village_worker_records_each_list(district, campaign, login_as):
    units = district["units"]
    village = units["金湖社区"]
    cl = login_as(district["users"]["village"])
    base = f"/campaigns/{campaign.id}/lists"

    r = cl.post_form(f"{base}/problems", {**PROBLEM, "unit_id": village.id})
    assert r.status_code == 302, r.get_data(as_text=True)
    problem = db.session.scalars(select(Problem)).one()
    assert (problem.org_unit_id, problem.source, problem.status) == (village.id, "self_check", "open")
    assert problem.unit_path == village.path and problem.found_on.isoformat() == "2022-06-20"
    assert problem.extra == {"category": "主动摸排不到位", "person_involved": "张某"}

    r = cl.post_form(f"{base}/problems/{problem.id}/rectifications", RECT)
    assert r.status_code == 302, r.get_data(as_text=True)
    rect = db.session.scalars(select(Rectification)).one()
    assert (rect.problem_id, rect.status, rect.responsible_person) == (problem.id, "planned", "李主任")
    db.session.expire_all()
    assert db.session.get(Problem, problem.id).status == "rectifying"

    r = cl.post_form(f"{base}/results", {**RESULT, "unit_id": village.id, "problem_id": problem.id})
    assert r.status_code == 302, r.get_data(as_text=True)
    result = db.session.scalars(select(Result)).one()
    assert (result.people, result.problem_id, result.extra) == (3, problem.id, {"outcome": "新纳入低保"})

    # The problem list shows the plugin's columns in the plugin's order, labels from lists.yaml.
    page = cl.get(f"{base}?unit={village.id}&kind=problem").get_data(as_text=True)
    head = page[page.index('<table class="entries">'):]
    positions = [head.index(label) for label in ("问题来源", "问题类别", "问题描述", "涉及对象", "发现日期")]
    assert positions == sorted(positions)
    assert "张某家庭未纳入低保" in page and "整改中" in page
    page = cl.get(f"{base}?unit={village.id}&kind=rectification").get_data(as_text=True)
    assert "入户核查后纳入低保" in page and "整改时限" in page
    page = cl.get(f"{base}?unit={village.id}&kind=result").get_data(as_text=True)
    assert "新纳入低保1户3人" in page and "成果类型" in page and "惠及人数" in page
    assert cl.get(f"{base}/problems/{problem.id}").status_code == 200
    assert cl.get(f"{base}/results/{result.id}").status_code == 200


def test_evidence_on_entries(district, campaign, login_as, app):
    problem = _problem(district, campaign)
    rect = services.add_rectification(db.session, district["users"]["village"], problem, RECT)
    db.session.commit()
    cl = login_as(district["users"]["village"])
    base = f"/campaigns/{campaign.id}/lists"
    r = cl.post_form(f"{base}/problems/{problem.id}/evidence",
                     {"file": (io.BytesIO(_png()), "现场照片.png")}, content_type="multipart/form-data")
    assert r.status_code == 302
    r = cl.post_form(f"{base}/rectifications/{rect.id}/evidence",
                     {"file": (io.BytesIO(_png()), "整改台账.png")}, content_type="multipart/form-data")
    assert r.status_code == 302
    atts = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [(a.problem_id, a.rectification_id, a.filename) for a in atts] == [
        (problem.id, None, "现场照片.png"), (None, rect.id, "整改台账.png")]
    page = cl.get(f"{base}/problems/{problem.id}").get_data(as_text=True)
    assert "现场照片.png" in page and "整改台账.png" in page
    assert f'href="/evidence/{atts[0].id}"' in page and f'href="/evidence/{atts[1].id}"' in page
    download = cl.get(f"/evidence/{atts[0].id}")
    assert download.data == _png()
    download.close()

    r = cl.post_form(f"{base}/problems/{problem.id}/evidence",
                     {"file": (io.BytesIO(b"plain text, not evidence"), "a.txt")}, content_type="multipart/form-data")
    assert r.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 2
    assert "不支持该文件类型" in cl.get(f"{base}/problems/{problem.id}").get_data(as_text=True)

    # Evidence is hidden, never erased: the delete button comes back to the entry's page.
    r = cl.post_form(f"/evidence/{atts[0].id}/delete", {"next": f"{base}/problems/{problem.id}"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"{base}/problems/{problem.id}")
    db.session.expire_all()
    assert db.session.get(Attachment, atts[0].id).deleted
    assert f'href="/evidence/{atts[0].id}"' not in cl.get(f"{base}/problems/{problem.id}").get_data(as_text=True)


# --- Bad input: Chinese messages, nothing written ---------------------------------------------

@pytest.mark.parametrize("bad, field, message", [
    ({"description": ""}, "description", "请填写“问题描述”"),
    ({"category": "随便写的"}, "category", "“问题类别”请从列表中选择"),
    ({"source": "rumour"}, "source", "“问题来源”请从列表中选择"),
    ({"found_on": "2022-13-40"}, "found_on", "“发现日期”的日期格式应为 年-月-日"),
    ({"found_on": "2022-07-02"}, "found_on", "“发现日期”不能晚于今天"),
])
def test_problem_validation(district, campaign, login_as, bad, field, message):
    cl = login_as(district["users"]["village"])
    data = {**PROBLEM, **bad, "unit_id": district["units"]["金湖社区"].id}
    r = cl.post_form(f"/campaigns/{campaign.id}/lists/problems", data)
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert message in html
    assert "张某" in html  # the user's input is kept
    assert _counts() == (0, 0, 0)
    with pytest.raises(ValidationError) as e:
        _problem(district, campaign, **bad)
    assert e.value.fields[field] == message
    db.session.rollback()
    assert _counts() == (0, 0, 0)


def test_problem_source_label_is_accepted(district, campaign):
    assert _problem(district, campaign, source="信访").source == "petition"


@pytest.mark.parametrize("bad, field, message", [
    ({"measure": ""}, "measure", "请填写“整改措施”"),
    ({"responsible_person": ""}, "responsible_person", "请填写“责任人”"),
    ({"due_on": "下周"}, "due_on", "“整改时限”的日期格式应为 年-月-日"),
    ({"due_on": "2022-06-01"}, "due_on", "“整改时限”不能早于问题发现日期（2022-06-20）"),
    ({"status": "done"}, "completed_on", "整改已完成时请填写“完成日期”"),
    ({"status": "finished"}, "status", "“整改状态”请从列表中选择"),
    ({"completed_on": "2022-06-25"}, "completed_on", "整改未完成时不应填写“完成日期”"),
])
def test_rectification_validation(district, campaign, login_as, bad, field, message):
    problem = _problem(district, campaign)
    db.session.commit()
    cl = login_as(district["users"]["village"])
    r = cl.post_form(f"/campaigns/{campaign.id}/lists/problems/{problem.id}/rectifications", {**RECT, **bad})
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    assert _counts() == (1, 0, 0)
    with pytest.raises(ValidationError) as e:
        services.add_rectification(db.session, district["users"]["village"], problem, {**RECT, **bad})
    assert e.value.fields[field] == message
    db.session.rollback()
    assert _counts() == (1, 0, 0)
    assert db.session.get(Problem, problem.id).status == "open"


@pytest.mark.parametrize("bad, field, message", [
    ({"description": ""}, "description", "请填写“整治成果”"),
    ({"outcome": ""}, "outcome", "请填写“成果类型”"),
    ({"outcome": "发了红包"}, "outcome", "“成果类型”请从列表中选择"),
    ({"people": "三"}, "people", "“惠及人数”应填写整数"),
    ({"people": "-1"}, "people", "“惠及人数”不能小于0"),
    ({"achieved_on": ""}, "achieved_on", "请填写“取得日期”"),
])
def test_result_validation(district, campaign, login_as, bad, field, message):
    cl = login_as(district["users"]["village"])
    r = cl.post_form(f"/campaigns/{campaign.id}/lists/results",
                     {**RESULT, **bad, "unit_id": district["units"]["金湖社区"].id})
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    assert _counts() == (0, 0, 0)


def test_result_cannot_point_at_another_units_problem(district, campaign, login_as):
    other = _problem(district, campaign, unit="湖边社区", user="township", source="spot_check")
    db.session.commit()
    cl = login_as(district["users"]["village"])
    r = cl.post_form(f"/campaigns/{campaign.id}/lists/results",
                     {**RESULT, "unit_id": district["units"]["金湖社区"].id, "problem_id": other.id})
    assert r.status_code == 400
    assert "所选问题不属于本单位" in r.get_data(as_text=True)
    r = cl.post_form(f"/campaigns/{campaign.id}/lists/results",
                     {**RESULT, "unit_id": district["units"]["金湖社区"].id, "problem_id": "99999"})
    assert r.status_code == 400 and "所选问题不存在" in r.get_data(as_text=True)
    assert _counts() == (1, 0, 0)


# --- Problem status follows its rectifications -------------------------------------------------

def test_problem_status_follows_rectifications(district, campaign, login_as):
    user = district["users"]["village"]
    problem = _problem(district, campaign)
    assert problem.status == "open"
    a = services.add_rectification(db.session, user, problem, RECT)
    b = services.add_rectification(db.session, user, problem, {**RECT, "measure": "发放临时救助"})
    assert problem.status == "rectifying"
    services.update_rectification_status(db.session, user, a, "done", "2022-06-28")
    assert problem.status == "rectifying"
    services.update_rectification_status(db.session, user, b, "in_progress")
    assert problem.status == "rectifying"
    db.session.commit()

    cl = login_as(user)
    url = f"/campaigns/{campaign.id}/lists/rectifications/{b.id}/status"
    r = cl.post_form(url, {"status": "done"})
    assert r.status_code == 400 and "整改已完成时请填写“完成日期”" in r.get_data(as_text=True)
    db.session.expire_all()
    assert (db.session.get(Rectification, b.id).status, db.session.get(Problem, problem.id).status) == (
        "in_progress", "rectifying")
    r = cl.post_form(url, {"status": "done", "completed_on": "2022-06-30"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Problem, problem.id).status == "closed"
    assert db.session.get(Rectification, b.id).completed_on.isoformat() == "2022-06-30"

    # A new open rectification reopens it; reverting a done one clears its completion date.
    c = services.add_rectification(db.session, user, db.session.get(Problem, problem.id), RECT)
    assert c.problem.status == "rectifying"
    services.update_rectification_status(db.session, user, c, "done", "2022-07-01")
    assert c.problem.status == "closed"
    db.session.commit()
    r = cl.post_form(f"/campaigns/{campaign.id}/lists/rectifications/{a.id}/status",
                     {"status": "in_progress", "completed_on": "2022-06-28"})
    assert r.status_code == 302
    db.session.expire_all()
    a = db.session.get(Rectification, a.id)
    assert (a.status, a.completed_on, a.problem.status) == ("in_progress", None, "rectifying")


def test_rectification_done_on_creation_closes_problem(district, campaign):
    problem = _problem(district, campaign)
    services.add_rectification(db.session, district["users"]["village"], problem,
                               {**RECT, "status": "done", "completed_on": "2022-06-21"})
    assert problem.status == "closed"


# --- Roll-up: village → street → district ------------------------------------------------------

def test_rollup_sums_villages_streets_district(district, campaign, login_as):
    units, users = district["units"], district["users"]
    hubian = factories.make_user(units["湖边社区"], "village_worker", "hb_worker")
    gaodian = factories.make_user(units["高殿社区"], "village_worker", "gd_worker")
    db.session.commit()

    def add(user, unit, closed, open_, results, people):
        for i in range(closed + open_):
            p = services.record_problem(db.session, user, campaign, unit, PROBLEM)
            rect = services.add_rectification(db.session, user, p, RECT)
            if i < closed:
                services.update_rectification_status(db.session, user, rect, "done", "2022-06-30")
        for _ in range(results):
            services.record_result(db.session, user, campaign, unit, {**RESULT, "people": str(people)})

    add(users["village"], units["金湖社区"], closed=2, open_=1, results=2, people=3)   # 3 problems, 6 people
    add(hubian, units["湖边社区"], closed=0, open_=2, results=1, people=4)             # 2 problems, 4 people
    add(gaodian, units["高殿社区"], closed=1, open_=0, results=1, people=1)            # 1 problem, 1 person
    add(users["township"], units["湖里街道"], closed=1, open_=0, results=0, people=0)  # street's own
    db.session.commit()

    street_total, street_rows = rollup(db.session, campaign, units["湖里街道"])
    by_name = {r.unit.name: r.tally for r in street_rows}
    assert [r.unit.name for r in street_rows] == ["湖里街道", "金湖社区", "湖边社区"]
    assert street_rows[0].own
    assert (by_name["金湖社区"].problems, by_name["金湖社区"].problems_closed, by_name["金湖社区"].problems_open) == (3, 2, 1)
    assert (by_name["金湖社区"].results, by_name["金湖社区"].people) == (2, 6)
    assert (by_name["湖边社区"].problems_open, by_name["湖边社区"].rectifications_done) == (2, 0)
    assert (street_total.problems, street_total.problems_closed, street_total.rectifications,
            street_total.rectifications_done, street_total.results, street_total.people) == (6, 3, 6, 3, 3, 10)

    total, rows = rollup(db.session, campaign, units["湖里区民政局"])
    assert [r.unit.name for r in rows] == ["湖里街道", "殿前街道"]
    assert rows[0].tally == street_total
    assert (rows[1].tally.problems, rows[1].tally.problems_closed, rows[1].tally.people) == (1, 1, 1)
    assert (total.problems, total.problems_open, total.problems_closed, total.results, total.people) == (7, 3, 4, 4, 11)

    village_total, village_rows = rollup(db.session, campaign, units["金湖社区"])
    assert (village_total.problems, [r.own for r in village_rows]) == (3, [True])

    # The bureau's page shows the streets with their sums, each a link down to the street.
    page = login_as(users["admin"]).get(f"/campaigns/{campaign.id}/lists").get_data(as_text=True)
    table = page[page.index('<table class="rollup">'):page.index("</table>")]
    assert f'unit={units["湖里街道"].id}' in table and f'unit={units["殿前街道"].id}' in table
    cells = re.findall(r'<td class="num">([^<]*)</td>', table)
    assert cells == ["6", "3", "3", "3 / 6", "3", "10", "1", "0", "1", "1 / 1", "1", "1"]
    page = login_as(users["township"]).get(f"/campaigns/{campaign.id}/lists").get_data(as_text=True)
    assert "金湖社区" in page and "湖边社区" in page and "殿前街道" not in page


def test_rollup_is_per_campaign(district, campaign):
    other = factories.launch(district["units"]["湖里区民政局"], district["users"]["admin"])
    _problem(district, other)
    db.session.commit()
    total, _ = rollup(db.session, campaign, district["units"]["湖里区民政局"])
    assert total.problems == 0


# --- Who may see and write --------------------------------------------------------------------

def test_sibling_street_gets_404(district, campaign, login_as):
    units = district["units"]
    problem = _problem(district, campaign)
    rect = services.add_rectification(db.session, district["users"]["village"], problem, RECT)
    result = services.record_result(db.session, district["users"]["village"], campaign, units["金湖社区"], RESULT)
    db.session.commit()
    cl = login_as(district["users"]["sibling"])
    base = f"/campaigns/{campaign.id}/lists"
    for url in (f"{base}?unit={units['金湖社区'].id}", f"{base}?unit={units['湖里街道'].id}&kind=result",
                f"{base}/problems/{problem.id}", f"{base}/results/{result.id}"):
        assert cl.get(url).status_code == 404, url
    posts = [(f"{base}/problems", {**PROBLEM, "source": "spot_check", "unit_id": units["金湖社区"].id}),
             (f"{base}/results", {**RESULT, "unit_id": units["湖里街道"].id}),
             (f"{base}/problems/{problem.id}/rectifications", RECT),
             (f"{base}/rectifications/{rect.id}/status", {"status": "done", "completed_on": "2022-06-30"}),
             (f"{base}/problems/{problem.id}/evidence", {})]
    for url, data in posts:
        assert cl.post_form(url, data).status_code == 404, url
    assert _counts() == (1, 1, 1)
    db.session.expire_all()
    assert db.session.get(Rectification, rect.id).status == "planned"
    # Their own street's page lists nothing of 湖里.
    page = cl.get(base).get_data(as_text=True)
    assert "张某家庭未纳入低保" not in page and "金湖社区" not in page


def test_village_does_not_see_neighbouring_village(district, campaign, login_as):
    units = district["units"]
    other = _problem(district, campaign, unit="湖边社区", user="township", source="spot_check")
    db.session.commit()
    cl = login_as(district["users"]["village"])
    assert cl.get(f"/campaigns/{campaign.id}/lists?unit={units['湖边社区'].id}").status_code == 404
    assert cl.get(f"/campaigns/{campaign.id}/lists/problems/{other.id}").status_code == 404
    assert cl.get(f"/campaigns/{campaign.id}/lists?unit={units['湖里街道'].id}").status_code == 404


def test_inspector_views_but_cannot_edit(district, campaign, login_as):
    units = district["units"]
    problem = _problem(district, campaign)
    rect = services.add_rectification(db.session, district["users"]["village"], problem, RECT)
    db.session.commit()
    cl = login_as(district["users"]["inspector"])
    base = f"/campaigns/{campaign.id}/lists"
    page = cl.get(f"{base}?unit={units['金湖社区'].id}")
    assert page.status_code == 200 and "张某家庭未纳入低保" in page.get_data(as_text=True)
    assert "登记问题" not in page.get_data(as_text=True)
    assert cl.get(f"{base}/problems/{problem.id}").status_code == 200
    posts = [(f"{base}/problems", {**PROBLEM, "source": "inspection", "unit_id": units["金湖社区"].id}),
             (f"{base}/results", {**RESULT, "unit_id": units["湖里区民政局"].id}),
             (f"{base}/problems/{problem.id}/rectifications", RECT),
             (f"{base}/rectifications/{rect.id}/status", {"status": "done", "completed_on": "2022-06-30"}),
             (f"{base}/problems/{problem.id}/evidence", {"file": (io.BytesIO(_png()), "a.png")})]
    for url, data in posts:
        assert cl.post_form(url, data, content_type="multipart/form-data").status_code == 403, url
    assert _counts() == (1, 1, 0)
    assert db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_superior_records_spot_check_problem_below(district, campaign, login_as):
    units = district["units"]
    cl = login_as(district["users"]["township"])
    base = f"/campaigns/{campaign.id}/lists"
    page = cl.get(f"{base}?unit={units['金湖社区'].id}").get_data(as_text=True)
    assert "上级抽查、督导检查发现的问题" in page and 'value="self_check"' not in page
    r = cl.post_form(f"{base}/problems", {**PROBLEM, "unit_id": units["金湖社区"].id})
    assert r.status_code == 400
    assert "问题来源应为“抽查”或“督导检查”" in r.get_data(as_text=True)
    assert _counts() == (0, 0, 0)
    r = cl.post_form(f"{base}/problems", {**PROBLEM, "source": "spot_check", "unit_id": units["金湖社区"].id})
    assert r.status_code == 302
    problem = db.session.scalars(select(Problem)).one()
    assert (problem.org_unit_id, problem.created_by_id) == (units["金湖社区"].id, district["users"]["township"].id)
    # The village rectifies it; the street may not add its rectifications or record the village's results.
    assert cl.post_form(f"{base}/problems/{problem.id}/rectifications", RECT).status_code == 403
    assert cl.post_form(f"{base}/results", {**RESULT, "unit_id": units["金湖社区"].id}).status_code == 403
    # The street attaches evidence to the problem it found.
    r = cl.post_form(f"{base}/problems/{problem.id}/evidence", {"file": (io.BytesIO(_png()), "抽查记录.png")},
                     content_type="multipart/form-data")
    assert r.status_code == 302
    assert db.session.scalars(select(Attachment)).one().problem_id == problem.id
    village = login_as(district["users"]["village"])
    assert village.post_form(f"{base}/problems/{problem.id}/rectifications", RECT).status_code == 302
    # The street records on itself with any source.
    r = cl.post_form(f"{base}/problems", {**PROBLEM, "unit_id": units["湖里街道"].id})
    assert r.status_code == 302
    assert _counts() == (2, 1, 0)


def test_unpublished_campaign_is_404(district, login_as):
    units, users = district["units"], district["users"]
    draft = factories.launch(units["湖里区民政局"], users["admin"], publish=False)
    for who in ("admin", "village"):
        cl = login_as(users[who])
        assert cl.get(f"/campaigns/{draft.id}/lists").status_code == 404
        r = cl.post_form(f"/campaigns/{draft.id}/lists/problems", {**PROBLEM, "unit_id": units["金湖社区"].id})
        assert r.status_code == 404
    with pytest.raises(ValidationError):
        _problem(district, draft)
    db.session.rollback()
    assert _counts() == (0, 0, 0)


def test_other_tenants_campaign_and_entries_are_404(district, campaign, login_as):
    problem = _problem(district, campaign)
    result = services.record_result(db.session, district["users"]["village"], campaign,
                                    district["units"]["金湖社区"], RESULT)
    db.session.commit()
    set_tenant(db.session, None)
    other = factories.make_tree({"思明区民政局": {"鹭江街道": ["营平社区"]}})
    set_tenant(db.session, other["思明区民政局"].tenant_id)
    stranger = factories.make_user(other["思明区民政局"], "bureau_admin", "sm_admin")
    db.session.commit()
    cl = login_as(stranger)
    base = f"/campaigns/{campaign.id}/lists"
    for url in (base, f"{base}?unit={district['units']['金湖社区'].id}", f"{base}/problems/{problem.id}",
                f"{base}/results/{result.id}"):
        assert cl.get(url).status_code == 404, url
    r = cl.post_form(f"{base}/problems", {**PROBLEM, "unit_id": other["营平社区"].id})
    assert r.status_code == 404
    # Their own campaign cannot reach this tenant's entries either.
    theirs = factories.launch(other["思明区民政局"], stranger)
    assert cl.get(f"/campaigns/{theirs.id}/lists/problems/{problem.id}").status_code == 404
    assert cl.get(f"/campaigns/{theirs.id}/lists?unit={district['units']['金湖社区'].id}").status_code == 404
    set_tenant(db.session, None)
    assert db.session.scalar(select(func.count()).select_from(Problem)) == 1


def test_entry_of_another_campaign_is_404(district, campaign, login_as):
    other = factories.launch(district["units"]["湖里区民政局"], district["users"]["admin"])
    problem = _problem(district, other)
    db.session.commit()
    cl = login_as(district["users"]["village"])
    assert cl.get(f"/campaigns/{campaign.id}/lists/problems/{problem.id}").status_code == 404
    assert cl.post_form(f"/campaigns/{campaign.id}/lists/problems/{problem.id}/rectifications",
                        RECT).status_code == 404
