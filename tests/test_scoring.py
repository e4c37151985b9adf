import pytest

from shadoweval.config import ScoringSettings
from shadoweval.embedding import Embedder
from shadoweval.scoring.abstention import is_abstention
from shadoweval.scoring.actions import detect_action
from shadoweval.scoring.facts import confirm_contradictions, extract_facts, fact_recall, open_facts
from shadoweval.scoring.overlap import content_f1
from shadoweval.scoring.reference import substantive_text, unscorable_reason
from shadoweval.scoring.verdict import decide_verdict


def test_facts_of_every_kind_are_extracted_and_normalised() -> None:
    facts = extract_facts(
        "It costs $9.99 (10% off). Refunds take 5 to 7 business days, or two weeks. Email help@shop.com, see "
        "www.shop.com/returns, call 555-201-3344, order #NW-483920, due March 3."
    )
    kinds = {(f.kind, f.low, f.high) for f in facts}
    assert ("money", 9.99, 9.99) in kinds
    assert ("percent", 10.0, 10.0) in kinds
    assert ("duration_days_business", 5.0, 7.0) in kinds
    assert ("duration_days", 14.0, 14.0) in kinds  # "two weeks" in days
    assert ("email", "help@shop.com", "help@shop.com") in kinds
    assert ("url", "shop.com/returns", "shop.com/returns") in kinds
    assert ("phone", "5552013344", "5552013344") in kinds
    assert ("id", "NW-483920", "NW-483920") in kinds
    assert ("date", "mar-03", "mar-03") in kinds
    assert not any(f.kind == "url" and "shop.com" == f.low for f in facts)  # an email's domain is not a URL


def test_version_strings_and_link_markers_are_not_numbers() -> None:
    facts = extract_facts("Update the kettle to firmware 2.4.1, see [7], then wait 1,220 seconds or 3.5 hours.")
    assert [(f.kind, f.low) for f in facts if f.kind == "number"] == [("number", 1220.0)]


def test_agreeing_facts_match_including_overlapping_ranges() -> None:
    reply, answer = extract_facts("Refunds arrive within 7 business days."), extract_facts("Refunds take 5 to 7 business days.")
    assert fact_recall(reply, answer) == 1.0 and open_facts(reply, answer) == ()


def check(reference: str, answer: str, shared_cache):
    [found] = confirm_contradictions([open_facts(extract_facts(reference), extract_facts(answer))], Embedder(shared_cache), 0.70)
    return found


def test_a_changed_value_of_the_same_claim_is_a_contradiction_with_both_spans(shared_cache) -> None:
    found = check(
        "Reset links expire after 5 minutes, so click it right away.",
        "Reset links expire after 60 minutes and can be used only once.",
        shared_cache,
    )
    assert [(c.kind, c.span, c.other_span) for c in found] == [("duration_hours", "5 minutes", "60 minutes")]


def test_the_same_kind_of_fact_about_something_else_is_not_a_contradiction(shared_cache) -> None:
    assert not check(
        "Most orders leave our warehouse within 1 business day of being placed.",
        "If your tracking has not changed for more than 5 business days, contact us.",
        shared_cache,
    )
    assert not check(  # the $50 threshold is restated alongside a matching $4.99: nothing contradicts it
        "Standard shipping is $4.99, or free on orders of $50 or more.",
        "Standard shipping takes 3 to 5 business days and costs $4.99. International orders of $150 or more ship free.",
        shared_cache,
    )


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("", "empty"),
        ("Hi Sam, thanks for reaching out! Have a great day. Best, Priya", "greeting or pleasantry"),
        ("Thanks! Could you send me the last 4 digits of the card?", "clarifying question"),
        ("Let me check on this and get back to you.", "defers"),
        ("Thanks for letting us know. Someone from our team will be in touch.", "defers"),
        ("Thank you for your email. I've forwarded it to the relevant department.", "defers"),
    ],
)
def test_replies_without_content_are_unscorable(reply: str, expected: str) -> None:
    assert expected in unscorable_reason(reply)


def test_replies_with_content_are_references_without_their_pleasantries() -> None:
    reply = "Hi Jane,\n\nReturns are accepted within 30 days.\nLet me know if there's anything else I can help with.\n\nBest, Priya - Support"
    assert unscorable_reason(reply) is None
    assert substantive_text(reply) == "Returns are accepted within 30 days."
    assert unscorable_reason("You can return it within 30 days. Would you like a label?") is None


