"""The openai generator against a scripted endpoint on 127.0.0.1: prompts, citations, cache, retries,
timeouts, failures, budget, dry run, redaction and secrets. The real-model tests are in
test_openai_llama.py."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from llm_server import PII, FakeChatServer, chat_body, free_port, replying
from shadoweval.cli import main
from shadoweval.config import load_settings
from shadoweval.embedding import Embedder
from shadoweval.errors import BackendError, ConfigError
from shadoweval.generators import GenerationContext, get_generator
from shadoweval.generators.openai import BUDGET_REASON, HANDOFF_TEXT, CostEstimate, parse_reply
from shadoweval.index import build_or_load
from shadoweval.kb import load_kb
from shadoweval.llm_client import ChatClient
from shadoweval.retrieve import retrieve
from shadoweval.tickets import load_tickets

DATA = Path(__file__).parent / "data"
PATTERNS = {"ORDER": r"#?NW-\d{6}", "ACCOUNT": r"ACC-\d{5}"}


def openai_settings(tmp_path: Path, base_url: str, **openai):
    return load_settings(
        DATA / "shadoweval.toml",
        overrides={
            "kb": DATA / "kb", "out": tmp_path / "out", "cache_dir": tmp_path / "cache", "generator": "openai",
            "openai": {"base_url": base_url, "model": "fake", "retry_base_delay": 0.001, **openai},
        },
        environ={},
    )


def frame_of(path: Path = DATA / "tickets.csv", ids: list[str] | None = None) -> pd.DataFrame:
    frame = load_tickets(path).frame
    return frame if ids is None else frame[frame["ticket_id"].isin(ids)].reset_index(drop=True)


def context_for(frame: pd.DataFrame, settings, shared_cache: Path) -> GenerationContext:
    """Retrieval uses the session's embedding cache; the answer cache lives in settings.cache_dir."""
    kb = load_kb(settings.kb)
    embedder = Embedder(shared_cache)
    retrieval = retrieve(frame, build_or_load(kb, embedder), embedder, settings.retrieval.top_k)
    return GenerationContext(settings, kb, embedder, retrieval)


def generate(frame: pd.DataFrame, settings, shared_cache: Path):
    generator = get_generator("openai", settings)
    return generator, generator.generate(frame, context_for(frame, settings, shared_cache))


# -- the prompt and the reply ----------------------------------------------------------------------


def test_prompt_holds_rules_kb_excerpts_history_and_message(tmp_path: Path, shared_cache: Path) -> None:
    with FakeChatServer(replying("Express takes 1 to 2 business days.")) as server:
        settings = openai_settings(tmp_path, server.base_url, api_key="sk-test-key", max_tokens=77)
        generate(frame_of(ids=["T-013"]), settings, shared_cache)
    [body] = server.requests
    assert body["model"] == "fake" and body["temperature"] == 0 and body["max_tokens"] == 77
    system, *turns = body["messages"]
    assert system["role"] == "system"
    for expected in ("[source: ARTICLE-ID]", "[handoff]", HANDOFF_TEXT, "[article: shipping] Shipping and tracking",
                     "Express shipping takes 1 to 2 business days"):
        assert expected in system["content"], expected
    assert turns == [
        {"role": "user", "content": "How long does standard shipping take?"},
        {"role": "assistant", "content": "Standard shipping takes 3 to 5 business days."},
        {"role": "user", "content": "And what about express?"},
    ]
    assert server.headers[0]["Authorization"] == "Bearer sk-test-key"


def test_citations_become_sources_and_leave_the_text(tmp_path: Path, shared_cache: Path) -> None:
    reply = "Express shipping takes 1 to 2 business days [source: shipping]. Returns differ [source: returns, made-up]."
    with FakeChatServer(replying(reply, prompt_tokens=1000, completion_tokens=500)) as server:
        settings = openai_settings(tmp_path, server.base_url, price_input_per_1k=0.5, price_output_per_1k=1.5)
        _, [answer] = generate(frame_of(ids=["T-010"]), settings, shared_cache)
    assert answer.text == "Express shipping takes 1 to 2 business days. Returns differ."
    assert answer.sources == ("shipping", "returns") and not answer.abstained and answer.error is None
    assert answer.usage == {"prompt_tokens": 1000, "completion_tokens": 500}
    assert answer.cost_usd == pytest.approx(0.5 + 0.75)


