"""Realistic synthetic rosters and department files for the demo, the tests and the benchmarks.

Everything is generated: valid ID numbers (GB 11643 check digit, area code of 厦门市湖里区, real
birth dates), common Chinese names, households, addresses in the given villages. With bad=True
a few rows per file carry the mistakes real files have (a wrong check digit, an ID typed as a
number, an unknown community, an impossible date), so row-level errors can be seen.
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import xlsxwriter

from ..ledgers.idnumber import check_char

AREA = "350206"  # 厦门市湖里区
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段雷黎史龙陶贺顾毛郝龚邵万钱严洪赖武"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉梅文辉春燕金凤海燕晓东振宇淑珍丽华美玲雅琴碧霞月华"
RECIPIENT_HEADERS = ["序号", "姓名", "身份证号", "性别", "救助类别", "户主身份证号", "与户主关系", "家庭人口", "保障金额",
                     "纳入日期", "联系电话", "乡镇（街道）", "村（居委会）"]


class People:
    def __init__(self, places: list[tuple[str, str]], seed: int = 2022):
        self.rng = random.Random(seed)
        self.places = places
        self.used: set[str] = set()

    def id_number(self, born: date | None = None) -> str:
        rng = self.rng
        while True:
            born = born or date(1935, 1, 1) + timedelta(days=rng.randrange(0, 80 * 365))
            first = f"{AREA}{born:%Y%m%d}{rng.randrange(0, 1000):03d}"
            number = first + check_char(first)
            if number not in self.used:
                self.used.add(number)
                return number
            born = None

    def name(self) -> str:
        rng = self.rng
        return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))

    def phone(self) -> str:
        return f"1{self.rng.choice('3589')}{self.rng.randrange(0, 10**9):09d}"

    def person(self) -> dict:
        return {"id": self.id_number(), "name": self.name(), "place": self.rng.choice(self.places), "phone": self.phone()}


def write_table(path: Path, headers: list[str], rows, *, shared_strings: bool = False) -> int:
    """Write headers and rows to an xlsx file as a department would send it (text cells as text):
    text inline in the sheet, as a system's export writes it, or with shared_strings in a table of
    its own, as Excel and WPS save a file (that holds every row in memory while writing)."""
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": not shared_strings, "strings_to_numbers": False})
    ws = wb.add_worksheet("数据")
    text = wb.add_format({"num_format": "@"})
    for c, h in enumerate(headers):
        ws.write_string(0, c, h)
    n = 0
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, float) or (isinstance(v, int) and not isinstance(v, bool)):
                ws.write_number(r, c, v)
            elif isinstance(v, date):
                ws.write_string(r, c, v.isoformat())
            else:
                ws.write_string(r, c, str(v), text)
        n = r
    wb.close()
    return n


def _spoil(rng: random.Random, row: list, id_col: int, place_col: int, date_col: int | None) -> list:
    row = list(row)
    kind = rng.randrange(4)
    if kind == 0:
        last = row[id_col][-1]
        row[id_col] = row[id_col][:-1] + ("0" if last != "0" else "1")
    elif kind == 1:
        row[id_col] = float(row[id_col][:-1] + "0")  # typed as a number: Excel keeps 15 digits
    elif kind == 2:
        row[place_col] = "不存在社区"
    elif date_col is not None:
        row[date_col] = "2021-02-30"
    else:
        row[id_col] = row[id_col][:10]
    return row


def generate(out: Path, places: list[tuple[str, str]], *, recipients: int = 2000, medical: int | None = None,
             seed: int = 2022, bad: bool = True) -> dict[str, Path]:
    """Write recipients, medical, disability, petition, monitoring and death files into out."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    people = People(places, seed)
    rng = people.rng
    medical = recipients if medical is None else medical
    programmes = ["低保"] * 70 + ["特困"] * 10 + ["低保边缘"] * 15 + ["孤儿"] * 2 + ["事实无人抚养儿童"] * 3
    roster = []
    while len(roster) < recipients:
        head = people.person()
        programme = rng.choice(programmes)
        size = 1 if programme in ("特困", "孤儿", "事实无人抚养儿童") else rng.choice((1, 2, 2, 3, 3, 4))
        members = [head] + [{**people.person(), "place": head["place"]} for _ in range(size - 1)]
        amount = {"低保": 1020, "特困": 1530, "低保边缘": 0, "孤儿": 1800, "事实无人抚养儿童": 1800}[programme] * size
        since = date(2015, 1, 1) + timedelta(days=rng.randrange(0, 7 * 365))
        for i, m in enumerate(members):
            m["programme"] = programme
            roster.append([len(roster) + 1, m["name"], m["id"], "男" if int(m["id"][16]) % 2 else "女", programme,
                           head["id"], "本人" if i == 0 else rng.choice(("配偶", "子女", "父母")), size,
                           float(amount) if i == 0 and amount else None, since, m["phone"] if i == 0 else None,
                           *m["place"]])
    roster = roster[:recipients]
    on_roster = [(r[1], r[2], (r[11], r[12]), r[4]) for r in roster]
    bad_every = 97 if bad else 0
    files = {}

    def maybe_bad(i, row, id_col, place_col, date_col):
        return _spoil(rng, row, id_col, place_col, date_col) if bad_every and i % bad_every == 13 else row

    files["recipients"] = out / "在保对象花名册.xlsx"
    write_table(files["recipients"], RECIPIENT_HEADERS,
           (maybe_bad(i, r, 2, 12, 9) for i, r in enumerate(roster)))

    def sample_person(share_on_roster: float):
        if on_roster and rng.random() < share_on_roster:
            name, id_, place, _ = rng.choice(on_roster)
            return name, id_, place
        p = people.person()
        return p["name"], p["id"], p["place"]

    rows, seen = [], set()
    for i in range(medical):
        name, id_, place = sample_person(0.5)
        year = rng.choice((2020, 2021, 2021, 2021))
        if (id_, year) in seen:
            continue
        seen.add((id_, year))
        self_paid = round(rng.lognormvariate(8.3, 1.2), 2)
        rows.append(maybe_bad(i, [i + 1, name, id_, year, round(self_paid * rng.uniform(1.2, 3), 2), self_paid, *place],
                              2, 7, None))
    files["medical"] = out / "医保自付费用.xlsx"
    write_table(files["medical"], ["序号", "姓名", "公民身份号码", "结算年度", "医疗费用总额", "个人自付金额", "所属街道", "所属社区"], rows)

    small = max(20, recipients // 20)
    types = ["肢体"] * 5 + ["视力", "听力", "言语", "智力", "精神", "精神", "多重"]
    files["disability"] = out / "残联新增持证残疾人.xlsx"
    write_table(files["disability"], ["姓名", "身份证号", "残疾类别", "残疾等级", "发证日期", "乡镇（街道）", "村（居委会）"], (
        maybe_bad(i, [*sample_person(0.3)[:2], rng.choice(types), rng.choice(("一级", "二级", "三级", "三级", "四级")),
                      date(2020, 1, 1) + timedelta(days=rng.randrange(0, 900)), *sample_person(0)[2]], 1, 6, 4)
        for i in range(small)))
    files["petition"] = out / "社会救助类信访.xlsx"
    write_table(files["petition"], ["姓名", "身份证号", "信访日期", "信访事项", "办理情况", "乡镇（街道）", "村（居委会）"], (
        [*sample_person(0.4)[:2], date(2020, 6, 1) + timedelta(days=rng.randrange(0, 700)),
         rng.choice(("申请低保未获答复", "反映因病致贫生活困难", "咨询临时救助政策", "反映低保金额偏低")),
         rng.choice(("已答复", "办理中", "")), *rng.choice(places)] for _ in range(small // 2)))
    files["monitoring"] = out / "防返贫监测对象.xlsx"
    write_table(files["monitoring"], ["姓名", "身份证号", "监测年度", "监测对象类别", "纳入监测日期", "乡镇（街道）", "村（居委会）"], (
        [*sample_person(0.2)[:2], rng.choice((2021, 2022, 2022)),
         rng.choice(("脱贫不稳定户", "边缘易致贫户", "突发严重困难户")), date(2022, 1, 1) + timedelta(days=rng.randrange(0, 150)),
         *rng.choice(places)] for _ in range(small // 2)))
    deaths = rng.sample(on_roster, min(len(on_roster), max(3, recipients // 200)))
    files["death"] = out / "死亡人员名单.xlsx"
    write_table(files["death"], ["姓名", "身份证号", "死亡日期", "乡镇（街道）", "村（居委会）"], (
        [n, i, date(2021, 1, 1) + timedelta(days=rng.randrange(0, 500)), *p] for n, i, p, _ in deaths))
    return files
