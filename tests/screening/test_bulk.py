"""The bulk loader: column-wise rows land exactly as the ORM would store them, across several adds,
with other statements in between (on PostgreSQL one COPY spans the adds until paused)."""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import String, TypeDecorator, func, select, type_coerce

from duban.extensions import db
from duban.screening import bulk
from duban.screening.models import SourceRecord, Subject

from .. import factories


def _columns(tenant_id, unit, start, n, **over):
    cols = {"tenant_id": [tenant_id] * n, "kind": ["medical"] * n,
            "natural_key": [f"k{i}" for i in range(start, start + n)], "row_hash": ["h"] * n, "batch_id": [1] * n,
            "id_number": [f"{i:018d}" for i in range(start, start + n)], "name": ["张'三"] * n,
            "org_unit_id": [unit.id] * n, "unit_path": [unit.path] * n, "programme": [None] * n, "grade": [None] * n,
            "amount": [Decimal("12000.50"), None] * (n // 2) + [Decimal("1")] * (n % 2), "amount2": [None] * n,
            "on_date": [date(2021, 3, 5)] * n, "year": [2021] * n, "household_id": [None] * n, "phone": [None] * n,
            "extra": ['{"matter": "申请低保"}', None] * (n // 2) + [None] * (n % 2), "retired_batch_id": [None] * n}
    cols.update(over)
    return cols


def test_loader_writes_what_the_orm_reads_back(district):
    unit = district["units"]["金湖社区"]
    table = SourceRecord.__table__
    with bulk.Loader(db.session, table, json_text=("extra",)) as loader:
        assert loader.add(_columns(unit.tenant_id, unit, 0, 3)) == 3
        assert loader.add(_columns(unit.tenant_id, unit, 3, 2)) == 2
        loader.pause()
        # The connection is free for other statements between two adds.
        assert db.session.scalar(select(func.count()).select_from(table)) == 5
        assert loader.add(_columns(unit.tenant_id, unit, 5, 1, name=["李四"])) == 1
    db.session.commit()
    rows = {r.natural_key: r for r in db.session.scalars(select(SourceRecord))}
    assert len(rows) == 6
    first = rows["k0"]
    assert (first.name, first.amount, first.on_date, first.year, first.extra) == (
        "张'三", Decimal("12000.50"), date(2021, 3, 5), 2021, {"matter": "申请低保"})
    assert rows["k1"].amount is None and rows["k1"].extra is None and rows["k5"].name == "李四"


def test_insert_rows_takes_python_json(district):
    """Rows as dicts, JSON columns as Python data (how the matching writes the 摸排对象清单)."""
    unit = district["units"]["金湖社区"]
    campaign = factories.launch(district["units"]["湖里区民政局"], district["users"]["admin"])
    bulk.insert_rows(db.session, Subject.__table__, [
        {"tenant_id": unit.tenant_id, "campaign_id": campaign.id, "id_number": "1" * 18, "name": "甲",
         "org_unit_id": unit.id, "unit_path": unit.path, "household_id": None, "phone": None,
         "categories": ["petitioners"], "evidence": [{"rule": "x", "text": "信访"}], "origin": "matched",
         "status": "listed", "created_at": campaign.created_at, "matched_at": None}])
    db.session.commit()
    s = db.session.scalar(select(Subject))
    assert s.categories == ["petitioners"] and s.evidence == [{"rule": "x", "text": "信访"}]


def test_loader_keeps_text_that_copy_would_take_for_its_own_syntax(district):
    """Tabs, line breaks and backslashes in text (and in JSON text) land as they were; a text that
    reads like COPY's NULL marker stays text."""
    unit = district["units"]["金湖社区"]
    names = ["张\t三", "李\n四", "王\\五", "\\N", "赵\r六", "钱七"]
    extras = ['{"matter": "引号\\"与\\\\反斜杠"}', None, None, None, None, '{"matter": "普通"}']
    with bulk.Loader(db.session, SourceRecord.__table__, json_text=("extra",)) as loader:
        loader.add(_columns(unit.tenant_id, unit, 0, 6, name=names, extra=extras, programme=[None, "低保"] * 3))
    db.session.commit()
    rows = sorted(db.session.scalars(select(SourceRecord)), key=lambda r: r.natural_key)
    assert [r.name for r in rows] == names
    assert rows[0].extra == {"matter": '引号"与\\反斜杠'} and rows[1].extra is None
    assert [r.programme for r in rows] == [None, "低保"] * 3
    assert rows[1].amount is None and rows[0].amount == Decimal("12000.50")


def test_analyze_after_a_load_gives_the_planner_statistics_and_leaves_the_setting_alone(district):
    unit = district["units"]["金湖社区"]
    table = SourceRecord.__table__
    from sqlalchemy import text

    bulk.insert_columns(db.session, table, _columns(unit.tenant_id, unit, 0, 2000), json_text=("extra",))
    postgresql = db.engine.dialect.name == "postgresql"
    before = db.session.execute(text("SHOW default_statistics_target")).scalar() if postgresql else None
    bulk.analyze(db.session, table, ("kind", "id_number", "amount"))  # nothing to do on SQLite
    if not postgresql:
        return
    stats = dict(db.session.execute(text("SELECT attname, n_distinct FROM pg_stats WHERE tablename = :t"),
                                    {"t": table.name}).all())
    assert set(stats) == {"kind", "id_number", "amount"}
    assert stats["id_number"] == -1 and stats["kind"] == 1  # every ID number differs; one kind
    assert db.session.execute(text("SHOW default_statistics_target")).scalar() == before


def test_a_column_given_as_one_value_lands_in_every_row(district):
    """Columns the same in every row may be given as that value: ints, text, NULL, amounts, dates,
    JSON text; the next add may give the same column as a list again."""
    unit = district["units"]["金湖社区"]
    same = {"kind": "medical", "batch_id": 7, "programme": "低保", "grade": None,
            "amount": Decimal("42000.00"), "on_date": date(2021, 3, 5), "extra": '{"matter": "同\\t一"}',
            "retired_batch_id": None, "row_hash": "h", "name": "王'五"}
    with bulk.Loader(db.session, SourceRecord.__table__, json_text=("extra",)) as loader:
        assert loader.add({**_columns(unit.tenant_id, unit, 0, 3, **same), "tenant_id": unit.tenant_id}) == 3
        assert loader.add(_columns(unit.tenant_id, unit, 3, 2)) == 2  # lists again
        assert loader.add({**_columns(unit.tenant_id, unit, 5, 0), **same}) == 0  # no rows
    db.session.commit()
    rows = {r.natural_key: r for r in db.session.scalars(select(SourceRecord))}
    assert len(rows) == 5
    for k in ("k0", "k1", "k2"):
        r = rows[k]
        assert (r.kind, r.batch_id, r.programme, r.grade, r.amount, r.on_date, r.extra, r.name) == (
            "medical", 7, "低保", None, Decimal("42000.00"), date(2021, 3, 5), {"matter": "同\t一"}, "王'五")
    assert rows["k3"].amount == Decimal("12000.50") and rows["k4"].amount is None and rows["k3"].batch_id == 1


def test_fetch_rows_gives_the_drivers_tuples_of_what_was_selected(district):
    """The import's look-up of stored rows: plain tuples, only the rows the WHERE names, inside
    the open transaction (rows written but not yet committed are seen)."""
    unit = district["units"]["金湖社区"]
    table = SourceRecord.__table__
    bulk.insert_columns(db.session, table, _columns(unit.tenant_id, unit, 0, 3), json_text=("extra",))
    bulk.insert_columns(db.session, table, _columns(unit.tenant_id, unit, 3, 2, kind=["deaths"] * 2), json_text=("extra",))
    stmt = (select(table.c.natural_key, table.c.id, table.c.retired_batch_id, table.c.unit_path)
            .where(table.c.kind == "medical", table.c.tenant_id == unit.tenant_id).order_by(table.c.natural_key))
    rows = bulk.fetch_rows(db.session, stmt)
    assert [r[0] for r in rows] == ["k0", "k1", "k2"]
    assert all(r.__class__ is tuple and r[1].__class__ is int and r[2] is None and r[3] == unit.path for r in rows)
    assert rows == [tuple(r) for r in db.session.execute(stmt)]
    # An IN list (an expanding parameter) is rendered for the driver too.
    assert len(bulk.fetch_rows(db.session, select(table.c.id).where(table.c.natural_key.in_(["k0", "k3", "x"])))) == 2


class _Upper(TypeDecorator):
    impl = String
    cache_ok = True

    def process_result_value(self, value, dialect):
        return value.upper()


def test_fetch_rows_refuses_columns_the_driver_does_not_give_as_python_wants(district):
    table = SourceRecord.__table__
    with pytest.raises(TypeError, match="result processor"):
        bulk.fetch_rows(db.session, select(type_coerce(table.c.name, _Upper)))
