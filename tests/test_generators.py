from pathlib import Path

import pandas as pd
import pytest

from shadoweval.embedding import Embedder
from shadoweval.errors import InputError, ShadowevalError
from shadoweval.generators import GenerationContext, get_generator
from shadoweval.index import build_or_load
from shadoweval.kb import load_kb
from shadoweval.retrieve import retrieve


def context_for(questions: list[str], settings, shared_cache: Path):
    kb = load_kb(settings.kb)
    embedder = Embedder(shared_cache)
    frame = pd.DataFrame({"ticket_id": [f"q{i}" for i in range(len(questions))], "customer_message": questions})
    retrieval = retrieve(frame, build_or_load(kb, embedder), embedder, settings.retrieval.top_k)
    return frame, GenerationContext(settings, kb, embedder, retrieval)


def test_extractive_quotes_the_kb_cites_the_article_and_hands_off_when_unsure(settings, shared_cache: Path) -> None:
    frame, context = context_for(
        ["How long does express shipping take?", "Do gift cards expire?", "What is the capital of Mongolia?"],
        settings,
        shared_cache,
    )
    answers = get_generator("extractive", settings).generate(frame, context)
    assert "1 to 2 business days" in answers[0].text and answers[0].sources == ("shipping",)
    assert "never expire" in answers[1].text and answers[1].sources == ("gift-cards",)
    assert answers[2].abstained and answers[2].sources == ()
    assert not answers[0].abstained


def test_extractive_is_deterministic(settings, shared_cache: Path) -> None:
    frame, context = context_for(["Where can I track my order?"], settings, shared_cache)
    generator = get_generator("extractive", settings)
    assert generator.generate(frame, context) == generator.generate(frame, context)


def test_replay_reads_the_ai_answer_column_and_flags_missing_answers(settings, shared_cache: Path) -> None:
    frame, context = context_for(["a", "b"], settings, shared_cache)
    frame["ai_answer"] = ["Standard shipping takes 3 to 5 business days.", "  "]
    answers = get_generator("replay", settings).generate(frame, context)
    assert answers[0].text.startswith("Standard") and answers[0].error is None
    assert answers[1].error == "no AI answer to replay for this ticket"


def test_replay_joins_an_answers_file_on_ticket_id(settings, shared_cache: Path, tmp_path: Path) -> None:
    from dataclasses import replace

    answers_file = tmp_path / "answers.csv"
    answers_file.write_text("ticket_id,ai_answer,sources\nq1,Gift cards never expire.,gift-cards; returns\n")
    frame, context = context_for(["a", "b"], settings, shared_cache)
    answers = get_generator("replay", replace(settings, answers=answers_file)).generate(frame, context)
    assert answers[0].error is not None
    assert answers[1].text == "Gift cards never expire." and answers[1].sources == ("gift-cards", "returns")


def test_replay_without_answers_is_a_clear_error(settings, shared_cache: Path) -> None:
    frame, context = context_for(["a"], settings, shared_cache)
    with pytest.raises(InputError, match="ai_answer column.*--answers"):
        get_generator("replay", settings).generate(frame, context)


def test_unknown_generator_lists_the_known_ones(settings) -> None:
    with pytest.raises(ShadowevalError, match="Unknown generator 'gpt9'; choose one of: extractive, openai, replay"):
        get_generator("gpt9", settings)
