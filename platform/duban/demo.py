"""The demo tenant: 厦门市湖里区民政局, its five streets and their communities, one user per role,
and a published 漏保漏救 campaign part-way done.

Everything goes through the same services the web uses (campaign launch, ticks, forms, evidence,
submission, review, the three lists). The story is dated: each action happens on a day of 2022
and only actions up to the demo's "today" are carried out — DUBAN_TODAY when set, otherwise
DEMO_TODAY (2022-08-20, when the campaign is in its 推动落实 phase). The system date is never
read, so the demo is the same on every machine and every day.
"""
from __future__ import annotations

import heapq
import io
import itertools
import struct
import zlib
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import DateTime, event, select
from sqlalchemy import inspect as sa_inspect

from . import clock
from .campaigns.registry import definition
from .campaigns.services import create_draft, publish
from .extensions import db
from .tasks import services as work
from .tasks.models import Task
from .tenancy.models import Membership, OrgUnit, Tenant, User
from .tenancy.passwords import hash_password
from .tenancy.permissions import Role
from .tenancy.scoping import set_tenant
from .tenancy.tree import add_unit

TENANT_NAME = "厦门市湖里区民政局"
TENANT_SLUG = "huli"
BUREAU_NAME = "湖里区民政局"
BUREAU_CODE = "350206000000"
CAMPAIGN_TYPE = "loubao_loujiu"
DOC_NUMBER = "厦湖民〔2022〕15号"
YEAR = 2022
DEMO_TODAY = date(2022, 8, 20)
DEMO_PASSWORD = "demo1234"

# (street, code, operator username, operator name, days relative to a due date the street usually
#  submits: negative = early), then its communities (name, worker username, worker name).
# Division codes are illustrative 12-digit codes under 湖里区 (350206).
STREETS = [
    ("湖里街道", "350206001000", "huli", "黄晓敏", -3,
     [("金湖社区", "jinhu", "李秀英"), ("湖边社区", "hubian", "陈美玲"), ("东渡社区", "dongdu", "郑志明"),
      ("海天社区", "haitian", "吴雅琴")]),
    ("殿前街道", "350206002000", "dianqian", "王丽华", -2,
     [("高殿社区", "gaodian", "张伟"), ("兴隆社区", "xinglong", "林淑珍"), ("殿前社区", "dianqiansq", "蔡文彬"),
      ("高崎社区", "gaoqi", "洪丽娟")]),
    ("禾山街道", "350206003000", "heshan", "许建华", 3,
     [("枋湖社区", "fanghu", "叶秀梅"), ("后埔社区", "houpu", "杨振宇"), ("岭下社区", "lingxia", "庄晓燕")]),
    ("江头街道", "350206004000", "jiangtou", "苏国强", 6,
     [("后坑社区", "houkeng", "谢丽华"), ("江村社区", "jiangcun", "曾志伟"), ("吕厝社区", "lvcuo", "黄碧霞"),
      ("蔡塘社区", "caitang", "周建平")]),
    ("金山街道", "350206005000", "jinshan", "柯美华", -1,
     [("金山社区", "jinshansq", "卢晓红"), ("五通社区", "wutong", "何文斌"), ("西潘社区", "xipan", "邱月华")]),
]
# The bureau's departments named as responsible units by the efficiency_2023 plan (seed 004).
DEPARTMENTS = [("社会救助服务中心", "jiuzhu", "刘海燕"), ("规划财务股", "caiwu", "方振东"), ("慈善救助服务中心", "cishan", "邓美琪")]
ADMIN = ("admin", "陈建国")
INSPECTOR = ("inspector", "林志强")

# The accounts printed by `flask demo seed` and the README: one per role, two for the roles that
# sit at a street or a community. Every other street and community has its own account too
# (listed under 组织机构 → 用户管理), all with DEMO_PASSWORD.
DEMO_USERS = [
    (ADMIN[0], ADMIN[1], Role.BUREAU_ADMIN.value, BUREAU_NAME),
    (INSPECTOR[0], INSPECTOR[1], Role.INSPECTOR.value, BUREAU_NAME),
    ("huli", "黄晓敏", Role.TOWNSHIP_OPERATOR.value, "湖里街道"),
    ("dianqian", "王丽华", Role.TOWNSHIP_OPERATOR.value, "殿前街道"),
    ("jinhu", "李秀英", Role.VILLAGE_WORKER.value, "金湖社区"),
    ("gaodian", "张伟", Role.VILLAGE_WORKER.value, "高殿社区"),
]

