"""The extractor over the five seed plans, against expectations written by reading each plan."""
import re

import pytest
from duban.plandraft import as_json, build
from duban.plandraft.scoring import FIELDS, compare

from .seeds import STEMS, expected, seed_text


def test_every_seed_has_expectations():
    assert len(STEMS) == 5


@pytest.mark.parametrize("stem", STEMS)
def test_seed_plan_matches_its_expectations(stem):
    draft = as_json(build(seed_text(stem)))
    scores = compare(draft, expected(stem))
    problems = {f: (s.misses, s.extras) for f, s in scores.items() if s.misses or s.extras}
    assert not problems, f"{stem}: missed / extra per field: {problems}"
    assert set(scores) == set(FIELDS)


@pytest.mark.parametrize("stem", STEMS)
def test_every_item_points_at_the_sentence_it_came_from(stem):
    d = build(seed_text(stem))
    sentences = d["sentences"]
    items = (d["phases"] + d["deadlines"] + d["recurring"] + d["tasks"] + d["screening_categories"]
             + d["screening_checks"] + d["ledgers"])
    for item in items:
        sid = item["sentence"]
        assert sid is not None and sentences[sid]["text"] == item["source"], item
        s = sentences[sid]
        assert d["text"][s["start"]:s["end"]].strip(), item
    for p in d["phases"]:
        assert p["name"] in d["sentences"][p["sentence"]]["text"]
    for x in d["deadlines"]:  # the sentence names the day (or 月底, 年底, 春节)
        assert re.search(rf"{x['date'].month}月|{x['date'].month}{x['date'].day}日|年底|春节", x["source"]), x
    for key, item in d["meta_sources"].items():
        if item["value"]:
            assert item["sentence"] is not None, key


def test_the_township_plan_keeps_its_categories_thresholds():
    d = build(seed_text("001_f0b60bef64a5f8f0"))
    by_name = {c["name"]: c["threshold"] for c in d["screening_categories"]}
    assert by_name["2021年自付医疗费用1万元以上低保对象"] == {
        "min_amount": 10000, "unit": "元", "measure": "自付医疗费用", "year": 2021}
    assert len(by_name) == 7


def test_the_100_day_plan_crosses_the_new_year():
    d = build(seed_text("002_c7ff4ad1053a34c0"))
    [phase] = d["phases"]
    assert (phase["start"].year, phase["end"].year) == (2018, 2019)
    assert {x["date"].year for x in d["deadlines"]} == {2018, 2019}
    spring = [x for x in d["deadlines"] if x["holiday"] == "春节"]
    assert len(spring) == 2


def test_the_bench_prints_its_table():
    import subprocess
    import sys
    from pathlib import Path

    from .seeds import SEEDS

    if SEEDS is None:
        pytest.skip("shared/seeds is not checked out beside the repository")
    script = Path(__file__).resolve().parents[2] / "bench" / "plan_extraction.py"
    out = subprocess.run([sys.executable, str(script), "--seeds", str(SEEDS)], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    lines = out.splitlines()
    assert any(line.startswith("field") and "overall P" in line for line in lines)
    assert {line.split()[0] for line in lines if line and line.split()[0] in FIELDS} == set(FIELDS)
    assert any(line.startswith("all fields") for line in lines)
