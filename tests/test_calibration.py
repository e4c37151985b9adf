"""The calibration loop a support lead runs: sample, label, measure agreement."""

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from shadoweval.calibration import cohen_kappa, safe_cell, sample_for_review, unsafe_cell
from shadoweval.cli import main


def test_cohen_kappa_matches_the_textbook_example() -> None:
    # Cohen (1960)-style 2x2: 20 yes/yes, 15 no/no, 5 yes/no, 10 no/yes -> po 0.70, pe 0.50, kappa 0.40
    pairs = [("y", "y")] * 20 + [("n", "n")] * 15 + [("y", "n")] * 5 + [("n", "y")] * 10
    assert cohen_kappa(pairs) == pytest.approx(0.4)
    assert cohen_kappa([("pass", "pass")] * 4) is None  # one label everywhere: kappa is undefined
    assert cohen_kappa([("pass", "fail"), ("fail", "pass")]) == pytest.approx(-1.0)


def test_cells_that_look_like_formulas_are_neutralised_and_restored() -> None:
    for text in ("=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)"):
        assert safe_cell(text) == "'" + text and unsafe_cell(safe_cell(text)) == text
    assert safe_cell("plain") == "plain" and unsafe_cell("'quoted") == "'quoted"


def test_sample_is_stratified_and_reproducible() -> None:
    results = [{"ticket_id": f"t{i:02d}", "category": "a", "verdict": v, "score": 0.5}
               for i, v in enumerate(["pass"] * 10 + ["fail"] * 3 + ["unscorable"] * 5)]
    sample = sample_for_review(results, per_category=8, seed=1)
    verdicts = [r["verdict"] for r in sample]
    assert verdicts.count("fail") == 3 and verdicts.count("pass") == 5  # too few fails: passes fill in
    assert "unscorable" not in verdicts
    assert sample == sample_for_review(results, per_category=8, seed=1)


def test_review_round_trip_through_the_cli(tiny_run, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "review.csv"
    result = runner.invoke(main, ["review-sample", str(tiny_run.out_dir), "--out", str(out), "--per-category", "4"])
    assert result.exit_code == 0, result.output
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {r["category"] for r in rows} == {"shipping", "returns", "gift_cards"}
    assert all(r["human_verdict"] == "" for r in rows)
    for r in rows:  # a reviewer agrees with every pass and calls everything else a fail
        r["human_verdict"] = "pass" if r["tool_verdict"] == "pass" else "fail"
    with open(out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = runner.invoke(main, ["review-agreement", str(out)])
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line.split() for line in result.output.splitlines()[1:]}
    assert lines["all"][1] == str(len(rows))
    expected = sum(r["tool_verdict"] in {"pass", "fail"} for r in rows) / len(rows)
    assert lines["all"][2] == f"{expected:.0%}"


def test_bad_labels_are_one_clear_sentence(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("ticket_id,category,tool_verdict,human_verdict\n1,a,pass,great\n")
    result = CliRunner().invoke(main, ["review-agreement", str(path)])
    assert result.exit_code == 2
    assert "Row 2" in result.output and "human_verdict 'great'" in result.output and "pass, partial" in result.output
    result = CliRunner().invoke(main, ["review-sample", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "No results.jsonl" in result.output