def test_handoff_marker_means_abstained() -> None:
    articles = {"shipping": "Shipping"}
    assert parse_reply(f"[handoff] {HANDOFF_TEXT}", articles) == (HANDOFF_TEXT, (), True)
    assert parse_reply("[HANDOFF]", articles) == (HANDOFF_TEXT, (), True)
    assert parse_reply("It ships in 3 days (source: shipping).", articles) == ("It ships in 3 days.", ("shipping",), False)


def test_a_custom_prompt_template_relative_to_the_config_file(tmp_path: Path, shared_cache: Path) -> None:
    (tmp_path / "prompts").mkdir()
    (tmp_path / "prompts" / "mine.j2").write_text("Only say hi. {{ excerpts | length }} excerpts, first {{ excerpts[0].article_id }}.")
    config = tmp_path / "shadoweval.toml"
    with FakeChatServer(replying("hi")) as server:
        config.write_text(f'[openai]\nbase_url = "{server.base_url}"\nmodel = "m"\nprompt_template = "prompts/mine.j2"\n')
        settings = load_settings(config, overrides={"kb": DATA / "kb", "cache_dir": tmp_path / "cache"}, environ={})
        generate(frame_of(ids=["T-001"]), settings, shared_cache)
    assert re.fullmatch(r"Only say hi\. [1-5] excerpts, first shipping\.", server.requests[0]["messages"][0]["content"])
    (tmp_path / "prompts" / "mine.j2").write_text("{% for x in excerpts %}")
    with pytest.raises(ConfigError, match="syntax error on line 1"):
        get_generator("openai", settings)
    (tmp_path / "prompts" / "mine.j2").unlink()
    with pytest.raises(ConfigError, match="does not exist; fix openai.prompt_template"):
        get_generator("openai", settings)


# -- the cache --------------------------------------------------------------------------------------


def test_a_rerun_sends_no_request_for_answers_it_has(tmp_path: Path, shared_cache: Path) -> None:
    frame = frame_of(ids=["T-001", "T-003", "T-005"])
    frame = pd.concat([frame, frame.iloc[[0]].assign(ticket_id="T-001-copy")], ignore_index=True)
    with FakeChatServer(replying("Standard shipping takes 3 to 5 business days [source: shipping].")) as server:
        settings = openai_settings(tmp_path, server.base_url)
        first_generator, first = generate(frame, settings, shared_cache)
        assert len(server.requests) == 3  # the copy has the same prompt: asked once
        second_generator, second = generate(frame, settings, shared_cache)
        assert len(server.requests) == 3
    assert first == second and all(a.sources == ("shipping",) for a in second)
    assert first_generator.run_stats()["requests"] == 3
    assert second_generator.run_stats()["from_cache"] == 4 and second_generator.run_stats()["requests"] == 0


# -- retries, timeouts and failures -----------------------------------------------------------------


def test_backoff_doubles_and_honours_retry_after() -> None:
    statuses = iter([(429, {}), (500, {}), (503, {"Retry-After": "2"}), (200, {})])

    def respond(n: int, body: dict):
        status, headers = next(statuses)
        return status, chat_body("ok") if status == 200 else {"error": {"message": "busy"}}, headers, 0.0

    delays: list[float] = []
    with FakeChatServer(respond) as server:
        client = ChatClient(server.base_url, timeout=5, max_retries=3, retry_base_delay=0.5, sleep=delays.append)
        reply = client.complete([{"role": "user", "content": "hi"}], "m", 0.0, 10)
    assert reply.content == "ok" and reply.prompt_tokens == 100
    assert delays == [0.5, 1.0, 2.0]


