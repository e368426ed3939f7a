"""The survey of a campaign, for staff: results by unit, links and posters, editing, opening,
closing, and the xlsx export. The public answering pages are in survey_public.py."""
from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from ... import jobs
from ...campaigns.access import focus_unit, get_visible
from ...extensions import db
from ...surveys import services
from ...surveys.charts import distribution_chart, rate_chart
from ...surveys.export import export_xlsx
from ...surveys.poster import render_poster
from ...surveys.results import results, text_answers, unit_link
from ...surveys.types import QUESTION_TYPES
from ...tenancy.access import can, require
from ...tenancy.permissions import Permission
from ...evidence.services import XLSX_MIME
from ..forms import one_transaction

bp = Blueprint("surveys", __name__)
log = logging.getLogger(__name__)
EVALUATE_JOB = "duban.surveys.jobs:evaluate_survey"
TEXTS_PER_PAGE = 50
LINKS_SHOWN = 300


@bp.before_request
@login_required
def _login():
    pass


def public_url(token: str) -> str:
    """The address printed on posters: DUBAN_PUBLIC_URL (behind a proxy) or this request's host."""
    base = (current_app.config.get("DUBAN_PUBLIC_URL") or "").rstrip("/")
    path = url_for("survey_public.form", token=token)
    return base + path if base else url_for("survey_public.form", token=token, _external=True)


@bp.app_template_global()
def survey_snapshot(campaign, unit):
    """The results of campaign's survey at unit for the dashboard, or None (no survey yet)."""
    survey = services.survey_for(db.session, campaign)
    if survey is None or not current_user.is_authenticated or not can(current_user, Permission.CAMPAIGN_VIEW, unit):
        return None
    return results(db.session, survey, unit)


def _load(campaign_id: int, unit_id=None):
    campaign = get_visible(db.session, current_user, campaign_id)
    unit = focus_unit(db.session, current_user, campaign, unit_id)
    require(current_user, Permission.CAMPAIGN_VIEW, unit)
    return campaign, unit, services.survey_for(db.session, campaign)


def _admin(campaign_id: int):
    campaign = get_visible(db.session, current_user, campaign_id)
    services.require_admin(current_user, campaign)
    return campaign, services.survey_for(db.session, campaign)


@bp.route("/campaigns/<int:campaign_id>/survey")
def show(campaign_id: int):
    campaign, unit, survey = _load(campaign_id, request.args.get("unit"))
    is_admin = can(current_user, Permission.CAMPAIGN_LAUNCH, campaign.root_unit)
    if survey is None:
        return render_template("surveys/show.html", campaign=campaign, unit=unit, survey=None, is_admin=is_admin,
                               declared=services.declared(campaign))
    res = results(db.session, survey, unit)
    links = services.links_under(db.session, survey, unit)
    return render_template(
        "surveys/show.html", campaign=campaign, unit=unit, survey=survey, res=res, is_admin=is_admin,
        links=links[:LINKS_SHOWN], link_total=len(links), public_url=public_url,
        rate_svg=rate_chart(res.rows, survey.threshold) if res.rows else None,
        charts=[(d, distribution_chart(d)) for d in res.distributions])


@bp.route("/campaigns/<int:campaign_id>/survey/create", methods=["POST"])
def create(campaign_id: int):
    campaign, _ = _admin(campaign_id)
    with one_transaction() as ok:
        survey = services.create_survey(db.session, current_user, campaign)
    if ok:
        flash(f"已根据方案模板创建测评问卷，并为 {len(survey_links(survey))} 个单位生成专属链接。请核对题目和日期后开启测评。",
              "success")
        return redirect(url_for(".edit", campaign_id=campaign.id))
    return redirect(url_for(".show", campaign_id=campaign.id))


def survey_links(survey):
    return services.links_under(db.session, survey, survey.campaign.root_unit)


