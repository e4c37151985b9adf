"""Content overlap: F1 of the content words (stopwords removed, lightly stemmed) of two texts,
each word weighted by how rare it is in the knowledge base.

Cheap and literal, it complements the embedding: two answers about different forms, offices or
programmes embed alike but share few of the words that matter. Weighting by rarity (IDF over KB
chunks) makes "deferment" count for more than "loan" in a student-aid KB.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Iterable

from ..text import content_words


class WordWeights:
    """Inverse document frequency of each content word over a corpus (the KB chunks)."""

    def __init__(self, documents: Iterable[str]) -> None:
        frequency: Counter[str] = Counter()
        count = 0
        for document in documents:
            frequency.update(set(content_words(document)))
            count += 1
        self._frequency = frequency
        self._count = count

    def __call__(self, word: str) -> float:
        return math.log((self._count + 1) / (self._frequency.get(word, 0) + 1)) + 1.0


def content_f1(reference: str, candidate: str, weights: WordWeights | None = None) -> float:
    ref, cand = set(content_words(reference)), set(content_words(candidate))
    if not ref or not cand:
        return 0.0
    weight = weights or (lambda word: 1.0)
    common = sum(weight(w) for w in ref & cand)
    if common == 0:
        return 0.0
    precision = common / sum(weight(w) for w in cand)
    recall = common / sum(weight(w) for w in ref)
    return 2 * precision * recall / (precision + recall)
