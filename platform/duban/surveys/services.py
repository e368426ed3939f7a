"""A campaign's survey, for staff: create it from the campaign type's declaration, edit the
questions and settings while it is a draft, open and close it, keep one public link per unit.

Only a bureau admin (CAMPAIGN_LAUNCH at the campaign's launching unit) changes a survey. Every
function validates all input before it writes and raises ValidationError with Chinese messages.
"""
from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import clock
from ..audit.services import record as audit
from ..campaigns.models import Campaign
from ..campaigns.registry import plugin_manager
from ..campaigns.services import target_units
from ..errors import ValidationError
from ..tenancy.access import require
from ..tenancy.models import User
from ..tenancy.permissions import Permission
from .models import Survey, SurveyLink
from .types import (
    DEFAULT_LIKERT_LABELS, MAX_OPTIONS, MAX_QUESTIONS, OPTION_MAX, QUESTION_TEXT_MAX, QUESTION_TYPES,
    TEXT_ANSWER_MAX, SurveyDefinition, SurveyQuestion,
)

TITLE_MAX = 200
INTRO_MAX = 1000


def declared(campaign: Campaign) -> SurveyDefinition | None:
    """The survey the campaign's type declares (campaign_survey hook), or None."""
    return plugin_manager().hook.campaign_survey(campaign_type=campaign.type_key)


def survey_for(session: Session, campaign: Campaign) -> Survey | None:
    return session.scalar(select(Survey).where(Survey.campaign_id == campaign.id))


def require_admin(user: User, campaign: Campaign) -> None:
    """404 outside the user's subtree, 403 without the right to run the campaign."""
    require(user, Permission.CAMPAIGN_LAUNCH, campaign.root_unit)


def _audit(session, user, action, survey, **kw):
    audit(session, user, action, object_type="survey", object_id=survey.id, org_unit=survey.campaign.root_unit,
          campaign_id=survey.campaign_id, **kw)


def _default_window(campaign: Campaign) -> tuple[date | None, date | None]:
    """Default dates: the campaign's last phase (its close-out), not starting before today."""
    if not campaign.phases:
        return None, None
    last = max(campaign.phases, key=lambda p: (p.ends_on, p.seq))
    opens = max(last.starts_on, clock.today())
    return (opens, last.ends_on) if opens <= last.ends_on else (None, None)


def create_survey(session: Session, user: User, campaign: Campaign) -> Survey:
    """Copy the declared survey into campaign as a draft and give every unit in scope its link."""
    require_admin(user, campaign)
    if campaign.status != "published":
        raise ValidationError("专项行动发布后才能创建满意度测评")
    if survey_for(session, campaign) is not None:
        raise ValidationError("本专项行动已有满意度测评问卷")
    d = declared(campaign)
    if d is None:
        raise ValidationError("该专项行动模板没有定义群众满意度测评问卷")
    opens, closes = _default_window(campaign)
    survey = Survey(campaign_id=campaign.id, tenant_id=campaign.tenant_id, title=d.title, intro=d.intro,
                    questions=[q.to_dict() for q in d.questions], satisfaction_key=d.satisfaction_question,
                    satisfied=list(d.satisfied), level=d.level, status="draft", opens_on=opens, closes_on=closes,
                    threshold=d.threshold, min_responses=d.min_responses, problem_fields=dict(d.problem_fields),
                    created_by_id=user.id)
    survey.campaign = campaign
    session.add(survey)
    session.flush()
    sync_links(session, survey)
    _audit(session, user, "survey.created", survey, new={"title": survey.title})
    return survey


def sync_links(session: Session, survey: Survey) -> int:
    """Give every unit of the survey's level in the campaign's scope a link; return how many were added."""
    have = set(session.scalars(select(SurveyLink.org_unit_id).where(SurveyLink.survey_id == survey.id)))
    added = 0
    for unit in target_units(session, survey.campaign.root_unit, survey.level):
        if unit.id not in have:
            session.add(SurveyLink(survey_id=survey.id, org_unit_id=unit.id, unit_path=unit.path,
                                   token=secrets.token_urlsafe(12), tenant_id=survey.tenant_id))
            added += 1
    session.flush()
    return added


# --- Editing ---------------------------------------------------------------------------------

def _lines(raw) -> list[str]:
    return [" ".join(line.split()) for line in str(raw or "").splitlines() if line.strip()]


def _int(raw, label: str, low: int, high: int, errors: dict, key: str) -> int | None:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        errors[key] = f"{label}应为整数"
        return None
    if not low <= value <= high:
        errors[key] = f"{label}应在{low}至{high}之间"
        return None
    return value


