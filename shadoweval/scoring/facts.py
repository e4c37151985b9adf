"""Key-fact agreement: the checkable facts two texts state — money, percentages, durations, dates,
emails, URLs, phone numbers, order-like ids — and where they disagree.

A contradiction is the same kind of fact stated by both texts with no value in common (refunds in
"5 to 7 business days" vs "2 business days"): a support answer that gets such a fact wrong is
worse than one that says nothing, so it makes the verdict `unsafe`.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, replace
from typing import Protocol, Sequence

import numpy as np

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "forty-five": 45, "fifty": 50, "sixty": 60, "ninety": 90, "hundred": 100,
}
_NUM = r"(?:\d+(?:[.,]\d+)*|" + "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True)) + r")"
DAYS_PER_UNIT = {"day": 1, "week": 7, "fortnight": 14, "month": 30, "year": 365}
HOURS_PER_UNIT = {"minute": 1 / 60, "hour": 1}

_AMOUNT = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MONEY = re.compile(
    rf"(?:(?P<cur>[$€£])\s?(?P<amount>{_AMOUNT}))"
    rf"|(?:(?P<amount2>{_AMOUNT})\s?(?P<cur2>dollars?|usd|eur|euros?|gbp|pounds?)\b)",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"(?P<value>\d+(?:\.\d+)?)\s?(?:%|percent\b|per cent\b)", re.IGNORECASE)
_DURATION = re.compile(
    rf"\b(?P<low>{_NUM})(?:\s*(?:to|-|–|or)\s*(?P<high>{_NUM}))?[\s-]*"
    r"(?P<kind>business |working |calendar )?"
    r"(?P<unit>minute|hour|day|week|fortnight|month|year)s?\b",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()\"']+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|gov|net|io|co|edu)(?:/[^\s<>()\"']*)?", re.IGNORECASE)
_SEP = r"(?:\s?[.-]\s?|\s)"
_PHONE = re.compile(
    rf"(?<![\w/])(?:\+?\d{{1,2}}{_SEP})?(?:\(\d{{3}}\)|\d{{3}}){_SEP}\d{{3}}{_SEP}\d{{4}}\b|\b\d-8\d\d-[A-Z0-9-]{{7,8}}\b"
)
_ID = re.compile(r"#\s?[A-Z0-9-]*\d[A-Z0-9-]{3,}|\b[A-Z]{1,5}-\d{4,}\b")
_MONTHS = "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
_DATE = re.compile(
    rf"\b(?:(?P<iso>\d{{4}}-\d{{2}}-\d{{2}})|(?P<month>{_MONTHS})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:\s*,?\s+(?P<year>\d{{4}}))?)\b",
    re.IGNORECASE,
)

# Form, plate or section codes: "MV-78B", "DTF-803", "SGLV 8284A" name one document each.
_CODE = re.compile(r"\b[A-Z]{1,6}[- ]?\d{2,}[A-Z]?\b")
_PLAIN_NUMBER = re.compile(rf"(?<![\w.,\[])(?:{_AMOUNT})(?![\w\]]|\.\d|\s?\])")

# Kinds whose disagreement is a contradiction. A plain number (a form, room or year) counts:
# "Room 2316" and "Room 3316" send the customer to different places. Facts the customer gave
# (their phone number, their order id) are never held against an answer: see `open_facts`.
CONTRADICTABLE = {
    "money", "percent", "duration_days", "duration_hours", "date", "email", "url", "number", "code", "phone", "id",
}


@dataclass(frozen=True)
class Fact:
    kind: str
    low: float | str  # numbers for ranges, normalised strings otherwise
    high: float | str
    span: str
    claim: str = ""  # the sentence stating the fact, every fact in it masked: what the fact is about

    def agrees_with(self, other: "Fact") -> bool:
        if self.kind != other.kind:
            return False
        if isinstance(self.low, str) or isinstance(other.low, str):
            return self.low == other.low
        tolerance = 0.005 if self.kind == "money" else 1e-9
        return self.low <= other.high + tolerance and other.low <= self.high + tolerance  # ranges overlap


@dataclass(frozen=True)
class Contradiction:
    """`span` (in the text checked) and `other_span` (in the text checked against) disagree."""

    kind: str
    span: str
    other_span: str
    claim: str = ""
    other_claim: str = ""


@dataclass(frozen=True)
class OpenFact:
    """A fact the other text does not repeat, with that text's facts of the same kind it may clash with."""

    fact: Fact
    others: tuple[Fact, ...]
    accounted_for: tuple[bool, ...]  # that other fact agrees with some other fact of the first text


