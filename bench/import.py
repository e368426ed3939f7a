"""Import of a 100,000-row, 13-column recipients roster (xlsx, Chinese text) against reading it alone.

    python bench/import.py [--rows 100000]
    BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench_x python bench/import.py

Generates the roster (bench/screening_gen.py's generator, demo district, no bad rows), then in one
process: the baseline — a read-only pass over the same file with python-calamine, touching every
cell — then reading and validating it without the database (where the time goes), and the
platform's import of it: upload (store, find the header), then validate every row
(GB 11643 check digit, dates, amounts, the community) and insert (executemany on SQLite, COPY on
PostgreSQL), committed. Then the same file again (idempotent: nothing written), and next month's
roster imported as the whole list (1% left, 1% changed, 1% new), against a read-only pass over that
file. Peak memory is the process's maximum RSS. BENCH_DATABASE_URL must name a scratch database: its tables are dropped.
"""
from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

from screening_common import bench_app, demo_district, rss_mb


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    app, url = bench_app()
    from python_calamine import CalamineWorkbook

    from duban.extensions import db
    from duban.screening import importer
    from duban.screening.synthetic import People, generate, write_table

    with app.app_context():
        db.drop_all()
        db.create_all()
        admin, bureau, places = demo_district(db.session)
        out = Path(app.config["UPLOAD_FOLDER"]) / "files"
        t = time.perf_counter()
        path = generate(out, places, recipients=args.rows, medical=10, bad=False)["recipients"]
        gen = time.perf_counter() - t
        data = path.read_bytes()

        t = time.perf_counter()
        cells = 0
        for row in CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows():
            cells += sum(1 for c in row if c is not None)
        read = time.perf_counter() - t
        rss_read = rss_mb()

        from duban.ledgers.mapping import header_score, suggest, validate_chunks
        from duban.ledgers.reader import open_table
        from duban.screening.sources import KINDS

        fields = KINDS["recipients"].fields
        t = time.perf_counter()
        table = open_table(path, header_score(fields))
        valid = sum(len(c) - len(c.errors) for c in validate_chunks(table, fields, suggest(fields, table.headers)))
        validate = time.perf_counter() - t
        assert valid == args.rows

        t = time.perf_counter()
        batch, _ = importer.upload(db.session, admin, bureau, "recipients", path.name, io.BytesIO(data))
        db.session.commit()
        upload = time.perf_counter() - t
        t = time.perf_counter()
        importer.run(db.session, admin, batch, importer.suggested(db.session, batch))
        db.session.commit()
        run = time.perf_counter() - t
        rss_import = rss_mb()
        assert batch.added == args.rows and batch.rejected == 0, (batch.added, batch.rejected, batch.rejects_sample)

        t = time.perf_counter()
        again, new = importer.upload(db.session, admin, bureau, "recipients", "again.xlsx", io.BytesIO(data))
        same_file = time.perf_counter() - t
        assert not new

        # Next month's roster, imported as the whole list: 1% have left, 1% have a new amount, 1% are new.
        rows = list(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python())
        header, body = rows[0], rows[1:]
        people = People(places, seed=7)
        kept = [r for i, r in enumerate(body) if i % 100 != 0]
        for i, r in enumerate(kept):
            if i % 100 == 50:
                r[8] = float(r[8] or 0) + 60
        for _ in range(len(body) // 100):
            p = people.person()
            kept.append([len(kept) + 1, p["name"], p["id"], "女", "低保", p["id"], "本人", 1, 1080.0, "2022-09-01",
                         p["phone"], *p["place"]])
        nxt = out / "十月花名册.xlsx"
        write_table(nxt, header, kept)
        t = time.perf_counter()
        batch2, _ = importer.upload(db.session, admin, bureau, "recipients", nxt.name, io.BytesIO(nxt.read_bytes()))
        importer.run(db.session, admin, batch2, importer.suggested(db.session, batch2), replace=True)
        db.session.commit()
        month = time.perf_counter() - t
        assert (batch2.added, batch2.retired) == (len(body) // 100, len(body) // 100), (batch2.added, batch2.retired)
        t = time.perf_counter()
        for _ in CalamineWorkbook.from_path(str(nxt)).get_sheet_by_index(0).iter_rows():
            pass
        read2 = time.perf_counter() - t

        dialect = db.engine.dialect.name
        print(f"\nImport benchmark — {args.rows:,} rows × 13 columns ({len(data) / 1e6:.1f} MB xlsx, "
              f"{cells:,} cells), {dialect}; generated in {gen:.1f} s")
        print(f"{'step':<44}{'seconds':>9}{'rows/s':>12}{'× read':>9}")
        for name, secs in (("baseline: calamine read-only pass", read),
                           ("read + validate only (no database)", validate),
                           ("upload: store + find header", upload),
                           ("import: validate + insert + commit", run),
                           ("whole import (upload + import)", upload + run),
                           ("same file again (by content hash)", same_file)):
            print(f"{name:<44}{secs:>9.2f}{args.rows / secs:>12,.0f}{secs / read:>9.2f}")
        print(f"{'next month, whole list (× its own read)':<44}{month:>9.2f}{len(kept) / month:>12,.0f}"
              f"{month / read2:>9.2f}   added {batch2.added:,}, updated {batch2.updated:,}, left {batch2.retired:,}")
        print(f"peak RSS: {rss_read:.0f} MB after the read pass, {rss_import:.0f} MB after the import")


if __name__ == "__main__":
    main()
