"""The CI gate: live categories, regressions against a baseline, exit codes, junit.xml and GitHub outputs.

The tiny fixture (tests/data, policy in tests/data/shadoweval.toml) gives shipping `ready`,
returns `not_ready` and gift_cards `insufficient_data`.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from shadoweval.baseline import compare, read_summary
from shadoweval.cli import main
from shadoweval.config import PolicySettings
from shadoweval.decide import decide_categories
from shadoweval.errors import InputError
from shadoweval.gate import annotations, evaluate_gate, github_outputs, parse_live
from shadoweval.scoring import TicketResult


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def run_tiny(data_dir: Path, out: Path, *extra: str):
    return invoke("run", str(data_dir / "tickets.csv"), "--kb", str(data_dir / "kb"),
                  "--config", str(data_dir / "shadoweval.toml"), "--out", str(out), *extra)


def junit_cases(path: Path) -> tuple[ET.Element, dict[str, ET.Element]]:
    suite = ET.parse(path).getroot().find("testsuite")
    return suite, {c.get("name"): c for c in suite.findall("testcase")}


@pytest.fixture
def summary_path(tiny_run, tmp_path: Path) -> Path:
    """A private copy of the tiny run's summary.json, so a test may edit it."""
    path = tmp_path / "summary.json"
    path.write_text((tiny_run.out_dir / "summary.json").read_text())
    return path


def baseline_with(summary_path: Path, tmp_path: Path, **changes: dict) -> Path:
    """The tiny summary with some categories' counts changed: a baseline the current run differs from."""
    data = json.loads(summary_path.read_text())
    for entry in data["categories"]:
        entry.update(changes.get(entry["category"], {}))
    path = tmp_path / "baseline.json"
    path.write_text(json.dumps(data))
    return path


# --- the rules, without the CLI ----------------------------------------------------------------


def results(category: str, verdicts: dict[str, int]) -> list[TicketResult]:
    return [TicketResult(f"{category}{v}{i}", category, v, 0.5, {}, "", []) for v, n in verdicts.items() for i in range(n)]


def test_parse_live_accepts_repeats_and_commas() -> None:
    assert parse_live(("a", "b, c", " ", "d,")) == ("a", "b", "c", "d")


def test_only_live_categories_can_fail_the_gate() -> None:
    decisions = decide_categories(results("good", {"pass": 100}) + results("bad", {"pass": 50, "fail": 50}), PolicySettings())
    assert evaluate_gate(decisions, []).passed
    assert evaluate_gate(decisions, ["good"]).passed
    failed = evaluate_gate(decisions, ["good", "bad"])
    assert not failed.passed and set(failed.failing) == {"bad"}
    assert failed.failing["bad"][0].startswith("not ready: pass rate 0.50 [0.40, 0.60], lower bound 0.40 < 0.80, n=100")
    assert (failed.status("good"), failed.status("bad")) == ("passed", "failed")
    assert evaluate_gate(decisions, ["good"]).status("bad") == "not_live"


def test_a_live_category_missing_from_the_run_is_an_error_not_a_pass() -> None:
    decisions = decide_categories(results("shipping", {"pass": 100}), PolicySettings())
    with pytest.raises(Exception, match=r"Live category 'shiping' is not in this run; the categories are: shipping"):
        evaluate_gate(decisions, ["shiping"])