@bp.route("/campaigns/<int:campaign_id>/survey/edit", methods=["GET", "POST"])
def edit(campaign_id: int):
    campaign, survey = _admin(campaign_id)
    if survey is None:
        abort(404)
    errors, form, which = {}, {}, request.form.get("part", "")
    if request.method == "POST":
        form = request.form.to_dict()
        with one_transaction() as ok:
            if which == "questions":
                services.update_questions(db.session, current_user, survey, form)
            else:
                services.update_settings(db.session, current_user, survey, form)
        if ok:
            flash("问卷题目已保存。" if which == "questions" else "测评设置已保存。", "success")
            return redirect(url_for(".edit", campaign_id=campaign.id))
        errors = ok.errors
    return render_template("surveys/edit.html", campaign=campaign, survey=survey, errors=errors, form=form,
                           part=which, QUESTION_TYPES=QUESTION_TYPES), 400 if errors else 200


@bp.route("/campaigns/<int:campaign_id>/survey/open", methods=["POST"])
def open_(campaign_id: int):
    campaign, survey = _admin(campaign_id)
    if survey is None:
        abort(404)
    with one_transaction() as ok:
        count = services.open_survey(db.session, current_user, survey)
    if ok:
        flash(f"测评已开启：{survey.opens_on:%Y-%m-%d} 至 {survey.closes_on:%Y-%m-%d}，共 {count} 个单位的专属链接。"
              "可在下方打印各单位的二维码海报。", "success")
    return redirect(url_for(".show", campaign_id=campaign.id))


@bp.route("/campaigns/<int:campaign_id>/survey/close", methods=["POST"])
def close(campaign_id: int):
    campaign, survey = _admin(campaign_id)
    if survey is None:
        abort(404)
    with one_transaction() as ok:
        services.close_survey(db.session, current_user, survey)
    if ok:
        flash("测评已结束，不再接收答卷。", "success")
        _evaluate(survey.id)
    return redirect(url_for(".show", campaign_id=campaign.id))


@bp.route("/campaigns/<int:campaign_id>/survey/evaluate", methods=["POST"])
def evaluate(campaign_id: int):
    campaign, survey = _admin(campaign_id)
    if survey is None or survey.status == "draft":
        abort(404)
    _evaluate(survey.id, announce=True)
    return redirect(url_for(".show", campaign_id=campaign.id))


def _evaluate(survey_id: int, announce: bool = False) -> None:
    try:
        rq_id = jobs.enqueue(EVALUATE_JOB, survey_id)
    except Exception:
        log.exception("survey %s: evaluation failed", survey_id)
        flash("满意率评估未能完成，请稍后重试。", "error")
        return
    if announce:
        flash("已开始评估各单位满意率，低于预警线的单位将自动登记问题清单。" if rq_id
              else "已评估各单位满意率，低于预警线的单位已自动登记问题清单。", "success")


@bp.route("/campaigns/<int:campaign_id>/survey/poster")
def poster(campaign_id: int):
    campaign, unit, survey = _load(campaign_id, request.args.get("unit"))
    link = unit_link(db.session, survey, unit) if survey else None
    if link is None:
        abort(404)
    data = render_poster(link, public_url(link.token))
    from io import BytesIO

    return send_file(BytesIO(data), mimetype="application/pdf", as_attachment=False, max_age=0,
                     download_name=f"满意度测评海报_{unit.name}.pdf")


@bp.route("/campaigns/<int:campaign_id>/survey/texts")
def texts(campaign_id: int):
    campaign, unit, survey = _load(campaign_id, request.args.get("unit"))
    if survey is None:
        abort(404)
    try:
        page = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page = 1
    total, rows = text_answers(db.session, survey, unit, limit=TEXTS_PER_PAGE, offset=(page - 1) * TEXTS_PER_PAGE)
    return render_template("surveys/texts.html", campaign=campaign, unit=unit, survey=survey, rows=rows,
                           total=total, page=page, pages=max(1, -(-total // TEXTS_PER_PAGE)))


@bp.route("/campaigns/<int:campaign_id>/survey/export")
def export(campaign_id: int):
    campaign, unit, survey = _load(campaign_id, request.args.get("unit"))
    if survey is None:
        abort(404)
    from io import BytesIO

    data = export_xlsx(db.session, survey, unit)
    return send_file(BytesIO(data), as_attachment=True, max_age=0,
                     mimetype=XLSX_MIME,
                     download_name=f"满意度测评结果_{unit.name}.xlsx")


@bp.app_template_global()
def survey_chart(res):
    """The satisfaction-rate chart of a Results (dashboard card)."""
    return rate_chart(res.rows, res.survey.threshold)
