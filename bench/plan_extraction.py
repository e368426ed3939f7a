"""Precision and recall of the plan extractor, per field, per seed plan and overall.

    python bench/plan_extraction.py [--misses] [--seeds DIR]

Runs duban.plandraft over every seed plan in shared/seeds/ (found by walking up from this file)
that has hand-checked expectations in tests/plan_expectations/, and prints one table: rows are
fields, columns are seeds (P/R) and the overall figure. --misses lists what was missed (−) or
found in excess (+). Exit status 0; the numbers are for following the extractor over time.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "platform"))

from duban.plandraft import as_json, draft_from_file
from duban.plandraft.scoring import FIELDS, Score, compare, fmt

EXPECTATIONS = ROOT / "tests" / "plan_expectations"


def seeds_dir() -> Path | None:
    for parent in [HERE, *HERE.parents]:
        if (parent / "shared" / "seeds").is_dir():
            return parent / "shared" / "seeds"
    return None


def run(seeds: Path) -> tuple[list[str], dict[str, dict[str, Score]]]:
    results: dict[str, dict[str, Score]] = {}
    names = []
    for expected_file in sorted(EXPECTATIONS.glob("*.yaml")):
        plan = seeds / f"{expected_file.stem}.txt"
        if not plan.is_file():
            continue
        expected = yaml.safe_load(expected_file.read_text(encoding="utf-8"))
        draft = as_json(draft_from_file(plan.name, plan.read_bytes()))
        results[expected_file.stem] = compare(draft, expected)
        names.append(expected_file.stem)
    return names, results


def table(names: list[str], results: dict[str, dict[str, Score]]) -> str:
    short = [n.split("_")[0] for n in names]
    head = ["field"] + [f"{s} P/R" for s in short] + ["overall P", "overall R", "tp/fp/fn"]
    rows = [head]
    grand = Score()
    for f in FIELDS:
        total = Score()
        cells = [f]
        for n in names:
            s = results[n][f]
            total.add(s)
            cells.append(f"{fmt(s.precision)}/{fmt(s.recall)}")
        grand.add(total)
        cells += [fmt(total.precision), fmt(total.recall), f"{total.tp}/{total.fp}/{total.fn}"]
        rows.append(cells)
    rows.append(["all fields"] + [""] * len(names) + [fmt(grand.precision), fmt(grand.recall),
                                                      f"{grand.tp}/{grand.fp}/{grand.fn}"])
    widths = [max(_width(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for i, r in enumerate(rows):
        lines.append("  ".join(c + " " * (w - _width(c)) for c, w in zip(r, widths)).rstrip())
        if i == 0 or i == len(rows) - 2:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list missed and extra items")
    parser.add_argument("--seeds", type=Path, help="folder of seed plans (default: shared/seeds above)")
    args = parser.parse_args(argv)
    seeds = args.seeds or seeds_dir()
    if seeds is None:
        print("no shared/seeds folder found above bench/; pass --seeds DIR", file=sys.stderr)
        return 2
    names, results = run(seeds)
    if not names:
        print(f"no seed plan in {seeds} has expectations in {EXPECTATIONS}", file=sys.stderr)
        return 2
    print(f"Plan extraction against hand-checked expectations ({len(names)} seeds: {', '.join(names)})\n")
    print(table(names, results))
    if args.misses:
        for n in names:
            for f in FIELDS:
                s = results[n][f]
                for m in s.misses:
                    print(f"{n} {f} − {m}")
                for x in s.extras:
                    print(f"{n} {f} + {x}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
