"""The public survey pages, /s/<token>: no login, mobile-first, no JavaScript.

CSRF: Flask-WTF's session-bound token is not used here (exempted below) — these pages have no
login and no session, so there is no ambient authority a forged request could borrow. Instead
a submission must carry (1) the per-browser cookie, which is SameSite=Lax and so is not sent
with a cross-site POST, and (2) a per-form nonce, signed with the app's secret, that binds the
form to this link and to that browser and expires. Abuse is limited per link (the rate
limiter's key is the link, never stored with an answer) and per browser (one answer each).

Settings: DUBAN_SURVEY_VIEW_LIMIT and DUBAN_SURVEY_SUBMIT_LIMIT (per link, counted in the
limiter's storage: Redis with REDIS_URL, otherwise per process), DUBAN_SURVEY_FORM_MAX_AGE
(seconds). Posters print DUBAN_PUBLIC_URL + /s/<token> when that is set (behind a proxy).
"""
from __future__ import annotations

import hashlib
import logging
import secrets

from flask import Blueprint, abort, current_app, make_response, redirect, render_template, request, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from limits import parse
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import RequestEntityTooLarge

from ... import jobs
from ...errors import ValidationError
from ...extensions import csrf, db, limiter
from ...surveys import public

bp = Blueprint("survey_public", __name__)
csrf.exempt(bp)
log = logging.getLogger(__name__)

COOKIE = "duban_survey"
MAX_BODY = 128 * 1024  # 30 questions of 1,000 characters fit, percent-encoded
FOLLOW_UP_JOB = "duban.surveys.jobs:evaluate_link"
# Settings (override with DUBAN_* environment variables or app config).
DEFAULTS = {
    "DUBAN_SURVEY_VIEW_LIMIT": "300 per minute",  # page views per link
    "DUBAN_SURVEY_SUBMIT_LIMIT": "60 per minute",  # submissions per link (a village meeting fits)
    "DUBAN_SURVEY_FORM_MAX_AGE": 6 * 3600,  # seconds a form's nonce stays valid
}


def setting(key: str):
    return current_app.config.get(key) or DEFAULTS[key]


@bp.before_request
def _limit_body():
    request.max_content_length = MAX_BODY


@bp.after_request
def _private(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _hit(config_key: str, kind: str, token: str) -> bool:
    """Count one request against the per-link limit; False when the link is over it."""
    try:
        return limiter.limiter.hit(parse(setting(config_key)), "survey", kind, token)
    except Exception:  # the limiter's storage is down: answering matters more than limiting
        log.exception("survey rate limiter unavailable")
        return True


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="duban-survey-form")


def _browser() -> str | None:
    token = request.cookies.get(COOKIE, "")
    return token if 20 <= len(token) <= 64 else None


def _nonce(link, browser: str) -> str:
    return _serializer().dumps([link.id, hashlib.sha256(browser.encode()).hexdigest()[:16], secrets.token_hex(4)])


def _nonce_ok(link, browser: str, nonce: str) -> str:
    """"" when the nonce is good, else the reason to show."""
    try:
        link_id, bhash, _ = _serializer().loads(nonce, max_age=int(setting("DUBAN_SURVEY_FORM_MAX_AGE")))
    except SignatureExpired:
        return "页面打开时间过长，请核对答案后再次点击提交。"
    except (BadSignature, ValueError, TypeError):
        return "页面已失效，请核对答案后再次点击提交。"
    if link_id != link.id or bhash != hashlib.sha256(browser.encode()).hexdigest()[:16]:
        return "页面已失效，请核对答案后再次点击提交。"
    return ""


def _link(token: str):
    link = public.link_by_token(db.session, token)
    if link is None:
        abort(404)
    return link


def _page(link, browser: str, *, answers=None, errors=None, messages=(), status=200):
    response = make_response(render_template(
        "surveys/public_form.html", link=link, survey=link.survey, unit=link.org_unit,
        questions=link.survey.question_list(), nonce=_nonce(link, browser), answers=answers if answers is not None else MultiDict(),
        errors=errors or {}, messages=list(messages)), status)
    _set_cookie(response, browser)
    return response


def _notice(link, message: str, status: int = 200, browser: str | None = None):
    response = make_response(render_template("surveys/public_notice.html", survey=link.survey, unit=link.org_unit,
                                             message=message), status)
    if browser:
        _set_cookie(response, browser)
    return response


def _set_cookie(response, browser: str) -> None:
    response.set_cookie(COOKIE, browser, max_age=365 * 86400, path="/s/", httponly=True, samesite="Lax",
                        secure=request.is_secure)


@bp.route("/s/<token>")
def form(token: str):
    link = _link(token)
    if not _hit("DUBAN_SURVEY_VIEW_LIMIT", "view", link.token):
        return _notice(link, "访问人数较多，请稍候一分钟后刷新页面。", 429)
    state = public.availability(link.survey)
    if not state.open:
        return _notice(link, state.message)
    browser = _browser() or secrets.token_urlsafe(24)
    key = public.guard_hash(current_app.config["SECRET_KEY"], link.survey_id, browser)
    if public.already_answered(db.session, link.survey, key):
        return _notice(link, public.ALREADY_ANSWERED, browser=browser)
    return _page(link, browser)


@bp.route("/s/<token>", methods=["POST"])
def submit(token: str):
    link = _link(token)
    try:
        posted = request.form
    except RequestEntityTooLarge:
        return _notice(link, "提交的内容过长，请删减文字后重新填写。", 413)
    browser = _browser()
    if browser is None:
        return _notice(link, "提交未成功：请允许浏览器保存 Cookie（或换用手机自带浏览器、微信扫码）后重新打开本页面填写。",
                       400)
    if not _hit("DUBAN_SURVEY_SUBMIT_LIMIT", "submit", link.token):
        return _page(link, browser, answers=posted, status=429,
                     messages=["提交人数较多，请稍等一分钟后再次点击提交，您填写的答案已保留。"])
    problem = _nonce_ok(link, browser, posted.get("nonce", ""))
    if problem:
        return _page(link, browser, answers=posted, messages=[problem], status=400)
    key = public.guard_hash(current_app.config["SECRET_KEY"], link.survey_id, browser)
    try:
        public.submit(db.session, link, key, posted)
        follow_up = public.needs_follow_up(db.session, link)
        db.session.commit()
    except ValidationError as e:
        db.session.rollback()
        if not e.fields:
            return _notice(link, e.messages[0], 409 if e.messages[0] == public.ALREADY_ANSWERED else 400)
        return _page(link, browser, answers=posted, errors=e.fields, messages=e.messages, status=400)
    except IntegrityError:  # this browser has answered (a replayed form, or two at once): the guard keeps one
        db.session.rollback()
        return _notice(link, public.ALREADY_ANSWERED, 409)
    if follow_up:
        try:
            jobs.enqueue(FOLLOW_UP_JOB, link.id)
        except Exception:  # the answer is stored; the follow-up is retried by the next evaluation
            log.exception("survey link %s: follow-up failed", link.id)
    return redirect(url_for(".thanks", token=link.token), 303)


@bp.route("/s/<token>/thanks")
def thanks(token: str):
    link = _link(token)
    if not _hit("DUBAN_SURVEY_VIEW_LIMIT", "view", link.token):
        return _notice(link, "访问人数较多，请稍候一分钟后刷新页面。", 429)
    return _notice(link, "提交成功！感谢您参与本次测评，您的意见将帮助我们改进工作。")