def test_429_then_success_answers_the_ticket(tmp_path: Path, shared_cache: Path) -> None:
    def respond(n: int, body: dict):
        if n <= 2:
            return 429, {"error": {"message": "Rate limit reached"}}, {"Retry-After": "0"}, 0.0
        return 200, chat_body("Standard shipping takes 3 to 5 business days."), {}, 0.0

    with FakeChatServer(respond) as server:
        _, [answer] = generate(frame_of(ids=["T-001"]), openai_settings(tmp_path, server.base_url, max_retries=2), shared_cache)
    assert answer.error is None and len(server.requests) == 3


def test_persistent_server_errors_stop_the_run_after_the_retries(tmp_path: Path, shared_cache: Path) -> None:
    with FakeChatServer(lambda n, body: (500, {"error": {"message": "model overloaded"}}, {}, 0.0)) as server:
        with pytest.raises(BackendError) as caught:
            generate(frame_of(ids=["T-001"]), openai_settings(tmp_path, server.base_url, max_retries=2), shared_cache)
    assert caught.value.exit_code == 3 and len(server.requests) == 3
    assert f"The LLM endpoint at {server.base_url} kept failing (HTTP 500: model overloaded, 3 attempts);" in str(caught.value)


def test_timeouts_are_retried_then_stop_the_run(tmp_path: Path, shared_cache: Path) -> None:
    slow_first = lambda n, body: (200, chat_body("Standard shipping takes 3 to 5 days."), {}, 1.0 if n == 1 else 0.0)
    with FakeChatServer(slow_first) as server:
        _, [answer] = generate(frame_of(ids=["T-001"]), openai_settings(tmp_path, server.base_url, timeout=0.3), shared_cache)
    assert answer.error is None and len(server.requests) == 2

    with FakeChatServer(lambda n, body: (200, chat_body("late"), {}, 1.0)) as server:
        started = time.monotonic()
        with pytest.raises(BackendError, match=r"kept failing \(no answer within 0.3 s, 2 attempts\)"):
            generate(frame_of(ids=["T-001"]), openai_settings(tmp_path / "b", server.base_url, timeout=0.3, max_retries=1), shared_cache)
        assert time.monotonic() - started < 5 and len(server.requests) == 2


def test_a_rejected_key_stops_at_once_without_showing_the_key(tmp_path: Path, shared_cache: Path) -> None:
    with FakeChatServer(lambda n, body: (401, {"error": {"message": "Incorrect API key provided"}}, {}, 0.0)) as server:
        settings = openai_settings(tmp_path, server.base_url, api_key="sk-SECRET-123", max_retries=3)
        with pytest.raises(BackendError) as caught:
            generate(frame_of(ids=["T-001", "T-002"]), settings, shared_cache)
    message = str(caught.value)
    assert message.startswith(f"The LLM endpoint at {server.base_url} rejected the API key (HTTP 401: Incorrect API key provided);")
    assert "SECRET" not in message and caught.value.exit_code == 3
    assert len(server.requests) <= 2  # no retries: one per request already in flight


