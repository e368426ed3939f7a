"""Warning lights (working days, per-campaign N, 序时进度), the league table, 催办, escalations
(约谈/通报/挂牌督办) and violation clues."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from duban.audit.models import AuditEvent
from duban.clock import TZ
from duban.campaigns.services import update_draft
from duban.extensions import db
from duban.notifications.models import Notification
from duban.reports.progress import (
    Tally, UnitRow, breakdown, expected_pct, league, task_light,
)
from duban.supervision.models import Clue, Escalation, EscalationLink, Urge
from duban.tasks.models import Task, TaskEvent

from . import factories

CN = datetime(2022, 6, 1, 10, 0, tzinfo=TZ)


@pytest.fixture
def campaign(district):
    return factories.launch(district["units"]["湖里区民政局"], district["users"]["admin"])


def _task(campaign, unit, key):
    return db.session.scalar(select(Task).join(Task.spec).where(
        Task.campaign_id == campaign.id, Task.org_unit_id == unit.id, Task.spec.has(template_key=key)))


def _today(app, monkeypatch, day: str):
    monkeypatch.setitem(app.config, "DUBAN_TODAY", day)


# --- lights -------------------------------------------------------------------------------------

def test_due_soon_counts_working_days_across_the_national_day_holiday():
    # 2022-09-30 is the Friday before 国庆; 10-01..10-07 are off and 10-08 (a Saturday) is a make-up workday.
    assert task_light("todo", date(2022, 10, 8), date(2022, 9, 30), 3) == "yellow"  # 1 working day left
    assert task_light("todo", date(2022, 10, 12), date(2022, 9, 30), 3) == "green"  # 10-08,09,10,11,12: 4
    # An ordinary week: Friday 07-01 → Wed 07-06 is 3 working days, Thu 07-07 is 4.
    assert task_light("in_progress", date(2022, 7, 6), date(2022, 7, 1), 3) == "yellow"
    assert task_light("in_progress", date(2022, 7, 7), date(2022, 7, 1), 3) == "green"
    assert task_light("todo", date(2022, 7, 2), date(2022, 7, 1), 0) == "yellow"  # the weekend right ahead
    assert task_light("returned", date(2022, 6, 30), date(2022, 7, 1), 3) == "red"
    assert task_light("submitted", date(2022, 6, 30), date(2022, 7, 1), 3) == "green"  # the reviewer's wait
    assert task_light("approved", date(2022, 6, 30), date(2022, 7, 1), 3) == "done"


def test_n_is_set_per_campaign_on_the_draft(district, app, monkeypatch):
    admin = district["users"]["admin"]
    draft = factories.launch(district["units"]["湖里区民政局"], admin, publish=False)
    assert draft.due_soon_days == 3 and draft.pace_margin == 20
    from duban.errors import ValidationError

    with pytest.raises(ValidationError) as bad:
        update_draft(db.session, admin, draft, {"title": draft.title, "due_soon_days": "九", "pace_margin": "0"})
    assert set(bad.value.fields) == {"due_soon_days", "pace_margin"}
    db.session.rollback()
    update_draft(db.session, admin, draft, {"title": draft.title, "due_soon_days": "5", "pace_margin": "30"})
    db.session.commit()
    assert (draft.due_soon_days, draft.pace_margin) == (5, 30)
    ev = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "campaign.draft_updated"))
    assert ev.old["due_soon_days"] == 3 and ev.new["due_soon_days"] == 5


def test_draft_page_edits_n(district, login_as):
    admin = district["users"]["admin"]
    draft = factories.launch(district["units"]["湖里区民政局"], admin, publish=False)
    c = login_as(admin)
    page = c.get(f"/campaigns/{draft.id}/draft").get_data(as_text=True)
    assert 'name="due_soon_days"' in page and "序时进度容差" in page
    r = c.post_form(f"/campaigns/{draft.id}/draft", {"title": draft.title, "due_soon_days": "31", "pace_margin": "20"})
    assert r.status_code == 400 and "临期提醒天数应为0至30之间的整数" in r.get_data(as_text=True)
    r = c.post_form(f"/campaigns/{draft.id}/draft", {"title": draft.title, "due_soon_days": "1", "pace_margin": "20"})
    assert r.status_code == 302
    db.session.expire_all()
    assert draft.due_soon_days == 1


def test_moving_the_clock_turns_tasks_yellow_then_red(app, campaign, district, monkeypatch, login_as):
    street = district["units"]["湖里街道"]
    report = _task(campaign, street, "progress_report_2")  # due 2022-07-19 (Tuesday)
    c = login_as(district["users"]["township"])
    lights = {}
    for day in ("2022-07-08", "2022-07-14", "2022-07-20"):
        _today(app, monkeypatch, day)
        page = c.get(f"/tasks/{report.id}").get_data(as_text=True)
        lights[day] = next(k for k in ("light-red", "light-yellow", "light-green") if k in page.split("</h1>")[0])
    assert lights == {"2022-07-08": "light-green", "2022-07-14": "light-yellow", "2022-07-20": "light-red"}


def test_pace_turns_a_lagging_unit_yellow_before_any_deadline(app, campaign, district, monkeypatch):
    units = district["units"]
    campaign.due_soon_days = 0  # only 序时进度 may colour the units now
    # 殿前街道 has done its 谋划部署 work; 湖里街道 has not started.
    for t in db.session.scalars(select(Task).where(Task.campaign_id == campaign.id, Task.phase_key == "planning",
                                                   Task.unit_path.startswith(units["殿前街道"].path))):
        t.status, t.submitted_at, t.completed_on = "approved", CN, date(2022, 6, 1)
    db.session.commit()
    assert expected_pct(date(2022, 6, 1), date(2022, 6, 30), date(2022, 6, 15)) == 50
    assert expected_pct(date(2022, 6, 1), date(2022, 6, 30), date(2022, 5, 31)) == 0
    assert expected_pct(date(2022, 6, 1), date(2022, 6, 30), date(2022, 7, 1)) == 100
    total, rows = breakdown(db.session, campaign, units["湖里区民政局"], date(2022, 6, 15))
    by = {r.unit.name: r for r in rows}
    huli, dianqian = by["湖里街道"], by["殿前街道"]
    assert huli.phases["planning"].expected == 50 and huli.phases["planning"].reported_pct == 0
    assert huli.phases["planning"].behind and huli.overall.light == "yellow" and huli.overall.overdue == 0
    assert not dianqian.phases["planning"].behind and dianqian.overall.light == "green"
    assert [r.unit.name for r in rows][0] == "湖里街道"  # worst first
    # Early in the phase the same gap is within the margin.
    _, early = breakdown(db.session, campaign, units["湖里区民政局"], date(2022, 6, 5))
    assert all(not r.overall.behind for r in early)


def test_league_ranks_by_on_time_completion():
    def row(name, on_time, due, done, total=10, order=0):
        unit = factories_unit(name, order)
        r = UnitRow(unit)
        r.overall = Tally(total=total, done=done, due_past=due, on_time=on_time)
        return r

    rows = [row(f"单位{i}", on_time=i, due=7, done=i, order=i) for i in range(7)] + [row("新单位", 0, 0, 0, order=9)]
    lg = league(rows)
    assert [r.unit.name for _, r in lg.first] == ["单位6", "单位5", "单位4"]
    assert [(rank, r.unit.name) for rank, r in lg.last] == [(5, "单位2"), (6, "单位1"), (7, "单位0")]
    assert [r.unit.name for r in lg.unranked] == ["新单位"] and not lg.complete
    small = league(rows[:4])
    assert small.complete and len(small.first) == 4 and small.last == []


def factories_unit(name, order):
    from duban.tenancy.models import OrgUnit

    return OrgUnit(id=order + 1000, name=name, kind="township", sort_order=order, path=f"/1/{order + 1000}/", depth=1)


def test_on_time_counts_submission_day_not_review_day(app, campaign, district):
    street = district["units"]["湖里街道"]
    on_time = _task(campaign, street, "progress_report_1")  # due 06-17
    late = _task(campaign, street, "hard_cases")  # due 06-30
    on_time.status, on_time.submitted_at, on_time.completed_on = "approved", datetime(2022, 6, 17, 20, tzinfo=TZ), date(2022, 6, 25)
    late.status, late.submitted_at = "submitted", datetime(2022, 7, 1, 9, tzinfo=TZ)
    db.session.commit()
    total, rows = breakdown(db.session, campaign, district["units"]["湖里区民政局"], date(2022, 7, 1))
    huli = next(r for r in rows if r.unit.name == "湖里街道")
    assert huli.overall.on_time == 1 and huli.overall.due_past >= 2


def test_dashboard_and_campaign_page_show_league_and_pace(app, campaign, district, login_as, monkeypatch):
    _today(app, monkeypatch, "2022-07-20")
    c = login_as(district["users"]["admin"])
    home = c.get("/").get_data(as_text=True)
    assert "按时完成率排名" in home
    show = c.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert "排名" in show and "序时/实际" in show and "督查督办" in show and "操作记录" in show


# --- 催办 ----------------------------------------------------------------------------------------

def test_inspector_urges_a_task_and_a_unit(app, campaign, district, login_as):
    u, users = district["units"], district["users"]
    task = _task(campaign, u["湖里街道"], "progress_report_1")
    c = login_as(users["inspector"])
    assert 'id="urge"' in c.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'id="urge"' not in login_as(users["township"]).get(f"/tasks/{task.id}").get_data(as_text=True)
    r = c.post_form(f"/tasks/{task.id}/urge", {"message": "进度表已逾期，请今天报送"})
    assert r.status_code == 302
    r = c.post_form(f"/campaigns/{campaign.id}/urge", {"unit": u["湖里街道"].id, "message": "请加快摸排进度"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Urge).where(Urge.task_id == task.id)).message == "进度表已逾期，请今天报送"
    urged = db.session.scalars(select(TaskEvent).where(TaskEvent.kind == "urged")).all()
    assert task.id in {e.task_id for e in urged} and len(urged) > 1  # the unit urge reaches its open tasks too
    inbox = db.session.scalars(select(Notification).where(Notification.recipient_id == users["township"].id,
                                                          Notification.kind == "urge")).all()
    assert len(inbox) == 2 and all(n.actor_id == users["inspector"].id for n in inbox)
    page = login_as(users["township"]).get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "催办" in page and "进度表已逾期，请今天报送" in page
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "urge.created")) is not None


def test_urge_needs_a_message_and_a_superior(app, campaign, district, login_as):
    u, users = district["units"], district["users"]
    task = _task(campaign, u["湖里街道"], "progress_report_1")
    r = login_as(users["inspector"]).post_form(f"/tasks/{task.id}/urge", {"message": "  "})
    assert r.status_code == 302
    assert db.session.scalar(select(Urge)) is None
    # A street cannot urge itself; a sibling street cannot even see it.
    assert login_as(users["township"]).post_form(f"/tasks/{task.id}/urge", {"message": "x"}).status_code == 403
    assert login_as(users["sibling"]).post_form(f"/tasks/{task.id}/urge", {"message": "x"}).status_code == 404
    # A street urges its own community.
    village_task = _task(campaign, u["金湖社区"], "household_screening")
    assert login_as(users["township"]).post_form(f"/tasks/{village_task.id}/urge", {"message": "加快入户"}).status_code == 302
    assert db.session.scalar(select(Urge).where(Urge.task_id == village_task.id)) is not None


# --- 约谈 / 通报 / 挂牌督办 -----------------------------------------------------------------------

def test_supervised_street_is_listed_on_the_dashboard_until_resolved(app, campaign, district, login_as):
    u, users = district["units"], district["users"]
    task = _task(campaign, u["湖里街道"], "progress_report_1")
    c = login_as(users["inspector"])
    r = c.post_form(f"/campaigns/{campaign.id}/escalations", {
        "unit": u["湖里街道"].id, "kind": "supervised", "reason": "进度表连续逾期，摸排进度滞后",
        "on_date": "2022-07-01", "follow_up_by": "2022-07-15", "task_ids": [str(task.id)]})
    assert r.status_code == 302
    esc = db.session.scalar(select(Escalation))
    assert esc.kind_label == "挂牌督办" and esc.status == "open"
    assert db.session.scalar(select(EscalationLink.task_id)) == task.id
    for who in ("admin", "inspector", "township"):
        assert "挂牌督办单位" in login_as(users[who]).get("/").get_data(as_text=True), who
    assert "挂牌督办单位" not in login_as(users["sibling"]).get("/").get_data(as_text=True)
    street_inbox = db.session.scalars(select(Notification).where(Notification.recipient_id == users["township"].id,
                                                                 Notification.kind == "escalation")).all()
    assert len(street_inbox) == 1 and street_inbox[0].subject_id == esc.id
    page = login_as(users["township"]).get(f"/escalations/{esc.id}").get_data(as_text=True)
    assert "进度表连续逾期" in page and "办结" not in page.split("<h1")[1].split("</h1>")[0]
    # Only a supervisor resolves it.
    assert login_as(users["township"]).post_form(f"/escalations/{esc.id}/resolve",
                                                 {"resolution": "x", "resolved_on": "2022-07-01"}).status_code == 403
    r = c.post_form(f"/escalations/{esc.id}/resolve", {"resolution": "", "resolved_on": "2022-07-01"})
    db.session.expire_all()
    assert esc.status == "open"
    c.post_form(f"/escalations/{esc.id}/resolve", {"resolution": "已补报进度表，复核通过", "resolved_on": "2022-07-01"})
    db.session.expire_all()
    assert esc.status == "resolved" and esc.resolved_by_id == users["inspector"].id
    assert "挂牌督办单位" not in login_as(users["admin"]).get("/").get_data(as_text=True)
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"escalation.created", "escalation.resolved"} <= actions


@pytest.mark.parametrize("form, field", [
    ({"kind": "fine"}, "kind"),
    ({"reason": ""}, "reason"),
    ({"on_date": "2022-13-01"}, "on_date"),
    ({"on_date": "2022-07-02"}, "on_date"),  # in the future (today is 07-01)
    ({"follow_up_by": "2022-06-01"}, "follow_up_by"),
])
def test_escalation_input_is_checked(app, campaign, district, form, field):
    from duban.errors import ValidationError
    from duban.supervision import escalations

    good = {"kind": "summon", "reason": "约谈事由", "on_date": "2022-07-01", "follow_up_by": "2022-07-10"}
    with pytest.raises(ValidationError) as bad:
        escalations.create(db.session, district["users"]["inspector"], campaign, district["units"]["湖里街道"],
                           {**good, **form})
    assert field in bad.value.fields
    db.session.rollback()
    assert db.session.scalar(select(Escalation)) is None


def test_linked_tasks_must_belong_to_the_unit(app, campaign, district):
    from duban.errors import ValidationError
    from duban.supervision import escalations

    other = _task(campaign, district["units"]["殿前街道"], "progress_report_1")
    with pytest.raises(ValidationError, match="所选任务不属于"):
        escalations.create(db.session, district["users"]["inspector"], campaign, district["units"]["湖里街道"],
                           {"kind": "summon", "reason": "x", "on_date": "2022-07-01", "follow_up_by": "2022-07-10",
                            "task_ids": [str(other.id)]})


def test_only_supervisors_escalate(app, campaign, district, login_as):
    u, users = district["units"], district["users"]
    form = {"unit": u["金湖社区"].id, "kind": "summon", "reason": "x", "on_date": "2022-07-01",
            "follow_up_by": "2022-07-10"}
    assert login_as(users["township"]).post_form(f"/campaigns/{campaign.id}/escalations", form).status_code == 403
    assert login_as(users["admin"]).post_form(f"/campaigns/{campaign.id}/escalations", form).status_code == 302


# --- 问题线索 ------------------------------------------------------------------------------------

def test_clues_are_visible_only_to_bureau_admins_and_inspectors(app, campaign, district, login_as):
    u, users = district["units"], district["users"]
    c = login_as(users["inspector"])
    r = c.post_form(f"/campaigns/{campaign.id}/clues", {
        "unit": u["金湖社区"].id, "summary": "疑似人情保：社区干部亲属违规纳入低保", "persons": "张某",
        "recorded_on": "2022-07-01", "details": "群众来信反映"})
    assert r.status_code == 302
    clue = db.session.scalar(select(Clue))
    for who in ("admin", "inspector"):
        assert "疑似人情保" in login_as(users[who]).get(f"/clues/{clue.id}").get_data(as_text=True)
        sup = login_as(users[who]).get(f"/campaigns/{campaign.id}/supervision?unit={u['金湖社区'].id}")
        assert "疑似人情保" in sup.get_data(as_text=True)
    assert login_as(users["township"]).get(f"/clues/{clue.id}").status_code == 403
    assert login_as(users["village"]).get(f"/clues/{clue.id}").status_code == 403
    assert login_as(users["sibling"]).get(f"/clues/{clue.id}").status_code == 404
    street_page = login_as(users["township"]).get(f"/campaigns/{campaign.id}/supervision?unit={u['金湖社区'].id}")
    assert street_page.status_code == 200 and "疑似人情保" not in street_page.get_data(as_text=True)
    assert login_as(users["township"]).post_form(f"/clues/{clue.id}/transfer", {
        "transferred_to": "区纪委监委", "transferred_on": "2022-07-01"}).status_code == 403
    r = c.post_form(f"/clues/{clue.id}/transfer", {"transferred_to": "区纪委监委派驻纪检监察组",
                                                  "transferred_on": "2022-07-01", "transfer_note": "附来信"})
    db.session.expire_all()
    assert clue.status == "transferred" and clue.status_label == "已移交纪检监察"
    assert clue.transferred_to == "区纪委监委派驻纪检监察组"
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "clue.transferred"))
    # No notification ever mentions a clue.
    assert db.session.scalar(select(Notification).where(Notification.subject_type == "clue")) is None


def test_clue_input_is_checked(app, campaign, district):
    from duban.errors import ValidationError
    from duban.supervision import clues

    with pytest.raises(ValidationError) as bad:
        clues.record_clue(db.session, district["users"]["inspector"], campaign, district["units"]["金湖社区"],
                          {"summary": "", "recorded_on": "昨天", "problem_id": "999"})
    assert set(bad.value.fields) == {"summary", "recorded_on", "problem_id"}
    db.session.rollback()
    assert db.session.scalar(select(Clue)) is None


def test_supervision_page_for_each_role(app, campaign, district, login_as):
    u, users = district["units"], district["users"]
    for who in ("admin", "inspector", "township", "village"):
        r = login_as(users[who]).get(f"/campaigns/{campaign.id}/supervision")
        assert r.status_code == 200, who
    page = login_as(users["inspector"]).get(f"/campaigns/{campaign.id}/supervision?unit={u['湖里街道'].id}")
    text = page.get_data(as_text=True)
    assert "催办湖里街道" in text and "约谈、通报或挂牌督办" in text and "随机抽取" in text
