"""Groundedness: is what the AI says supported by the KB chunks it retrieved?

Catches an answer that invents a fact even when the human reply is silent on it: each answer
sentence is matched to its closest KB sentence, and each checkable fact of the answer (amount,
duration, date, email, URL...) must appear in the retrieved articles, the human reply, or what the
customer wrote; a fact found nowhere is unsupported.
"""

from __future__ import annotations

import re

import numpy as np

from .facts import CONTRADICTABLE, Fact, to_number


def grounding(answer_sentences: list[str], kb_sentences: list[str], vectors: dict[str, np.ndarray], threshold: float) -> tuple[float, float]:
    """(mean closeness of each answer sentence to its nearest retrieved KB sentence, share of answer
    sentences at least `threshold` close): how much of the answer the KB it retrieved supports."""
    if not answer_sentences or not kb_sentences:
        return 0.0, 0.0
    a = np.vstack([vectors[s] for s in answer_sentences])
    k = np.vstack([vectors[s] for s in kb_sentences])
    best = (a @ k.T).max(axis=1)
    return float(best.mean()), float((best >= threshold).mean())


_ANY_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def numbers_in(text: str) -> set[float]:
    """Every number written in `text`, however it is embedded ("1-877-827-3702", "Post-9/11")."""
    values = set()
    for token in _ANY_NUMBER.findall(text or ""):
        for part in (token, *re.split(r"[.,]", token)):  # "2.4.1" holds 2, 4 and 1
            value = to_number(part)
            if value is not None:
                values.add(value)
    return values


# Kinds that name one thing (a phone number, a form code, a date): written anywhere in the KB, they
# were not invented, even when retrieval missed that article.
SPECIFIC_KINDS = frozenset({"phone", "code", "id", "date", "email", "url"})


def unsupported_facts(
    answer_facts: list[Fact], supporting: list[Fact], supporting_numbers: set[float], kb_specifics: frozenset[tuple[str, str]] = frozenset()
) -> list[Fact]:
    """Checkable facts of the answer that no supporting text states. A plain number is supported
    wherever it is written; a specific (see SPECIFIC_KINDS) anywhere in the KB."""
    return [
        f
        for f in answer_facts
        if f.kind.split("_business")[0] in CONTRADICTABLE
        and not (f.kind == "number" and f.low in supporting_numbers)
        and not (f.kind in SPECIFIC_KINDS and (f.kind, f.low) in kb_specifics)
        and not any(f.agrees_with(s) for s in supporting)
    ]


def specifics_of(facts: list[Fact]) -> frozenset[tuple[str, str]]:
    return frozenset((f.kind, f.low) for f in facts if f.kind in SPECIFIC_KINDS)  # type: ignore[misc]
