"""From a plan document to a tenant's own campaign template: upload or paste → review → save.

Nothing is stored until the admin saves: the draft and the plan's text travel in the review form.
Also `flask template-draft PLAN_FILE`, which prints the draft as JSON.
"""
from __future__ import annotations

import json
from pathlib import Path

import click
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ... import plandraft
from ...extensions import db
from ...plandraft import editor, services
from ...plandraft.models import TenantTemplate
from ...plandraft.text import document
from ..forms import one_transaction

bp = Blueprint("plandraft", __name__, cli_group=None)
SPARE = 1  # blank rows offered in each section for adding


@bp.cli.command("template-draft")
@click.argument("plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--text", "with_text", is_flag=True, help="Also print the plan's text and its sentences.")
def template_draft(plan_file: Path, with_text: bool):
    """Draft a campaign template from PLAN_FILE (.txt, .docx or PDF) and print it as JSON."""
    try:
        draft = plandraft.draft_from_file(plan_file.name, plan_file.read_bytes())
    except plandraft.PlanError as e:
        raise click.ClickException(str(e)) from None
    click.echo(json.dumps(plandraft.as_json(draft, with_text=with_text), ensure_ascii=False, indent=2))


@bp.before_request
@login_required
def _admins_only():
    if services.admin_unit(current_user) is None:
        abort(403)


def _segments(text: str) -> list[tuple[int | None, str]]:
    """The plan's text cut into (sentence id, text) pieces, gaps as (None, text), for the source pane."""
    doc = document(text)
    out, pos = [], 0
    for s in doc.sentences:
        if s.start > pos:
            out.append((None, doc.text[pos:s.start]))
        out.append((s.id, doc.text[s.start:s.end]))
        pos = s.end
    if pos < len(doc.text):
        out.append((None, doc.text[pos:]))
    return out


def _spares(form=None) -> dict[str, int]:
    spares = {s: SPARE for s in editor.SECTIONS}
    if form is not None:
        for s in editor.SECTIONS:
            raw = form.get(f"spare-{s}", "")
            spares[s] = min(int(raw), 20) if raw.isdigit() else SPARE
        action = form.get("action", "")
        if action.startswith("add-") and action[4:] in spares:
            spares[action[4:]] += 1
    return spares


def _editor(rows: dict, text: str, *, template: TenantTemplate | None = None, filename: str = "",
            errors: dict | None = None, missing=(), warnings=(), spares=None, status: int = 200):
    sentences = editor.sources(text)
    used: dict[int, str] = {}
    next_index: dict[str, int] = {}
    for section in editor.SECTIONS:
        for i, row in enumerate(rows.get(section, [])):
            row.setdefault("_index", i)
            sid = row.get("sentence")
            if isinstance(sid, int):
                used.setdefault(sid, f"item-{section}-{row['_index']}")
        next_index[section] = max((r["_index"] for r in rows.get(section, [])), default=-1) + 1
    for sid in (rows.get("meta") or {}).values():
        used.setdefault(sid, "sec-meta")
    return render_template(
        "plandraft/review.html", rows=rows, text=text, segments=_segments(text), sentences=sentences, used=used,
        template=template, filename=filename, errors=errors or {}, missing=missing, warnings=warnings,
        next_index=next_index,
        spares=spares or _spares(), levels=editor.LEVELS, generate=editor.GENERATE), status


@bp.route("/plans/new", methods=["GET", "POST"])
def new():
    pasted = ""
    if request.method == "POST":
        upload = request.files.get("file")
        pasted = (request.form.get("text") or "").strip()
        filename = upload.filename if upload and upload.filename else ""
        try:
            if filename:
                draft = plandraft.draft_from_file(filename, upload.read())
            elif pasted:
                draft = plandraft.build(pasted)
            else:
                raise plandraft.PlanError("请选择方案文件，或在下方粘贴方案全文。")
        except plandraft.PlanError as e:
            flash(str(e), "error")
            return render_template("plandraft/new.html", pasted=pasted), 400
        return _editor(editor.from_draft(draft), draft["text"], filename=filename or "粘贴的文本",
                       missing=draft["missing"], warnings=draft["warnings"])
    return render_template("plandraft/new.html", pasted=pasted)


@bp.route("/plans/review", methods=["POST"])
def review():
    """The review form of a new draft: add rows, or save it as a template."""
    form = request.form
    text = form.get("text", "")
    rows = editor.form_rows(form)
    if form.get("action") != "save":
        return _editor(rows, text, filename=form.get("filename", ""), spares=_spares(form))
    with one_transaction() as ok:
        template = services.save(db.session, current_user, rows, text, form.get("filename", ""))
    if ok:
        flash(f"已保存为本单位模板“{template.name}”，现在可以用它发起专项行动。", "success")
        return redirect(url_for(".show", template_id=template.id))
    return _editor(rows, text, filename=form.get("filename", ""), errors=ok.errors, spares=_spares(form), status=400)


@bp.route("/plans/templates")
def index():
    items = [(t, services.usage(db.session, t)) for t in services.templates(db.session)]
    return render_template("plandraft/index.html", items=items)


def _template_or_404(template_id: int) -> TenantTemplate:
    template = db.session.get(TenantTemplate, template_id)
    if template is None or template.tenant_id != current_user.tenant_id or template.deleted_at is not None:
        abort(404)
    return template


@bp.route("/plans/templates/<int:template_id>", methods=["GET", "POST"])
def show(template_id: int):
    template = _template_or_404(template_id)
    if request.method == "GET":
        return _editor(editor.from_saved(template.data), template.source_text, template=template,
                       filename=template.source_filename)
    form = request.form
    rows = editor.form_rows(form)
    if form.get("action") != "save":
        return _editor(rows, template.source_text, template=template, filename=template.source_filename,
                       spares=_spares(form))
    with one_transaction() as ok:
        services.update(db.session, current_user, template, rows)
    if ok:
        flash("模板已保存。已发起的专项行动不受影响，之后发起的使用修改后的内容。", "success")
        return redirect(url_for(".show", template_id=template.id))
    return _editor(rows, template.source_text, template=template, filename=template.source_filename,
                   errors=ok.errors, spares=_spares(form), status=400)


@bp.route("/plans/templates/<int:template_id>/delete", methods=["POST"])
def delete(template_id: int):
    template = _template_or_404(template_id)
    with one_transaction() as ok:
        services.delete(db.session, current_user, template)
    if ok:
        flash("模板已删除。", "success")
        return redirect(url_for(".index"))
    return redirect(url_for(".show", template_id=template_id))
