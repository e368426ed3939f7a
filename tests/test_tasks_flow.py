"""Doing the work: my tasks, ticking, filling the form, uploading, submitting, reviewing, history."""
from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from duban.campaigns.models import TaskSpec
from duban.extensions import db
from duban.tasks import services
from duban.tasks.models import FormEntry, Task, TaskEvent

from . import factories
from .factories import launch
from .test_evidence import pdf_bytes, png_bytes

VALID_REPORT = {
    "to_screen": "120", "screened": "80", "new_dibao": "3", "new_tekun": "1", "new_children": "0",
    "single_listed": "2", "temp_aid_count": "5", "temp_aid_amount": "12500.5", "monitored": "7",
    "petitions_answered": "1", "problems_found": "4", "problems_fixed": "2", "notes": "第二次报送",
}


@pytest.fixture
def campaign(district):
    return launch(district["units"]["湖里区民政局"], district["users"]["admin"])


def task_of(campaign, unit, key: str) -> Task:
    return db.session.scalars(select(Task).join(TaskSpec, TaskSpec.id == Task.spec_id).where(
        Task.campaign_id == campaign.id, Task.org_unit_id == unit.id, TaskSpec.template_key == key)).one()


def section(html: str, heading: str) -> str:
    """The HTML of the card whose h2 starts with heading."""
    start = html.index(f"<h2>{heading}")
    end = html.find("</section>", start)
    return html[start:end]


def page(client, url) -> str:
    r = client.get(url)
    assert r.status_code == 200, r.status_code
    return r.get_data(as_text=True)


def events(task) -> list[tuple[str, str]]:
    db.session.expire_all()
    return [(e.kind, e.actor.username) for e in db.session.scalars(
        select(TaskEvent).where(TaskEvent.task_id == task.id).order_by(TaskEvent.id))]


def refreshed(task) -> Task:
    db.session.expire_all()
    return db.session.get(Task, task.id)


# --- 我的任务 -------------------------------------------------------------------------------

def test_my_tasks_lists_own_unit_work_grouped(district, campaign, login_as):
    u = district["units"]
    soon = task_of(campaign, u["金湖社区"], "household_screening")
    soon.due_on = date(2022, 7, 3)  # today is 2022-07-01; due within DUBAN_DUE_SOON_DAYS
    db.session.commit()
    html = page(login_as(district["users"]["village"]), "/tasks")
    overdue = section(html, "已逾期")
    assert "村(居)两委包片到位" in overdue  # due at the end of June
    assert "逐户逐人入户走访排查" not in overdue
    assert "逐户逐人入户走访排查" in section(html, "近期到期")
    assert "light-red" in overdue and "测试专项行动" in overdue
    assert "谋划部署阶段" in html and "推动落实阶段" in html and "总结评价阶段" in html
    # Only the village's own tasks: no township work, no other village's, no review section.
    assert "特殊困难群体排查成效进度表" not in html
    assert "待我审核" not in html
    n_own = db.session.scalar(select(func.count()).select_from(Task).where(Task.org_unit_id == u["金湖社区"].id))
    assert html.count('href="/tasks/') >= n_own


def test_township_sees_own_tasks_and_review_queue_only_below(district, campaign, login_as):
    u = district["units"]
    mine = task_of(campaign, u["金湖社区"], "policy_outreach")
    other = task_of(campaign, u["高殿社区"], "policy_outreach")
    for t in (mine, other):
        t.status = "submitted"
    db.session.commit()
    html = page(login_as(district["users"]["township"]), "/tasks")
    assert "特殊困难群体排查成效进度表" in html
    queue = section(html, "待我审核")
    assert f'/tasks/{mine.id}"' in queue and "金湖社区" in queue
    assert f'/tasks/{other.id}"' not in html  # another street's village
    # The township does not do the villages' own work.
    assert "逐户逐人入户走访排查" not in html.replace(queue, "")


def test_inspector_has_no_own_tasks(district, campaign, login_as):
    html = page(login_as(district["users"]["inspector"]), "/tasks")
    assert "不承办、也不审核任务" in html


