"""Which findings make an answer unsafe: the pair model's reading has the last word on meaning.

The rules (facts that disagree, a fact nothing states, a flipped polarity) are cheap and precise
about *where* two texts differ, but they cannot read: a conditional reads as a denial, a paraphrase
as a missing fact, a date from an article retrieval missed as an invention. The model, for its
part, reads meaning but not numbers ("within 30 days" and "within 10 days" read alike). So a rule
finding makes an answer unsafe when the model also reads a contradiction in the sentence, or when
it is a clash of values of the very same claim ("3 to 5" against "10 business days") or the very
same sentence with its negation flipped, which the rules read exactly; a polarity flip in a sentence the KB entails is overruled (the rule misread
the scope); any other finding (a fact nothing supports, a polarity flip the model does not
confirm) is a *doubt*: the answer cannot pass (verdict at most `fail`), and the finding is listed. The model's own contradictions stand on their own. A contradiction of the human reply
that the KB backs is a reference conflict: shown, not blamed on the AI.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import ScoringSettings
from ..text import content_words
from .meaning import MeaningReading, SentenceReading, margin


@dataclass
class RuleFinding:
    """A rule's candidate: `against` is human | kb | unsupported, `kind` a fact kind or polarity."""

    against: str
    kind: str
    spans: dict[str, str]


@dataclass
class Findings:
    contradictions: list[dict[str, str]] = field(default_factory=list)
    reference_conflicts: list[str] = field(default_factory=list)
    overruled: list[str] = field(default_factory=list)  # rule findings the pair model read as fine
    doubts: list[dict[str, str]] = field(default_factory=list)  # rule findings the model neither confirmed nor overruled

    def add(self, against: str, kind: str, tier: str, **spans: str) -> None:
        if any(c["against"] == against and c.get("ai") == spans.get("ai") for c in self.contradictions):
            return  # one finding per sentence and side: the rules and the model often see the same one
        self.contradictions.append({"against": against, "kind": kind, "tier": tier, **spans})

    def describe(self) -> list[str]:
        lines = []
        for c in self.contradictions:
            kind = c["kind"].replace("_", " ")
            by = f" [{c['tier']}]"
            if c["against"] == "human":
                lines.append(f"contradicts the human reply on {kind}: human says {c['human']!r}, AI says {c['ai']!r}{by}")
            elif c["against"] == "kb":
                lines.append(f"contradicts the KB on {kind}: KB says {c['kb']!r}, AI says {c['ai']!r}{by}")
            else:
                lines.append(f"states a {kind} nothing supports: {c['ai']!r}{by}")
        for d in self.doubts:
            lines.append(f"cannot pass: the rules find {_describe_rule(d)}, which the pair model neither confirms nor rules out")
        lines.extend(f"reference conflict: {text}" for text in self.reference_conflicts)
        lines.extend(f"rule overruled by the pair model: {text}" for text in self.overruled)
        return lines


def _describe_rule(d: dict[str, str]) -> str:
    kind = d["kind"].replace("_", " ")
    if d["against"] == "unsupported":
        return f"a {kind} nothing supports ({d['ai']!r})"
    return f"a {kind} that disagrees with the {'human reply' if d['against'] == 'human' else 'KB'} ({d['ai']!r} vs {d.get(d['against'], '')!r})"


SAME_WORDS = 0.8  # share of content words two sentences share to be "the same sentence", negation aside
_NEGATION_WORDS = frozenset({"not", "no", "never", "cannot", "none", "nor", "neither", "non", "t"})


def _same_words(spans: dict[str, str]) -> bool:
    """The AI's sentence and the one it clashes with use the same content words (an edit, not a paraphrase)."""
    other = spans.get("kb") or spans.get("human") or ""
    a, b = (
        {w for w in content_words(text) if w not in _NEGATION_WORDS and not w.endswith("n't")}
        for text in (spans.get("ai", ""), other)
    )
    return bool(a and b) and len(a & b) / len(a | b) >= SAME_WORDS


def _sentence_of(span: str, reading: MeaningReading) -> SentenceReading | None:
    for s in reading.sentences:
        if span and (span in s.sentence or s.sentence in span):
            return s
    return None


def adjudicate(rules: list[RuleFinding], reference_conflicts: list[str], reading: MeaningReading, settings: ScoringSettings) -> Findings:
    findings = Findings(reference_conflicts=list(reference_conflicts))
    for s in reading.sentences:
        if margin(s.kb) >= settings.kb_contradiction_margin:
            findings.add("kb", "meaning", "pair model", ai=s.sentence, kb=s.kb_premise)
    answer_backed = bool(reading.sentences) and all(s.kb.entailment >= settings.kb_backs_threshold for s in reading.sentences)
    for sentence, judgement in reading.reference:
        if margin(judgement) >= settings.human_contradiction_margin:
            if answer_backed:
                findings.reference_conflicts.append(f"the human reply says {sentence!r}; the KB backs the AI's answer")
            else:
                findings.add("human", "meaning", "pair model", ai=" ".join(s.sentence for s in reading.sentences), human=sentence)
    for rule in rules:
        sentence = _sentence_of(rule.spans.get("ai", ""), reading)
        if sentence is None:  # a greeting, a question, or a sentence past the reading limit: the rule alone
            findings.add(rule.against, rule.kind, "rules", **rule.spans)
            continue
        # The model reads meaning, not numbers: it may overrule a polarity flip (the rule misreads
        # scope) but not a fact rule, which is exact about the values that differ.
        if rule.kind == "polarity" and sentence.kb.entailment >= settings.rule_vouch_threshold:
            findings.overruled.append(f"polarity {rule.spans.get('ai', '')!r}")
            continue
        read = reading.human_contradiction if rule.against == "human" else margin(sentence.kb)
        if read >= settings.rule_confirm_margin:
            findings.add(rule.against, rule.kind, "rules + pair model", **rule.spans)
        elif rule.against in ("human", "kb") and (rule.kind != "polarity" or _same_words(rule.spans)):
            # two values of the very same claim ("3 to 5" vs "10 business days"), or the very same
            # sentence with its negation flipped: exact, and what the rules read better than the model
            findings.add(rule.against, rule.kind, "rules", **rule.spans)
        else:
            findings.doubts.append({"against": rule.against, "kind": rule.kind, **rule.spans})
    return findings
