"""Answering a survey through a unit's public link — no login, no identity.

What keeps it honest without knowing who answers:

* the link decides the unit (a random token per unit, not guessable);
* answers are taken only while the survey is open, between its opening and closing dates
  (inclusive, Asia/Shanghai, from duban.clock);
* every answer is checked against its question (a bad or oversized one is refused with a
  message and nothing is stored);
* each browser gets a random token in a cookie; a keyed hash of it per survey goes into
  SurveyGuard, so the same browser cannot answer twice (the web layer adds per-link rate limits).
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from .. import clock
from ..campaigns.models import Campaign
from ..errors import ValidationError
from ..tenancy.scoping import set_tenant
from .models import Survey, SurveyAnswer, SurveyGuard, SurveyLink, SurveyResponse
from .types import SurveyQuestion

ALREADY_ANSWERED = "您已经提交过本次测评，感谢您的参与！"


def link_by_token(session: Session, token: str) -> SurveyLink | None:
    """Find a public link across tenants and scope the session to its tenant."""
    token = (token or "").strip()
    if not token or len(token) > 40:
        return None
    set_tenant(session, None)
    # One round trip for everything the page shows: the survey, its campaign and launching unit.
    link = session.scalar(select(SurveyLink).where(SurveyLink.token == token).execution_options(all_tenants=True)
                          .options(joinedload(SurveyLink.survey).joinedload(Survey.campaign)
                                   .joinedload(Campaign.root_unit)))
    if link is not None:
        set_tenant(session, link.tenant_id)
    return link


@dataclass(frozen=True)
class Availability:
    open: bool
    message: str = ""


def availability(survey: Survey) -> Availability:
    """Whether survey takes answers today (Asia/Shanghai), with the reason when it does not."""
    today = clock.today()
    if survey.status == "draft" or survey.opens_on is None or survey.closes_on is None:
        return Availability(False, "本次测评尚未开始，请留意村(社区)通知。")
    if survey.status == "closed" or today > survey.closes_on:
        return Availability(False, f"本次测评已于{_cn(survey.closes_on)}结束，感谢您的关注。")
    if today < survey.opens_on:
        return Availability(False, f"本次测评将于{_cn(survey.opens_on)}开始，欢迎届时参与。")
    return Availability(True)


def _cn(d) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def guard_hash(secret: str, survey_id: int, browser_token: str) -> str:
    """Keyed hash of a browser's random token for one survey (the token itself is never stored)."""
    return hmac.new(secret.encode(), f"{survey_id}:{browser_token}".encode(), hashlib.sha256).hexdigest()


def already_answered(session: Session, survey: Survey, token_hash: str) -> bool:
    return session.scalar(select(func.count()).select_from(SurveyGuard).where(
        SurveyGuard.survey_id == survey.id, SurveyGuard.token_hash == token_hash)) > 0


def _clean_text(raw: str) -> str:
    """Strip control characters (keep line breaks) and surrounding blanks."""
    text = "".join(ch for ch in raw if ch in "\n\t" or ch.isprintable())
    return text.replace("\r", "").strip()


def validate_answers(questions: list[SurveyQuestion], form) -> tuple[dict, dict]:
    """Return (answers, errors) for a submitted form (a MultiDict or a dict of lists/strings).

    answers maps question key to a string (single, likert, text) or a list (multiple); skipped
    optional questions are left out. errors maps question key to a Chinese message.
    """
    def values(key):
        if hasattr(form, "getlist"):
            return form.getlist(key)
        raw = form.get(key)
        return [] if raw is None else list(raw) if isinstance(raw, (list, tuple)) else [raw]

    answers, errors = {}, {}
    for n, q in enumerate(questions, start=1):
        got = [str(v) for v in values(q.key)]
        label = f"第{n}题"
        if q.type == "multiple":
            picked = [v for v in got if v.strip()]
            if any(v not in q.options for v in picked) or len(set(picked)) != len(picked):
                errors[q.key] = f"{label}的选项无效，请重新选择"
            elif q.max_choices and len(picked) > q.max_choices:
                errors[q.key] = f"{label}最多可选{q.max_choices}项"
            elif picked:
                answers[q.key] = [o for o in q.options if o in picked]
            elif q.required:
                errors[q.key] = f"请回答{label}"
            continue
        if len(got) > 1:
            errors[q.key] = f"{label}只能有一个答案"
            continue
        value = got[0] if got else ""
        if q.type == "text":
            value = _clean_text(value)
            if len(value) > q.max_length:
                errors[q.key] = f"{label}最多填写{q.max_length}个字（现有{len(value)}个字）"
                continue
        else:
            value = value.strip()
            if value and value not in q.choices():
                errors[q.key] = f"{label}的答案无效，请重新选择"
                continue
        if value:
            answers[q.key] = value
        elif q.required:
            errors[q.key] = f"请回答{label}"
    return answers, errors


def submit(session: Session, link: SurveyLink, token_hash: str, form) -> SurveyResponse:
    """Store one anonymous response through link; the caller commits.

    Raises ValidationError (nothing added) when the survey is not open or an answer is bad; its
    ``fields`` name the questions at fault. When the browser has answered already, the flush
    fails with an IntegrityError on SurveyGuard's primary key (the page checked it before, so
    this is a replay or two submissions at once): the caller rolls back.
    """
    survey = link.survey
    state = availability(survey)
    if not state.open:
        raise ValidationError(state.message)
    answers, errors = validate_answers(survey.question_list(), form)
    if errors:
        raise ValidationError("提交未成功，请按提示修改后再提交。", fields=errors)
    tenant = link.tenant_id
    session.add(SurveyGuard(survey_id=survey.id, token_hash=token_hash, tenant_id=tenant))
    response = SurveyResponse(survey_id=survey.id, link_id=link.id, unit_path=link.unit_path,
                              submitted_on=clock.today(), tenant_id=tenant)
    session.add(response)
    session.flush()
    rows = []
    for key, value in answers.items():
        for v in value if isinstance(value, list) else [value]:
            rows.append(SurveyAnswer(survey_id=survey.id, response_id=response.id, unit_path=link.unit_path,
                                     question_key=key, value=v, tenant_id=tenant))
    session.add_all(rows)
    session.flush()
    return response


def unit_rate(session: Session, survey: Survey, link: SurveyLink) -> tuple[int, int]:
    """(responses, satisfied) at link's unit, from the answers to the satisfaction question."""
    satisfied = list(survey.satisfied or ())
    row = session.execute(
        select(func.count(), func.count().filter(SurveyAnswer.value.in_(satisfied)))
        .select_from(SurveyAnswer)
        .where(SurveyAnswer.survey_id == survey.id, SurveyAnswer.question_key == survey.satisfaction_key,
               SurveyAnswer.unit_path == link.unit_path)).one()
    return int(row[0]), int(row[1] or 0)


def below_threshold(survey: Survey, responses: int, satisfied: int) -> bool:
    """True when a unit has enough responses and its satisfaction rate is under the threshold."""
    return responses >= max(1, survey.min_responses) and satisfied * 100 < survey.threshold * responses


def needs_follow_up(session: Session, link: SurveyLink) -> bool:
    """After a submission: should the unit get its low-score 问题清单 entry now?"""
    if link.problem_id is not None:
        return False
    return below_threshold(link.survey, *unit_rate(session, link.survey, link))
