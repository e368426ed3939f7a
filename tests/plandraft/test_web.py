"""Upload or paste a plan, review the draft beside its text, save a tenant template, launch from it."""
import io

import pytest
from duban.campaigns.models import Campaign
from duban.campaigns.registry import definition, launchable, tenant_types
from duban.extensions import db
from duban.plandraft import build
from duban.plandraft.models import TenantTemplate
from duban.tasks.models import Task
from duban.tenancy.scoping import set_tenant
from sqlalchemy import func, select

from .. import factories
from .helpers import editor_fields
from .seeds import SEEDS, STEMS, seed_text


def _count(model):
    return db.session.execute(select(func.count()).select_from(model).execution_options(all_tenants=True)).scalar()


def _review(client, stem="003_c2d391277ba601fd"):
    r = client.post_form("/plans/new", {"file": (io.BytesIO(seed_text(stem).encode()), f"{stem}.txt")},
                         content_type="multipart/form-data")
    assert r.status_code == 200, r.get_data(as_text=True)[:2000]
    return r.get_data(as_text=True)


def _save(client, fields, url="/plans/review"):
    data = dict(fields, action="save")
    return client.post_form(url, data, content_type="multipart/form-data")


@pytest.mark.parametrize("stem", STEMS)
def test_uploading_each_seed_shows_the_draft_beside_its_text(district, login_as, stem):
    client = login_as(district["users"]["admin"])
    page = _review(client, stem)
    fields = editor_fields(page)
    assert fields["text"] == build(seed_text(stem))["text"]    # the text travels with the form, as cleaned
    assert 'id="s-0"' in page and 'class="sent used"' in page           # the source pane, sentences anchored
    assert 'href="#s-' in page                                            # items link to their sentence
    phases = sorted(k for k in fields if k.startswith("phase-") and k.endswith("-name") and fields[k])
    assert phases and all(fields[k.replace("-name", "-start")] for k in phases)
    assert _count(TenantTemplate) == 0                                    # nothing is saved before saving


def test_paste_review_fix_save_and_launch(district, login_as):
    admin = district["users"]["admin"]
    client = login_as(admin)
    r = client.post_form("/plans/new", {"text": seed_text("003_c2d391277ba601fd")}, content_type="multipart/form-data")
    fields = editor_fields(r.get_data(as_text=True))
    # The user corrects a phase, removes a task, adds one and adds a deadline in the spare rows.
    assert fields["phase-0-name"] == "动员部署阶段" and fields["phase-0-start"] == "2022-03-21"
    fields["phase-0-start"] = "2022-03-20"
    fields["task-17-delete"] = "1"
    spare_task = max(int(k.split("-")[1]) for k in fields if k.startswith("task-") and k.endswith("-title"))
    fields[f"task-{spare_task}-title"] = "建立工作台账"
    fields[f"task-{spare_task}-phase"] = "p2"
    spare_deadline = max(int(k.split("-")[1]) for k in fields if k.startswith("deadline-") and k.endswith("-what"))
    fields[f"deadline-{spare_deadline}-date"] = "2022-04-15"
    fields[f"deadline-{spare_deadline}-what"] = "报送自查情况"
    r = _save(client, fields)
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    template = db.session.scalar(select(TenantTemplate))
    data = template.data
    assert template.name == "信丰县2022年社会救助领域专项治理工作方案" and template.doc_number == "信民字〔2022〕5号"
    assert data["phases"][0]["start"] == "2022-03-20"
    assert set(data["meta_sentences"]) == {"name", "issuer", "doc_number", "year"}
    assert 'href="#s-{}"'.format(data["meta_sentences"]["doc_number"]) in client.get(
        f"/plans/templates/{template.id}").get_data(as_text=True)
    titles = [t["title"] for t in data["tasks"]]
    assert "加强公示公开" not in titles and titles[-1] == "建立工作台账" and len(titles) == 18
    added = data["deadlines"][-1]
    assert (added["date"], added["what"], added["phase"], added["source"]) == ("2022-04-15", "报送自查情况", "p2", "")
    assert "对5月30前未退缴的人员列入失信名单" in data["deadlines"][0]["source"]

    # The launch page lists it; a draft campaign from it has the reviewed phases and deadlines.
    page = client.get("/campaigns/new").get_data(as_text=True)
    assert template.key in page and "本单位模板" in page
    r = client.post_form("/campaigns/new", {"type_key": template.key, "root_unit_id": district["units"]["湖里区民政局"].id,
                                            "year": "2023", "title": "2023年社会救助专项治理", "doc_number": ""})
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    campaign = db.session.scalar(select(Campaign).where(Campaign.type_key == template.key))
    first = campaign.phases[0]
    assert (first.name, first.starts_on.isoformat(), first.ends_on.isoformat()) == ("动员部署阶段", "2023-03-20", "2023-03-31")
    dues = {s.title: s.due_on.isoformat() for s in campaign.specs}
    assert dues["专项治理工作情况报告（报县民政局）"] == "2023-06-25"
    assert dues["报送自查情况"] == "2023-04-15"
    r = client.post_form(f"/campaigns/{campaign.id}/publish")
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Campaign, campaign.id).status == "published"
    # 每月10日前 becomes one task per month per township within the campaign (March–June).
    monthly = [t for t in db.session.scalars(select(Task).where(Task.campaign_id == campaign.id))
               if "相关专项整治情况" in t.title and t.org_unit_id == district["units"]["湖里街道"].id]
    assert sorted(t.due_on.isoformat() for t in monthly) == ["2023-04-10", "2023-05-10", "2023-06-10"]


