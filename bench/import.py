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
file. The machine is noisy: the reads and the imports run --rounds times (each round into an
emptied table) and the table shows medians; "× read" is the median of each round's own ratio.
A big sheet is parsed in pieces in a background thread while the import works on the rows
(ledgers.xlsx_pieces); read alone that way it is slower than one calamine pass (printed too), so
the plain pass stays the baseline. Peak memory is the process's peak RSS during the step (Linux's VmHWM, reset before it).
BENCH_DATABASE_URL must name a scratch database: its tables are dropped.
"""
from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import time
from pathlib import Path

from screening_common import bench_app, demo_district, demo_places, reset_peak_rss, rss_mb


def next_month(path: Path, nxt: Path) -> None:
    """Next month's roster as the whole list: 1% have left, 1% have a new amount, 1% are new."""
    from python_calamine import CalamineWorkbook

    from duban.screening.synthetic import People, write_table

    rows = list(CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python())
    header, body = rows[0], rows[1:]
    people = People(demo_places(), seed=7)
    kept = [r for i, r in enumerate(body) if i % 100 != 0]
    for i, r in enumerate(kept):
        if i % 100 == 50:
            r[8] = float(r[8] or 0) + 60
    for _ in range(len(body) // 100):
        p = people.person()
        kept.append([len(kept) + 1, p["name"], p["id"], "女", "低保", p["id"], "本人", 1, 1080.0, "2022-09-01",
                     p["phone"], *p["place"]])
    write_table(nxt, header, kept)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--next-month", nargs=2, metavar=("ROSTER", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.next_month:
        return next_month(*map(Path, args.next_month))
    app, _ = bench_app()
    from python_calamine import CalamineWorkbook

    from duban.extensions import db
    from duban.ledgers.mapping import header_score, suggest, validate_chunks
    from duban.ledgers.reader import open_table
    from duban.ledgers.xlsx_pieces import open_rows
    from duban.screening import importer
    from duban.screening.models import ImportBatch, SourceRecord
    from duban.screening.sources import KINDS
    from duban.screening.synthetic import generate

    def read_alone(p: Path) -> tuple[float, int]:
        t = time.perf_counter()
        cells = 0
        for row in CalamineWorkbook.from_path(str(p)).get_sheet_by_index(0).iter_rows():
            cells += sum(1 for c in row if c is not None)
        return time.perf_counter() - t, cells

    def import_file(p: Path, replace: bool = False):
        t = time.perf_counter()
        b, _ = importer.upload(db.session, admin, bureau, "recipients", p.name, io.BytesIO(p.read_bytes()))
        db.session.commit()
        uploaded = time.perf_counter() - t
        importer.run(db.session, admin, b, importer.suggested(db.session, b), replace=replace)
        db.session.commit()
        return b, uploaded, time.perf_counter() - t - uploaded

    with app.app_context():
        db.drop_all()
        db.create_all()
        admin, bureau, places = demo_district(db.session)
        out = Path(app.config["UPLOAD_FOLDER"]) / "files"
        t = time.perf_counter()
        path = generate(out, places, recipients=args.rows, medical=10, bad=False)["recipients"]
        gen = time.perf_counter() - t
        data = path.read_bytes()

        # Written by a child process, so that its lists of rows do not swell this one's memory.
        nxt = out / "十月花名册.xlsx"
        subprocess.run([sys.executable, __file__, "--next-month", str(path), str(nxt)], check=True)

        fields = KINDS["recipients"].fields
        figures: dict[str, list] = {}

        def note(name: str, secs: float, base: float) -> None:
            figures.setdefault(name, []).append((secs, secs / base))

        rss_read = rss_import = 0.0
        for _ in range(args.rounds):
            db.session.execute(SourceRecord.__table__.delete())
            db.session.execute(ImportBatch.__table__.delete())
            db.session.commit()
            reset_peak_rss()
            read, cells = read_alone(path)
            rss_read = max(rss_read, rss_mb())
            note("baseline: calamine read-only pass", read, read)
            t = time.perf_counter()
            assert sum(1 for _ in open_rows(path)) > args.rows
            note("read in pieces (xlsx_pieces), read-only", time.perf_counter() - t, read)
            t = time.perf_counter()
            table = open_table(path, header_score(fields))
            valid = sum(len(c) - len(c.errors) for c in validate_chunks(table, fields, suggest(fields, table.headers)))
            note("read + validate only (no database)", time.perf_counter() - t, read)
            assert valid == args.rows
            reset_peak_rss()
            batch, upload, run = import_file(path)
            rss_import = max(rss_import, rss_mb())
            assert batch.added == args.rows and batch.rejected == 0, (batch.added, batch.rejected, batch.rejects_sample)
            note("upload: store + find header", upload, read)
            note("import: validate + insert + commit", run, read)
            note("whole import (upload + import)", upload + run, read)
            t = time.perf_counter()
            _, new = importer.upload(db.session, admin, bureau, "recipients", "again.xlsx", io.BytesIO(data))
            note("same file again (by content hash)", time.perf_counter() - t, read)
            assert not new
            read2, _ = read_alone(nxt)
            batch2, upload2, run2 = import_file(nxt, replace=True)
            assert (batch2.added, batch2.retired) == (args.rows // 100, args.rows // 100), (batch2.added, batch2.retired)
            note("next month, whole list (× its own read)", upload2 + run2, read2)

        dialect = db.engine.dialect.name
        print(f"\nImport benchmark — {args.rows:,} rows × 13 columns ({len(data) / 1e6:.1f} MB xlsx, "
              f"{cells:,} cells), {dialect}; generated in {gen:.1f} s; median of {args.rounds} rounds")
        print(f"{'step':<44}{'seconds':>9}{'rows/s':>12}{'× read':>9}{'  × read, each round':<20}")
        for name, runs in figures.items():
            secs = statistics.median(s for s, _ in runs)
            ratio = statistics.median(r for _, r in runs)
            each = " ".join(f"{r:.2f}" for _, r in runs)
            print(f"{name:<44}{secs:>9.2f}{args.rows / secs:>12,.0f}{ratio:>9.2f}  {each}")
        print(f"next month: added {batch2.added:,}, updated {batch2.updated:,}, left {batch2.retired:,}")
        print(f"peak RSS of the process: {rss_read:.0f} MB during the read pass, {rss_import:.0f} MB during the import")


if __name__ == "__main__":
    main()
