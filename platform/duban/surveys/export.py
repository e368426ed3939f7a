"""Export a unit's survey results to xlsx: the roll-up by unit, the distribution of every
question, the free-text answers and every answer sheet (anonymous: unit and day only)."""
from __future__ import annotations

import io
from collections import defaultdict

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..tenancy.models import OrgUnit
from .models import Survey, SurveyAnswer, SurveyResponse
from .public import below_threshold
from .results import rates_by_path, results, text_answers
from .services import links_under

HEAD_FILL = PatternFill("solid", fgColor="EEF1F4")


def _sheet(wb, title: str, head: list[str], widths: list[int]):
    ws = wb.create_sheet(title)
    ws.append(head)
    for cell in ws[1]:
        cell.font, cell.fill = Font(bold=True), HEAD_FILL
    for i, w in enumerate(widths):
        ws.column_dimensions[get_column_letter(i + 1)].width = w
    ws.freeze_panes = "A2"
    return ws


def _text_row(ws, values: list) -> None:
    """Append a row; strings stay strings (a leading "=" is never read as a formula)."""
    ws.append(values)
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


def export_xlsx(session: Session, survey: Survey, unit: OrgUnit) -> bytes:
    res = results(session, survey, unit)
    wb = Workbook()
    wb.remove(wb.active)

    ws = _sheet(wb, "各单位满意率", ["单位", "上级单位", "答卷数", "满意和基本满意", "满意率(%)", "低于预警线"],
                [22, 18, 10, 16, 12, 12])
    rates = rates_by_path(session, survey, unit)
    for link in links_under(session, survey, unit):
        r = rates.get(link.unit_path)
        n, s = (r.responses, r.satisfied) if r else (0, 0)
        parent = link.org_unit.parent.name if link.org_unit.parent else ""
        _text_row(ws, [link.org_unit.name, parent, n, s, round(100 * s / n, 1) if n else None,
                       "是" if below_threshold(survey, n, s) else "否"])
    _text_row(ws, [f"{unit.name}合计", "", res.total.responses, res.total.satisfied, res.total.pct, ""])

    ws = _sheet(wb, "题目统计", ["序号", "题目", "选项", "人数", "占答题人数(%)"], [6, 48, 24, 8, 14])
    for n, d in enumerate(res.distributions, start=1):
        for opt in d.options:
            _text_row(ws, [n, d.question.text, opt.label, opt.count, opt.pct])
        if d.mean is not None:
            _text_row(ws, [n, d.question.text, "平均分", None, d.mean])

    ws = _sheet(wb, "意见建议", ["单位", "提交日期", "题目", "内容"], [18, 12, 40, 80])
    _, texts = text_answers(session, survey, unit, limit=None)
    for t in texts:
        _text_row(ws, [t.unit_name, t.submitted_on.isoformat(), t.question, t.text])
        ws.cell(ws.max_row, 4).alignment = Alignment(wrap_text=True)

    questions = survey.question_list()
    ws = _sheet(wb, "答卷明细", ["答卷编号", "单位", "提交日期"] + [f"{i}. {q.text}" for i, q in enumerate(questions, 1)],
                [10, 18, 12] + [20] * len(questions))
    _answer_rows(session, survey, unit, questions, ws)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _answer_rows(session, survey, unit, questions, ws) -> None:
    from ..tenancy.tree import path_range

    low, high = path_range(unit.path)
    names = {link.unit_path: link.org_unit.name for link in links_under(session, survey, unit)}
    where = (SurveyResponse.survey_id == survey.id, SurveyResponse.unit_path >= low, SurveyResponse.unit_path < high)
    values: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for rid, key, value in session.execute(
            select(SurveyAnswer.response_id, SurveyAnswer.question_key, SurveyAnswer.value)
            .where(SurveyAnswer.survey_id == survey.id, SurveyAnswer.unit_path >= low, SurveyAnswer.unit_path < high)
            .order_by(SurveyAnswer.id)):
        values[rid][key].append(value)
    for rid, path, day in session.execute(select(SurveyResponse.id, SurveyResponse.unit_path,
                                                 SurveyResponse.submitted_on).where(*where).order_by(SurveyResponse.id)):
        got = values.get(rid, {})
        _text_row(ws, [rid, names.get(path, ""), day.isoformat()]
                  + ["；".join(q.label_of(v) for v in got.get(q.key, [])) for q in questions])