def test_invalid_edits_are_shown_and_nothing_is_saved(district, login_as):
    client = login_as(district["users"]["admin"])
    fields = editor_fields(_review(client))
    fields["phase-1-end"] = "2022-03-01"      # before its start
    fields["deadline-0-date"] = "2022-13-40"
    fields["name"] = ""
    r = _save(client, fields)
    body = r.get_data(as_text=True)
    assert r.status_code == 400
    assert "第2个阶段（自查整改阶段）的结束日期不能早于开始日期" in body
    assert "第1个截止事项的截止日期：请填写日期" in body and "请填写模板名称" in body
    assert 'value="2022-03-01"' in body      # the user's edits are kept
    assert _count(TenantTemplate) == 0


def test_rows_can_be_added_without_javascript(district, login_as):
    client = login_as(district["users"]["admin"])
    fields = editor_fields(_review(client))
    r = client.post_form("/plans/review", dict(fields, action="add-phase"), content_type="multipart/form-data")
    again = editor_fields(r.get_data(as_text=True))
    assert again["spare-phase"] == "2"
    spares = [k for k in again if k.startswith("phase-") and k.endswith("-name") and not again[k]]
    assert len(spares) == 2 and _count(TenantTemplate) == 0


@pytest.mark.parametrize("upload, message", [
    ({}, "请选择方案文件"),
    ({"text": "春天来了，公园里的花都开了，大家结伴出游，孩子们在草地上奔跑嬉戏，老人们在树下下棋聊天。"}, "没有找到进度安排"),
    ({"file": (io.BytesIO(b""), "空.txt")}, "文件是空的"),
    ({"file": (io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64), "扫描.png")}, "图片"),
])
def test_bad_input_says_what_could_not_be_found(district, login_as, upload, message):
    client = login_as(district["users"]["admin"])
    r = client.post_form("/plans/new", upload, content_type="multipart/form-data")
    assert r.status_code == 400 and message in r.get_data(as_text=True)
    assert _count(TenantTemplate) == 0


@pytest.mark.parametrize("who", ["township", "inspector", "village"])
def test_only_bureau_admins_draft_templates(district, login_as, who):
    client = login_as(district["users"][who])
    assert client.get("/plans/new").status_code == 403
    assert client.get("/plans/templates").status_code == 403


def _saved(client, stem="003_c2d391277ba601fd"):
    r = _save(client, editor_fields(_review(client, stem)))
    assert r.status_code == 302
    return db.session.scalar(select(TenantTemplate).order_by(TenantTemplate.id.desc()))


def test_hook_tenant_campaign_types(district, login_as):
    """A tenant's templates are its own: another tenant neither sees nor launches them."""
    from duban.campaigns.registry import forget_tenant_types, plugin_manager

    client = login_as(district["users"]["admin"])
    template = _saved(client)
    key, template_id, name, mine = template.key, template.id, template.name, template.tenant_id
    other = factories.make_tree({"思明区民政局": {"中华街道": ["光彩社区"]}})
    outsider = factories.make_user(other["思明区民政局"], "bureau_admin", "siming_admin")
    theirs, their_root = outsider.tenant_id, other["思明区民政局"].id
    db.session.commit()

    for tenant, expected in ((mine, [key]), (theirs, [])):
        set_tenant(db.session, tenant)
        forget_tenant_types()
        assert [t.key for t in plugin_manager().hook.tenant_campaign_types(tenant_id=tenant)[0]] == expected
        assert list(tenant_types()) == expected and (key in launchable()) == bool(expected)
    set_tenant(db.session, mine)
    forget_tenant_types()
    d = definition(key)
    assert d.plugin == "tenant_templates" and len(d.phases) == 4 and d.type.issuer == "信丰县民政局"
    set_tenant(db.session, theirs)
    forget_tenant_types()
    with pytest.raises(LookupError):
        definition(key)
    forget_tenant_types()
    set_tenant(db.session, None)

    them = login_as(outsider)
    assert them.get(f"/plans/templates/{template_id}").status_code == 404
    assert name not in them.get("/plans/templates").get_data(as_text=True)
    assert key not in them.get("/campaigns/new").get_data(as_text=True)
    r = them.post_form("/campaigns/new", {"type_key": key, "root_unit_id": their_root, "year": "2022", "title": "窃用模板"})
    assert r.status_code == 400 and "请选择已安装的专项行动模板" in r.get_data(as_text=True)
    assert _count(Campaign) == 0


