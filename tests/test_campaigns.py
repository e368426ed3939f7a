"""Launching a campaign through the web: draft, edit dates, publish; bad input changes nothing."""
from datetime import date

from sqlalchemy import func, select

from duban.campaigns.models import Campaign, TaskSpec
from duban.extensions import db
from duban.tasks.models import Task

from . import factories


def _new(client, **over):
    data = {"type_key": "loubao_loujiu", "year": "2022", "title": "2022年漏保漏救整治", "doc_number": "厦湖民〔2022〕15号"}
    data.update(over)
    return client.post_form("/campaigns/new", data)


def test_launch_draft_edit_publish(district, login_as):
    admin = login_as(district["users"]["admin"])
    root = district["units"]["湖里区民政局"]
    r = _new(admin, root_unit_id=str(root.id))
    assert r.status_code == 302
    campaign = db.session.scalar(select(Campaign))
    assert campaign.status == "draft" and campaign.doc_number == "厦湖民〔2022〕15号"
    page = admin.get(f"/campaigns/{campaign.id}/draft").get_data(as_text=True)
    assert "谋划部署阶段" in page and "2022-06-17" in page

    spec = next(s for s in campaign.specs if s.template_key == "progress_report_1")
    r = admin.post_form(f"/campaigns/{campaign.id}/draft",
                        {"title": campaign.title, "doc_number": campaign.doc_number, f"spec-{spec.id}-due": "2022-06-20"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(TaskSpec, spec.id).due_on == date(2022, 6, 20)

    r = admin.post_form(f"/campaigns/{campaign.id}/publish")
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == "published"
    tasks = db.session.scalars(select(Task).where(Task.campaign_id == campaign.id)).all()
    # bureau tasks once, township tasks × 2 streets, village tasks × 4 communities
    levels = {s.id: s.level for s in campaign.specs}
    expected = sum({"bureau": 1, "township": 2, "village": 4}[lvl] for lvl in levels.values())
    assert len(tasks) == expected
    assert {t.due_on for t in tasks if t.spec_id == spec.id} == {date(2022, 6, 20)}
    # Published drafts can no longer be edited
    assert admin.get(f"/campaigns/{campaign.id}/draft").status_code == 302


def test_bad_launch_input_gives_chinese_messages_and_writes_nothing(district, login_as):
    admin = login_as(district["users"]["admin"])
    root = district["units"]["湖里区民政局"]
    r = _new(admin, root_unit_id=str(root.id), year="22x", title="  ", type_key="nope")
    body = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "年度应为2000至2100之间的四位数字" in body and "请填写专项行动名称" in body and "请选择已安装的专项行动模板" in body
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 0


def test_bad_draft_dates_change_nothing(district, login_as):
    c = factories.launch(district["units"]["湖里区民政局"], district["users"]["admin"], publish=False)
    admin = login_as(district["users"]["admin"])
    phase, spec = c.phases[0], c.specs[0]
    r = admin.post_form(f"/campaigns/{c.id}/draft", {
        "title": "新名称", f"phase-{phase.id}-start": "2022-06-30", f"phase-{phase.id}-end": "2022-06-01",
        f"spec-{spec.id}-due": "6月17日"})
    body = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "结束日期不能早于开始日期" in body and "日期格式应为" in body
    db.session.expire_all()
    c = db.session.get(Campaign, c.id)
    assert c.title == "测试专项行动" and c.phases[0].starts_on == date(2022, 6, 1)


def test_only_launchers_launch(district, login_as):
    township = login_as(district["users"]["township"])
    assert township.get("/campaigns/new").status_code == 403
    c = factories.launch(district["units"]["湖里区民政局"], district["users"]["admin"], publish=False)
    assert township.get(f"/campaigns/{c.id}/draft").status_code == 404
    assert township.post_form(f"/campaigns/{c.id}/publish").status_code == 404
    db.session.expire_all()
    assert db.session.get(Campaign, c.id).status == "draft"


def test_publish_without_units_below_is_refused(login_as):
    units = factories.make_tree({"孤立民政局": []})
    admin = factories.make_user(units["孤立民政局"], "bureau_admin")
    db.session.commit()
    c = factories.launch(units["孤立民政局"], admin, publish=False)
    client = login_as(admin)
    r = client.post_form(f"/campaigns/{c.id}/publish", follow_redirects=True)
    assert "发布范围内没有下级单位" in r.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Task)) == 0
