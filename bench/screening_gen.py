"""Generate synthetic screening data: the recipients roster and five department files.

    python bench/screening_gen.py OUT_DIR [--recipients 100000] [--medical 100000] [--seed 2022] [--clean]

Valid ID numbers (GB 11643 check digit, area code 350206), common Chinese names, households, and
addresses in the demo district's streets and communities (厦门市湖里区). Without --clean, about 1%
of the rows carry typical mistakes (wrong check digit, ID typed as a number, unknown community,
impossible date) so the import's row-level errors can be seen. The recipients file has 13 columns.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "platform"))

from screening_common import demo_places  # noqa: E402

from duban.screening.synthetic import generate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--recipients", type=int, default=100_000)
    ap.add_argument("--medical", type=int, default=None, help="rows of the medical file (default: as many as recipients)")
    ap.add_argument("--seed", type=int, default=2022)
    ap.add_argument("--clean", action="store_true", help="no deliberately bad rows")
    args = ap.parse_args()
    t = time.perf_counter()
    files = generate(args.out, demo_places(), recipients=args.recipients, medical=args.medical, seed=args.seed,
                     bad=not args.clean)
    for kind, path in files.items():
        print(f"{kind:<11} {path}  ({path.stat().st_size / 1e6:.1f} MB)")
    print(f"generated in {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    main()
