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
file; and the same roster as Excel or WPS saves it (text in a shared-strings table, where the
generated file has it inline, as systems' exports do), against a read-only pass over that file.
The machine is noisy: the reads and the imports run --rounds times (each round into an emptied
table: empty_tables) and the table shows medians; "× read" is the median of each round's own ratio.
A big sheet is parsed in pieces in background threads while the import works on the rows
(ledgers.xlsx_pieces). Read alone that way (every cell touched, as in the calamine pass) it can be
faster than one calamine pass, since the parsing of one piece overlaps the handing over of the one
before: so the baseline of each file in each round is the faster of the two reads (read_alone).
Peak memory is the process's peak RSS during the step (Linux's VmHWM, reset before it).
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


def empty_tables(session, *tables) -> None:
    """Empty the tables for the next round. On PostgreSQL by TRUNCATE: a DELETE leaves the unique
    index full of dead entries with the very keys the next round inserts, each of which the insert
    then checks against the table (without autovacuum, as on these machines, 0.3× a read more)."""
    from sqlalchemy import text

    if session.connection().dialect.name == "postgresql":
        session.execute(text("TRUNCATE " + ", ".join(t.name for t in tables)))
    else:
        for t in tables:
            session.execute(t.delete())
    session.commit()


def saved_by_excel(path: Path, out: Path) -> None:
    """The same roster as Excel or WPS would save it: its text in a shared-strings table."""
    from python_calamine import CalamineWorkbook

    from duban.screening.synthetic import write_table

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    write_table(out, rows[0], ([None if c == "" else c for c in r] for r in rows[1:]), shared_strings=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--next-month", nargs=2, metavar=("ROSTER", "OUT"), help=argparse.SUPPRESS)
    ap.add_argument("--saved-by-excel", nargs=2, metavar=("ROSTER", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.next_month:
        return next_month(*map(Path, args.next_month))
    if args.saved_by_excel:
        return saved_by_excel(*map(Path, args.saved_by_excel))
    app, _ = bench_app()
    from python_calamine import CalamineWorkbook

    from duban.extensions import db
    from duban.ledgers.mapping import header_score, suggest, validate_chunks
    from duban.ledgers.reader import open_table
    from duban.ledgers.xlsx_pieces import open_rows
    from duban.screening import importer
    from duban.screening.models import ImportBatch, SourceRecord
    from duban.screening.sources import KINDS

    def one_pass(p: Path) -> tuple[float, int]:
        t = time.perf_counter()
        cells = 0
        for row in CalamineWorkbook.from_path(str(p)).get_sheet_by_index(0).iter_rows():
            cells += sum(1 for c in row if c is not None)
        return time.perf_counter() - t, cells

    def in_pieces(p: Path) -> tuple[float, int]:
        """As the import reads: in pieces, or a small sheet (below MIN_SHEET_BYTES) in one pass."""
        t = time.perf_counter()
        rows = open_rows(p)
        if rows is None:
            return one_pass(p)
        cells = 0
        for _, row in rows:
            cells += sum(1 for c in row if c is not None)
        return time.perf_counter() - t, cells

    def read_alone(p: Path) -> tuple[float, float, float, int]:
        """(the faster of the two reads, one calamine pass, in pieces, cells): the baseline is the fastest reading."""
        (whole, cells), (pieces, cells2) = one_pass(p), in_pieces(p)
        assert cells2 == cells, (cells, cells2)
        return min(whole, pieces), whole, pieces, cells

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
        admin, bureau, _ = demo_district(db.session)
        out = Path(app.config["UPLOAD_FOLDER"]) / "files"
        t = time.perf_counter()
        # Generated by a child process (bench/screening_gen.py), as next month's file below, so that
        # the generator's lists of rows do not swell this process's memory.
        subprocess.run([sys.executable, str(Path(__file__).with_name("screening_gen.py")), str(out),
                        "--recipients", str(args.rows), "--medical", "10", "--clean"], check=True, stdout=subprocess.DEVNULL)
        path = out / "在保对象花名册.xlsx"
        gen = time.perf_counter() - t
        data = path.read_bytes()

        nxt = out / "十月花名册.xlsx"
        subprocess.run([sys.executable, __file__, "--next-month", str(path), str(nxt)], check=True)
        excel = out / "在保对象花名册（Excel另存）.xlsx"
        subprocess.run([sys.executable, __file__, "--saved-by-excel", str(path), str(excel)], check=True)

        fields = KINDS["recipients"].fields
        figures: dict[str, list] = {}

        def note(name: str, secs: float, base: float) -> None:
            figures.setdefault(name, []).append((secs, secs / base))

        rss_read: list[float] = []
        rss_import: list[float] = []
        for _ in range(args.rounds):
            empty_tables(db.session, SourceRecord.__table__, ImportBatch.__table__)
            reset_peak_rss()
            read, whole, pieces, cells = read_alone(path)
            rss_read.append(rss_mb())
            note("baseline: the faster of the two reads below", read, read)
            note("read: one calamine pass", whole, read)
            note("read: in pieces (xlsx_pieces, two threads)", pieces, read)
            t = time.perf_counter()
            with open_table(path, header_score(fields)) as table:
                valid = sum(len(c) - len(c.errors)
                            for c in validate_chunks(table, fields, suggest(fields, table.headers)))
            note("read + validate only (no database)", time.perf_counter() - t, read)
            assert valid == args.rows
            reset_peak_rss()
            batch, upload, run = import_file(path)
            rss_import.append(rss_mb())
            assert batch.added == args.rows and batch.rejected == 0, (batch.added, batch.rejected, batch.rejects_sample)
            note("upload: store + find header", upload, read)
            note("import: validate + insert + commit", run, read)
            note("whole import (upload + import)", upload + run, read)
            t = time.perf_counter()
            _, new = importer.upload(db.session, admin, bureau, "recipients", "again.xlsx", io.BytesIO(data))
            note("same file again (by content hash)", time.perf_counter() - t, read)
            assert not new
            read2, *_ = read_alone(nxt)
            batch2, upload2, run2 = import_file(nxt, replace=True)
            assert (batch2.added, batch2.retired) == (args.rows // 100, args.rows // 100), (batch2.added, batch2.retired)
            note("next month, whole list (× its own read)", upload2 + run2, read2)
            moved = batch2.added, batch2.updated, batch2.retired
            empty_tables(db.session, SourceRecord.__table__, ImportBatch.__table__)
            read3, whole3, *_ = read_alone(excel)
            note("saved by Excel: one calamine pass (× the faster read)", whole3, read3)
            batch3, upload3, run3 = import_file(excel)
            assert batch3.added == args.rows and batch3.rejected == 0, (batch3.added, batch3.rejected)
            note("saved by Excel: whole import (× its own read)", upload3 + run3, read3)

        dialect = db.engine.dialect.name
        print(f"\nImport benchmark — {args.rows:,} rows × 13 columns ({len(data) / 1e6:.1f} MB xlsx, "
              f"{cells:,} cells), {dialect}; generated in {gen:.1f} s; median of {args.rounds} rounds")
        print(f"{'step':<54}{'seconds':>9}{'rows/s':>12}{'× read':>9}{'  × read, each round':<20}")
        for name, runs in figures.items():
            secs = statistics.median(s for s, _ in runs)
            ratio = statistics.median(r for _, r in runs)
            each = " ".join(f"{r:.2f}" for _, r in runs)
            print(f"{name:<54}{secs:>9.2f}{args.rows / secs:>12,.0f}{ratio:>9.2f}  {each}")
        print("next month: added {:,}, updated {:,}, left {:,}".format(*moved))
        print(f"peak RSS of the process, first round: {rss_read[0]:.0f} MB during the reads, "
              f"{rss_import[0]:.0f} MB during the import (later rounds, on the heap earlier ones left: "
              f"up to {max(rss_read):.0f} and {max(rss_import):.0f} MB)")


if __name__ == "__main__":
    main()