# How particular tasks deviate from the street's habit, as of the demo day. Keys: (template, unit).
# "skip": never started; ("returned", day, comment): submitted on day, returned the next day;
# ("submitted", day): waiting for review; ("partial", day, ticks): started, not submitted;
# ("done", day): submitted on day and approved two days later.
OVERRIDES = {
    ("hard_cases", "江头街道"): "skip",
    ("progress_report_3", "江头街道"): ("returned", date(2022, 8, 17), "新纳入低保人数与救助系统数据不一致，请核实后重新报送。"),
    ("progress_report_3", "禾山街道"): ("partial", date(2022, 8, 19), 0),
    ("progress_report_3", "殿前街道"): ("submitted", date(2022, 8, 18)),
    ("progress_report_3", "金山街道"): ("submitted", date(2022, 8, 19)),
    ("one_stop_service", "湖里街道"): ("submitted", date(2022, 8, 19)),
    ("village_zoning", "后坑社区"): "skip",
    ("policy_outreach", "江村社区"): "skip",
    ("policy_outreach", "吕厝社区"): ("returned", date(2022, 6, 29), "宣讲活动照片未体现现场情况，请补充上传后重新提交。"),
    ("household_screening", "东渡社区"): ("done", date(2022, 8, 10)),
    ("household_screening", "高崎社区"): ("done", date(2022, 8, 12)),
    ("household_screening", "金山社区"): ("done", date(2022, 8, 15)),
    ("household_screening", "湖边社区"): ("submitted", date(2022, 8, 19)),
    ("household_screening", "五通社区"): ("submitted", date(2022, 8, 18)),
    ("household_screening", "金湖社区"): ("partial", date(2022, 8, 5), 2),
    ("household_screening", "海天社区"): ("partial", date(2022, 8, 11), 2),
    ("household_screening", "高殿社区"): ("partial", date(2022, 8, 8), 1),
    ("household_screening", "兴隆社区"): ("partial", date(2022, 8, 15), 3),
    ("household_screening", "枋湖社区"): ("partial", date(2022, 8, 2), 1),
    ("household_screening", "西潘社区"): ("partial", date(2022, 8, 9), 2),
}
# Long village tasks that only the overrides above start before the demo day.
NOT_BY_HABIT = {"household_screening", "village_three_lists"}
EVIDENCE_NAMES = {
    "issue_plan": "工作方案（盖章扫描件）.png", "issue_screening_list": "摸排对象清单下发记录.png",
    "staff_training": "业务培训现场照片.png", "policy_outreach": "政策宣讲现场照片.png",
    "household_screening": "入户走访照片.png", "demo_sites": "示范点照片.png",
    "township_summary": "书面总结报告（盖章扫描件）.png", "village_three_lists": "三项清单（盖章扫描件）.png",
    "satisfaction_survey": "满意度测评现场照片.png",
}


class DemoExists(RuntimeError):
    """The demo tenant is already there."""


def demo_today() -> date:
    """The demo's "today": DUBAN_TODAY when configured, else DEMO_TODAY; never the system date."""
    pinned = current_app.config.get("DUBAN_TODAY")
    return date.fromisoformat(str(pinned)) if pinned else DEMO_TODAY


def seed_demo(only_if_empty: bool = False, today: date | None = None) -> bool:
    """Create the demo tenant and commit. Returns False (and does nothing) when only_if_empty and
    the database already has a tenant; raises DemoExists when the demo tenant is already there."""
    session = db.session
    if only_if_empty and session.scalar(select(Tenant.id).limit(1)) is not None:
        return False
    if session.scalar(select(Tenant.id).where(Tenant.name == TENANT_NAME)) is not None:
        raise DemoExists(f"演示租户“{TENANT_NAME}”已存在")
    pinned, scope = current_app.config.get("DUBAN_TODAY"), session.info.get("tenant_id")
    try:
        _Seeder(session, today or demo_today()).run()
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        current_app.config["DUBAN_TODAY"] = pinned
        set_tenant(session, scope)
    return True


# --- Evidence images -------------------------------------------------------------------------

def png(width: int, height: int, seed: int) -> bytes:
    """A small real PNG (RGB, zlib-compressed) whose colours depend on seed."""
    base = ((seed * 67) % 200 + 40, (seed * 131) % 200 + 40, (seed * 29) % 200 + 40)
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter type: none
        for x in range(width):
            if y < height // 5:
                row += bytes(base)
            elif (x + y) // 12 % 2:
                row += bytes((235, 238, 241))
            else:
                row += bytes(min(255, c + 90) for c in base)
        rows.append(bytes(row))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + chunk(b"IEND", b""))


