"""Walk every URL rule of the app as an outsider and prove nothing leaks or changes.

Two outsiders: the admin of another tenant, and the operator of a sibling street. Every rule
is requested with the ids of objects that live under 湖里街道 / 金湖社区 of the first tenant (and
with ?unit= pointing there), by GET and by POST. Object pages must answer 403 or 404, pages
without an object id must not show the other unit's data, and no POST may change any row.
"""
from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select
from werkzeug.routing import AnyConverter

from duban.extensions import db
from duban.lists.models import Problem, Rectification, Result
from duban.reports.models import ReportJob
from duban.tasks.models import Task

from . import factories

MARKER_UNIT = "金湖社区"            # a village under 湖里街道
MARKER_TEXT = "泄露检查标记问题"      # a problem description only 金湖社区's people may read
PUBLIC = {"static", "auth.login", "auth.logout",
          # The residents' survey pages answer anyone with the link (tests/surveys/test_public.py).
          "survey_public.form", "survey_public.submit", "survey_public.thanks"}
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7V\xbd\xfa\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def world(district):
    from duban.evidence.services import attach_bytes

    u, users = district["units"], district["users"]
    campaign = factories.launch(u["湖里区民政局"], users["admin"])
    task = db.session.scalar(select(Task).where(Task.org_unit_id == u[MARKER_UNIT].id))
    street_task = db.session.scalar(select(Task).where(Task.org_unit_id == u["湖里街道"].id))
    att = attach_bytes(db.session, users["village"], org_unit=u[MARKER_UNIT], filename="照片.png", data=PNG,
                       task_id=task.id)
    problem = Problem(campaign_id=campaign.id, org_unit_id=u[MARKER_UNIT].id, unit_path=u[MARKER_UNIT].path,
                      source="self_check", description=MARKER_TEXT, found_on=task.due_on, extra={},
                      created_by_id=users["village"].id)
    db.session.add(problem)
    db.session.flush()
    rect = Rectification(campaign_id=campaign.id, org_unit_id=u[MARKER_UNIT].id, unit_path=u[MARKER_UNIT].path,
                         problem_id=problem.id, measure="整改措施", responsible_person="张三", due_on=task.due_on,
                         extra={}, created_by_id=users["village"].id)
    result = Result(campaign_id=campaign.id, org_unit_id=u[MARKER_UNIT].id, unit_path=u[MARKER_UNIT].path,
                    description="成果", achieved_on=task.due_on, extra={}, created_by_id=users["village"].id)
    job = ReportJob(campaign_id=campaign.id, org_unit_id=u["湖里街道"].id, requested_by_id=users["township"].id,
                    status="done")
    db.session.add_all([rect, result, job])
    db.session.commit()
    # An open residents' survey with a free-text answer from the marker community.
    from duban.surveys import public as survey_public, services as surveys

    survey = surveys.create_survey(db.session, users["admin"], campaign)
    survey.opens_on, survey.closes_on = date(2022, 7, 1), date(2022, 7, 31)
    surveys.open_survey(db.session, users["admin"], survey)
    link = surveys.links_under(db.session, survey, u[MARKER_UNIT])[0]
    survey_public.submit(db.session, link, "world-browser", {"overall": "满意", "staff_attitude": "5",
                                                             "policy_awareness": "了解", "home_visit": "走访过",
                                                             "suggestions": MARKER_TEXT})
    db.session.commit()
    ids = {
        "campaign_id": campaign.id, "task_id": task.id, "attachment_id": att.id, "problem_id": problem.id,
        "rect_id": rect.id, "rectification_id": rect.id, "result_id": result.id, "job_id": job.id,
        "unit_id": u[MARKER_UNIT].id, "user_id": users["village"].id,
    }
    from .screening.helpers import screening_objects  # household screening and ledgers

    ids.update(screening_objects(district, campaign))
    from .supervision_world import supervision_objects  # escalations, clues, circulars, spot checks, notifications

    ids.update(supervision_objects(district, campaign))
    from .plandraft.world import plandraft_objects  # a tenant template saved from a plan

    ids.update(plandraft_objects(district))
    entry_ids = {"problems": problem.id, "rectifications": rect.id, "results": result.id}

    other = factories.make_tree({"思明区民政局": {"中华街道": ["光彩社区"]}})
    outsider = factories.make_user(other["思明区民政局"], "bureau_admin", "outsider")
    db.session.commit()
    return {"ids": ids, "entry_ids": entry_ids, "street_task": street_task.id, "district": district,
            "outsider": outsider, "units": u}


