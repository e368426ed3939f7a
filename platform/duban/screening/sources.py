"""The kinds of data a bureau imports for screening, and the fields of each.

Every kind stores its rows in one table (SourceRecord); a field names the column it lands in,
so matching rules can refer to fields by key ("self_paid") and run as plain SQL. The unit a row
belongs to is named by its 乡镇（街道）and 村（居委会）columns (or a 12-digit division code).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ledgers.cells import Field

PROGRAMMES = ("低保", "特困", "孤儿", "事实无人抚养儿童", "低保边缘")
DISABILITY_TYPES = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
GRADES = ("一级", "二级", "三级", "四级")
# Record columns a field may land in; anything else goes to SourceRecord.extra.
COLUMNS = ("name", "id_number", "programme", "grade", "amount", "amount2", "on_date", "year", "household_id", "phone")
LOCATORS = ("township", "village", "division_code")


@dataclass(frozen=True)
class SourceKind:
    key: str
    name: str
    provider: str  # the department the data comes from
    fields: tuple[Field, ...]
    columns: dict  # field key -> SourceRecord column (or "extra")
    natural_key: tuple[str, ...]  # fields that identify one row of a person (re-import updates it)
    # A snapshot (the recipients roster) lists everyone at the time of export: imported as the whole
    # list of the importing unit's subtree, it also tells who has left. Department data only adds.
    snapshot: bool = False

    def field(self, key: str) -> Field:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    def column(self, key: str) -> str:
        return self.columns.get(key, "extra")


NAME = Field("name", "姓名", required=True, max_length=60, aliases=("申请人", "户主姓名", "对象姓名", "人员姓名"))
ID = Field("id_number", "身份证号", "id_number", required=True,
           aliases=("身份证号码", "公民身份号码", "证件号码", "身份证"))
TOWNSHIP = Field("township", "乡镇（街道）", max_length=60, aliases=("乡镇", "街道", "镇街", "所属街道"))
VILLAGE = Field("village", "村（居委会）", max_length=60, aliases=("村", "社区", "村居", "村（社区）", "居委会", "所属社区"))
CODE = Field("division_code", "区划代码", max_length=12, aliases=("行政区划代码", "统计用区划代码"))
PLACE = (TOWNSHIP, VILLAGE, CODE)


def _kind(key, name, provider, fields, columns, natural_key, snapshot=False) -> SourceKind:
    return SourceKind(key, name, provider, (NAME, ID, *fields, *PLACE),
                      {"name": "name", "id_number": "id_number", **columns}, natural_key, snapshot)


KINDS: dict[str, SourceKind] = {k.key: k for k in (
    _kind("recipients", "在保对象花名册", "民政（社会救助系统）", (
        Field("programme", "救助类别", "choice", True, PROGRAMMES, ("保障类别", "对象类别", "类别")),
        Field("household_id", "户主身份证号", "id_number", aliases=("户主身份证号码",)),
        Field("relation", "与户主关系", max_length=20, aliases=("关系",)),
        Field("household_size", "家庭人口", "int", min=1, max=30, aliases=("家庭人数", "保障人口")),
        Field("amount", "保障金额", "decimal", min=0, aliases=("月保障金额", "保障金额（元）", "救助金额")),
        Field("included_on", "纳入日期", "date", aliases=("纳入保障日期", "批准日期")),
        Field("phone", "联系电话", "phone", aliases=("电话", "手机号码", "联系方式")),
    ), {"programme": "programme", "household_id": "household_id", "amount": "amount", "included_on": "on_date",
        "phone": "phone"}, ("id_number", "programme"), snapshot=True),
    _kind("medical", "医保自付医疗费用", "医保局", (
        Field("year", "年度", "year", True, aliases=("结算年度", "费用年度")),
        Field("total_cost", "医疗总费用", "decimal", min=0, aliases=("医疗费用总额", "总费用")),
        Field("self_paid", "个人自付费用", "decimal", True, min=0,
              aliases=("自付医疗费用", "自付费用", "个人自付", "自付金额")),
    ), {"year": "year", "self_paid": "amount", "total_cost": "amount2"}, ("id_number", "year")),
    _kind("disability", "新增持证残疾人", "残联", (
        Field("disability_type", "残疾类别", "choice", True, DISABILITY_TYPES, ("残疾类型",)),
        Field("grade", "残疾等级", "choice", True, GRADES, ("等级",)),
        Field("certified_on", "发证日期", "date", True, aliases=("办证日期", "持证日期", "评定日期")),
    ), {"disability_type": "programme", "grade": "grade", "certified_on": "on_date"},
        ("id_number", "certified_on")),
    _kind("petition", "社会救助类信访", "信访局", (
        Field("petitioned_on", "信访日期", "date", True, aliases=("来访日期", "登记日期")),
        Field("matter", "信访事项", max_length=500, aliases=("诉求内容", "事由")),
        Field("status", "办理情况", max_length=200, aliases=("办理结果", "答复情况")),
    ), {"petitioned_on": "on_date"}, ("id_number", "petitioned_on")),
    _kind("monitoring", "防返贫监测对象", "乡村振兴局", (
        Field("year", "监测年度", "year", True, aliases=("年度",)),
        Field("monitor_type", "监测对象类别", "choice", False, ("脱贫不稳定户", "边缘易致贫户", "突发严重困难户"),
              ("监测类型", "对象类别")),
        Field("monitored_since", "纳入监测日期", "date", aliases=("识别日期",)),
    ), {"year": "year", "monitor_type": "programme", "monitored_since": "on_date"}, ("id_number", "year")),
    _kind("death", "死亡人员名单", "公安、卫健（殡葬）", (
        Field("died_on", "死亡日期", "date", True, aliases=("死亡时间", "火化日期")),
    ), {"died_on": "on_date"}, ("id_number",)),
)}


def kind(key: str) -> SourceKind:
    try:
        return KINDS[key]
    except KeyError:
        raise LookupError(f"unknown data source {key!r}") from None