def _stable(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


# --- The seeding itself ----------------------------------------------------------------------

class _Seeder:
    def __init__(self, session, today: date):
        self.session, self.today = session, today
        self.queue: list[tuple[datetime, int, object]] = []
        self.seq = itertools.count()
        self.units: dict[str, OrgUnit] = {}
        self.users: dict[str, User] = {}  # by username
        self.worker_of: dict[str, User] = {}  # unit name -> the user who does its work
        self.lag: dict[str, int] = {}
        self.street_of: dict[str, str] = {}

    def run(self) -> None:
        start = datetime.combine(min(date(YEAR, 5, 20), self.today), time(9, 0), clock.TZ)
        with self.at(start):
            self.build_tree()
        self.plan_campaign()
        self.plan_lists()
        # Actions may schedule further actions (publishing plans the work on each task).
        while self.queue:
            when, _, fn = heapq.heappop(self.queue)
            if when.date() > self.today:
                break
            with self.at(when):
                fn()

    def later(self, when: datetime, fn) -> None:
        heapq.heappush(self.queue, (when, next(self.seq), fn))

    # Every row written or timestamped inside `at` carries that moment, and clock.today() is that
    # day, so the history reads as it happened in 2022 whatever the real clock says.
    @contextmanager
    def at(self, when: datetime):
        current_app.config["DUBAN_TODAY"] = when.date().isoformat()
        session = self.session()

        def stamp(session, flush_context, instances):
            for obj in [*session.new, *session.dirty]:
                _restamp(session, obj, when)

        event.listen(session, "before_flush", stamp)
        try:
            yield
            session.flush()
        finally:
            event.remove(session, "before_flush", stamp)

    # --- org tree and users
    def build_tree(self) -> None:
        s = self.session
        self.tenant = Tenant(name=TENANT_NAME, slug=TENANT_SLUG)
        s.add(self.tenant)
        s.flush()
        set_tenant(s, self.tenant.id)
        self.password_hash = hash_password(DEMO_PASSWORD)  # one hash for all demo accounts
        bureau = self.unit(BUREAU_NAME, "bureau", None, BUREAU_CODE, 0)
        self.user(ADMIN, bureau, Role.BUREAU_ADMIN)
        self.user(INSPECTOR, bureau, Role.INSPECTOR)
        for i, (street, code, username, name, lag, communities) in enumerate(STREETS):
            unit = self.unit(street, "township", bureau, code, i)
            self.lag[street] = lag
            self.worker_of[street] = self.user((username, name), unit, Role.TOWNSHIP_OPERATOR)
            for j, (community, worker, worker_name) in enumerate(communities):
                c = self.unit(community, "village", unit, f"{code[:9]}{j + 1:03d}", j)
                self.street_of[community] = street
                self.worker_of[community] = self.user((worker, worker_name), c, Role.VILLAGE_WORKER)
        for k, (name, username, person) in enumerate(DEPARTMENTS):
            dept = self.unit(name, "department", bureau, None, len(STREETS) + k)
            self.user((username, person), dept, Role.DEPARTMENT_STAFF)

    def unit(self, name, kind, parent, code, order) -> OrgUnit:
        u = add_unit(self.session, tenant_id=self.tenant.id, name=name, kind=kind, parent=parent,
                     division_code=code, sort_order=order)
        self.units[name] = u
        return u

    def user(self, who: tuple[str, str], unit: OrgUnit, role: Role) -> User:
        username, name = who
        u = User(username=username, display_name=name, password_hash=self.password_hash, tenant_id=self.tenant.id)
        u.memberships.append(Membership(org_unit=unit, role=role.value, tenant_id=self.tenant.id))
        self.session.add(u)
        self.users[username] = u
        return u

    # --- the campaign
    def plan_campaign(self) -> None:
        admin = self.users[ADMIN[0]]
        bureau = self.units[BUREAU_NAME]
        holder: dict[str, object] = {}

        def draft():
            d = definition(CAMPAIGN_TYPE)
            holder["campaign"] = create_draft(self.session, admin, type_key=CAMPAIGN_TYPE, root_unit=bureau,
                                              year=YEAR, title=d.type.default_title or d.type.name,
                                              doc_number=DOC_NUMBER)

        def launch():
            publish(self.session, admin, holder["campaign"])

        self.launched = _dt(date(YEAR, 6, 6), 9, 30)
        self.later(_dt(date(YEAR, 6, 2), 9), draft)
        self.later(self.launched, launch)
        self.later(self.launched + timedelta(minutes=1), lambda: self.plan_tasks(holder["campaign"]))
        self.campaign_holder = holder

    def plan_tasks(self, campaign) -> None:
        """Schedule the work on every task (runs once the campaign is published)."""
        tasks = self.session.scalars(select(Task).where(Task.campaign_id == campaign.id).order_by(Task.id)).all()
        for task in tasks:
            self.plan_task(task)
        inspector = self.users[INSPECTOR[0]]
        lagging = next(t for t in tasks if t.spec.template_key == "hard_cases" and t.org_unit.name == "江头街道")
        self.later(_dt(date(YEAR, 8, 19), 10), lambda: work.comment_on(
            self.session, inspector, lagging, "江头街道疑难问题案例至今未报送，请于8月25日前补报，逾期将予以通报。"))

    def plan_task(self, task: Task) -> None:
        unit, key = task.org_unit, task.spec.template_key
        worker = self.users[ADMIN[0]] if unit.kind == "bureau" else self.worker_of[unit.name]
        reviewer = self.users[ADMIN[0]] if unit.kind == "township" else self.worker_of.get(self.street_of.get(unit.name))
        jitter = _stable(unit.name + key) % 3
        plan = OVERRIDES.get((key, unit.name))
        if plan == "skip":
            return
        if plan is None:
            if key in NOT_BY_HABIT:
                return
            if unit.kind == "bureau":
                day = task.due_on - timedelta(days=2 + jitter)
            else:
                street = unit.name if unit.kind == "township" else self.street_of[unit.name]
                day = task.due_on + timedelta(days=self.lag[street] + jitter)
            plan = ("done", day)
        kind, day = plan[0], plan[1]
        hour = 14 + _stable(key) % 4 if unit.kind == "bureau" else 9 + _stable(unit.name) % 7
        when = max(_dt(day, hour, _stable(key) % 60), self.launched + timedelta(hours=1))
        if kind == "partial":
            self.later(when, lambda: self.do_work(task, worker, ticks=plan[2], evidence=False, form=True))
            return
        self.later(when, lambda: self.do_work(task, worker, submit=True))
        if kind == "submitted" or reviewer is None:
            return
        review_at = _dt(day + timedelta(days=1 if kind == "returned" else 2), 15, _stable(unit.name) % 60)
        if kind == "returned":
            self.later(review_at, lambda: work.review(self.session, reviewer, task, approve=False, comment=plan[2]))
        else:
            self.later(review_at, lambda: work.review(self.session, reviewer, task, approve=True,
                                                      comment="材料齐全，同意。"))

    def do_work(self, task: Task, user: User, *, submit: bool = False, ticks: int | None = None,
                evidence: bool = True, form: bool = True) -> None:
        s = self.session
        checklist = work.checklist_for(task)
        if checklist:
            items = checklist.items if ticks is None else checklist.items[:ticks]
            if items:
                work.set_ticks(s, user, task, {i.key for i in items})
        fdef = work.form_for(task)
        if fdef and form:
            work.save_form(s, user, task, progress_figures(task))
        if evidence and (task.spec.evidence_required or task.spec.template_key in EVIDENCE_NAMES):
            name = EVIDENCE_NAMES.get(task.spec.template_key, f"{task.title}（盖章扫描件）.png")
            image = png(160, 100, _stable(task.org_unit.name + task.spec.template_key))
            work.add_evidence(s, user, task, [(name, io.BytesIO(image))])
        if submit:
            note = "已按要求完成，请审核。" if not work.is_top_level(task) else "已完成。"
            work.submit(s, user, task, note)

    # --- the three lists
    def plan_lists(self) -> None:
        from .lists import services as lists

        def campaign():
            return self.campaign_holder["campaign"]

        u, w = self.units, self.worker_of
        state: dict[str, object] = {}

        def hubian_problem():
            state["hubian"] = lists.record_problem(self.session, w["湖边社区"], campaign(), u["湖边社区"], {
                "source": "self_check", "category": "主动摸排不到位", "person_involved": "陈某某（户主）",
                "description": "辖区内1户重病家庭2021年自付医疗费用超过1万元，未列入摸排对象清单，未及时纳入保障。",
                "found_on": "2022-07-12"})

        def hubian_rect():
            lists.add_rectification(self.session, w["湖边社区"], state["hubian"], {
                "measure": "入户核实家庭收入和财产状况，协助申请低保并启动审核审批程序。",
                "responsible_person": "陈美玲", "due_on": "2022-07-31", "status": "done", "completed_on": "2022-07-28"})
            lists.record_result(self.session, w["湖边社区"], campaign(), u["湖边社区"], {
                "description": "陈某某一户3人新纳入低保，按月发放低保金。", "outcome": "新纳入低保", "people": "3",
                "achieved_on": "2022-07-28"}, problem=state["hubian"])

        def jinhu_problem():
            state["jinhu"] = lists.record_problem(self.session, w["湖里街道"], campaign(), u["金湖社区"], {
                "source": "spot_check", "category": "信访诉求未及时办理", "person_involved": "李某",
                "description": "街道抽查发现1件社会救助信访件超过办理时限未答复。", "found_on": "2022-08-09"})

        def jinhu_rect():
            lists.add_rectification(self.session, w["金湖社区"], state["jinhu"], {
                "measure": "联系信访人当面答复，核查其临时救助申请材料并报街道审批。",
                "responsible_person": "李秀英", "due_on": "2022-08-31", "status": "in_progress"})

        def jiangtou_problem():
            lists.record_problem(self.session, self.users[ADMIN[0]], campaign(), u["江头街道"], {
                "source": "inspection", "category": "主动摸排不到位",
                "description": "督导发现部分社区排查台账填写不规范，12名摸排对象缺少入户照片。", "found_on": "2022-08-16"})

        def gaodian_result():
            lists.record_result(self.session, w["高殿社区"], campaign(), u["高殿社区"], {
                "description": "2名重度残疾人按“单列对象”纳入低保。", "outcome": "按单列对象纳入低保", "people": "2",
                "achieved_on": "2022-08-03"})

        def xinglong_problem():
            state["xinglong"] = lists.record_problem(self.session, w["兴隆社区"], campaign(), u["兴隆社区"], {
                "source": "petition", "category": "实施救助不及时", "person_involved": "林某某",
                "description": "困难群众反映因病支出型困难申请临时救助后1个月未获答复。", "found_on": "2022-07-20"})

        def xinglong_rect():
            lists.add_rectification(self.session, w["兴隆社区"], state["xinglong"], {
                "measure": "补齐申请材料报街道审批，发放临时救助金5000元。", "responsible_person": "林淑珍",
                "due_on": "2022-08-10", "status": "done", "completed_on": "2022-08-05"})
            lists.record_result(self.session, w["兴隆社区"], campaign(), u["兴隆社区"], {
                "description": "林某某获临时救助5000元。", "outcome": "给予临时救助", "people": "1",
                "achieved_on": "2022-08-05"}, problem=state["xinglong"])

        for day, hour, fn in ((date(YEAR, 7, 12), 16, hubian_problem), (date(YEAR, 7, 28), 17, hubian_rect),
                              (date(YEAR, 8, 9), 11, jinhu_problem), (date(YEAR, 8, 10), 10, jinhu_rect),
                              (date(YEAR, 8, 16), 17, jiangtou_problem), (date(YEAR, 8, 3), 16, gaodian_result),
                              (date(YEAR, 7, 20), 15, xinglong_problem), (date(YEAR, 8, 5), 16, xinglong_rect)):
            self.later(_dt(day, hour), fn)


def _dt(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), clock.TZ)


