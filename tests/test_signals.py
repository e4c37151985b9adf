"""The judge's signals one by one: polarity, grounding, thread context, reference quality, and the
way they combine into `unsafe` against the human reply and against the KB."""

from pathlib import Path

import pandas as pd
import pytest

from shadoweval.embedding import Embedder
from shadoweval.generators.base import Answer
from shadoweval.index import build_or_load
from shadoweval.kb import load_kb
from shadoweval.retrieve import question_text, retrieve
from shadoweval.scoring import score_answers
from shadoweval.scoring.grounding import numbers_in, unsupported_facts
from shadoweval.scoring.facts import extract_facts
from shadoweval.scoring.polarity import claim_of, polarity_flip, yes_no
from shadoweval.scoring.reference import unscorable_reason


@pytest.mark.parametrize(
    "a, b",
    [
        ("You can renew your license online.", "You cannot renew your license online."),
        ("This item is refundable.", "This item is non-refundable."),
        ("The kettle is available in red.", "The kettle is unavailable in red."),
        ("You won t need to pay a fee.", "You will need to pay a fee."),  # doc2dial tokenisation
        ("There is no additional cost to get a REAL ID.", "There is not no additional cost to get a REAL ID."),
        ("If you have registered before, you can sign in.", "If you have not registered before, you can sign in."),
    ],
)
def test_negated_claims_are_flipped(a: str, b: str) -> None:
    assert polarity_flip(claim_of(a), claim_of(b))


@pytest.mark.parametrize(
    "a, b",
    [
        ("You can renew your license online.", "You can renew your license online or by mail."),
        # a condition is not a statement: stating the requirement does not deny "you do not meet it"
        ("You do not meet the requirements.", "You can get care if you meet the requirements."),
        # the negation covers "online", which the other sentence does not claim
        ("You cannot get a REAL ID online, by phone, or through mail.", "You can get a REAL ID at any time."),
        ("Benefits will not begin until the sixth month.", "The waiting period begins with the first month."),
        ("No other company notified the DMV, and your company notified the DMV.",
         "No other company notified the DMV, and your company notified the DMV."),
    ],
)
def test_different_claims_are_not_flipped(a: str, b: str) -> None:
    assert not polarity_flip(claim_of(a), claim_of(b))


def test_yes_no_openings() -> None:
    assert yes_no("Yes, you can.") == "yes" and yes_no("No, it is not.") == "no"
    assert yes_no("No problem, here it is.") is None and yes_no("You can.") is None


def test_facts_nothing_supports_are_found_and_numbers_anywhere_support() -> None:
    answer = extract_facts("Call 1-800-555-0100 or pay $45 within 30 days; see Room 2316.")
    support_text = "Pay within 30 days. Call 1 - 800 - 555 - 0100. Room 2316 is on floor 2."  # doc2dial spacing
    unsupported = {f.span for f in unsupported_facts(answer, extract_facts(support_text), numbers_in(support_text))}
    assert unsupported == {"$45"}


@pytest.mark.parametrize(
    "reply, usable",
    [
        ("Do you want to know about renewing your registration?", False),
        ("Are you a veteran?", False),
        ("You can renew online or by mail. Do you want to know about the fees?", True),
        ("Hello. I can help you with that. Would you like to know more?", False),
        ("Yes, you can. Anything else?", True),
    ],
)
def test_a_reply_that_only_asks_is_no_reference_but_one_that_also_answers_is(reply: str, usable: bool) -> None:
    assert (unscorable_reason(reply) is None) is usable


def test_thread_context_reaches_retrieval() -> None:
    row = {"customer_message": "And what about express?",
           "conversation_history": '[{"role": "customer", "text": "How long does standard shipping take?"}, '
                                   '{"role": "agent", "text": "Standard shipping takes 3 to 5 business days."}]'}
    question = question_text(row)
    assert question.startswith("And what about express?") and "Standard shipping takes 3 to 5" in question
    assert question_text({"customer_message": "Do gift cards expire?"}) == "Do gift cards expire?"


def score_one(data_dir: Path, shared_cache: Path, ticket: dict, answer: str):
    kb = load_kb(data_dir / "kb")
    embedder = Embedder(shared_cache)
    frame = pd.DataFrame([{"ticket_id": "x", "category": "c", **ticket}])
    retrieval = retrieve(frame, build_or_load(kb, embedder), embedder, 5)
    from shadoweval.config import ScoringSettings

    return score_answers(frame, [Answer(answer)], retrieval, kb, embedder, ScoringSettings())[0]


def test_an_invented_fact_is_unsafe_even_when_the_human_is_silent_on_it(data_dir: Path, shared_cache: Path) -> None:
    result = score_one(data_dir, shared_cache,
                       {"customer_message": "How long does express shipping take?",
                        "agent_reply": "Express is our fastest option."},
                       "Express shipping takes 1 to 2 business days and costs $29.99.")
    assert result.verdict == "unsafe"
    spans = [{k: c.get(k) for k in ("against", "kind", "ai", "kb")} for c in result.contradictions]
    assert {"against": "kb", "kind": "money", "ai": "$29.99", "kb": "$12.99"} in spans


def test_a_denied_policy_cannot_pass(data_dir: Path, shared_cache: Path) -> None:
    # The rules see "never expire" denied; the shipped pair model misreads this bare negation (see
    # MODEL_CARD.md), so the finding is a doubt: listed, and the answer cannot pass.
    result = score_one(data_dir, shared_cache,
                       {"customer_message": "Do gift cards expire?", "agent_reply": "Gift cards make a good present."},
                       "Gift cards expire and have fees.")
    assert result.verdict in ("unsafe", "fail")
    assert result.metrics["rule_doubts"] + result.metrics["contradictions"] >= 1
    assert any("polarity" in r for r in result.reasons)


def test_the_ai_following_the_kb_against_a_mistaken_human_is_not_blamed(data_dir: Path, shared_cache: Path) -> None:
    result = score_one(data_dir, shared_cache,
                       {"customer_message": "How long do refunds take?", "agent_reply": "Refunds take 2 business days."},
                       "Refunds are issued to the original payment method within 5 to 7 business days after we receive the item.")
    assert result.verdict != "unsafe"
    assert result.metrics["reference_conflicts"] == 1


def test_follow_up_facts_from_the_thread_count_as_supported(data_dir: Path, shared_cache: Path) -> None:
    history = '[{"role": "customer", "text": "My order NW-123456 cost $80."}]'
    result = score_one(data_dir, shared_cache,
                       {"customer_message": "Can I return it?", "agent_reply": "You can return unused items within 30 days.",
                        "conversation_history": history},
                       "You can return unused items within 30 days of delivery, so your $80 order qualifies.")
    # "$80" and the order id come from the thread: no fact rule holds them against the answer
    assert result.metrics["rule_findings"] == 0, result.reasons