def _urls(app, world, task_id=None):
    """Yield (rule, url) for every rule with its parameters filled from world."""
    ids = dict(world["ids"])
    if task_id:
        ids["task_id"] = task_id
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        variants = [{}]
        for arg in rule.arguments:
            conv = rule._converters[arg]
            if isinstance(conv, AnyConverter):
                variants = [dict(v, **{arg: item}) for v in variants for item in conv.items]
            elif arg == "entry_id":
                continue
            else:
                assert arg in ids, f"{rule.rule}: add an object for <{arg}> to this test"
                variants = [dict(v, **{arg: ids[arg]}) for v in variants]
        for values in variants:
            if "entry_id" in rule.arguments:
                kind = next(v for v in values.values() if v in world["entry_ids"])
                values["entry_id"] = world["entry_ids"][kind]
            url = rule.build(values, append_unknown=False)[1]
            yield rule, url


def _row_counts():
    return {t.name: db.session.execute(select(func.count()).select_from(t)).scalar() for t in db.metadata.sorted_tables}


# Pages about the campaign as a whole (not about a unit): a member of the campaign may read them.
CAMPAIGN_WIDE = {"campaigns.show_definition"}


def _walk(client, app, world, campaign_member: bool):
    unit = world["units"]["湖里街道"].id
    before = _row_counts()
    checked = 0
    for rule, url in _urls(app, world):
        has_object = bool(rule.arguments) and not (campaign_member and rule.endpoint in CAMPAIGN_WIDE)
        for method in sorted(rule.methods & {"GET", "POST"}):
            target = f"{url}?unit={unit}"
            if method == "GET":
                r = client.get(target)
            else:
                data = {"unit": unit, "unit_id": unit, "org_unit_id": unit, "root_unit_id": unit,
                        "decision": "approve", "comment": "x", "description": "x",
                        "file": (io.BytesIO(PNG), "x.png")}
                r = client.post_form(target, data, content_type="multipart/form-data")
            body = r.get_data(as_text=True)
            r.close()
            checked += 1
            if has_object:
                assert r.status_code in (403, 404), f"{method} {target} answered {r.status_code}"
            else:
                assert r.status_code in (200, 302, 400, 403, 404), f"{method} {target} answered {r.status_code}"
            assert MARKER_TEXT not in body and MARKER_UNIT not in body, f"{method} {target} leaks"
    db.session.expire_all()
    assert _row_counts() == before, "an outsider's request changed data"
    return checked


def test_another_tenant_sees_nothing(app, world, login_as):
    client = login_as(world["outsider"])
    checked = _walk(client, app, world, campaign_member=False)
    assert checked > 20


def test_a_sibling_street_sees_nothing_of_its_neighbour(app, world, login_as):
    client = login_as(world["district"]["users"]["sibling"])
    # The sibling takes part in the same campaign, so campaign-wide pages may answer — but only
    # with its own subtree, never with ?unit= pointing at the neighbour.
    checked = _walk(client, app, world, campaign_member=True)
    assert checked > 20


def test_the_owner_can_reach_the_same_pages(app, world, login_as):
    """The walk would be vacuous if the ids were wrong: the village worker reaches its own objects."""
    client = login_as(world["district"]["users"]["village"])
    ids = world["ids"]
    assert client.get(f"/tasks/{ids['task_id']}").status_code == 200
    download = client.get(f"/evidence/{ids['attachment_id']}")
    assert download.status_code == 200 and download.data == PNG
    download.close()
    page = client.get(f"/campaigns/{ids['campaign_id']}/lists?unit={world['units'][MARKER_UNIT].id}")
    assert MARKER_TEXT in page.get_data(as_text=True)
