"""Where the seed plans and their hand-checked expectations are."""
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve()
# The plans live in shared/seeds beside the repository (CI checks out shared/ next to it).
SEEDS = next((p / "shared" / "seeds" for p in HERE.parents if (p / "shared" / "seeds").is_dir()), None)
EXPECTATIONS = HERE.parents[1] / "plan_expectations"
STEMS = sorted(p.stem for p in EXPECTATIONS.glob("*.yaml"))


def seed_text(stem: str) -> str:
    if SEEDS is None or not (SEEDS / f"{stem}.txt").is_file():
        pytest.skip("shared/seeds is not checked out beside the repository")
    return (SEEDS / f"{stem}.txt").read_text(encoding="utf-8")


def expected(stem: str) -> dict:
    return yaml.safe_load((EXPECTATIONS / f"{stem}.yaml").read_text(encoding="utf-8"))
