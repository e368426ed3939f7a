"""The extractor on plans written differently from the seeds, and on text that is not a plan."""
from datetime import date

import pytest
from duban.plandraft import PlanError, build

COUNTY = """某某县民政局文件

某民发〔2024〕7号

关于印发《某某县2024年低保专项整治工作方案》的通知

各乡（镇）人民政府：
现将《某某县2024年低保专项整治工作方案》印发给你们，请认真贯彻执行。

某某县2024年低保专项整治工作方案

根据省厅《关于开展低保专项整治的通知》（某民字〔2024〕3号）要求，制定本方案。
一、工作目标
实现应保尽保、应退尽退。
二、工作任务
（一）开展入户核查。各乡（镇）要对所有低保对象逐户核查，做到不漏一户。（责任单位：县社会救助局，各乡镇人民政府）
（二）规范审核审批。严格执行审核审批程序，杜绝人情保、关系保。
三、时间安排
第一阶段：动员部署（2024年3月1日—3月15日）。各乡镇召开动员会。
第二阶段：排查整改（3月16日至5月31日）。全面开展排查整改。
第三阶段：总结验收（6月）。各乡（镇）于6月20日前将工作总结报县民政局社会救助股。
四、工作要求
各乡镇每月5日前报送进度表，每季度末汇总一次。
"""

CROSS_YEAR = """某街道开展困难群众冬季救助攻坚行动实施方案
一、重点任务
1.摸底排查。各社区要对辖区困难群众逐户走访。
2.发放物资。于元旦前将慰问物资发放到户。
二、实施步骤
（一）部署阶段（11月）。制定方案。
（二）攻坚阶段（12月—次年1月）。集中攻坚。
（三）总结阶段（2月）。各社区于2月25日前报送工作总结。
某街道办事处
2023年10月8日
"""


def test_a_county_plan_with_other_wording():
    d = build(COUNTY)
    assert (d["title"], d["issuer"], d["doc_number"], d["year"]) == (
        "某某县2024年低保专项整治工作方案", "某某县民政局", "某民发〔2024〕7号", 2024)
    assert [(p["name"], p["start"], p["end"]) for p in d["phases"]] == [
        ("动员部署", date(2024, 3, 1), date(2024, 3, 15)),
        ("排查整改", date(2024, 3, 16), date(2024, 5, 31)),
        ("总结验收", date(2024, 6, 1), date(2024, 6, 30)),
    ]
    [deadline] = d["deadlines"]
    assert (deadline["date"], deadline["what"], deadline["to"]) == (date(2024, 6, 20), "工作总结", "县民政局社会救助股")
    assert deadline["phase"] == "p3" and deadline["level"] == "township"
    assert sorted(r["rule"] for r in d["recurring"]) == ["monthly:5", "quarterly"]
    assert [(t["title"], t["responsible"]) for t in d["tasks"]] == [
        ("开展入户核查", ["县社会救助局", "各乡镇人民政府"]), ("规范审核审批", [])]
    # Every item points at the sentence it came from.
    for item in d["phases"] + d["deadlines"] + d["recurring"] + d["tasks"]:
        assert d["sentences"][item["sentence"]]["text"] == item["source"]
    assert "20日前" in d["deadlines"][0]["source"]


def test_a_schedule_that_crosses_the_new_year():
    d = build(CROSS_YEAR)
    assert d["year"] == 2023 and d["doc_number"] == "" and "文号" in d["missing"]
    assert [(p["start"], p["end"]) for p in d["phases"]] == [
        (date(2023, 11, 1), date(2023, 11, 30)), (date(2023, 12, 1), date(2024, 1, 31)),
        (date(2024, 2, 1), date(2024, 2, 29))]
    assert [(x["date"], x["what"]) for x in d["deadlines"]] == [
        (date(2023, 12, 31), "慰问物资发放到户"), (date(2024, 2, 25), "工作总结")]
    assert d["deadlines"][0]["holiday"] == "元旦"
    assert [t["title"] for t in d["tasks"]] == ["摸底排查", "发放物资"]
    assert d["tasks"][0]["level"] == "village"


@pytest.mark.parametrize("text, message", [
    ("", "没有可识别的文字"),
    ("   \n\n  ", "没有可识别的文字"),
    ("Quarterly report of the committee. Nothing to see here." * 3, "几乎没有汉字"),
    ("今天天气很好，我们去公园散步，看到很多人在锻炼身体，心情非常愉快。晚上回家吃饭，早早休息。", "没有找到进度安排"),
])
def test_what_is_not_a_plan_is_refused_with_what_was_missing(text, message):
    with pytest.raises(PlanError, match=message):
        build(text)


def test_a_plan_without_a_year_says_so():
    text = "工作方案\n一、主要任务\n（一）开展排查。各街道要全面排查。\n二、进度安排\n（一）部署阶段（6月）。部署。"
    d = build(text)
    assert d["warnings"] and "未找到方案年度" in d["warnings"][0]
    assert d["phases"][0]["start"].month == 6


def test_other_schedule_and_work_headings():
    text = """某区民政局关于开展救助资金专项检查的工作方案
（2023年4月2日）
一、工作重点
（一）核查资金发放。各街道对照发放名册逐一核对。
（二）清理问题资金。对多发、错发资金及时追回。
二、工作步骤
第一阶段（5月1日-15日）：动员部署。各街道制定方案。
第二阶段（5月16日至6月30日）：检查整改。全面开展检查。
三、工作要求
（一）加强领导。各街道要高度重视。
"""
    d = build(text)
    assert d["year"] == 2023
    assert [(p["name"], p["start"], p["end"]) for p in d["phases"]] == [
        ("动员部署", date(2023, 5, 1), date(2023, 5, 15)), ("检查整改", date(2023, 5, 16), date(2023, 6, 30))]
    assert [t["title"] for t in d["tasks"]] == ["核查资金发放", "清理问题资金"]


def test_a_plan_issued_in_december_for_the_next_half_year():
    text = """某镇困难群众救助工作方案
一、主要任务
（一）入户走访。各村要全面走访。
二、进度安排
（一）部署阶段（1月）。部署。
（二）实施阶段（2-5月）。各村于4月30日前报送走访台账。
某镇人民政府
2022年12月20日
"""
    d = build(text)
    assert d["year"] == 2022 and d["issued_on"] == date(2022, 12, 20)
    assert [(p["start"], p["end"]) for p in d["phases"]] == [
        (date(2023, 1, 1), date(2023, 1, 31)), (date(2023, 2, 1), date(2023, 5, 31))]
    assert [x["date"] for x in d["deadlines"]] == [date(2023, 4, 30)]
