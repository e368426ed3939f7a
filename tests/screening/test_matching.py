"""The 7 categories of 龙政〔2022〕63号 as rules: who lands on the 摸排对象清单, why, and where."""
from sqlalchemy import select

from duban.extensions import db
from duban.screening import matching
from duban.screening.models import Subject

from .. import factories
from .helpers import load, pid

JH, HB, GD = ("湖里街道", "金湖社区"), ("湖里街道", "湖边社区"), ("殿前街道", "高殿社区")


def _world(district):
    u, users = district["units"], district["users"]
    campaign = factories.launch(u["湖里区民政局"], users["admin"])
    admin, bureau = users["admin"], u["湖里区民政局"]
    load(admin, bureau, "recipients", [
        ["低保甲", pid(1), "低保", pid(1), "13800000001", *JH],
        ["特困乙", pid(2), "特困", pid(2), "", *HB],
        ["低保丙", pid(3), "低保", pid(3), "", *GD],
        ["边缘丁", pid(4), "低保边缘", pid(4), "", *JH],
    ])
    load(admin, bureau, "medical", [
        ["低保甲", pid(1), 2021, 20000, 12000, *JH],      # dibao_medical
        ["低保丙", pid(3), 2021, 9000, 9999.99, *GD],     # below 10,000: no
        ["特困乙", pid(2), 2021, 300, 0, *HB],            # tekun_medical (any cost)
        ["居民戊", pid(5), 2021, 90000, 42000, *HB],      # resident_medical
        ["边缘丁", pid(4), 2021, 90000, 50000, *JH],      # on the roster (低保边缘): not an "ordinary resident"
        ["居民己", pid(6), 2020, 90000, 80000, *GD],      # 2020: no
    ])
    load(admin, bureau, "disability", [
        ["残己", pid(7), "肢体", "二级", "2021-06-01", *GD],   # severe, not covered
        ["残庚", pid(8), "精神", "三级", "2022-01-10", *JH],   # mental grade 3
        ["残辛", pid(9), "肢体", "三级", "2022-01-10", *JH],   # physical grade 3: no
        ["低保甲", pid(1), "视力", "一级", "2021-03-01", *JH],  # already 低保: no
        ["残壬", pid(10), "智力", "一级", "2020-12-31", *JH],  # before 2021: no
    ])
    load(admin, bureau, "petition", [["访癸", pid(11), "2021-05-01", "申请低保", *HB],
                                     ["访子", pid(12), "2020-05-01", "旧案", *HB]])
    load(admin, bureau, "monitoring", [["监丑", pid(13), 2022, *GD], ["居民戊", pid(5), 2022, *HB],
                                       ["监寅", pid(14), 2021, *GD]])
    return campaign


def _subjects(campaign):
    return {s.id_number: s for s in db.session.scalars(select(Subject).where(Subject.campaign_id == campaign.id))}


def test_rules_find_the_seven_categories(district):
    campaign = _world(district)
    result = matching.run_rules(db.session, district["users"]["admin"], campaign)
    db.session.commit()
    subjects = _subjects(campaign)
    cats = {k: s.categories for k, s in subjects.items()}
    assert cats == {
        pid(1): ["dibao_medical"], pid(2): ["tekun_medical"],
        pid(5): ["resident_medical", "monitoring_subjects"],  # one person, two categories, one row
        pid(7): ["new_disabled"], pid(8): ["new_disabled"], pid(11): ["petitioners"], pid(13): ["monitoring_subjects"],
    }
    assert result["people"] == 7 and result["added"] == 7
    # Evidence names the source and the value that triggered the rule.
    ev = subjects[pid(1)].evidence[0]["text"]
    assert "医保自付医疗费用" in ev and "12,000.00元" in ev and "在保对象花名册" in ev
    # Assigned to the village of residence.
    assert subjects[pid(7)].org_unit.name == "高殿社区" and subjects[pid(1)].org_unit.name == "金湖社区"
    assert subjects[pid(1)].phone == "13800000001"


