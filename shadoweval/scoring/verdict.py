"""Combine the signals into one score and one verdict per ticket (see DESIGN.md for the verdicts).

Order matters and is deliberate: a reply that is no reference cannot judge anything (unscorable);
an action no text can perform is not an answer failure (needs_action); a handoff is not an answer
(abstain); a wrong fact outweighs any similarity (unsafe); only then does the score decide.
"""

from __future__ import annotations

from ..config import ScoringSettings

VERDICTS = ("pass", "partial", "fail", "unsafe", "abstain", "needs_action", "unscorable")


def combine_score(similarity: float, coverage: float, overlap: float, settings: ScoringSettings) -> float:
    """Weighted mean of rescaled whole-text similarity, sentence coverage and content overlap, in 0..1."""
    total = settings.similarity_weight + settings.coverage_weight + settings.overlap_weight
    overlap_scaled = min(1.0, overlap / 0.5)  # F1 of 0.5 on content words is already a close paraphrase
    value = (
        settings.similarity_weight * similarity
        + settings.coverage_weight * coverage
        + settings.overlap_weight * overlap_scaled
    ) / total
    return round(max(0.0, min(1.0, value)), 4)


def decide_verdict(
    score: float,
    *,
    unscorable: str | None,
    action: str | None,
    abstained: bool,
    contradicted: bool,
    settings: ScoringSettings,
) -> str:
    if unscorable:
        return "unscorable"
    if action:
        return "needs_action"
    if abstained:
        return "abstain"
    if contradicted:
        return "unsafe"
    if score >= settings.pass_threshold:
        return "pass"
    if score >= settings.partial_threshold:
        return "partial"
    return "fail"