def test_regression_needs_the_whole_interval_on_the_wrong_side_of_the_baseline() -> None:
    now = decide_categories(results("a", {"pass": 85, "fail": 15}) + results("b", {"pass": 95, "unsafe": 5}), PolicySettings())
    # a: 0.85 [0.77, 0.91]; a baseline of 0.90 is inside the interval (noise), 0.95 is above it (regressed).
    noisy = compare(now, {"categories": [{"category": "a", "scored": 100, "pass": 90, "unsafe": 0, "decision": "ready"}]})
    assert not noisy["a"].flagged and noisy["a"].delta["pass_rate"] == pytest.approx(-0.05)
    worse = compare(now, {"categories": [{"category": "a", "scored": 100, "pass": 95, "unsafe": 0, "decision": "ready"},
                                         {"category": "b", "scored": 100, "pass": 95, "unsafe": 0, "decision": "ready"}]})
    assert worse["a"].flagged and "wholly below the baseline's 0.95" in worse["a"].reasons[0]
    # b: 5 unsafe of 100 now, 0 before: the interval [0.02, 0.11] lies wholly above 0.
    assert worse["b"].flagged and "unsafe rate 0.050" in worse["b"].reasons[0]
    gate = evaluate_gate(now, ["a"], worse)
    assert gate.failing == {"a": ["not ready: pass rate 0.85 [0.77, 0.91], lower bound 0.77 < 0.80, n=100",
                                  "regressed: pass rate 0.85 [0.77, 0.91] is wholly below the baseline's 0.95"]}