def test_campaign_filter_is_validated(district, campaign, login_as):
    c = login_as(district["users"]["village"])
    assert "村(居)两委包片到位" in page(c, f"/tasks?campaign={campaign.id}")
    for bad in ("abc", "999999", "-1"):
        r = c.get(f"/tasks?campaign={bad}")
        assert r.status_code == 400
        assert "所选专项行动不存在或未发布" in r.get_data(as_text=True)
    draft = launch(district["units"]["湖里区民政局"], district["users"]["admin"], publish=False)
    r = c.get(f"/tasks?campaign={draft.id}")
    assert r.status_code == 400
    other = factories.make_tree({"思明区民政局": {"甲街道": ["乙社区"]}})
    foreign = launch(other["思明区民政局"], factories.make_user(other["思明区民政局"], "bureau_admin"))
    db.session.commit()
    assert c.get(f"/tasks?campaign={foreign.id}").status_code == 400


# --- The full flow --------------------------------------------------------------------------

def test_village_flow_submit_return_resubmit_approve(district, campaign, login_as):
    users, u = district["users"], district["units"]
    task = task_of(campaign, u["金湖社区"], "household_screening")
    url = f"/tasks/{task.id}"
    village = login_as(users["village"])
    html = page(village, url)
    assert "排查要求" in html and "龙政〔2022〕63号" in html and "逐一入户走访排查" in html
    assert "检查清单还有4项未完成" in html and "请上传至少一份佐证材料" in html

    r = village.post_form(f"{url}/submit", {})
    assert r.status_code == 302
    assert refreshed(task).status == "todo"
    assert "检查清单还有4项未完成" in page(village, url)

    village.post_form(f"{url}/checklist", {"done": ["zoning", "door_to_door"]})
    assert services.ticks(db.session, refreshed(task)) == {"zoning": True, "door_to_door": True}
    assert refreshed(task).status == "in_progress"
    r = village.post_form(f"{url}/checklist", {"done": ["zoning", "door_to_door", "records", "supervision"]})
    assert r.status_code == 302
    r = village.post_form(f"{url}/checklist", {"done": ["nonsense"]})
    assert "检查清单中没有所选的事项" in page(village, url)
    assert all(services.ticks(db.session, refreshed(task)).values())

    r = village.post_form(f"{url}/evidence", {"file": [(io.BytesIO(png_bytes()), "入户照片.png"),
                                                       (io.BytesIO(pdf_bytes()), "排查台账.pdf")]})
    assert r.status_code == 302
    html = page(village, url)
    assert "入户照片.png" in html and "排查台账.pdf" in html and "提交前还需" not in html

    village.post_form(f"{url}/submit", {"comment": "已完成全部入户排查"})
    assert refreshed(task).status == "submitted"
    html = page(village, url)
    assert "待审核" in html and f'action="{url}/submit"' not in html and f'action="{url}/checklist"' not in html
    assert f'action="/tasks/{task.id}/review"' not in html  # a worker never reviews
    assert village.post_form(f"{url}/review", {"decision": "approve"}).status_code == 403
    assert refreshed(task).status == "submitted"
    # Once submitted the work is frozen.
    village.post_form(f"{url}/checklist", {"done": []})
    assert all(services.ticks(db.session, refreshed(task)).values())

    township = login_as(users["township"])
    assert f'/tasks/{task.id}"' in section(page(township, "/tasks"), "待我审核")
    html = page(township, url)
    assert f'action="/tasks/{task.id}/review"' in html
    assert f'action="{url}/checklist"' not in html and f'action="{url}/submit"' not in html
    # The township operator reviews the village's task; they do not do it.
    assert township.post_form(f"{url}/checklist", {"done": []}).status_code == 403
    assert township.post_form(f"{url}/submit", {}).status_code == 403

    township.post_form(f"{url}/review", {"decision": "return", "comment": "  "})
    assert refreshed(task).status == "submitted"
    assert "退回时请填写退回原因" in page(township, url)
    township.post_form(f"{url}/review", {"decision": "maybe", "comment": "x"})
    assert "请选择审核结论" in page(township, url)
    township.post_form(f"{url}/review", {"decision": "return", "comment": "台账缺少户主签字，请补充"})
    assert refreshed(task).status == "returned"
    assert "上级退回：</b>台账缺少户主签字，请补充" in page(village, url)

    village.post_form(f"{url}/submit", {"comment": "已补充签字"})
    assert refreshed(task).status == "submitted"
    township.post_form(f"{url}/review", {"decision": "approve", "comment": "同意"})
    t = refreshed(task)
    assert t.status == "approved" and t.completed_on == date(2022, 7, 1)
    assert township.post_form(f"{url}/review", {"decision": "approve"}).status_code == 302
    assert "只能审核“待审核”状态的任务" in page(township, url)

    assert events(task) == [
        ("created", "admin"), ("started", "jh_worker"), ("checklist", "jh_worker"), ("checklist", "jh_worker"),
        ("evidence_added", "jh_worker"), ("submitted", "jh_worker"), ("returned", "hl_op"),
        ("submitted", "jh_worker"), ("approved", "hl_op"),
    ]
    html = page(village, url)
    history = html[html.index("办理记录"):]
    for label in ("任务下达", "开始办理", "更新检查清单", "上传佐证材料", "提交审核", "退回修改", "审核通过"):
        assert label in history
    assert "待审核 → 已退回" in history and "待审核 → 已完成" in history


