"""The pair model and how the judge uses it: real shipped weights, real embeddings, tiny inputs."""

from __future__ import annotations

import pandas as pd
import pytest

from shadoweval.config import ScoringSettings
from shadoweval.embedding import Embedder
from shadoweval.generators.base import Answer
from shadoweval.index import build_or_load
from shadoweval.kb import load_kb
from shadoweval.pair_model import PairJudge
from shadoweval.retrieve import retrieve
from shadoweval.scoring import score_answers


@pytest.fixture(scope="module")
def judge(tmp_path_factory: pytest.TempPathFactory) -> PairJudge:
    return PairJudge(tmp_path_factory.mktemp("pairs"))


@pytest.mark.parametrize(
    "premise, statement, expected",
    [
        ("Refunds go back to the original payment method within 5 to 7 business days after we receive the item.",
         "Once we have the item back, your money is returned to the card you paid with in about a week.", "entailment"),
        ("You must bring the original title to the office; copies are not accepted.",
         "There's no need to bring the original title, a photocopy is fine.", "contradiction"),
        ("Gift cards never expire and can be used on any order.",
         "Express shipping costs $12.99 and takes 1 to 2 business days.", "neutral"),
    ],
)
def test_the_pair_model_reads_entailment_contradiction_and_neither(judge: PairJudge, premise: str, statement: str, expected: str) -> None:
    [reading] = judge.judge([(premise, statement)])
    probabilities = {"entailment": reading.entailment, "neutral": reading.neutral, "contradiction": reading.contradiction}
    assert max(probabilities, key=probabilities.get) == expected
    assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-4)


@pytest.mark.xfail(strict=True, reason="known limit of the shipped pair model (MODEL_CARD.md): a bare negation "
                   "of a short claim can read as entailment; the rules catch it, and this test fails once a retrain fixes it")
def test_the_pair_model_reads_a_bare_negation_as_a_contradiction(judge: PairJudge) -> None:
    [reading] = judge.judge([("Gift cards never expire and have no fees.", "Gift cards expire and have fees.")])
    assert reading.contradiction > reading.entailment


def test_pair_judgements_are_cached_on_disk(tmp_path) -> None:
    pair = ("You can return unused items within 30 days.", "Unused items can be sent back for a month.")
    first = PairJudge(tmp_path)
    [a] = first.judge([pair])
    first.close()
    second = PairJudge(tmp_path)
    b, again = second.judge([pair, pair])
    assert a == b == again and second.stats.judged == 0 and second.stats.cache_hits == 1


def _score(tmp_path, shared_cache, kb_text: str, reply: str, answer: str, question: str = "What do I need?"):
    kb_dir = tmp_path / "kb"
    kb_dir.mkdir(exist_ok=True)
    (kb_dir / "article.md").write_text(f"# Article\n\n{kb_text}\n", encoding="utf-8")
    tickets = pd.DataFrame([{"ticket_id": "T-1", "category": "c", "customer_message": question, "agent_reply": reply}])
    embedder = Embedder(shared_cache)
    kb = load_kb(kb_dir, 1200, 200)
    retrieval = retrieve(tickets, build_or_load(kb, embedder), embedder, 4)
    [result] = score_answers(tickets, [Answer(answer)], retrieval, kb, embedder, ScoringSettings(), PairJudge(shared_cache))
    return result


def test_a_sentence_never_contradicts_itself(tmp_path, shared_cache) -> None:
    # D2D-01209: the answer's sentence is the KB's sentence and the human's reply, word for word.
    sentence = ("The letter means your insurance company notified the DMV that your insurance coverage ended , and that "
                "no other company notified the DMV about new coverage")
    result = _score(tmp_path, shared_cache, sentence + ". You must respond to the letter.", sentence, sentence,
                    "What does the insurance letter from the DMV mean?")
    assert result.verdict != "unsafe" and result.contradictions == []


def test_an_extractive_answer_does_not_contradict_the_conditional_it_was_cut_from(tmp_path, shared_cache) -> None:
    kb_text = (
        "If you have a NY State learner permit, and you do not have a valid foreign driver license, you must pass a road test. "
        "If you have a valid foreign driver license, you can exchange it without a road test. "
        "You do not need to take a pre-licensing course if you have a valid driver license from another country."
    )
    answer = "If you have a NY State learner permit, and you do not have a valid foreign driver license, you must pass a road test."
    result = _score(tmp_path, shared_cache, kb_text, "You need to pass a road test.", answer, "Do I need a road test with a learner permit?")
    assert result.verdict != "unsafe", result.reasons


