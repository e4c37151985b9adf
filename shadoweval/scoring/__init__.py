"""Score every AI answer against its human reply; one TicketResult per ticket."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..config import ScoringSettings
from ..embedding import Embedder
from ..generators.base import Answer
from .abstention import is_abstention
from .actions import detect_action
from .facts import compare_facts, confirm_contradictions
from .overlap import content_f1
from .reference import substantive_sentences, unscorable_reason
from ..text import split_sentences
from .similarity import rescale, rowwise_cosine, sentence_coverage
from .verdict import VERDICTS, combine_score, decide_verdict

__all__ = ["TicketResult", "VERDICTS", "score_answers"]


@dataclass
class TicketResult:
    ticket_id: str
    category: str
    verdict: str
    score: float
    metrics: dict[str, Any]
    ai_answer: str
    sources: list[str]
    reasons: list[str] = field(default_factory=list)
    contradictions: list[dict[str, str]] = field(default_factory=list)
    customer_message: str = ""
    agent_reply: str = ""
    created_at: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "ticket_id": self.ticket_id,
            "category": self.category,
            "verdict": self.verdict,
            "score": self.score,
            "metrics": self.metrics,
            "ai_answer": self.ai_answer,
            "sources": self.sources,
            "reasons": self.reasons,
            "contradictions": self.contradictions,
            "customer_message": self.customer_message,
            "agent_reply": self.agent_reply,
        }


def score_answers(
    tickets: pd.DataFrame,
    answers: list[Answer],
    retrieval_scores: list[float],
    embedder: Embedder,
    settings: ScoringSettings,
) -> list[TicketResult]:
    replies = tickets["agent_reply"].tolist()
    reference_sentences = [substantive_sentences(r) for r in replies]
    references = [" ".join(s) or r for s, r in zip(reference_sentences, replies)]
    ai_texts = [a.text for a in answers]
    answer_sentences = [split_sentences(t) for t in ai_texts]
    reply_vectors = embedder.embed(references, label="Embedding human replies")
    answer_vectors = embedder.embed(ai_texts, label="Embedding AI answers")
    cosine = rowwise_cosine(answer_vectors, reply_vectors)
    similarity = rescale(cosine, settings.similarity_floor, settings.similarity_ceiling)
    sentences = list(dict.fromkeys(s for group in (*reference_sentences, *answer_sentences) for s in group))
    sentence_vectors = dict(zip(sentences, embedder.embed(sentences, label="Embedding sentences")))
    coverage_raw = sentence_coverage(reference_sentences, answer_sentences, sentence_vectors)
    coverage = rescale(coverage_raw, settings.similarity_floor, settings.similarity_ceiling)

    fact_checks = confirm_contradictions(
        [compare_facts(reply, answer.text) for reply, answer in zip(replies, answers)],
        embedder,
        settings.same_claim_similarity,
    )

    results = []
    for i, row in enumerate(tickets.itertuples(index=False)):
        answer, reply, facts = answers[i], replies[i], fact_checks[i]
        overlap = content_f1(references[i], answer.text)
        unscorable = unscorable_reason(reply)
        action = detect_action(reply)
        abstained = is_abstention(answer.text, answer.abstained)
        score = combine_score(float(similarity[i]), float(coverage[i]), overlap, settings)
        verdict = decide_verdict(
            score,
            unscorable=unscorable,
            action=action,
            abstained=abstained,
            contradicted=bool(facts.contradictions),
            settings=settings,
        )
        reasons = []
        if unscorable:
            reasons.append(unscorable)
        if action:
            reasons.append(f"the human agent took an action: {action!r}")
        if abstained:
            reasons.append("the AI handed the ticket off instead of answering")
        reasons.extend(f"contradiction on {c.describe()}" for c in facts.contradictions)
        metrics = {
            "similarity": round(float(cosine[i]), 4),
            "coverage": round(float(coverage_raw[i]), 4),
            "overlap": round(overlap, 4),
            "fact_recall": None if facts.recall is None else round(facts.recall, 4),
            "facts_in_reply": facts.reference_facts,
            "contradictions": len(facts.contradictions),
            "retrieval_score": round(float(retrieval_scores[i]), 4),
        }
        results.append(
            TicketResult(
                ticket_id=row.ticket_id,
                category=row.category,
                verdict=verdict,
                score=score,
                metrics=metrics,
                ai_answer=answer.text,
                sources=list(answer.sources),
                reasons=reasons,
                contradictions=[
                    {"kind": c.kind, "human_span": c.reference_span, "ai_span": c.answer_span} for c in facts.contradictions
                ],
                customer_message=row.customer_message,
                agent_reply=reply,
                created_at=getattr(row, "created_at", "") or "",
            )
        )
    return results