def test_bureau_task_completes_on_submit(district, campaign, login_as):
    task = task_of(campaign, district["units"]["湖里区民政局"], "staff_training")
    url = f"/tasks/{task.id}"
    admin = login_as(district["users"]["admin"])
    assert "办结任务" in page(admin, url)
    admin.post_form(f"{url}/evidence", {"file": (io.BytesIO(pdf_bytes()), "培训签到表.pdf")})
    admin.post_form(f"{url}/submit", {})
    t = refreshed(task)
    assert t.status == "approved" and t.completed_on is not None
    assert [k for k, _ in events(task)][-1] == "completed"


def test_bureau_admin_may_act_on_any_unit_below(district, campaign):
    u, users = district["units"], district["users"]
    village_task = task_of(campaign, u["金湖社区"], "village_zoning")
    assert services.may_work(users["admin"], village_task)
    assert services.may_work(users["village"], village_task)
    assert not services.may_work(users["township"], village_task)
    assert not services.may_work(users["inspector"], village_task)
    assert services.may_review(users["township"], village_task)
    assert not services.may_review(users["sibling"], village_task)
    township_task = task_of(campaign, u["湖里街道"], "hard_cases")
    assert not services.may_review(users["township"], township_task)  # never their own unit
    assert services.may_review(users["admin"], township_task)


# --- The report form ------------------------------------------------------------------------

def test_form_validation_rerenders_input_and_writes_nothing(district, campaign, login_as):
    task = task_of(campaign, district["units"]["湖里街道"], "progress_report_2")
    url = f"/tasks/{task.id}"
    c = login_as(district["users"]["township"])
    bad = dict(VALID_REPORT, to_screen="abc", new_dibao="", temp_aid_amount="1e999", new_tekun="-2",
               notes="我的备注<b>")
    r = c.post_form(f"{url}/form", bad)
    assert r.status_code == 400
    html = r.get_data(as_text=True)
    assert "“摸排对象总数（人）”应填写整数" in html
    assert "请填写“新纳入低保（人）”" in html
    assert "“临时救助金额（元）”应填写数字" in html
    assert "“新纳入特困供养（人）”不能小于0" in html
    assert 'value="abc"' in html and 'value="1e999"' in html and "我的备注&lt;b&gt;" in html
    assert 'value="80"' in html  # fields that were right keep their values too
    assert db.session.scalar(select(func.count()).select_from(FormEntry)) == 0
    assert refreshed(task).status == "todo"

    r = c.post_form(f"{url}/form", dict(VALID_REPORT, screened="121", problems_fixed="9"))
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "已入户排查人数不能超过摸排对象总数" in html and "已整改问题数不能超过发现问题数" in html
    assert 'value="121"' in html
    assert db.session.scalar(select(func.count()).select_from(FormEntry)) == 0

    assert c.post_form(f"{url}/form", VALID_REPORT).status_code == 302
    entry = services.current_form(db.session, refreshed(task))
    assert entry.version == 1 and entry.data["to_screen"] == 120 and entry.data["temp_aid_amount"] == "12500.50"
    html = page(c, url)
    assert 'value="120"' in html and "第1版" in html

    c.post_form(f"{url}/form", dict(VALID_REPORT, screened="120"))
    c.post_form(f"{url}/form", dict(VALID_REPORT, screened="oops"))
    html = page(c, url)
    assert "第2版" in html and "第1版" in html and "第3版" not in html
    assert services.current_form(db.session, refreshed(task)).data["screened"] == 120
    assert [k for k, _ in events(task)].count("form_saved") == 2