def test_an_unreachable_endpoint_is_one_sentence_and_exit_3(tmp_path: Path, data_dir: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    result = CliRunner().invoke(main, ["run", str(data_dir / "tickets.csv"), "--kb", str(data_dir / "kb"), "--out",
                                       str(tmp_path / "out"), "--generator", "openai"],
                                env={"SHADOWEVAL_OPENAI_BASE_URL": url, "SHADOWEVAL_OPENAI_MODEL": "m"})
    assert result.exit_code == 3
    assert result.output.strip() == (
        f"Error: Could not reach the LLM endpoint at {url} (connection refused); start the server or fix openai.base_url."
    )
    assert not (tmp_path / "out").exists()


def test_one_unusable_reply_rejects_only_that_ticket(tmp_path: Path, shared_cache: Path) -> None:
    def respond(n: int, body: dict):
        if n == 2:
            return 200, chat_body("   "), {}, 0.0
        if n == 3:
            return 400, {"error": {"message": "This model's maximum context length is 2048 tokens"}}, {}, 0.0
        return 200, chat_body("Standard shipping takes 3 to 5 business days."), {}, 0.0

    frame = frame_of(ids=["T-001", "T-003", "T-005", "T-007"])
    with FakeChatServer(respond) as server:
        settings = openai_settings(tmp_path, server.base_url, concurrency=1)
        _, answers = generate(frame, settings, shared_cache)
        assert [a.error for a in answers] == [
            None,
            "the LLM returned an empty answer",
            "the LLM endpoint rejected the request (HTTP 400: This model's maximum context length is 2048 tokens)",
            None,
        ]
        generate(frame, settings, shared_cache)  # the unusable two are asked again, the good two are not
    assert len(server.requests) == 6


def test_pipeline_lists_unusable_replies_as_rejected_rows(tmp_path: Path, data_dir: Path) -> None:
    respond = lambda n, body: (200, chat_body("" if "gift card" in body["messages"][-1]["content"].lower() else "Fine."), {}, 0.0)
    with FakeChatServer(respond) as server:
        result = CliRunner().invoke(
            main, ["run", str(data_dir / "tickets.csv"), "--kb", str(data_dir / "kb"), "--config", str(data_dir / "shadoweval.toml"),
                   "--out", str(tmp_path / "out"), "--generator", "openai"],
            env={"SHADOWEVAL_OPENAI_BASE_URL": server.base_url, "SHADOWEVAL_OPENAI_MODEL": f"m-{uuid.uuid4()}"},
        )
    assert result.exit_code == 0, result.output
    rejected = json.loads((tmp_path / "out" / "summary.json").read_text())["rejected"]
    assert rejected["by_reason"]["the LLM returned an empty answer"] == 3  # the three gift-card tickets
    assert "LLM: 31 request(s) sent, 0 answer(s) from the cache" in result.output


# -- cost: budget and dry run ------------------------------------------------------------------------


def test_max_cost_stops_submitting_and_keeps_what_was_done(tmp_path: Path, shared_cache: Path) -> None:
    frame = frame_of(ids=["T-001", "T-003", "T-005", "T-007", "T-009"])
    prices = {"price_input_per_1k": 1.0, "price_output_per_1k": 2.0, "max_tokens": 50, "concurrency": 1}
    with FakeChatServer(replying("Standard shipping takes 3 to 5 business days.", prompt_tokens=100, completion_tokens=10)) as server:
        probe = get_generator("openai", openai_settings(tmp_path, server.base_url, **prices))
        requests = probe.prepare(frame, context_for(frame, probe.settings, shared_cache))
        estimates = [(r.estimated_prompt_tokens * 1.0 + 50 * 2.0) / 1000 for r in requests]
        actual = (100 * 1.0 + 10 * 2.0) / 1000
        budget = 2 * actual + estimates[2] - 1e-6  # room for two replies, not for a third one's worst case
        assert actual + estimates[1] <= budget

        generator, answers = generate(frame, openai_settings(tmp_path, server.base_url, max_cost=budget, **prices), shared_cache)
        assert len(server.requests) == 2
        assert [a.error for a in answers] == [None, None, BUDGET_REASON, BUDGET_REASON, BUDGET_REASON]
        assert answers[0].cost_usd == pytest.approx(actual) and answers[0].usage == {"prompt_tokens": 100, "completion_tokens": 10}
        stats = generator.run_stats()
        assert stats["cost_usd"] == pytest.approx(2 * actual) and stats["not_answered_budget"] == 3

        # A bigger budget continues where the first run stopped; cached answers cost nothing.
        generator, answers = generate(frame, openai_settings(tmp_path, server.base_url, max_cost=1.0, **prices), shared_cache)
        assert len(server.requests) == 5 and all(a.error is None for a in answers)
        assert generator.run_stats()["cost_usd"] == pytest.approx(3 * actual)


def test_max_cost_is_a_positive_amount_for_the_openai_generator(data_dir: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(data_dir / "tickets.csv"), "--max-cost", "2"])
    assert result.exit_code == 2
    assert result.output == "Error: --max-cost only applies to the openai generator; add --generator openai.\n"
    result = CliRunner().invoke(main, ["run", str(data_dir / "tickets.csv"), "--generator", "openai", "--max-cost", "0"])
    assert result.exit_code == 2
    assert result.output == "Error: --max-cost must be a positive amount in USD, got 0; pass e.g. --max-cost 5.\n"