def progress_figures(task: Task) -> dict[str, str]:
    """Plausible cumulative figures for a street's 进度表 at the time of the task's report."""
    seed = _stable(task.org_unit.name)
    stage = {"progress_report_1": 0, "progress_report_2": 1, "progress_report_3": 2}.get(task.spec.template_key, 2)
    to_screen = 180 + seed % 220
    screened = int(to_screen * (0.38, 0.74, 0.95)[stage])
    found = 2 + seed % 4 + stage * 3
    figures = {
        "to_screen": to_screen, "screened": screened, "new_dibao": 1 + stage * 2 + seed % 3,
        "new_tekun": stage // 2 + seed % 2, "new_children": seed % 2 if stage else 0,
        "single_listed": stage + seed % 2, "temp_aid_count": 3 + stage * 4 + seed % 5,
        "temp_aid_amount": f"{(3 + stage * 4 + seed % 5) * 2500}.00", "monitored": 5 + stage * 6 + seed % 7,
        "petitions_answered": 1 + stage + seed % 2, "problems_found": found, "problems_fixed": found - 2 + stage,
        "notes": "",
    }
    return {k: str(v) for k, v in figures.items()}


def _restamp(session, obj, when: datetime) -> None:
    """Give obj's timestamps the simulated moment: on a new row every timestamp that is set or
    defaulted (created_at, at, ...); on a changed row the timestamps just assigned (submitted_at, ...)."""
    state = sa_inspect(obj)
    is_new = obj in session.new
    for prop in state.mapper.column_attrs:
        column = prop.columns[0]
        if not isinstance(column.type, DateTime):
            continue
        value = getattr(obj, prop.key)
        if is_new:
            if value is not None or column.default is not None:
                setattr(obj, prop.key, when)
        elif value is not None and state.attrs[prop.key].history.added:
            setattr(obj, prop.key, when)
