"""Reading the audit trail: per campaign and unit, filtered, paged, and exported as xlsx.

Admins (Permission.ORG_MANAGE — bureau admins) read the events of the units in their subtrees;
events without a unit (rare: none of the services writes one) are not shown. The export is an
event itself ("audit.exported").
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import IO

import xlsxwriter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..clock import TZ
from ..errors import ValidationError
from ..tenancy.models import OrgUnit, User
from ..tenancy.tree import path_range
from .models import AuditEvent
from .services import record

EXPORT_MAX = 100_000
ACTION_LABELS = {
    "task.started": "开始办理", "task.checklist": "更新检查清单", "task.form_saved": "保存填报表单",
    "task.submitted": "提交审核", "task.completed": "办结任务", "task.approved": "审核通过",
    "task.returned": "退回修改", "task.commented": "发表意见",
    "evidence.added": "上传佐证材料", "evidence.deleted": "删除佐证材料",
    "problem.created": "登记问题", "rectification.created": "登记整改措施",
    "rectification.status_changed": "更新整改状态", "problem.status_changed": "问题状态变化",
    "result.created": "登记成果",
    "campaign.drafted": "生成专项行动草稿", "campaign.draft_updated": "修改专项行动草稿",
    "campaign.published": "发布专项行动",
    "org_unit.created": "新增单位", "org_unit.updated": "修改单位", "user.created": "新增用户",
    "user.password_reset": "重置密码", "user.deactivated": "停用账号", "user.activated": "启用账号",
    "urge.created": "催办", "escalation.created": "督办（约谈/通报/挂牌）", "escalation.resolved": "督办办结",
    "clue.recorded": "登记问题线索", "clue.transferred": "移交纪检监察",
    "circular.drafted": "起草通报", "circular.edited": "修改通报", "circular.issued": "印发通报",
    "circular.exported": "下载通报", "spot_check.drawn": "抽取抽查样本", "spot_check.finding": "记录抽查结果",
    "audit.exported": "导出操作记录",
    "ledger.row_added": "台账新增一行", "ledger.row_changed": "修改台账行", "ledger.imported": "导入台账",
    "ledger.exported": "导出台账/名单", "person.id_viewed": "查看完整身份证号",
    "screening.imported": "导入摸排数据", "screening.matched": "运行比对规则", "screening.subject_added": "补录摸排对象",
    "screening.visit_recorded": "登记入户走访", "screening.photos_added": "上传走访照片",
    "evaluation.recorded": "登记考核评价", "evaluation.changed": "修改考核评价",
    "campaign.department_mapped": "指定承办股室", "plandraft.template_saved": "保存方案模板",
    "plandraft.template_updated": "修改方案模板", "plandraft.template_deleted": "删除方案模板",
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


@dataclass
class Filters:
    unit: OrgUnit
    campaign_id: int | None = None
    action: str = ""  # a prefix: "task", "task.returned", "escalation"…
    since: date | None = None
    until: date | None = None

    @classmethod
    def parse(cls, unit: OrgUnit, args: dict, campaign_ids: set[int]) -> Filters:
        errors = {}
        f = cls(unit)
        raw = (args.get("campaign") or "").strip()
        if raw:
            if raw.isdigit() and int(raw) in campaign_ids:
                f.campaign_id = int(raw)
            else:
                errors["campaign"] = "所选专项行动不存在"
        f.action = (args.get("action") or "").strip()[:60]
        for key, label in (("since", "开始日期"), ("until", "结束日期")):
            raw = (args.get(key) or "").strip()
            if raw:
                try:
                    setattr(f, key, date.fromisoformat(raw))
                except ValueError:
                    errors[key] = f"{label}格式应为 年-月-日"
        if f.since and f.until and f.until < f.since:
            errors["until"] = "结束日期不能早于开始日期"
        if errors:
            raise ValidationError(fields=errors)
        return f

    def where(self) -> list:
        low, high = path_range(self.unit.path)
        clauses = [AuditEvent.unit_path >= low, AuditEvent.unit_path < high]
        if self.campaign_id:
            clauses.append(AuditEvent.campaign_id == self.campaign_id)
        if self.action:
            clauses.append(AuditEvent.action.startswith(self.action, autoescape=True))
        if self.since:
            clauses.append(AuditEvent.at >= datetime.combine(self.since, time.min, TZ))
        if self.until:
            clauses.append(AuditEvent.at < datetime.combine(self.until + timedelta(days=1), time.min, TZ))
        return clauses


def page(session: Session, filters: Filters, *, limit: int = 100, offset: int = 0) -> tuple[int, list[AuditEvent]]:
    where = filters.where()
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
    rows = session.scalars(select(AuditEvent).where(*where).order_by(AuditEvent.id.desc()).limit(limit).offset(offset))
    return total, list(rows)


FIELD_LABELS = {
    "status": "状态", "title": "标题", "doc_number": "文号", "note": "说明", "message": "内容", "reason": "事由",
    "kind": "方式", "on_date": "日期", "follow_up_by": "整改期限", "resolution": "办结情况", "resolved_on": "办结日期",
    "description": "描述", "source": "来源", "found_on": "发现日期", "measure": "整改措施", "due_on": "期限",
    "completed_on": "完成日期", "finding": "核查结果", "seed": "随机种子", "sample_size": "抽取数量",
    "population_size": "总数", "summary": "摘要", "transferred_to": "接收单位", "transferred_on": "移交日期",
    "name": "名称", "username": "用户名", "display_name": "姓名", "role": "角色", "active": "启用",
    "deleted": "已删除", "filename": "文件名", "files": "文件", "rows": "行数", "task_id": "任务",
    "task_ids": "涉及任务", "problem_ids": "涉及问题", "problem_id": "问题", "version": "版本", "data": "填报内容",
    "changed": "变更", "due_soon_days": "临期提醒天数", "pace_margin": "序时进度容差", "as_of": "数据截至",
    "issued_on": "成文日期", "body": "正文", "issuer": "发文单位", "tasks": "任务数",
}


def changes(ev: AuditEvent) -> list[tuple[str, str, str]]:
    """(field label, old, new) for display: every key of old and new."""
    old, new = ev.old or {}, ev.new or {}
    return [(FIELD_LABELS.get(k, k), _text(old.get(k)), _text(new.get(k))) for k in dict.fromkeys([*old, *new])]


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, (list, dict)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


HEADERS = ("序号", "时间", "操作人", "操作", "动作代码", "对象类型", "对象编号", "单位", "专项行动编号", "原值", "新值", "说明")


def export(session: Session, user: User, filters: Filters, target: IO) -> int:
    """Write the matching events (oldest first) to target as xlsx; record the export; return the count."""
    units = dict(session.execute(select(OrgUnit.id, OrgUnit.name)).all())
    wb = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("操作记录")
    head = wb.add_format({"bold": True, "border": 1, "bg_color": "#EEF1F4"})
    for i, (label, width) in enumerate(zip(HEADERS, (7, 18, 12, 16, 22, 14, 9, 14, 10, 40, 40, 30))):
        ws.set_column(i, i, width)
        ws.write_string(0, i, label, head)
    n = 0
    stmt = select(AuditEvent).where(*filters.where()).order_by(AuditEvent.id).limit(EXPORT_MAX)
    for n, ev in enumerate(session.scalars(stmt.execution_options(yield_per=1000)), start=1):
        at = ev.at.astimezone(TZ) if ev.at.tzinfo else ev.at
        values = (str(n), at.strftime("%Y-%m-%d %H:%M:%S"), ev.actor.display_name if ev.actor else "系统",
                  action_label(ev.action), ev.action, ev.object_type, "" if ev.object_id is None else str(ev.object_id),
                  units.get(ev.org_unit_id, ""), "" if ev.campaign_id is None else str(ev.campaign_id),
                  json.dumps(ev.old, ensure_ascii=False) if ev.old is not None else "",
                  json.dumps(ev.new, ensure_ascii=False) if ev.new is not None else "", ev.note or "")
        for i, v in enumerate(values):
            ws.write_string(n, i, v)
    wb.close()
    record(session, user, "audit.exported", object_type="audit", org_unit=filters.unit,
           campaign_id=filters.campaign_id, new={"rows": n, "action": filters.action, "since": filters.since,
                                                 "until": filters.until})
    return n
