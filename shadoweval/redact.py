"""PII redaction: replace emails, phone numbers, card numbers, IBANs and user patterns by typed
placeholders ([EMAIL_1], [PHONE_1], ...) before ticket text leaves the machine.

Detection runs on the original text and claims spans in priority order (checksummed numbers first,
then the user's patterns, then phone numbers), so a placeholder is never re-matched and a card
number is never half-eaten by the phone rule. One Redactor per ticket numbers values consistently:
the same email in the message and the history becomes the same placeholder, and `restore` can put
the real values back into the AI's answer for scoring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping

from .errors import ConfigError

BUILTIN_KINDS = ("EMAIL", "IBAN", "CARD", "PHONE")
_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")

_EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# Candidates only; each is confirmed by its checksum or digit count below.
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])")
_CARD = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])")
_PHONE = re.compile(r"(?<![\w@+/.-])(?:\+|\(\+?)?\d[\d ().\-/]{5,22}\d(?![\w@/-]|\.\d)")
_DATE = re.compile(r"^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$")
_PLACEHOLDER = re.compile(r"\[([A-Z][A-Z0-9_]*)_(\d+)\]")


def luhn_ok(digits: str) -> bool:
    """The card-number checksum: rules out most digit runs that merely look like cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(compact: str) -> bool:
    """ISO 13616 mod-97 check on an IBAN without spaces."""
    if not 15 <= len(compact) <= 34 or not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _emails(text: str) -> Iterator[tuple[int, int, str]]:
    for m in _EMAIL.finditer(text):
        yield m.start(), m.end(), m.group().lower()


def _ibans(text: str) -> Iterator[tuple[int, int, str]]:
    """The longest prefix of each candidate that passes mod-97 (a candidate may run into a next word)."""
    for m in _IBAN.finditer(text):
        raw = m.group()
        ends = [i for i in range(len(raw), 0, -1) if i == len(raw) or raw[i] == " "]
        for end in ends:
            compact = raw[:end].replace(" ", "").upper()
            if iban_ok(compact):
                yield m.start(), m.start() + end, compact
                break


def _cards(text: str) -> Iterator[tuple[int, int, str]]:
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            yield m.start(), m.end(), digits


def _phones(text: str) -> Iterator[tuple[int, int, str]]:
    for m in _PHONE.finditer(text):
        raw = m.group()
        digits = re.sub(r"\D", "", raw)
        international = raw.startswith(("+", "(+"))
        # 9+ digits (8 with a country code) keeps prices, dates and order counts out.
        if not (8 if international else 9) <= len(digits) <= 15 or "  " in raw or _DATE.match(raw):
            continue
        yield m.start(), m.end(), digits


def _pattern(regex: re.Pattern[str]) -> Callable[[str], Iterator[tuple[int, int, str]]]:
    def find(text: str) -> Iterator[tuple[int, int, str]]:
        for m in regex.finditer(text):
            if m.end() > m.start():
                yield m.start(), m.end(), m.group()

    return find


def validate_patterns(patterns: Mapping[str, Any]) -> None:
    """Raise ConfigError unless every redact.patterns entry is NAME = a valid regular expression."""
    for name, regex in patterns.items():
        if not isinstance(name, str) or not _NAME.match(name) or name in BUILTIN_KINDS:
            raise ConfigError(
                f"redact.patterns name {name!r} must be UPPER_CASE and not one of {', '.join(BUILTIN_KINDS)}; "
                "rename it (it becomes the placeholder, e.g. ORDER -> [ORDER_1])."
            )
        if not isinstance(regex, str):
            raise ConfigError(f"redact.patterns.{name} must be a regular expression string; quote it in the config.")
        try:
            compiled = re.compile(regex)
        except re.error as exc:
            raise ConfigError(f"redact.patterns.{name} is not a valid regular expression ({exc}); fix the pattern.") from None
        if compiled.match(""):
            raise ConfigError(f"redact.patterns.{name} matches empty text; make the pattern require at least one character.")


@dataclass
class Redactor:
    """Redacts the texts of one ticket with consistent numbering; keeps the map to undo it."""

    patterns: Mapping[str, str] = field(default_factory=dict)
    placeholders: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, normalised value) -> placeholder
    originals: dict[str, str] = field(default_factory=dict)  # placeholder -> first original text seen

    def __post_init__(self) -> None:
        user = [(name, _pattern(re.compile(regex))) for name, regex in self.patterns.items()]
        self._detectors: list[tuple[str, Callable[[str], Iterable[tuple[int, int, str]]]]] = [
            ("EMAIL", _emails), ("IBAN", _ibans), ("CARD", _cards), *user, ("PHONE", _phones)
        ]
        self._counts: dict[str, int] = {}

    def redact(self, text: str) -> str:
        """`text` with every detected value replaced by its placeholder."""
        if not text:
            return text
        claimed: list[tuple[int, int, str, str]] = []
        for kind, find in self._detectors:
            for start, end, value in find(text):
                if all(end <= s or start >= e for s, e, _, _ in claimed):
                    claimed.append((start, end, kind, value))
        if not claimed:
            return text
        claimed.sort()
        out, pos = [], 0
        for start, end, kind, value in claimed:
            out.append(text[pos:start])
            out.append(self._placeholder(kind, value, text[start:end]))
            pos = end
        out.append(text[pos:])
        return "".join(out)

    def restore(self, text: str) -> str:
        """Put the original values back for placeholders this redactor issued (others stay)."""
        return _PLACEHOLDER.sub(lambda m: self.originals.get(m.group(), m.group()), text)

    @property
    def counts(self) -> dict[str, int]:
        """How many distinct values of each kind were redacted."""
        return dict(self._counts)

    def _placeholder(self, kind: str, value: str, original: str) -> str:
        key = (kind, value)
        if key not in self.placeholders:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            placeholder = f"[{kind}_{self._counts[kind]}]"
            self.placeholders[key] = placeholder
            self.originals[placeholder] = original
        return self.placeholders[key]


def redact_texts(texts: Iterable[str], patterns: Mapping[str, str] | None = None) -> list[str]:
    """Redact the texts of one ticket together, so a value gets the same placeholder in each."""
    redactor = Redactor(dict(patterns or {}))
    return [redactor.redact(t) for t in texts]


def redact_results(results: Iterable[Any], patterns: Mapping[str, str] | None = None) -> None:
    """Redact, in place, the ticket text each TicketResult carries into the reports (--redact-report).

    One redactor per ticket, so the customer message, the human reply and the AI answer name the
    same value with the same placeholder; contradiction spans and reasons quote those texts.
    """
    for result in results:
        redactor = Redactor(dict(patterns or {}))
        result.customer_message = redactor.redact(result.customer_message)
        result.agent_reply = redactor.redact(result.agent_reply)
        result.ai_answer = redactor.redact(result.ai_answer)
        result.reasons = [redactor.redact(r) for r in result.reasons]
        result.contradictions = [
            {k: redactor.redact(v) if isinstance(v, str) else v for k, v in c.items()} for c in result.contradictions
        ]