def test_dry_run_counts_uncached_requests_and_sends_nothing(tmp_path: Path, shared_cache: Path, data_dir: Path) -> None:
    frame = frame_of(ids=["T-001", "T-003", "T-005", "T-007"])
    with FakeChatServer(replying("Standard shipping takes 3 to 5 business days.")) as server:
        settings = openai_settings(tmp_path, server.base_url, price_input_per_1k=0.15, price_output_per_1k=0.6, max_tokens=100)
        generator = get_generator("openai", settings)
        context = context_for(frame, settings, shared_cache)
        estimate = generator.estimate(frame, context)
        assert server.requests == []
        prompt_tokens = sum(r.estimated_prompt_tokens for r in generator.prepare(frame, context))
        assert (estimate.tickets, estimate.requests, estimate.cached) == (4, 4, 0)
        assert estimate.prompt_tokens == prompt_tokens and estimate.completion_tokens == 400
        assert estimate.cost_usd == pytest.approx(prompt_tokens / 1000 * 0.15 + 400 / 1000 * 0.6)

        generate(frame.iloc[[0]].reset_index(drop=True), settings, shared_cache)
        assert generator.estimate(frame, context).requests == 3 and len(server.requests) == 1

        result = CliRunner().invoke(
            main, ["run", str(data_dir / "tickets.csv"), "--kb", str(data_dir / "kb"), "--out", str(tmp_path / "never"),
                   "--generator", "openai", "--dry-run"],
            env={"SHADOWEVAL_OPENAI_BASE_URL": server.base_url, "SHADOWEVAL_OPENAI_MODEL": "fake",
                 "SHADOWEVAL_CACHE_DIR": str(tmp_path / "cache"), "SHADOWEVAL_OPENAI_MAX_TOKENS": "100"},
        )
        assert len(server.requests) == 1
    assert result.exit_code == 0, result.output
    assert f"Dry run: nothing was sent to {server.base_url} (model fake)." in result.output
    assert "tickets:            31 (1 already answered in the cache)" in result.output
    assert "requests to send:   30" in result.output and "up to 3,000 out" in result.output
    assert not (tmp_path / "never").exists()


def test_dry_run_warns_when_a_remote_endpoint_has_no_prices() -> None:
    remote = CostEstimate("https://api.example.com/v1", "m", 3, 3, 0, 900, 300, 0.0, True, {"EMAIL": 2}, priced=False)
    lines = remote.lines()
    assert "  PII redaction:      on (2 EMAIL)" in lines
    assert any("Prices are not set" in line for line in lines)
    local = CostEstimate("http://localhost:11434/v1", "m", 3, 3, 0, 900, 300, 0.0, False, {}, priced=False)
    assert not any("Prices are not set" in line for line in local.lines())


def test_dry_run_with_a_generator_that_sends_nothing(data_dir: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(data_dir / "tickets.csv"), "--kb", str(data_dir / "kb"), "--dry-run"])
    assert result.exit_code == 0 and "the extractive generator sends no requests" in result.output


