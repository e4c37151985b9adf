"""Polarity: the same claim stated and denied ("is refundable" / "is non-refundable", "you can
renew online" / "you cannot renew online", an answer opening with "Yes" against one opening "No").

Embedding cosine cannot see these (the two sentences embed at ~0.98), so each sentence is reduced
to its claim without negation markers plus a polarity bit; two sentences whose stripped claims
embed alike but whose polarity differs contradict each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..text import STOPWORDS, content_words, stem

# Negation words, including doc2dial-style tokenisation ("won t", "can t").
_NEGATION = re.compile(
    r"\b(?:not|never|no longer|cannot|can't|won't|don't|doesn't|didn't|isn't|aren't|wasn't|weren't|shouldn't|couldn't|"
    r"wouldn't|mustn't|hasn't|haven't|hadn't|needn't|(?:can|won|don|doesn|didn|isn|aren|wasn|weren|shouldn|couldn|"
    r"wouldn|mustn|hasn|haven|hadn|needn) t)\b",
    re.IGNORECASE,
)
_CONTRACTION_BASE = {
    "cannot": "can", "can't": "can", "won't": "will", "don't": "do", "doesn't": "does", "didn't": "did",
    "isn't": "is", "aren't": "are", "wasn't": "was", "weren't": "were", "shouldn't": "should",
    "couldn't": "could", "wouldn't": "would", "mustn't": "must", "hasn't": "has", "haven't": "have",
    "hadn't": "had", "needn't": "need",
}
# Antonyms that flip a claim without a negation word; each maps to its positive form.
_ANTONYMS = {
    "unavailable": "available", "ineligible": "eligible", "unable": "able", "impossible": "possible",
    "invalid": "valid", "illegal": "legal", "unnecessary": "necessary", "unqualified": "qualified",
    "disqualified": "qualified", "disallowed": "allowed", "prohibited": "allowed", "forbidden": "allowed",
    "unsupported": "supported", "inactive": "active", "incorrect": "correct", "unpaid": "paid",
    "unlimited": "limited", "nonrefundable": "refundable", "non-refundable": "refundable",
    "non-transferable": "transferable", "nontransferable": "transferable", "non-taxable": "taxable",
    "nontaxable": "taxable", "optional": "required", "excluded": "included", "denied": "approved",
}
_ANTONYM = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in sorted(_ANTONYMS, key=len, reverse=True)) + r")\b", re.IGNORECASE)
_YES_NO = re.compile(r"^\W*(yes|no|yeah|yep|nope)\b(?!\s+(?:longer|more|one|matter|problem))", re.IGNORECASE)


_TOKEN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?|[,;:.!?()]")
_NEGATORS = {"not", "never", "cannot", "no", "nor", "neither"} | {
    w for w in ("can't won't don't doesn't didn't isn't aren't wasn't weren't shouldn't couldn't wouldn't mustn't "
                "hasn't haven't hadn't needn't").split()
}
_SPLIT_T_BASES = {"can", "won", "don", "doesn", "didn", "isn", "aren", "wasn", "weren", "shouldn", "couldn", "wouldn",
                  "mustn", "hasn", "haven", "hadn", "needn"}
SCOPE = 4  # content words after a negation that it governs (within the clause)


_CONDITIONAL = {"if", "unless", "whether", "when", "whenever"}


def scoped_words(sentence: str) -> list[tuple[str, bool, bool, int]]:
    """The sentence's content words (stemmed) as (word, negated, conditional, negation number).

    A negation governs the next few content words of its clause; two negations cancel ("not
    unable", "not no"). Words in a conditional clause ("if you do not meet the requirements") are
    marked, because a condition only contradicts a condition, never a statement.
    """
    tokens = _TOKEN.findall(sentence.lower().replace("’", "'"))
    words: list[tuple[str, bool, bool, int]] = []
    remaining = 0
    conditional = False
    negation = 0  # which negation governs a word: separate negations make separate runs
    prefix = False  # "non" (as in non-refundable, non-citizen) negates the next word only
    for i, token in enumerate(tokens):
        if token in ",;:.!?()" or token in {"but", "however", "except", "then"}:
            remaining = 0
            conditional = False
        elif token in _CONDITIONAL:
            conditional = True
            remaining = 0  # a negation does not reach into the condition that follows it
        elif token == "no" and not words and all(t in ",;:.!?()" for t in tokens[:i]):
            continue  # an opening "No," answers the question; it does not negate what follows
        elif token == "non":
            prefix = True
        elif token in _NEGATORS or (token == "t" and i > 0 and tokens[i - 1] in _SPLIT_T_BASES):
            remaining = 0 if remaining else SCOPE  # a second negation cancels the first
            negation += 1
        elif token in _SPLIT_T_BASES and i + 1 < len(tokens) and tokens[i + 1] == "t":
            continue
        elif token not in STOPWORDS and len(token) > 1:
            positive = _ANTONYMS.get(token)
            negated = remaining > 0
            if positive or prefix:  # "ineligible" is "not eligible"; "not ineligible" is "eligible"
                negation += 1
                words.append((stem(positive or token), not negated, conditional, negation))
                negation += 1
                prefix = False
            else:
                words.append((stem(token), negated, conditional, negation))
            remaining = max(0, remaining - 1)
    return words


Word = tuple[str, bool, bool, int]  # (stem, negated, conditional, negation number)


def _negated_runs(words: list[Word]) -> list[tuple[list[str], str | None, bool]]:
    """Runs of negated words, each with the content word before it (its subject, often) and
    whether it sits in a conditional clause."""
    runs: list[tuple[list[str], str | None, bool]] = []
    current: list[str] = []
    before: str | None = None
    previous: str | None = None
    conditional = False
    group = -1
    for word, negated, in_condition, negation in words:
        if current and (not negated or negation != group):
            runs.append((current, before, conditional))
            current = []
        if negated:
            if not current:
                before, conditional, group = previous, in_condition, negation
            current.append(word)
        previous = word
    if current:
        runs.append((current, before, conditional))
    return runs


def _occurs_unnegated(run: list[str], before: str | None, conditional: bool, words: list[Word]) -> bool:
    """Does `words` state the run's words, in order and close together, un-negated, in the same
    kind of clause? In a run of four, one word may be an insertion ("not *either* a SAR"), but
    not a replacement. A single negated word must also follow the same word ("benefits will not
    begin" does not deny "the waiting period begins")."""
    if len(run) >= 4 and _occurs_in_order(run[1:], None, conditional, words, allowed_misses=0):
        return True  # the first word was the inserted one ("not *always* pay that amount")
    return _occurs_in_order(run, before, conditional, words, allowed_misses=1 if len(run) >= 4 else 0)


def _occurs_in_order(run: list[str], before: str | None, conditional: bool, words: list[Word], allowed_misses: int) -> bool:
    for start, (word, negated, in_condition, _) in enumerate(words):
        if word != run[0] or negated or in_condition != conditional:
            continue
        if len(run) == 1 and before is not None and (words[start - 1][0] if start > 0 else None) != before:
            continue
        position, misses, after_miss = start, 0, False
        for wanted in run[1:]:
            window = words[position + 1 : position + 3]
            hit = next((j for j, (w, n, c, _) in enumerate(window) if w == wanted and not n and c == conditional), None)
            if hit is None:
                misses += 1
                after_miss = True
                if misses > allowed_misses:
                    break
            elif after_miss and hit != 0:
                break  # a word replaced by another ("sixth" by "first") changes the claim
            else:
                position += hit + 1
                after_miss = False
        else:
            return True
    return False


def _denies(a: "Claim", b: "Claim") -> bool:
    """`a` negates a phrase that `b` states, and that `a` does not itself state elsewhere."""
    return any(
        _occurs_unnegated(run, before, conditional, list(b.scoped))
        and not _occurs_in_order(run, before, conditional, list(a.scoped), allowed_misses=0)
        for run, before, conditional in _negated_runs(list(a.scoped))
    )


def polarity_flip(a: "Claim", b: "Claim") -> bool:
    """One sentence negates what the other states."""
    if not a.scoped or not b.scoped:
        return False
    return _denies(a, b) or _denies(b, a)


def negations_kept(a: "Claim", b: "Claim") -> bool:
    """Every word `a` negates, `b` negates too (so `b` can affirm `a`)."""
    return {w for w, n, *_ in a.scoped if n} <= {w for w, n, *_ in b.scoped if n}


@dataclass(frozen=True)
class Claim:
    sentence: str
    stripped: str  # the sentence with negations removed and antonyms made positive
    negated: bool
    words: frozenset[str]
    scoped: tuple[tuple[str, bool, bool, int], ...] = ()


def claim_of(sentence: str) -> Claim:
    flips = 0

    def drop_negation(match: re.Match[str]) -> str:
        nonlocal flips
        flips += 1
        token = match.group(0).lower()
        if token in _CONTRACTION_BASE:
            return _CONTRACTION_BASE[token]
        if token.endswith(" t"):
            base = token[:-2]
            return {"won": "will", "can": "can"}.get(base, base[:-1])
        return ""

    def positive(match: re.Match[str]) -> str:
        nonlocal flips
        flips += 1
        return _ANTONYMS[match.group(0).lower()]

    stripped = _ANTONYM.sub(positive, _NEGATION.sub(drop_negation, sentence))
    stripped = " ".join(stripped.split())
    return Claim(sentence, stripped, flips % 2 == 1, frozenset(content_words(stripped)), tuple(scoped_words(sentence)))


def yes_no(text: str) -> str | None:
    """'yes' or 'no' when the text opens with a direct yes/no answer."""
    match = _YES_NO.match(text or "")
    if not match:
        return None
    return "yes" if match.group(1).lower() in {"yes", "yeah", "yep"} else "no"


def could_contradict(a: Claim, b: Claim, min_shared: int = 2) -> bool:
    """Cheap filter before embedding: shared content words, and a negation that flips a stated phrase."""
    if len(a.words & b.words) < min_shared:
        return False
    return polarity_flip(a, b)