def to_number(text: str) -> float | None:
    """'1,220' -> 1220.0; None for what is not one number ('2.4.1', a version)."""
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def _number(token: str) -> float:
    token = token.lower()
    if token in NUMBER_WORDS:
        return float(NUMBER_WORDS[token])
    return float(token.replace(",", ""))


MASK = "N"
_SENTENCE_BOUNDARY = re.compile(r"(?<=[.!?])\s+|\n+")


def extract_facts(text: str) -> list[Fact]:
    """Every checkable fact in `text`, each with its masked claim sentence."""
    text = text or ""
    found = _extract(text)
    if not found:
        return []
    bounds = [0] + [m.end() for m in _SENTENCE_BOUNDARY.finditer(text)] + [len(text) + 1]
    by_sentence: dict[int, list[int]] = {}
    for position, (_, start, _) in enumerate(found):  # group by sentence: an article has hundreds of facts
        by_sentence.setdefault(bisect.bisect_right(bounds, start) - 1, []).append(position)
    claims: dict[int, str] = {}
    for sentence, positions in by_sentence.items():
        left, right = bounds[sentence], bounds[sentence + 1]
        pieces, cursor = [], left
        for s, e in sorted((found[p][1], found[p][2]) for p in positions):
            if s >= cursor:
                pieces.append(text[cursor:s] + MASK)
                cursor = e
        pieces.append(text[cursor:right])
        claim = " ".join("".join(pieces).split())
        claims.update((p, claim) for p in positions)
    return [replace(fact, claim=claims[p]) for p, (fact, _, _) in enumerate(found)]


# Every fact needs a digit, an @, a web address or a number word: most sentences have none, and
# skipping them saves running ten patterns over every reply, answer and KB chunk.
_MAY_HOLD_FACTS = re.compile(
    r"\d|@|www\.|https?:|\.(?:com|org|gov|net|io|co|edu)\b|\b(?:" + "|".join(NUMBER_WORDS) + r")\b", re.IGNORECASE
)


def _extract(text: str) -> list[tuple[Fact, int, int]]:
    facts: list[tuple[Fact, int, int]] = []
    if not _MAY_HOLD_FACTS.search(text):
        return facts
    for m in _MONEY.finditer(text):
        value = float((m.group("amount") or m.group("amount2")).replace(",", ""))
        facts.append((Fact("money", value, value, m.group(0).strip()), m.start(), m.end()))
    for m in _PERCENT.finditer(text):
        value = float(m.group("value"))
        facts.append((Fact("percent", value, value, m.group(0)), m.start(), m.end()))
    for m in _DURATION.finditer(text):
        unit = m.group("unit").lower()
        low = _number(m.group("low"))
        high = _number(m.group("high")) if m.group("high") else low
        if unit in DAYS_PER_UNIT:
            kind, factor = "duration_days", DAYS_PER_UNIT[unit]
        else:
            kind, factor = "duration_hours", HOURS_PER_UNIT[unit]
        if (m.group("kind") or "").strip().lower() in {"business", "working"}:
            kind += "_business"
        facts.append((Fact(kind, low * factor, high * factor, m.group(0).strip()), m.start(), m.end()))
    for m in _DATE.finditer(text):
        if m.group("iso"):
            key = m.group("iso")
        else:
            key = f"{m.group('month')[:3].lower()}-{int(m.group('day')):02d}" + (f"-{m.group('year')}" if m.group("year") else "")
        facts.append((Fact("date", key, key, m.group(0)), m.start(), m.end()))
    emails = set()
    for m in _EMAIL.finditer(text):
        emails.add(m.group(0).lower())
        facts.append((Fact("email", m.group(0).lower(), m.group(0).lower(), m.group(0)), m.start(), m.end()))
    for m in _URL.finditer(text):
        raw = m.group(0).rstrip(".,;:!?")
        if any(raw.lower() in e for e in emails):
            continue  # the domain part of an email address
        key = re.sub(r"^(?:https?://)?(?:www\.)?", "", raw.lower()).rstrip("/")
        facts.append((Fact("url", key, key, raw), m.start(), m.end()))
    for m in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", m.group(0))
        digits = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits  # +1 is the US default
        digits = digits or m.group(0).upper()
        facts.append((Fact("phone", digits, digits, m.group(0)), m.start(), m.end()))
    for m in _ID.finditer(text):
        key = re.sub(r"[#\s]", "", m.group(0)).upper()
        facts.append((Fact("id", key, key, m.group(0)), m.start(), m.end()))
    taken = [(s, e) for _, s, e in facts]
    for m in _CODE.finditer(text):
        if not any(s <= m.start() < e for s, e in taken):
            key = re.sub(r"[- ]", "", m.group(0)).upper()
            facts.append((Fact("code", key, key, m.group(0)), m.start(), m.end()))
    taken = [(s, e) for _, s, e in facts]
    for m in _PLAIN_NUMBER.finditer(text):
        if any(s <= m.start() < e for s, e in taken):
            continue  # part of an amount, a duration, a date...
        value = to_number(m.group(0))
        if value is not None:
            facts.append((Fact("number", value, value, m.group(0)), m.start(), m.end()))
    return facts