def _date(raw, label: str, errors: dict, key: str) -> date | None:
    raw = str(raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[key] = f"{label}：日期格式应为 年-月-日，例如 2022-09-01"
        return None


def _question(key: str, kind: str, form: dict, prefix: str, errors: dict, locked: SurveyQuestion | None = None,
              label: str = "") -> SurveyQuestion:
    """Read one question from the form fields prefix-text, -options, -labels, -required, ..."""
    label = label or "题目"
    text = " ".join(str(form.get(f"{prefix}-text", "")).split())
    if not text:
        errors[f"{prefix}-text"] = f"{label}：请填写题目内容"
    elif len(text) > QUESTION_TEXT_MAX:
        errors[f"{prefix}-text"] = f"{label}：题目不能超过{QUESTION_TEXT_MAX}个字"
    options, labels, max_length, max_choices = (), DEFAULT_LIKERT_LABELS, 500, 0
    if locked is not None:  # the satisfaction question: its choices give the rate, so they stay
        options, labels = locked.options, locked.labels
    elif kind in ("single", "multiple"):
        options = tuple(_lines(form.get(f"{prefix}-options")))
        if not 2 <= len(options) <= MAX_OPTIONS:
            errors[f"{prefix}-options"] = f"{label}：选项应为2至{MAX_OPTIONS}个，每行一个"
        elif len(set(options)) != len(options):
            errors[f"{prefix}-options"] = f"{label}：选项不能重复"
        elif any(len(o) > OPTION_MAX for o in options):
            errors[f"{prefix}-options"] = f"{label}：每个选项不能超过{OPTION_MAX}个字"
        if kind == "multiple" and str(form.get(f"{prefix}-max_choices", "")).strip():
            max_choices = _int(form.get(f"{prefix}-max_choices"), f"{label}：最多可选", 0, len(options) or 1,
                               errors, f"{prefix}-max_choices") or 0
    elif kind == "likert":
        labels = tuple(_lines(form.get(f"{prefix}-labels"))) or DEFAULT_LIKERT_LABELS
        if len(labels) != 5 or any(len(x) > OPTION_MAX for x in labels):
            errors[f"{prefix}-labels"] = f"{label}：五级评分需要5个等级说明（1分到5分），每行一个"
    elif kind == "text":
        max_length = _int(form.get(f"{prefix}-max_length", 500), f"{label}：字数上限", 10, TEXT_ANSWER_MAX,
                          errors, f"{prefix}-max_length") or 500
    required = locked is not None or str(form.get(f"{prefix}-required", "")) in ("1", "on", "true")
    help_text = " ".join(str(form.get(f"{prefix}-help", "")).split())[:QUESTION_TEXT_MAX]
    return SurveyQuestion(key=key, type=kind, text=text, options=options, required=required,
                          max_length=max_length, max_choices=max_choices, labels=labels, help=help_text)


def _require_draft(survey: Survey) -> None:
    if survey.status != "draft":
        raise ValidationError("测评已开启，问卷题目不能再修改")


def update_questions(session: Session, user: User, survey: Survey, form: dict) -> None:
    """Apply the question editor: edit, reorder (q-<key>-order), delete (q-<key>-delete) and add
    one new question (new-type, new-text, ...). Draft only; all or nothing."""
    require_admin(user, survey.campaign)
    _require_draft(survey)
    errors: dict[str, str] = {}
    kept = []
    for n, old in enumerate(survey.question_list(), start=1):
        prefix = f"q-{old.key}"
        is_sat = old.key == survey.satisfaction_key
        if str(form.get(f"{prefix}-delete", "")) in ("1", "on") and not is_sat:
            continue
        order = _int(form.get(f"{prefix}-order", n), f"第{n}题：序号", 1, 999, errors, f"{prefix}-order") or n
        q = _question(old.key, old.type, form, prefix, errors, locked=old if is_sat else None, label=f"第{n}题")
        kept.append((order, n, q))
    new_kind = str(form.get("new-type", "")).strip()
    if new_kind:
        if new_kind not in QUESTION_TYPES:
            errors["new-type"] = "新增题目：请选择题型"
        else:
            used = {q.key for _, _, q in kept} | {q.key for q in survey.question_list()}
            key = next(f"q{i}" for i in range(1, 10_000) if f"q{i}" not in used)
            q = _question(key, new_kind, form, "new", errors, label="新增题目")
            kept.append((_int(form.get("new-order", 999), "新增题目：序号", 1, 999, errors, "new-order") or 999,
                         10_000, q))
    if len(kept) > MAX_QUESTIONS:
        errors["new-type"] = f"问卷最多{MAX_QUESTIONS}道题"
    if errors:
        raise ValidationError(fields=errors)
    kept.sort(key=lambda t: (t[0], t[1]))
    old = survey.questions
    survey.questions = [q.to_dict() for _, _, q in kept]
    session.flush()
    _audit(session, user, "survey.questions_changed", survey, old={"questions": old}, new={"questions": survey.questions})


def update_settings(session: Session, user: User, survey: Survey, form: dict) -> None:
    """Title and wording (draft only), dates (opening date only before opening), threshold and
    minimum number of responses. An open survey's closing date may move but not into the past."""
    require_admin(user, survey.campaign)
    if survey.status == "closed":
        raise ValidationError("测评已结束，不能再修改设置")
    errors: dict[str, str] = {}
    draft = survey.status == "draft"
    title, intro = survey.title, survey.intro
    if draft:
        title = " ".join(str(form.get("title", "")).split())
        intro = " ".join(str(form.get("intro", "")).split())
        if not title:
            errors["title"] = "请填写问卷标题"
        elif len(title) > TITLE_MAX:
            errors["title"] = f"问卷标题不能超过{TITLE_MAX}个字"
        if len(intro) > INTRO_MAX:
            errors["intro"] = f"问卷说明不能超过{INTRO_MAX}个字"
    opens = _date(form.get("opens_on"), "开始日期", errors, "opens_on") if draft else survey.opens_on
    closes = _date(form.get("closes_on"), "截止日期", errors, "closes_on")
    if not draft and closes is None and "closes_on" not in errors:
        errors["closes_on"] = "请填写截止日期"
    if opens and closes and closes < opens:
        errors["closes_on"] = "截止日期不能早于开始日期"
    elif not draft and closes and closes < clock.today():
        errors["closes_on"] = "截止日期不能早于今天"
    threshold = _int(form.get("threshold", ""), "满意率预警线（%）", 0, 100, errors, "threshold")
    minimum = _int(form.get("min_responses", ""), "最少答卷数", 1, 100_000, errors, "min_responses")
    if errors:
        raise ValidationError(fields=errors)
    old = {"title": survey.title, "opens_on": survey.opens_on, "closes_on": survey.closes_on,
           "threshold": survey.threshold, "min_responses": survey.min_responses}
    survey.title, survey.intro, survey.opens_on, survey.closes_on = title, intro, opens, closes
    survey.threshold, survey.min_responses = threshold, minimum
    session.flush()
    _audit(session, user, "survey.settings_changed", survey, old=old,
           new={"title": title, "opens_on": opens, "closes_on": closes, "threshold": threshold,
                "min_responses": minimum})


# --- Opening and closing ---------------------------------------------------------------------

def open_survey(session: Session, user: User, survey: Survey) -> int:
    """Open a draft for answers (from its opening date); returns the number of public links."""
    require_admin(user, survey.campaign)
    _require_draft(survey)
    errors = []
    if survey.opens_on is None or survey.closes_on is None:
        errors.append("请先设置测评的开始日期和截止日期")
    elif survey.closes_on < clock.today():
        errors.append("截止日期已过，请先修改截止日期")
    if not survey.questions:
        errors.append("问卷至少需要一道题")
    if survey.question(survey.satisfaction_key) is None:
        errors.append("问卷缺少总体满意度题，无法计算满意率")
    if errors:
        raise ValidationError(*errors)
    sync_links(session, survey)
    survey.status, survey.opened_by_id, survey.opened_at = "open", user.id, clock.now()
    session.flush()
    _audit(session, user, "survey.opened", survey, new={"opens_on": survey.opens_on, "closes_on": survey.closes_on})
    return session.query(SurveyLink).filter(SurveyLink.survey_id == survey.id).count()


def close_survey(session: Session, user: User, survey: Survey) -> None:
    """Stop taking answers now (before the closing date)."""
    require_admin(user, survey.campaign)
    if survey.status != "open":
        raise ValidationError("只有已开启的测评才能结束")
    survey.status, survey.closed_at = "closed", clock.now()
    session.flush()
    _audit(session, user, "survey.closed", survey)


def links_under(session: Session, survey: Survey, unit) -> list[SurveyLink]:
    """The public links of the units in unit's subtree, in tree order."""
    from ..tenancy.tree import path_range

    low, high = path_range(unit.path)
    links = session.scalars(select(SurveyLink).where(
        SurveyLink.survey_id == survey.id, SurveyLink.unit_path >= low, SurveyLink.unit_path < high))
    return sorted(links, key=lambda link: tree_key(link.org_unit))


def tree_key(unit) -> tuple:
    """Sort key putting units in tree order (siblings by their sort order)."""
    chain = []
    while unit is not None:
        chain.append((unit.sort_order, unit.id))
        unit = unit.parent
    return tuple(reversed(chain))