def test_editing_a_saved_template_and_deleting_it(district, login_as):
    admin = district["users"]["admin"]
    client = login_as(admin)
    template = _saved(client, "000_90a7f92d902cf201")
    page = client.get(f"/plans/templates/{template.id}")
    assert page.status_code == 200
    fields = editor_fields(page.get_data(as_text=True))
    assert "text" not in fields                      # the saved text stays on the server
    fields["phase-0-name"] = "谋划部署"
    r = _save(client, fields, url=f"/plans/templates/{template.id}")
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(TenantTemplate, template.id).data["phases"][0]["name"] == "谋划部署"
    assert "谋划部署" in client.get(f"/plans/templates/{template.id}").get_data(as_text=True)

    unused = _saved(client, "004_736aed071ea21500")
    factories.launch(district["units"]["湖里区民政局"], admin, type_key=template.key, publish=False)
    r = client.post_form(f"/plans/templates/{template.id}/delete")
    assert r.status_code == 302 and db.session.get(TenantTemplate, template.id) is not None
    assert "不能删除" in client.get(f"/plans/templates/{template.id}").get_data(as_text=True)
    r = client.post_form(f"/plans/templates/{unused.id}/delete")
    assert r.status_code == 302 and _count(TenantTemplate) == 2       # kept, only marked deleted
    db.session.expire_all()
    assert db.session.get(TenantTemplate, unused.id).deleted_at is not None
    assert client.get(f"/plans/templates/{unused.id}").status_code == 404
    assert unused.key not in client.get("/campaigns/new").get_data(as_text=True)


def test_cli_prints_the_draft_as_json(app, tmp_path):
    import json

    if SEEDS is None:
        pytest.skip("shared/seeds is not checked out beside the repository")
    result = app.test_cli_runner().invoke(args=["template-draft", str(SEEDS / "002_c7ff4ad1053a34c0.txt")])
    assert result.exit_code == 0, result.output
    draft = json.loads(result.output)
    assert draft["phases"] == [{"key": "p1", "name": "精准救助百日会战", "start": "2018-11-11", "end": "2019-02-28",
                                "source": draft["phases"][0]["source"], "sentence": draft["phases"][0]["sentence"]}]
    assert [d["date"] for d in draft["deadlines"]] == ["2018-12-31", "2019-02-03", "2019-02-03", "2019-02-20"]
    assert {"title", "doc_number", "year", "phases", "deadlines", "recurring", "tasks", "screening_categories",
            "ledgers"} <= set(draft)
    bad = tmp_path / "空.txt"
    bad.write_bytes(b"")
    result = app.test_cli_runner().invoke(args=["template-draft", str(bad)])
    assert result.exit_code != 0 and "文件是空的" in result.output


def test_a_campaign_from_a_template_with_ledgers_shows_them(district, login_as):
    """Seed 002: the attachments' tables become the campaign's ledgers, in the plan's column order."""
    admin = district["users"]["admin"]
    client = login_as(admin)
    template = _saved(client, "002_c7ff4ad1053a34c0")
    campaign = factories.launch(district["units"]["湖里区民政局"], admin, type_key=template.key, year=2018)
    assert client.get(f"/campaigns/{campaign.id}").status_code == 200
    page = client.get(f"/campaigns/{campaign.id}/definition").get_data(as_text=True)
    assert "精准救助百日会战" in page
    set_tenant(db.session, campaign.tenant_id)
    d = definition(template.key)
    [first, second] = d.ledgers.values()
    assert [c.label for c in first.columns][:4] == ["序号", "申请人", "身份证号", "家庭人口"]
    assert [(c.group, c.label) for c in second.columns[-2:]] == [("入户核查结果", "核查结果"), ("入户核查结果", "调查人")]
    page = client.get(f"/campaigns/{campaign.id}/ledgers/{second.key}?unit={district['units']['金湖社区'].id}")
    assert page.status_code == 200 and "未批准救助原因" in page.get_data(as_text=True)
    # Across the new year: the phase ends in February of the next year, 春节前 before that year's holiday.
    [phase] = campaign.phases
    assert (phase.starts_on.isoformat(), phase.ends_on.isoformat()) == ("2018-11-11", "2019-02-28")
    dues = sorted(s.due_on.isoformat() for s in campaign.specs if "安全检查" in s.title or "资金全部发放" in s.title)
    assert dues == ["2019-02-03", "2019-02-03"]
