"""Content overlap: F1 of the content words (stopwords removed, lightly stemmed) of two texts.

Cheap and literal, it complements the embedding: two answers that name different forms, offices
or products embed alike but share few content words.
"""

from __future__ import annotations

from ..text import content_words


def content_f1(reference: str, candidate: str) -> float:
    ref, cand = set(content_words(reference)), set(content_words(candidate))
    if not ref or not cand:
        return 0.0
    common = len(ref & cand)
    if common == 0:
        return 0.0
    precision, recall = common / len(cand), common / len(ref)
    return 2 * precision * recall / (precision + recall)
