"""Matching 100,000 recipients against 100,000 department rows: the 漏保漏救 rules vs a bare join.

    python bench/matching.py [--rows 100000]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_x python bench/matching.py

Generates the demo district's roster and department files (bench/screening_gen.py's generator),
imports them, launches a 漏保漏救 campaign, then times in one process: the baseline — a bare SELECT
over the joined tables (every medical row with the recipients rows of the same person, fetched) —
and running the campaign's rules into the 摸排对象清单 (six rules, merge per person, assignment to
villages, insert, commit), then running them again (nothing changes). BENCH_DATABASE_URL must name
a scratch database: its tables are dropped.
"""
from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

from screening_common import bench_app, demo_district, rss_mb
from sqlalchemy import text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    app, url = bench_app()
    from duban.campaigns.services import create_draft, publish
    from duban.extensions import db
    from duban.screening import importer, matching
    from duban.screening.synthetic import generate

    with app.app_context():
        db.drop_all()
        db.create_all()
        admin, bureau, places = demo_district(db.session)
        files = generate(Path(app.config["UPLOAD_FOLDER"]) / "files", places, recipients=args.rows,
                         medical=args.rows, bad=False)
        loaded = {}
        t = time.perf_counter()
        for kind, path in files.items():
            batch, _ = importer.upload(db.session, admin, bureau, kind, path.name, io.BytesIO(path.read_bytes()))
            importer.run(db.session, admin, batch, importer.suggested(db.session, batch))
            db.session.commit()
            loaded[kind] = batch.added
        load_secs = time.perf_counter() - t
        campaign = create_draft(db.session, admin, type_key="loubao_loujiu", root_unit=bureau, year=2022,
                                title="基准测试", doc_number="")
        publish(db.session, admin, campaign)
        db.session.commit()

        join = text("SELECT m.id_number, m.year, m.amount, r.programme FROM screening_records m "
                    "JOIN screening_records r ON r.tenant_id = m.tenant_id AND r.id_number = m.id_number "
                    "AND r.kind = 'recipients' WHERE m.tenant_id = :t AND m.kind = 'medical'")
        t = time.perf_counter()
        joined = len(db.session.execute(join, {"t": bureau.tenant_id}).all())
        bare = time.perf_counter() - t

        t = time.perf_counter()
        first = matching.run_rules(db.session, admin, campaign)
        db.session.commit()
        run1 = time.perf_counter() - t
        t = time.perf_counter()
        again = matching.run_rules(db.session, admin, campaign)
        db.session.commit()
        run2 = time.perf_counter() - t
        assert again["added"] == 0 and again["updated"] == 0 and again["withdrawn"] == 0

        print(f"\nMatching benchmark — {db.engine.dialect.name}; imported {', '.join(f'{k} {v:,}' for k, v in loaded.items())}"
              f" in {load_secs:.1f} s")
        print(f"{'step':<52}{'seconds':>9}{'× bare join':>13}")
        for name, secs in ((f"baseline: bare SELECT over the join ({joined:,} rows)", bare),
                           (f"run the 6 rules → 清单 of {first['people']:,} people", run1),
                           ("run them again (nothing changes)", run2)):
            print(f"{name:<52}{secs:>9.2f}{secs / bare:>13.2f}")
        print("matches per rule: " + ", ".join(f"{k} {v:,}" for k, v in first["per_rule"].items()))
        print(f"peak RSS: {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