@pytest.mark.parametrize("raw, ok", [("12", True), ("1_000", False), ("１２", False), ("1.5", False), (" 7 ", True)])
def test_int_field_parsing(district, campaign, raw, ok):
    from duban.campaigns.registry import definition
    from duban.tasks.forms import validate_form

    form = definition("loubao_loujiu").forms["progress_report"]
    data, errors = validate_form(form, dict(VALID_REPORT, new_dibao=raw))
    assert ("new_dibao" not in errors) is ok


def test_bool_field_unticked_means_no():
    from duban.campaigns.types import FormDefinition, FormField
    from duban.tasks.forms import validate_form

    form = FormDefinition("f", "表", (FormField("trained", "已培训", type="bool"),))
    assert validate_form(form, {}) == ({"trained": False}, {})
    assert validate_form(form, {"trained": "1"}) == ({"trained": True}, {})


# --- Tenancy, permissions, comments ---------------------------------------------------------

def test_sibling_and_outsiders_get_404(district, campaign, login_as):
    u, users = district["units"], district["users"]
    task = task_of(campaign, u["金湖社区"], "household_screening")
    street_task = task_of(campaign, u["湖里街道"], "progress_report_2")
    sibling = login_as(users["sibling"])
    for t in (task, street_task):
        assert sibling.get(f"/tasks/{t.id}").status_code == 404
        for action in ("checklist", "form", "evidence", "submit", "review", "comment"):
            r = sibling.post_form(f"/tasks/{t.id}/{action}", {"decision": "approve", "comment": "x"})
            assert r.status_code == 404
    # A village worker cannot see their township's own tasks, nor a neighbouring village's.
    village = login_as(users["village"])
    assert village.get(f"/tasks/{street_task.id}").status_code == 404
    assert village.get(f"/tasks/{task_of(campaign, u['湖边社区'], 'household_screening').id}").status_code == 404
    assert village.get("/tasks/999999").status_code == 404
    other = factories.make_tree({"思明区民政局": {"甲街道": ["乙社区"]}})
    outsider = factories.make_user(other["思明区民政局"], "bureau_admin", "outsider")
    db.session.commit()
    assert login_as(outsider).get(f"/tasks/{task.id}").status_code == 404


def test_superiors_see_and_comment(district, campaign, login_as):
    task = task_of(campaign, district["units"]["金湖社区"], "household_screening")
    url = f"/tasks/{task.id}"
    inspector = login_as(district["users"]["inspector"])
    html = page(inspector, url)
    assert "逐户逐人入户走访排查" in html and f'action="{url}/submit"' not in html
    assert inspector.post_form(f"{url}/checklist", {"done": ["zoning"]}).status_code == 403
    assert inspector.post_form(f"{url}/review", {"decision": "approve"}).status_code == 403
    inspector.post_form(f"{url}/comment", {"comment": "请加快入户进度"})
    inspector.post_form(f"{url}/comment", {"comment": "   "})
    assert "请填写意见内容" in page(inspector, url)
    assert "请加快入户进度" in page(login_as(district["users"]["village"]), url)
    assert events(task)[-1] == ("commented", "inspector")
    assert refreshed(task).status == "todo"


def test_unpublished_campaign_tasks_are_hidden(district, campaign, login_as):
    task = task_of(campaign, district["units"]["金湖社区"], "household_screening")
    campaign.status = "closed"
    db.session.commit()
    c = login_as(district["users"]["village"])
    html = page(c, f"/tasks/{task.id}")  # a closed campaign stays readable …
    assert f'action="/tasks/{task.id}/submit"' not in html
    assert c.post_form(f"/tasks/{task.id}/checklist", {"done": ["zoning"]}).status_code == 403  # … not workable
    assert "逐户逐人入户走访排查" not in page(c, "/tasks")
    campaign.status = "draft"
    db.session.commit()
    assert c.get(f"/tasks/{task.id}").status_code == 404