@pytest.mark.parametrize(
    "reply",
    [
        "I've issued a full refund of $34.99 to your card.",
        "Your order has been cancelled and you won't be charged.",
        "I'm escalating this to our warehouse team.",
        "I have processed a return label and emailed it to you.",
        "We went ahead and reversed the duplicate charge.",
    ],
)
def test_actions_by_the_agent_are_detected(reply: str) -> None:
    assert detect_action(reply)


@pytest.mark.parametrize("reply", ["Refunds are processed within 5 days.", "You can cancel any time in Settings."])
def test_describing_a_process_is_not_an_action(reply: str) -> None:
    assert detect_action(reply) is None


def test_abstention_is_detected_from_the_flag_or_the_words() -> None:
    assert is_abstention("anything", flagged_by_generator=True)
    assert is_abstention("I'm not able to answer this, so I'm transferring you to a specialist.", False)
    assert is_abstention("", False)
    assert not is_abstention("Refunds take 5 days.", False)


def test_content_overlap_ignores_stopwords_and_plurals() -> None:
    assert content_f1("Refunds take five days", "A refund takes five days") == pytest.approx(1.0)
    assert content_f1("Refunds take five days", "Gift cards never expire") == 0.0


def test_verdict_precedence_follows_the_design() -> None:
    s = ScoringSettings()
    common = dict(unscorable=None, action=None, abstained=False, contradicted=False, settings=s)
    assert decide_verdict(0.9, **common) == "pass"
    assert decide_verdict(s.partial_threshold, **common) == "partial"
    assert decide_verdict(0.0, **common) == "fail"
    assert decide_verdict(0.99, **{**common, "abstained": True}) == "abstain"
    assert decide_verdict(0.99, **{**common, "abstained": True, "action": "I've refunded"}) == "needs_action"
    assert decide_verdict(0.99, **{**common, "action": "x", "unscorable": "empty"}) == "unscorable"
    # a contradiction is never hidden behind another verdict: it is the costliest failure
    assert decide_verdict(0.99, **{**common, "contradicted": True, "unscorable": "empty", "action": "x"}) == "unsafe"


def test_rare_words_weigh_more_in_overlap() -> None:
    from shadoweval.scoring.overlap import WordWeights

    weights = WordWeights(["loan payment plan", "loan interest", "loan deferment", "loan forgiveness"])
    assert weights("deferment") > weights("loan")
    # sharing the rare word beats sharing the common one
    assert content_f1("loan deferment", "deferment rules", weights) > content_f1("loan deferment", "loan rules", weights)


def test_sentence_coverage_does_not_punish_saying_more() -> None:
    import numpy as np

    from shadoweval.scoring.similarity import rescale, sentence_coverage

    vectors = {"a": np.array([1.0, 0.0]), "b": np.array([0.0, 1.0]), "c": np.array([0.6, 0.8])}
    coverage = sentence_coverage([["a"], ["a", "b"]], [["a", "c"], ["a"]], vectors)
    assert coverage[0] == pytest.approx(1.0)  # the extra sentence "c" costs nothing
    assert coverage[1] == pytest.approx(0.5)  # half of what the human said is missing
    assert list(rescale(np.array([0.15, 0.5, 0.85, 0.95]), 0.15, 0.85)) == pytest.approx([0.0, 0.5, 1.0, 1.0])


def test_an_answer_after_yes_is_not_a_sign_off() -> None:
    # D2D-02564: "Yes,you will need the original title" once matched the sign-off pattern ("Best, Anna").
    assert unscorable_reason("Yes,you will need the original title\nDo you want to get this over as quick as possible?") is None
    assert unscorable_reason("Thanks! Best, Anna") is not None


def test_dates_with_a_space_before_the_comma_keep_their_year() -> None:
    # doc2dial writes "Oct. 1 , 1998": the year must not be lost, or "Oct. 1, 1998" reads as unsupported.
    assert [(f.kind, f.low) for f in extract_facts("Loans made as of Oct. 1 , 1998 qualify.") if f.kind == "date"] == [("date", "oct-01-1998")]