# -- personal data and secrets ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "base_url, mode, redacting",
    [
        ("http://127.0.0.1:8080/v1", "auto", False),
        ("http://localhost:11434/v1", "auto", False),
        ("http://[::1]:8000/v1", "auto", False),
        ("https://api.openai.com/v1", "auto", True),
        ("http://192.168.1.20:8000/v1", "auto", True),
        ("http://127.0.0.1:8080/v1", "always", True),
        ("https://api.openai.com/v1", "never", False),
    ],
)
def test_redaction_is_on_by_default_for_remote_endpoints(tmp_path: Path, base_url: str, mode: str, redacting: bool) -> None:
    generator = get_generator("openai", openai_settings(tmp_path, base_url, redact=mode))
    assert generator.redacting is redacting and generator.describe()["pii_redaction"] is redacting


def test_no_pii_reaches_the_endpoint_and_answers_get_the_real_values_back(tmp_path: Path, shared_cache: Path) -> None:
    from dataclasses import replace

    frame = frame_of(DATA / "pii_tickets.csv")
    with FakeChatServer(replying("We will write to [EMAIL_1] about [ORDER_1] [source: shipping].")) as server:
        settings = openai_settings(tmp_path, server.base_url, redact="always")
        settings = replace(settings, redact=replace(settings.redact, patterns=PATTERNS))
        _, answers = generate(frame, settings, shared_cache)
    sent = json.dumps(server.requests)
    assert len(server.requests) == 6
    for value in PII:
        assert value.lower() not in sent.lower(), value
    for placeholder in ("[EMAIL_1]", "[PHONE_1]", "[CARD_1]", "[IBAN_1]", "[ORDER_1]", "[ACCOUNT_1]"):
        assert placeholder in sent, placeholder
    assert answers[0].text == "We will write to jane.doe@example.com about NW-123456."


def test_invalid_redact_mode_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="openai.redact must be one of auto, always, never, got 'sometimes'"):
        load_settings(environ={"SHADOWEVAL_OPENAI_REDACT": "sometimes"})


def test_missing_model_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="The openai generator needs a model; set openai.model"):
        get_generator("openai", openai_settings(tmp_path, "http://127.0.0.1:1/v1", model=""))


def test_endpoint_and_key_come_from_openai_variables_config_and_shadoweval_variables(tmp_path: Path) -> None:
    environ = {"OPENAI_BASE_URL": "http://sdk-default/v1", "OPENAI_API_KEY": "sk-from-openai-env"}
    assert load_settings(environ=environ).openai.base_url == "http://sdk-default/v1"
    (tmp_path / "cfg").mkdir()
    config = tmp_path / "cfg" / "shadoweval.toml"
    config.write_text('[openai]\nbase_url = "http://from-config/v1"\n')
    settings = load_settings(config, environ=environ)
    assert settings.openai.base_url == "http://from-config/v1" and settings.openai.api_key == "sk-from-openai-env"
    settings = load_settings(config, environ={**environ, "SHADOWEVAL_OPENAI_BASE_URL": "http://override/v1",
                                              "SHADOWEVAL_OPENAI_API_KEY": "sk-override"})
    assert settings.openai.base_url == "http://override/v1" and settings.openai.api_key == "sk-override"
    assert "sk-override" not in repr(settings) and "sk-override" not in json.dumps(settings.result_settings())
    with_credentials = load_settings(environ={"OPENAI_BASE_URL": "https://user:pw@host.example/v1"})
    assert with_credentials.result_settings()["openai"]["base_url"] == "https://host.example/v1"