def test_a_natural_contradiction_of_the_kb_is_unsafe_and_names_the_pair_model(tmp_path, shared_cache) -> None:
    kb_text = (
        "To replace a lost title you must apply in person at a DMV office and bring proof of identity. "
        "The replacement fee is $20. Titles are mailed within 90 days."
    )
    result = _score(
        tmp_path, shared_cache, kb_text, "You need to go to a DMV office with your ID to get a replacement title.",
        "There's no need to visit an office: you can request a replacement title online and skip the ID.",
        "How do I replace a lost title?",
    )
    assert result.verdict == "unsafe"
    assert any("pair model" in c["tier"] for c in result.contradictions)


# -- adjudication: how rule findings and the model's readings combine (no model needed) -------------
from dataclasses import replace  # noqa: E402

from shadoweval.pair_model import PairJudgement  # noqa: E402
from shadoweval.scoring.adjudicate import RuleFinding, adjudicate  # noqa: E402
from shadoweval.scoring.meaning import MeaningReading, SentenceReading  # noqa: E402

SENTENCE = "Refunds take 10 business days."


def _reading(kb: PairJudgement, human: PairJudgement | None = None) -> MeaningReading:
    reading = MeaningReading(sentences=[SentenceReading(SENTENCE, "Refunds take 5 to 7 business days.", kb)])
    if human is not None:
        reading.reference = [("Refunds take about a week.", human)]
    return reading


FACT_RULE = RuleFinding("kb", "duration_days", {"ai": "10 business days", "kb": "5 to 7 business days"})
NEUTRAL, CONTRADICTS, ENTAILS = PairJudgement(0.1, 0.8, 0.1), PairJudgement(0.02, 0.01, 0.97), PairJudgement(0.97, 0.02, 0.01)


def test_a_fact_rule_the_model_confirms_is_unsafe_and_says_both_tiers() -> None:
    findings = adjudicate([FACT_RULE], [], _reading(CONTRADICTS), replace(ScoringSettings(), kb_contradiction_margin=0.9))
    # the model's own reading of the sentence comes first; the rule's finding adds the exact spans
    assert [(c["tier"], c["kind"]) for c in findings.contradictions] == [("pair model", "meaning"), ("rules + pair model", "duration_days")]


def test_a_clash_of_values_stands_on_the_rules_word_but_an_unsupported_fact_is_only_a_doubt() -> None:
    findings = adjudicate([FACT_RULE], [], _reading(NEUTRAL), ScoringSettings())
    assert [(c["tier"], c["ai"]) for c in findings.contradictions] == [("rules", "10 business days")]
    # the model reads meaning, not numbers: even its entailment does not overrule a clash of values
    assert adjudicate([FACT_RULE], [], _reading(ENTAILS), ScoringSettings()).contradictions
    invented = RuleFinding("unsupported", "duration_days", {"ai": "10 business days"})
    findings = adjudicate([invented], [], _reading(NEUTRAL), ScoringSettings())
    assert findings.contradictions == [] and findings.doubts[0]["ai"] == "10 business days"


def test_a_negation_in_a_sentence_the_kb_entails_is_overruled() -> None:
    polarity = RuleFinding("kb", "polarity", {"ai": SENTENCE, "kb": "Refunds do not take long."})
    findings = adjudicate([polarity], [], _reading(ENTAILS), ScoringSettings())
    assert findings.contradictions == [] and findings.doubts == [] and findings.overruled


def test_contradicting_the_human_where_the_kb_backs_the_ai_is_a_reference_conflict() -> None:
    findings = adjudicate([], [], _reading(ENTAILS, human=CONTRADICTS), ScoringSettings())
    assert findings.contradictions == [] and len(findings.reference_conflicts) == 1
    findings = adjudicate([], [], _reading(NEUTRAL, human=CONTRADICTS), ScoringSettings())
    assert findings.contradictions[0]["against"] == "human" and findings.contradictions[0]["tier"] == "pair model"


def test_a_doubted_answer_cannot_pass_but_a_contradiction_still_comes_first() -> None:
    from shadoweval.scoring.verdict import decide_verdict

    common = dict(unscorable=None, action=None, abstained=False, settings=ScoringSettings())
    assert decide_verdict(0.99, contradicted=False, doubted=True, **common) == "fail"
    assert decide_verdict(0.99, contradicted=True, doubted=True, **common) == "unsafe"
