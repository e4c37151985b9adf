"""PII redaction: typed placeholders, checksums that keep look-alikes out, consistent numbering."""

from __future__ import annotations

from pathlib import Path

import pytest

from shadoweval.config import load_settings
from shadoweval.errors import ConfigError
from shadoweval.redact import Redactor, iban_ok, luhn_ok, redact_results, redact_texts, validate_patterns

PATTERNS = {"ORDER": r"#?NW-\d{6}", "ACCOUNT": r"ACC-\d{5}"}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Mail me at jane.doe@example.com today", "Mail me at [EMAIL_1] today"),
        ("Call +44 20 7946 0958.", "Call [PHONE_1]."),
        ("Call (555) 123-4567 or 555.987.6543", "Call [PHONE_1] or [PHONE_2]"),
        ("My number: 030 1234 5678", "My number: [PHONE_1]"),
        ("card 4111 1111 1111 1111, exp 12/27", "card [CARD_1], exp 12/27"),
        ("card 4111-1111-1111-1111", "card [CARD_1]"),
        ("IBAN DE89 3704 0044 0532 0130 00 thanks", "IBAN [IBAN_1] thanks"),
        ("iban gb82west12345698765432.", "iban [IBAN_1]."),
    ],
)
def test_each_kind_becomes_a_typed_placeholder(text: str, expected: str) -> None:
    assert Redactor().redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Standard shipping takes 3 to 5 business days and costs $4.99.",
        "Ordered on 2026-01-10, delivered 12/01/2026 at 10:00.",
        "It was 12.99 - 15.99 last week.",
        "Order 12345678 has 3 items.",
        "card 4111 1111 1111 1112",  # fails Luhn: not a card number
        "IBAN DE89 3704 0044 0532 0130 01",  # fails mod-97: not an IBAN
        "Use code SAVE20 at example.com/track",
    ],
)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert Redactor().redact(text) == text


def test_checksums() -> None:
    assert luhn_ok("4111111111111111") and luhn_ok("5500005555555559") and not luhn_ok("4111111111111112")
    assert iban_ok("DE89370400440532013000") and iban_ok("GB82WEST12345698765432")
    assert not iban_ok("DE89370400440532013001") and not iban_ok("DE89")


def test_numbering_is_consistent_within_a_ticket_and_restorable() -> None:
    redactor = Redactor(PATTERNS)
    first = redactor.redact("I'm JANE@Example.com, order #NW-123456 and NW-654321.")
    second = redactor.redact("Again: jane@example.com about NW-654321, account ACC-99812.")
    assert first == "I'm [EMAIL_1], order [ORDER_1] and [ORDER_2]."
    assert second == "Again: [EMAIL_1] about [ORDER_2], account [ACCOUNT_1]."
    assert redactor.counts == {"EMAIL": 1, "ORDER": 2, "ACCOUNT": 1}
    assert redactor.restore("We emailed [EMAIL_1] about [ORDER_2]; [PHONE_9] stays.") == (
        "We emailed JANE@Example.com about NW-654321; [PHONE_9] stays."
    )
    assert redact_texts(["a@b.io", "x a@b.io"]) == ["[EMAIL_1]", "x [EMAIL_1]"]
    assert redact_texts(["a@b.io"]) == redact_texts(["c@d.io"])  # each call starts a new ticket's numbering


def test_user_patterns_win_over_phone_numbers_but_not_over_checksummed_values() -> None:
    redactor = Redactor({"ACCOUNT": r"\d{10}", "BAD": r"4111"})
    assert redactor.redact("acct 0123456789 card 4111 1111 1111 1111") == "acct [ACCOUNT_1] card [CARD_1]"


def test_placeholders_are_never_redacted_again() -> None:
    redactor = Redactor({"NUM": r"\d+"})
    assert redactor.redact("a@b.io 42") == "[EMAIL_1] [NUM_1]"
    assert redactor.redact("[EMAIL_1] 42") == "[EMAIL_[NUM_2]] [NUM_1]"  # user text is text; our output is not re-read


def test_redact_results_covers_every_text_a_report_shows() -> None:
    from shadoweval.scoring import TicketResult

    result = TicketResult(
        ticket_id="T-1", category="c", verdict="unsafe", score=0.2, metrics={}, ai_answer="Write to help@shop.example.",
        sources=[], reasons=["contradicts the human reply on email: human says 'a@b.io'"],
        contradictions=[{"kind": "email", "human_span": "a@b.io", "ai_span": "help@shop.example"}],
        customer_message="I am a@b.io, card 4111 1111 1111 1111", agent_reply="Hi a@b.io, write to billing@shop.example",
    )
    redact_results([result], PATTERNS)
    text = repr(result)
    assert "@" not in text and "4111" not in text
    assert result.customer_message == "I am [EMAIL_1], card [CARD_1]"
    assert result.agent_reply == "Hi [EMAIL_1], write to [EMAIL_2]"
    assert result.contradictions[0]["human_span"] == "[EMAIL_1]"


@pytest.mark.parametrize(
    "patterns, fragment",
    [
        ({"order": r"NW-\d+"}, "UPPER_CASE"),
        ({"EMAIL": r"x"}, "UPPER_CASE"),
        ({"ORDER": r"NW-(\d+"}, "not a valid regular expression"),
        ({"ORDER": r"\d*"}, "matches empty text"),
        ({"ORDER": 5}, "regular expression string"),
    ],
)
def test_bad_patterns_are_one_clear_sentence(patterns: dict, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        validate_patterns(patterns)


def test_patterns_come_from_the_config_file_and_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "shadoweval.toml"
    config.write_text('[redact]\npatterns = { ORDER = "#?NW-\\\\d{6}" }\nreport = true\n')
    settings = load_settings(config, environ={})
    assert settings.redact.patterns == {"ORDER": r"#?NW-\d{6}"} and settings.redact.report
    from_env = load_settings(environ={"SHADOWEVAL_REDACT_PATTERNS": '{"ACCOUNT": "ACC-\\\\d{5}"}'})
    assert from_env.redact.patterns == {"ACCOUNT": r"ACC-\d{5}"}
    with pytest.raises(ConfigError, match="redact.patterns in environment must be a dict"):
        load_settings(environ={"SHADOWEVAL_REDACT_PATTERNS": "ACC-1"})
    config.write_text('[redact]\npatterns = { order = "x" }\n')
    with pytest.raises(ConfigError, match="UPPER_CASE"):
        load_settings(config, environ={})