def test_a_category_new_since_the_baseline_is_not_a_regression() -> None:
    now = decide_categories(results("new", {"pass": 100}), PolicySettings())
    comparison = compare(now, {"categories": []})
    assert not comparison["new"].flagged and comparison["new"].delta is None


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "does not exist"),
        ("{not json", "is not valid JSON"),
        ('{"schema_version": 1}', "is not a shadoweval summary.json (no 'categories' list)"),
        ('{"categories": [{"category": "a"}]}', "categories[0] has no valid 'decision'"),
    ],
)
def test_a_bad_baseline_is_one_sentence(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "base.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(InputError, match=re.escape(message)) as caught:
        read_summary(path)
    assert str(caught.value).startswith(f"Baseline file {path}") and "\n" not in str(caught.value)


def test_github_annotations_escape_their_data() -> None:
    decisions = decide_categories(results("bad", {"pass": 50, "fail": 50}), PolicySettings())
    gate = evaluate_gate(decisions, ["bad"])
    [line] = annotations(gate)
    assert line.startswith("::error title=shadoweval gate::bad: not ready: pass rate 0.50")
    assert annotations(gate, report_only=True)[0].startswith("::warning title=shadoweval gate::")
    gate.failing["bad"] = ["100% wrong\nnext"]
    assert annotations(gate)[0].endswith("bad: 100%25 wrong%0Anext")


def test_github_outputs_append_the_step_summary_and_annotate_only_on_actions(tmp_path: Path) -> None:
    decisions = decide_categories(results("bad", {"pass": 50, "fail": 50}), PolicySettings())
    gate = evaluate_gate(decisions, ["bad"])
    step_summary = tmp_path / "step.md"
    step_summary.write_text("earlier step\n")
    lines = github_outputs(gate, "## table", {"GITHUB_STEP_SUMMARY": str(step_summary)})
    assert lines == [] and step_summary.read_text() == "earlier step\n## table\n"
    assert len(github_outputs(gate, "## table", {"GITHUB_ACTIONS": "true"})) == 1
    assert github_outputs(gate, "## table", {}) == []


# --- `shadoweval run --gate` --------------------------------------------------------------------


def test_run_without_gate_exits_0_even_when_a_live_category_fails(data_dir: Path, tmp_path: Path) -> None:
    result = run_tiny(data_dir, tmp_path / "out", "--live", "returns")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["gate"]["passed"] is False and summary["gate"]["live"] == ["returns"]
    entries = {c["category"]: c for c in summary["categories"]}
    assert entries["returns"]["live"] and entries["returns"]["gate"] == "failed"
    assert entries["shipping"]["gate"] == "not_live" and entries["shipping"]["regression"] is None


def test_run_gate_without_live_categories_passes_and_skips_what_is_not_ready(data_dir: Path, tmp_path: Path) -> None:
    result = run_tiny(data_dir, tmp_path / "out", "--gate")
    assert result.exit_code == 0, result.output
    assert "Gate: no live categories" in result.output
    suite, cases = junit_cases(tmp_path / "out" / "junit.xml")
    assert (suite.get("failures"), suite.get("skipped"), suite.get("tests")) == ("0", "2", "3")
    assert cases["returns"].find("skipped") is not None and cases["shipping"].find("skipped") is None


def test_run_gate_fails_with_exit_1_when_a_live_category_is_not_ready(data_dir: Path, tmp_path: Path) -> None:
    result = run_tiny(data_dir, tmp_path / "out", "--gate", "--live", "shipping", "--live", "returns")
    assert result.exit_code == 1, result.output
    assert "Gate: FAILED; 1 of 2 live categories fail:" in result.output
    assert "returns: not ready: pass rate 0.25 [0.09, 0.53], lower bound 0.09 < 0.60, n=12" in result.output
    suite, cases = junit_cases(tmp_path / "out" / "junit.xml")
    assert (suite.get("failures"), suite.get("skipped")) == ("1", "1")  # gift_cards is not live: skipped
    failure = cases["returns"].find("failure")
    assert failure.get("message") == "not ready: pass rate 0.25 [0.09, 0.53], lower bound 0.09 < 0.60, n=12"
    assert failure.get("type") == "not_ready" and "below the target 60%" in failure.text
    assert cases["shipping"].find("failure") is None and cases["shipping"].get("classname") == "shadoweval.live"
    assert cases["gift_cards"].find("skipped") is not None
    assert "**Gate: ❌ failed**: 1 of 2 live categories fail." in (tmp_path / "out" / "summary.md").read_text()


def test_run_gate_passes_when_every_live_category_is_ready(data_dir: Path, tmp_path: Path) -> None:
    result = run_tiny(data_dir, tmp_path / "out", "--gate", "--live", "shipping")
    assert result.exit_code == 0, result.output
    assert "Gate: passed; live categories ready and not regressed: shipping." in result.output
    _, cases = junit_cases(tmp_path / "out" / "junit.xml")
    assert "ready: pass rate 0.92" in cases["shipping"].find("system-out").text


def test_report_only_never_fails(data_dir: Path, tmp_path: Path) -> None:
    result = run_tiny(data_dir, tmp_path / "out", "--gate", "--report-only", "--live", "returns")
    assert result.exit_code == 0, result.output
    assert "Gate: FAILED" in result.output and "--report-only: exiting 0" in result.output


def test_live_categories_come_from_the_config_file(data_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "policy.toml"
    config.write_text((data_dir / "shadoweval.toml").read_text() + 'live_categories = ["returns"]\n')
    result = invoke("run", str(data_dir / "tickets.csv"), "--kb", str(data_dir / "kb"), "--config", str(config),
                    "--out", str(tmp_path / "out"), "--gate")
    assert result.exit_code == 1 and "returns: not ready" in result.output


def test_an_unknown_live_category_is_exit_2_listing_the_categories(data_dir: Path, tmp_path: Path) -> None:
    result = run_tiny(data_dir, tmp_path / "out", "--gate", "--live", "shiping")
    assert result.exit_code == 2
    assert result.output == ("Error: Live category 'shiping' is not in this run; the categories are: gift_cards, returns, "
                             "shipping (fix --live or policy.live_categories).\n")


def test_run_gate_fails_a_live_category_that_regressed(data_dir: Path, tmp_path: Path, summary_path: Path) -> None:
    baseline = baseline_with(summary_path, tmp_path, shipping={"pass": 13})  # 13 of 13 before, 12 of 13 now
    result = run_tiny(data_dir, tmp_path / "out", "--gate", "--live", "shipping", "--baseline", str(baseline))
    assert result.exit_code == 1, result.output
    assert "shipping: regressed: pass rate 0.92 [0.67, 0.99] is wholly below the baseline's 1.00" in result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    shipping = {c["category"]: c for c in summary["categories"]}["shipping"]
    assert shipping["decision"] == "ready" and shipping["regression"] is True
    assert shipping["baseline_delta"]["pass_rate"] == pytest.approx(-1 / 13, abs=1e-4)
    assert summary["gate"]["baseline"]["sha256"] and summary["manifest"]["paths"]["baseline"] == str(baseline)
    _, cases = junit_cases(tmp_path / "out" / "junit.xml")
    assert cases["shipping"].find("failure").get("type") == "regression"
    markdown = (tmp_path / "out" / "summary.md").read_text()
    assert "Δ pass vs baseline" in markdown and "-7.7 pts ⚠ regressed" in markdown
    html = (tmp_path / "out" / "index.html").read_text()
    assert "Gate failed:" in html and "-7.7 pts regressed" in html


def test_a_regressed_category_that_is_not_live_does_not_fail_the_gate(data_dir: Path, tmp_path: Path, summary_path: Path) -> None:
    baseline = baseline_with(summary_path, tmp_path, shipping={"pass": 13})
    result = run_tiny(data_dir, tmp_path / "out", "--gate", "--baseline", str(baseline))
    assert result.exit_code == 0, result.output


def test_a_missing_baseline_stops_the_run_with_exit_2(data_dir: Path, tmp_path: Path) -> None:
    result = run_tiny(data_dir, tmp_path / "out", "--gate", "--baseline", str(tmp_path / "none.json"))
    assert result.exit_code == 2 and result.output.startswith("Error: Baseline file ")
    assert result.output.count("\n") == 1 and not (tmp_path / "out").exists()  # before any slow work


def test_same_inputs_give_the_same_summary_with_gate_and_baseline(data_dir: Path, tmp_path: Path, summary_path: Path) -> None:
    baseline = baseline_with(summary_path, tmp_path, shipping={"pass": 13})
    args = ("--live", "shipping", "--baseline", str(baseline))
    assert run_tiny(data_dir, tmp_path / "one", *args).exit_code == 0
    assert run_tiny(data_dir, tmp_path / "two", *args).exit_code == 0

    def stable(path: Path) -> dict:
        summary = json.loads(path.read_text())
        for volatile in ("started_at", "paths"):
            summary["manifest"].pop(volatile)
        return summary

    one, two = stable(tmp_path / "one" / "summary.json"), stable(tmp_path / "two" / "summary.json")
    assert one == two and one["gate"]["baseline"] is not None and one["cutover_order"]


# --- `shadoweval gate SUMMARY_JSON` ---------------------------------------------------------------


def test_gate_command_exit_codes(summary_path: Path) -> None:
    assert invoke("gate", str(summary_path)).exit_code == 0  # nothing live
    assert invoke("gate", str(summary_path), "--live", "shipping").exit_code == 0
    failed = invoke("gate", str(summary_path), "--live", "shipping,returns")
    assert failed.exit_code == 1 and "returns: not ready: pass rate 0.25" in failed.output
    assert invoke("gate", str(summary_path), "--live", "gift_cards").exit_code == 1  # insufficient data is not ready
    assert invoke("gate", str(summary_path), "--live", "returns", "--report-only").exit_code == 0
    unknown = invoke("gate", str(summary_path), "--live", "refunds")
    assert unknown.exit_code == 2 and "the categories are: gift_cards, returns, shipping" in unknown.output


def test_gate_command_reads_live_categories_from_config_else_from_the_summary(summary_path: Path, tmp_path: Path) -> None:
    config = tmp_path / "shadoweval.toml"
    config.write_text('[policy]\nlive_categories = ["returns"]\n')
    assert invoke("gate", str(summary_path), "--config", str(config)).exit_code == 1
    assert invoke("gate", str(summary_path)).exit_code == 1  # ./shadoweval.toml in the working folder
    config.unlink()
    data = json.loads(summary_path.read_text())
    data["gate"]["live"] = ["returns"]  # what `run --live returns` records
    summary_path.write_text(json.dumps(data))
    assert invoke("gate", str(summary_path)).exit_code == 1
    assert invoke("gate", str(summary_path), "--live", "shipping").exit_code == 0  # --live replaces it


def test_gate_command_checks_regressions_against_a_baseline(summary_path: Path, tmp_path: Path) -> None:
    same = invoke("gate", str(summary_path), "--live", "shipping", "--baseline", str(summary_path))
    assert same.exit_code == 0, same.output
    baseline = baseline_with(summary_path, tmp_path, shipping={"pass": 13})
    worse = invoke("gate", str(summary_path), "--live", "shipping", "--baseline", str(baseline))
    assert worse.exit_code == 1 and "shipping: regressed" in worse.output


def test_gate_command_rejects_files_that_are_not_summaries(tmp_path: Path) -> None:
    bad = tmp_path / "results.jsonl"
    bad.write_text('{"ticket_id": "T-1"}\n{"ticket_id": "T-2"}\n')
    result = invoke("gate", str(bad))
    assert result.exit_code == 2 and result.output.startswith(f"Error: Summary file {bad} is not valid JSON")
    assert invoke("gate", str(tmp_path / "none.json")).exit_code == 2


def test_gate_on_github_actions_annotates_and_appends_the_job_summary(
    summary_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    step_summary = tmp_path / "step_summary.md"
    step_summary.write_text("# Nightly\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    result = invoke("gate", str(summary_path), "--live", "shipping,returns")
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("::")]
    assert errors == ["::error title=shadoweval gate::returns: not ready: pass rate 0.25 [0.09, 0.53], "
                      "lower bound 0.09 < 0.60, n=12"]
    text = step_summary.read_text()
    assert text.startswith("# Nightly\n## shadoweval readiness") and "**Gate: ❌ failed**" in text
    assert "| returns | ❌ not ready | ❌ live |" in text

    passed = invoke("gate", str(summary_path), "--live", "shipping")
    assert passed.exit_code == 0 and "::error" not in passed.output
    assert step_summary.read_text().count("## shadoweval readiness") == 2


def test_run_gate_on_github_actions_prints_one_error_per_failing_live_category(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "step.md"))
    result = run_tiny(data_dir, tmp_path / "out", "--gate", "--live", "returns,gift_cards,shipping")
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("::error")]
    assert [e.split("::")[2].split(":")[0] for e in errors] == ["gift_cards", "returns"]
    assert (tmp_path / "step.md").read_text() == (tmp_path / "out" / "summary.md").read_text()


def test_summary_md_fits_a_pull_request_comment(summary_path: Path) -> None:
    from shadoweval.report.markdown import render_markdown

    data = json.loads(summary_path.read_text())
    text = render_markdown(data)
    assert len(text.splitlines()) < 60 and len(text) < 6000
    assert "**Recommended cutover order**" in text and "1. shipping: ready, saves $" in text
    assert "inferred from 73 days of created_at" in text


def test_a_blocked_live_category_fails_and_a_blocked_name_that_is_not_a_category_is_noted(data_dir: Path, tmp_path: Path) -> None:
    config = tmp_path / "policy.toml"
    config.write_text((data_dir / "shadoweval.toml").read_text() + 'blocked = ["shipping", "complaints"]\n')
    result = invoke("run", str(data_dir / "tickets.csv"), "--kb", str(data_dir / "kb"), "--config", str(config),
                    "--out", str(tmp_path / "out"), "--gate", "--live", "shipping")
    assert result.exit_code == 1, result.output
    assert "shipping: blocked: blocked by policy" in result.output
    assert "Note: the policy names categories this run does not have: complaints;" in result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    shipping = {c["category"]: c for c in summary["categories"]}["shipping"]
    assert shipping["decision"] == "blocked" and shipping["policy"]["blocked"] is True
    assert shipping["monthly_savings"] is None and shipping["monthly_savings_if_cut_over"] > 0
    assert summary["cutover_order"][-1]["category"] == "shipping"


def test_html_shows_the_gate_the_savings_and_the_cutover_order(tiny_run) -> None:
    html = (tiny_run.out_dir / "index.html").read_text()
    assert "No live categories: nothing is gated." in html
    assert html.index('id="readiness"') < html.index('id="cutover"') < html.index('id="cat-returns"')
    assert "Volume / month" in html and "Savings / month" in html
    assert "Monthly volumes are inferred from 73 days of created_at (2026-01-10 to 2026-03-24)." in html
    assert "Rules: at least 10 scored, pass-rate lower bound &ge; 60%" in html
    assert "<script>alert('x')</script>" not in html  # still escaped
