"""Subtree queries over a large generated district: materialised-path range vs recursive CTE.

    python bench/subtree.py [--townships 50 --villages 400 --tasks 20]

Uses BENCH_DATABASE_URL when set (a scratch PostgreSQL database: its tables are dropped; the
deployment's DATABASE_URL is deliberately not read), otherwise a temporary SQLite file. Prints the time of a
"count one township's tasks" query by the path range the platform uses, by a recursive CTE over
parent_id, and the baseline: counting all tasks of the table (a plain scan) in the same process.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from sqlalchemy import text


def timed(fn, repeat=15):
    fn()
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--townships", type=int, default=50)
    ap.add_argument("--villages", type=int, default=400)
    ap.add_argument("--tasks", type=int, default=20)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp()
    url = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
    from duban import create_app
    from duban.extensions import db

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": url,
                      "UPLOAD_FOLDER": tmp, "REPORT_FOLDER": tmp})
    with app.app_context():
        db.drop_all()
        db.create_all()
        conn = db.session.connection()
        conn.execute(text("INSERT INTO tenants (id, name, slug, created_at) VALUES (1, 'bench', 'bench', CURRENT_TIMESTAMP)"))
        units, nid = [(1, None, "区", "bureau", "/1/", 0)], 2
        for t in range(args.townships):
            tid = nid
            nid += 1
            units.append((tid, 1, f"镇{t}", "township", f"/1/{tid}/", 1))
            for v in range(args.villages):
                units.append((nid, tid, f"村{t}-{v}", "village", f"/1/{tid}/{nid}/", 2))
                nid += 1
        conn.execute(text("INSERT INTO org_units (id, tenant_id, parent_id, name, kind, path, depth, sort_order) "
                          "VALUES (:id, 1, :parent_id, :name, :kind, :path, :depth, 0)"),
                     [dict(zip(("id", "parent_id", "name", "kind", "path", "depth"), u)) for u in units])
        conn.execute(text("INSERT INTO users (id, tenant_id, username, display_name, password_hash, active, "
                          "session_version, created_at) VALUES (1, 1, 'u', 'u', 'x', true, 1, CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO campaigns (id, tenant_id, type_key, root_unit_id, title, year, doc_number, status, "
                          "created_by_id, created_at) VALUES (1, 1, 'x', 1, 't', 2022, '', 'published', 1, CURRENT_TIMESTAMP)"))
        conn.execute(text("INSERT INTO task_specs (id, tenant_id, campaign_id, template_key, seq, title, description, "
                          "phase_key, level, due_on, deadline_rule, evidence_required, source, responsible) VALUES "
                          "(1, 1, 1, 'k', 0, 't', '', 'p', 'village', '2022-08-31', '', false, '', '[]')"))
        rows = [{"u": u[0], "p": u[4]} for u in units if u[3] == "village" for _ in range(args.tasks)]
        for i in range(0, len(rows), 20000):
            conn.execute(text("INSERT INTO tasks (tenant_id, campaign_id, spec_id, org_unit_id, unit_path, title, "
                              "phase_key, due_on, status) VALUES (1, 1, 1, :u, :p, 't', 'p', '2022-08-31', 'todo')"),
                         rows[i:i + 20000])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
        township_path, township_id = units[1][4], units[1][0]
        low, high = township_path, township_path[:-1] + "0"

        def by_range():
            return db.session.execute(text("SELECT count(*) FROM tasks WHERE unit_path >= :l AND unit_path < :h"),
                                      {"l": low, "h": high}).scalar()

        def by_cte():
            return db.session.execute(text(
                "WITH RECURSIVE sub(id) AS (SELECT id FROM org_units WHERE id = :t UNION ALL "
                "SELECT o.id FROM org_units o JOIN sub ON o.parent_id = sub.id) "
                "SELECT count(*) FROM tasks WHERE org_unit_id IN (SELECT id FROM sub)"), {"t": township_id}).scalar()

        def baseline():
            return db.session.execute(text("SELECT count(*) FROM tasks")).scalar()

        assert by_range() == by_cte() == args.villages * args.tasks
        base = timed(baseline)
        results = [("baseline: count(*) all tasks", base), ("path range (platform)", timed(by_range)),
                   ("recursive CTE", timed(by_cte))]
        print(f"database: {db.engine.dialect.name}; units: {len(units)}; tasks: {len(rows)}; "
              f"one township = {args.villages * args.tasks} tasks")
        print(f"{'query':<32}{'median ms':>12}{'× baseline':>12}")
        for name, secs in results:
            print(f"{name:<32}{secs * 1000:>12.2f}{secs / base:>12.3f}")
        db.drop_all()


if __name__ == "__main__":
    main()