def test_reports_carry_no_key_and_redact_report_removes_pii(tmp_path: Path, data_dir: Path) -> None:
    key = "sk-test-" + uuid.uuid4().hex
    config = tmp_path / "shadoweval.toml"
    config.write_text('[policy]\nmin_tickets = 2\n[redact]\npatterns = { ORDER = "#?NW-\\\\d{6}", ACCOUNT = "ACC-\\\\d{5}" }\n')
    with FakeChatServer(replying("We will write to [EMAIL_1] about it [source: shipping].")) as server:
        env = {"OPENAI_API_KEY": key, "SHADOWEVAL_OPENAI_BASE_URL": server.base_url, "SHADOWEVAL_OPENAI_MODEL": f"m-{uuid.uuid4()}",
               "SHADOWEVAL_OPENAI_REDACT": "always"}
        base = ["run", str(data_dir / "pii_tickets.csv"), "--kb", str(data_dir / "kb"), "--config", str(config), "--generator", "openai"]
        plain = CliRunner().invoke(main, [*base, "--out", str(tmp_path / "plain")], env=env)
        redacted = CliRunner().invoke(main, [*base, "--out", str(tmp_path / "redacted"), "--redact-report"], env=env)
    assert plain.exit_code == 0, plain.output
    assert redacted.exit_code == 0, redacted.output
    assert all(h["Authorization"] == f"Bearer {key}" for h in server.headers) and len(server.requests) == 6
    outputs = {p: p.read_text() for folder in ("plain", "redacted") for p in (tmp_path / folder).iterdir()}
    outputs[Path("answers.sqlite")] = (Path(os.environ["SHADOWEVAL_CACHE_DIR"]) / "answers.sqlite").read_bytes().decode("latin-1")
    assert not [p for p, text in outputs.items() if key in text]
    plain_results = (tmp_path / "plain" / "results.jsonl").read_text()
    assert "jane.doe@example.com" in plain_results  # the customer's own text, and the AI answer with the real value back
    for name in ("results.jsonl", "summary.json", "index.html", "summary.md", "junit.xml"):
        text = (tmp_path / "redacted" / name).read_text()
        for value in PII:
            assert value.lower() not in text.lower(), (name, value)
    assert "[EMAIL_1]" in (tmp_path / "redacted" / "results.jsonl").read_text()


# -- interrupts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupt_stops_at_once_and_keeps_every_received_answer(tmp_path: Path, data_dir: Path, signum: int) -> None:
    """Two replies come back, the third hangs: Ctrl-C / SIGTERM exits 3 within seconds, not after the
    timeout, and the next run asks only for what is missing."""
    slow = {"on": True}
    model = f"m-{uuid.uuid4()}"

    def respond(n: int, body: dict):
        delay = 20.0 if slow["on"] and n >= 3 else 0.0
        return 200, chat_body("Standard shipping takes 3 to 5 business days.", model=body["model"]), {}, delay

    tickets = tmp_path / "six.csv"
    frame = pd.read_csv(data_dir / "tickets.csv", dtype=str, keep_default_na=False).head(6)
    frame.to_csv(tickets, index=False)
    cache = Path(os.environ["SHADOWEVAL_CACHE_DIR"]) / "answers.sqlite"
    with FakeChatServer(respond) as server:
        env = {**os.environ, "SHADOWEVAL_OPENAI_BASE_URL": server.base_url, "SHADOWEVAL_OPENAI_MODEL": model,
               "SHADOWEVAL_OPENAI_CONCURRENCY": "1", "SHADOWEVAL_OPENAI_TIMEOUT": "60"}
        command = [sys.executable, "-c", "from shadoweval.cli import main; main()", "run", str(tickets), "--kb",
                   str(data_dir / "kb"), "--out", str(tmp_path / "out"), "--generator", "openai"]
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while len(server.requests) < 3 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.1)
        assert len(server.requests) == 3, process.communicate()
        time.sleep(0.3)
        sent_at = time.monotonic()
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=15)
        assert time.monotonic() - sent_at < 10
        assert process.returncode == 3 and stderr.decode().startswith("Error: Interrupted;"), stderr
        assert _rows(cache, model) == 2

        slow["on"] = False
        finished = subprocess.run(command, env=env, capture_output=True, timeout=180)
        assert finished.returncode == 0, finished.stderr
        assert len(server.requests) == 3 + 4  # only the four missing answers were asked for
        assert "LLM: 4 request(s) sent, 2 answer(s) from the cache" in finished.stdout.decode()
        assert _rows(cache, model) == 6


def _rows(cache: Path, model: str) -> int:
    with sqlite3.connect(cache) as db:
        return int(db.execute("SELECT COUNT(*) FROM answers WHERE model = ?", (model,)).fetchone()[0])
