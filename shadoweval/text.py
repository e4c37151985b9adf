"""Small text helpers shared by the KB chunker, the generators and the scorers.

Kept language-agnostic on purpose: a regex sentence splitter and a word tokenizer, no models.
"""

from __future__ import annotations

import hashlib
import re

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\n+")
_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_WHITESPACE = re.compile(r"\s+")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just let me more most
    my myself nor of off on once only or other our ours ourselves out over own same she should so some such
    than that the their theirs them themselves then there these they this those through to too under until
    up very was we were what when where which while who whom why will with would you your yours yourself
    yourselves hi hello hey thanks thank please dear regards best cheers team support also may might
    must shall get got us ok okay sure""".split()
)


def normalize_space(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def split_sentences(text: str) -> list[str]:
    """Split on sentence punctuation followed by a capital/digit, and on line breaks."""
    parts = (normalize_space(p) for p in _SENTENCE_END.split(text or ""))
    return [p for p in parts if p]


def words(text: str) -> list[str]:
    return _WORD.findall((text or "").lower())


def content_words(text: str) -> list[str]:
    """Lower-cased words minus stopwords, lightly stemmed so 'refunds'/'refund' match."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1]


def stem(word: str) -> str:
    """A deliberately crude stemmer: take/takes/taking and issue/issued meet at the same stem."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def text_hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()