def open_facts(subject: list[Fact], others: list[Fact], customer_facts: list[Fact] = ()) -> tuple[OpenFact, ...]:
    """The contradictable facts of `subject` that no fact of `others` agrees with, each with the
    facts of `others` of the same kind that might contradict it. Facts the customer stated
    themselves (`customer_facts`: their phone, their order id) are left out."""
    result = []
    for fact in subject:
        if fact.kind.split("_business")[0] not in CONTRADICTABLE or any(fact.agrees_with(o) for o in others):
            continue
        if any(fact.agrees_with(c) for c in customer_facts):
            continue
        same_kind = tuple(o for o in others if o.kind == fact.kind)
        if same_kind:
            accounted = tuple(any(o.agrees_with(x) for x in subject) for o in same_kind)
            result.append(OpenFact(fact, same_kind, accounted))
    return tuple(result)


def fact_recall(reference: list[Fact], answer: list[Fact]) -> float | None:
    """Share of the reference's facts that the answer states too (None when it states none)."""
    if not reference:
        return None
    return sum(1 for f in reference if any(f.agrees_with(a) for a in answer)) / len(reference)


def aligned_contradictions(subject: list[Fact], others: list[Fact]) -> tuple[Contradiction, ...]:
    """Where the two texts make the very same claim (identical once facts are masked) with the same
    number of facts, compare them position by position: "$1 for every $2" vs "$2 for every $2"."""
    def by_claim(facts: list[Fact]) -> dict[str, list[Fact]]:
        grouped: dict[str, list[Fact]] = {}
        for fact in facts:
            grouped.setdefault(" ".join(fact.claim.lower().split()), []).append(fact)
        return grouped

    theirs = by_claim(others)
    found = []
    for claim, mine in by_claim(subject).items():
        counterpart = theirs.get(claim)
        if not counterpart or len(counterpart) != len(mine):
            continue
        for a, b in zip(mine, counterpart):
            if a.kind == b.kind and a.kind.split("_business")[0] in CONTRADICTABLE and not a.agrees_with(b):
                found.append(Contradiction(a.kind.split("_business")[0], a.span, b.span, a.claim, b.claim))
    return tuple(found)


class _Embeds(Protocol):
    def embed(self, texts: Sequence[str], label: str = ...) -> np.ndarray: ...


def confirm_contradictions(
    groups: list[tuple[OpenFact, ...]], embedder: _Embeds, same_claim_similarity: float
) -> list[tuple[Contradiction, ...]]:
    """Decide which open facts are contradicted, with one batched embedding of every claim.

    An open fact is contradicted when the other side's claim most like its own (facts masked) is
    about the same thing (cosine >= threshold) and states a value nothing on the first side
    supports. "Express shipping takes N and costs N" vs "International shipping takes N and costs
    N" are different claims; "Reset links expire after N" vs "Reset links expire after N and can
    be used only once" are the same claim, so 5 vs 60 minutes is a contradiction.
    """
    claims = sorted({f.claim for group in groups for o in group for f in (o.fact, *o.others)})
    if not claims:
        return [() for _ in groups]
    position = {claim: i for i, claim in enumerate(claims)}
    vectors = embedder.embed(claims, label="Embedding fact claims")
    confirmed = []
    for group in groups:
        found: list[Contradiction] = []
        for open_fact in group:
            ref = vectors[position[open_fact.fact.claim]]
            similarities = [float(vectors[position[a.claim]] @ ref) for a in open_fact.others]
            best = max(range(len(similarities)), key=similarities.__getitem__)
            if open_fact.accounted_for[best] or similarities[best] < same_claim_similarity:
                continue  # the closest claim restates another fact of the first side, or is about something else
            r, a = open_fact.fact, open_fact.others[best]
            found.append(Contradiction(r.kind.split("_business")[0], r.span, a.span, r.claim, a.claim))
        confirmed.append(tuple(found))
    return confirmed