def test_rerun_is_idempotent_and_withdraws_who_no_longer_matches(district):
    campaign = _world(district)
    admin = district["users"]["admin"]
    matching.run_rules(db.session, admin, campaign)
    db.session.commit()
    again = matching.run_rules(db.session, admin, campaign)
    db.session.commit()
    assert (again["added"], again["updated"], again["withdrawn"], again["unchanged"]) == (0, 0, 0, 7)
    # 低保甲 joins 特困 (double listing is another campaign's business); 访癸's petition is corrected to 2020.
    load(admin, district["units"]["湖里区民政局"], "petition", [["访癸", pid(11), "2021-05-01", "申请低保", *HB]])
    from duban.screening.models import SourceRecord

    rec = db.session.scalar(select(SourceRecord).where(SourceRecord.id_number == pid(11)))
    from datetime import date

    rec.on_date = date(2020, 5, 1)
    db.session.commit()
    third = matching.run_rules(db.session, admin, campaign)
    db.session.commit()
    assert third["withdrawn"] == 1
    assert _subjects(campaign)[pid(11)].status == "withdrawn"


def test_matching_sees_only_the_campaigns_subtree_and_tenant(district):
    campaign = _world(district)
    other = factories.make_tree({"思明区民政局": {"中华街道": ["光彩社区"]}})
    outsider = factories.make_user(other["思明区民政局"], "bureau_admin", "outsider")
    db.session.commit()
    load(outsider, other["思明区民政局"], "medical", [["外区人", pid(20), 2021, 90000, 60000, "中华街道", "光彩社区"]])
    from duban.tenancy.scoping import set_tenant

    set_tenant(db.session, campaign.tenant_id)
    matching.run_rules(db.session, district["users"]["admin"], campaign)
    db.session.commit()
    assert pid(20) not in _subjects(campaign)


def test_each_village_sees_only_its_rows(district, login_as):
    campaign = _world(district)
    matching.run_rules(db.session, district["users"]["admin"], campaign)
    db.session.commit()
    village = login_as(district["users"]["village"])  # 金湖社区
    html = village.get(f"/campaigns/{campaign.id}/screening").get_data(as_text=True)
    assert "低保甲" in html and "残庚" in html
    assert "特困乙" not in html and "残己" not in html  # 湖边社区 and 高殿社区
    assert "350206********" in html and pid(1) not in html  # masked
    sibling = login_as(district["users"]["sibling"])  # 殿前街道
    html = sibling.get(f"/campaigns/{campaign.id}/screening").get_data(as_text=True)
    assert "残己" in html and "低保甲" not in html
    hb = db.session.scalar(select(Subject).where(Subject.id_number == pid(2)))
    assert village.get(f"/campaigns/{campaign.id}/screening/subjects/{hb.id}").status_code == 404
    assert village.get(f"/campaigns/{campaign.id}/screening?unit={district['units']['湖边社区'].id}").status_code == 404


def test_run_through_the_web_by_the_bureau_only(district, login_as):
    campaign = _world(district)
    assert login_as(district["users"]["township"]).post_form(f"/campaigns/{campaign.id}/screening/run").status_code == 403
    admin = login_as(district["users"]["admin"])
    r = admin.post_form(f"/campaigns/{campaign.id}/screening/run")
    assert r.status_code == 302
    html = admin.get(r.headers["Location"]).get_data(as_text=True)
    assert "比对完成" in html and "清单共7人" in html
    assert "2021年自付医疗费用1万元以上低保对象" in html


def test_the_list_filters_by_category_state_and_name(district, login_as):
    campaign = _world(district)
    matching.run_rules(db.session, district["users"]["admin"], campaign)
    db.session.commit()
    admin = login_as(district["users"]["admin"])
    url = f"/campaigns/{campaign.id}/screening"
    html = admin.get(url + "?category=new_disabled").get_data(as_text=True)
    assert "残己" in html and "残庚" in html and "低保甲" not in html and "共 2 人" in html
    html = admin.get(url + "?state=todo&q=" + pid(5)[-4:]).get_data(as_text=True)
    assert "居民戊" in html and "共 1 人" in html
    assert "共 1 人" in admin.get(url + "?q=低保甲").get_data(as_text=True)
