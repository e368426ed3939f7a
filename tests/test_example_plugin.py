"""The guide works: tests/example_plugin was written only from docs/plugins.md. It is installed the way
pip would announce it — a dist-info folder with an entry point in the ``duban`` group — and runs a
campaign: draft, publish, tasks appear (one per month), a street reports, the bureau approves, the
figures are summed, a town is evaluated."""
from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from duban import create_app
from duban.campaigns import departments
from duban.campaigns.registry import definition
from duban.campaigns.services import create_draft, publish
from duban.evaluations.services import in_subtree, record_evaluations
from duban.extensions import db
from duban.periodic.services import tables
from duban.tasks import services as work
from duban.tasks.models import Task
from duban.tenancy.tree import add_unit

from .test_evidence import png_bytes

NAME = "example_campaign"
PACKAGE_PARENT = Path(__file__).resolve().parent  # holds the example_plugin package


@pytest.fixture
def installed(tmp_path, monkeypatch):
    """Install the example as a distribution: METADATA and entry_points.txt, no pip."""
    dist = tmp_path / f"{NAME}-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {NAME}\nVersion: 0.1\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(f"[duban]\n{NAME} = example_plugin.plugin:plugin\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(PACKAGE_PARENT))
    return dist


@pytest.fixture
def example(app, district, installed):
    """An app that loads only the example plugin, with the district's rows loaded into its session."""
    from duban.tenancy.models import OrgUnit, User
    from duban.tenancy.scoping import set_tenant

    add_unit(db.session, tenant_id=district["units"]["湖里区民政局"].tenant_id, name="规划财务股", kind="department",
             parent=district["units"]["湖里区民政局"])
    db.session.commit()
    unit_ids = {name: u.id for name, u in district["units"].items()}
    user_ids = {name: u.id for name, u in district["users"].items()}
    other = create_app({**app.config, "DUBAN_PLUGINS": [NAME]})
    with other.app_context():
        units = {name: db.session.get(OrgUnit, i) for name, i in unit_ids.items()}
        users = {name: db.session.get(User, i) for name, i in user_ids.items()}
        set_tenant(db.session, units["湖里区民政局"].tenant_id)
        yield other, units, users
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def test_the_example_is_found_through_the_entry_point(example):
    other, _, _ = example
    assert list(other.extensions["duban"]["types"]) == ["winter_visits"]
    d = definition("winter_visits")
    assert d.plugin == NAME and d.evaluation.title == "走访慰问评价"
    out = other.test_cli_runner().invoke(args=["campaign-types"]).output
    assert "winter_visits" in out and "示民〔2022〕9号" in out


def test_the_example_runs_a_campaign(example):
    other, units, users = example
    admin, street = users["admin"], users["township"]
    c = create_draft(db.session, admin, type_key="winter_visits", root_unit=units["湖里区民政局"], year=2022,
                     title="2022年冬季走访慰问")
    due = {s.template_key: s.due_on for s in c.specs}
    assert due == {
        "monthly_visits@2022-12": date(2022, 12, 10), "monthly_visits@2023-01": date(2023, 1, 10),
        "holiday_payment": date(2023, 1, 20),      # the day before the 2023 Spring Festival holiday
        "fund_check": date(2022, 7, 8),            # 5 working days after 2022-07-01 (a Friday)
        "summary": date(2023, 2, 20)}
    assert departments.missing_departments(db.session, c) == []
    count = publish(db.session, admin, c)
    db.session.commit()
    assert count == 2 * 2 + 2 + 1 + 2  # two months × two streets, payment, the department, summary

    tasks = {(t.spec.template_key, t.org_unit.name): t
             for t in db.session.scalars(select(Task).where(Task.campaign_id == c.id))}
    assert ("fund_check", "规划财务股") in tasks
    december = tasks[("monthly_visits@2022-12", "湖里街道")]
    work.save_form(db.session, street, december, {"households": "40", "visited": "38", "amount": "8000"})
    work.submit(db.session, street, december)
    work.review(db.session, admin, december, approve=True)
    db.session.commit()
    assert december.status == "approved" and tasks[("monthly_visits@2023-01", "湖里街道")].status == "todo"

    table = tables(db.session, c, units["湖里区民政局"])[0]
    cell = table.cell(table.total[december.spec_id], table.column("rate"))
    assert (cell.value, cell.band, cell.reported, cell.expected) == (Decimal("95.00"), "inside", 1, 2)
    assert [p.label for p in table.periods] == ["2022年12月", "2023年1月", "总结"]

    fund = tasks[("fund_check", "规划财务股")]
    work.add_evidence(db.session, admin, fund, [("拨款凭证.png", io.BytesIO(png_bytes()))])
    work.submit(db.session, admin, fund)
    assert fund.status == "submitted"  # a department's task is reviewed by the bureau

    record_evaluations(db.session, admin, c, units["湖里区民政局"],
                       {f"score-{units['湖里街道'].id}": "95", f"comment-{units['湖里街道'].id}": "走访到位"})
    db.session.commit()
    assert [(e.org_unit.name, e.grade) for e in in_subtree(db.session, c, units["湖里区民政局"])] == [("湖里街道", "优秀")]
