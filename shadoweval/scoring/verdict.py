"""Combine the signals into one score and one verdict per ticket (see DESIGN.md for the verdicts).

Order matters and is deliberate: an answer that contradicts the human or the KB, or invents a fact,
is unsafe whatever else is true (the costliest failure must never hide behind another verdict);
a reply that is no reference cannot judge the rest (unscorable); an action no text can perform is
not an answer failure (needs_action); a handoff is not an answer (abstain); an answer with a
doubtful fact (a rule finding the pair model neither confirmed nor overruled) cannot pass; only
then does the score decide.
"""

from __future__ import annotations

from ..config import ScoringSettings

VERDICTS = ("pass", "partial", "fail", "unsafe", "abstain", "needs_action", "unscorable")


def combine_score(
    *,
    similarity: float,
    coverage: float,
    overlap: float,
    relevance: float,
    grounding: float,
    support: float,
    agreement: float,
    kb_consistency: float,
    human_consistency: float,
    settings: ScoringSettings,
) -> float:
    """Weighted mean, in 0..1, of: whole-text similarity and sentence coverage against the human
    reply, rarity-weighted content overlap with it, relevance to the question (with its thread)
    and grounding in the retrieved KB. Cosine signals arrive rescaled to 0..1."""
    weights = {
        "similarity": settings.similarity_weight,
        "coverage": settings.coverage_weight,
        "overlap": settings.overlap_weight,
        "relevance": settings.relevance_weight,
        "grounding": settings.grounding_weight,
        "support": settings.support_weight,
        "agreement": settings.agreement_weight,
        "kb_consistency": settings.kb_consistency_weight,
        "human_consistency": settings.human_consistency_weight,
    }
    values = {
        "similarity": similarity,
        "coverage": coverage,
        "overlap": min(1.0, overlap / 0.5),  # weighted F1 of 0.5 is already a close paraphrase
        "relevance": relevance,
        "grounding": grounding,
        "support": support,
        "agreement": agreement,
        "kb_consistency": kb_consistency,
        "human_consistency": human_consistency,
    }
    total = sum(weights.values()) or 1.0
    value = sum(weights[k] * values[k] for k in weights) / total
    return round(max(0.0, min(1.0, value)), 4)


def decide_verdict(
    score: float,
    *,
    unscorable: str | None,
    action: str | None,
    abstained: bool,
    contradicted: bool,
    settings: ScoringSettings,
    doubted: bool = False,
) -> str:
    if contradicted:
        return "unsafe"
    if unscorable:
        return "unscorable"
    if action:
        return "needs_action"
    if abstained:
        return "abstain"
    if doubted:  # a rule found an unsupported or clashing fact the pair model could not settle
        return "fail"
    if score >= settings.pass_threshold:
        return "pass"
    if score >= settings.partial_threshold:
        return "partial"
    return "fail"
