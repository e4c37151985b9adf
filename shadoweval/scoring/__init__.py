"""Score every AI answer against its human reply and its KB evidence; one TicketResult per ticket.

Every embedding the signals need is computed in a few batched calls across the whole run; the
per-ticket work left is set arithmetic and small matrix products.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..config import ScoringSettings
from ..embedding import Embedder
from ..generators.base import Answer
from ..kb import KnowledgeBase
from ..pair_model import PairJudge
from ..retrieve import Retrieval
from ..text import normalize_space, split_sentences
from ..tickets import parse_history
from .abstention import is_abstention
from .actions import detect_action
from .adjudicate import Findings, RuleFinding, adjudicate
from .facts import Contradiction, Fact, aligned_contradictions, confirm_contradictions, extract_facts, fact_recall, open_facts
from .grounding import grounding, numbers_in, specifics_of, unsupported_facts
from .meaning import read_meaning
from .overlap import WordWeights, content_f1
from .polarity import Claim, claim_of, could_contradict, negations_kept, polarity_flip, yes_no
from .reference import meaningful_sentences, substantive_sentences, unscorable_reason
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
    usage: dict[str, int] = field(default_factory=dict)  # tokens the generator used for this answer
    cost_usd: float = 0.0  # what producing this answer cost (0 for extractive, replay, local models)
    judged_by: str = "score"  # which tier decided the verdict: pair model, rules + pair model, rules, score

    def to_json(self) -> dict[str, Any]:
        return {
            "ticket_id": self.ticket_id,
            "category": self.category,
            "verdict": self.verdict,
            "score": self.score,
            "metrics": self.metrics,
            "judged_by": self.judged_by,
            "ai_answer": self.ai_answer,
            "sources": self.sources,
            "reasons": self.reasons,
            "contradictions": self.contradictions,
            "customer_message": self.customer_message,
            "agent_reply": self.agent_reply,
            "usage": self.usage,
            "cost_usd": round(self.cost_usd, 6),
        }


@dataclass
class _Row:
    """What one ticket's checks need, gathered once."""

    reply: str
    reference_sentences: list[str]
    answer_sentences: list[str]
    kb_sentences: list[str]
    premise_sentences: list[str]  # every sentence of the retrieved articles: what the pair model reads answers against
    reply_facts: list[Fact]
    answer_facts: list[Fact]
    kb_facts: list[Fact]  # in the retrieved chunks: a clash with these is a contradiction of the KB
    support_facts: list[Fact]  # anywhere in the retrieved articles, the reply or the conversation
    support_numbers: set[float]  # every number written there
    customer_facts: list[Fact]  # what the customer wrote (their phone, their order id)


def score_answers(
    tickets: pd.DataFrame,
    answers: list[Answer],
    retrieval: Retrieval,
    kb: KnowledgeBase,
    embedder: Embedder,
    settings: ScoringSettings,
    pair_judge: PairJudge | None = None,
    evidence: list[tuple[Any, ...]] | None = None,
) -> list[TicketResult]:
    """Score every answer. `evidence`, when given, receives per ticket the rule candidates, the
    reference conflicts and the pair model's reading (for calibration fits)."""
    pair_judge = pair_judge or PairJudge(embedder.cache_dir)
    rows = _gather(tickets, answers, retrieval, kb)
    kb_specifics = _kb_specifics(kb)
    word_weights = WordWeights(c.text for c in kb.chunks)

    # Whole-text similarity and sentence coverage, on the reply without greetings and sign-offs.
    references = [" ".join(meaningful_sentences(r.reply)) or r.reply for r in rows]
    answer_vectors = embedder.embed([a.text for a in answers], label="Embedding AI answers")
    cosine = rowwise_cosine(answer_vectors, embedder.embed(references, label="Embedding human replies"))
    relevance = rowwise_cosine(answer_vectors, retrieval.query_vectors) if len(rows) else np.zeros(0)
    sentences = list(dict.fromkeys(
        s for r in rows for s in (*r.reference_sentences, *r.answer_sentences, *r.kb_sentences, *r.premise_sentences)
    ))
    vectors = dict(zip(sentences, embedder.embed(sentences, label="Embedding sentences")))
    coverage = sentence_coverage([r.reference_sentences for r in rows], [r.answer_sentences for r in rows], vectors)

    # Facts: against the human reply and against the KB, confirmed in one batch.
    human_open = [open_facts(r.reply_facts, r.answer_facts, r.customer_facts) for r in rows]
    kb_open = [open_facts(r.answer_facts, r.kb_facts, r.customer_facts) for r in rows]
    confirmed = confirm_contradictions(human_open + kb_open, embedder, settings.same_claim_similarity)
    human_fact_clashes = [
        _merge(found, aligned_contradictions(r.reply_facts, r.answer_facts)) for found, r in zip(confirmed[: len(rows)], rows)
    ]
    kb_fact_clashes = [
        _merge(found, aligned_contradictions(r.answer_facts, r.kb_facts)) for found, r in zip(confirmed[len(rows) :], rows)
    ]
    polarity = _polarity_clashes(rows, embedder, vectors, settings)
    readings = read_meaning(
        [r.answer_sentences for r in rows], [r.reference_sentences for r in rows], [r.premise_sentences for r in rows], vectors, pair_judge
    )

    def scaled(value: float) -> float:
        return float(rescale(np.array([value]), settings.similarity_floor, settings.similarity_ceiling)[0])

    results = []
    for i, ticket in enumerate(tickets.itertuples(index=False)):
        row, answer = rows[i], answers[i]
        candidates: list[RuleFinding] = []
        conflicts: list[str] = []
        for c in human_fact_clashes[i]:
            if any(f.agrees_with(k) for f in row.answer_facts if f.span == c.other_span for k in row.kb_facts):
                conflicts.append(f"the human reply says {c.span!r} where the KB and the AI say {c.other_span!r}")
            else:
                candidates.append(RuleFinding("human", c.kind, {"human": c.span, "ai": c.other_span}))
        for c in kb_fact_clashes[i]:
            candidates.append(RuleFinding("kb", c.kind, {"ai": c.span, "kb": c.other_span}))
        contradicted_spans = {c.span for c in kb_fact_clashes[i]} | {c.other_span for c in human_fact_clashes[i]}
        for fact in unsupported_facts(row.answer_facts, row.support_facts, row.support_numbers, kb_specifics()):
            if fact.span not in contradicted_spans:
                candidates.append(RuleFinding("unsupported", fact.kind.split("_business")[0], {"ai": fact.span}))
        kb_text = None
        for kind, details in polarity[i]:
            if kind == "reference_conflict":
                conflicts.append(details["text"])
                continue
            if kind == "kb":
                kb_text = kb_text if kb_text is not None else normalize_space(" ".join(row.premise_sentences)).lower()
                if normalize_space(details["ai"]).lower().rstrip(" .") in kb_text:
                    continue  # KB text itself (an extractive answer): the KB does not contradict itself
            candidates.append(RuleFinding(kind, "polarity", details))
        reading = readings[i]
        findings = adjudicate(candidates, conflicts, reading, settings)
        if evidence is not None:
            evidence.append((candidates, conflicts, reading))

        overlap = content_f1(references[i], answer.text, word_weights)
        grounded_mean, grounded_share = grounding(row.answer_sentences, row.kb_sentences, vectors, settings.grounded_similarity)

        unscorable = unscorable_reason(row.reply)
        action = detect_action(row.reply)
        abstained = is_abstention(answer.text, answer.abstained)
        score = combine_score(
            similarity=scaled(cosine[i]),
            coverage=scaled(coverage[i]),
            overlap=overlap,
            relevance=scaled(relevance[i]),
            grounding=scaled(grounded_mean),
            support=reading.support,
            agreement=reading.agreement,
            kb_consistency=reading.kb_consistency,
            human_consistency=reading.human_consistency,
            settings=settings,
        )
        verdict = decide_verdict(
            score, unscorable=unscorable, action=action, abstained=abstained,
            contradicted=bool(findings.contradictions), settings=settings, doubted=bool(findings.doubts),
        )
        reasons = [unscorable] if unscorable else []
        if action:
            reasons.append(f"the human agent took an action: {action!r}")
        if abstained:
            reasons.append("the AI handed the ticket off instead of answering")
        reasons.extend(findings.describe())
        recall = fact_recall(row.reply_facts, row.answer_facts)
        metrics = {
            "similarity": round(float(cosine[i]), 4),
            "coverage": round(float(coverage[i]), 4),
            "overlap": round(overlap, 4),
            "relevance": round(float(relevance[i]), 4),
            "grounding": round(grounded_mean, 4),
            "grounded_share": round(grounded_share, 4),
            "fact_recall": None if recall is None else round(recall, 4),
            "facts_in_reply": len(row.reply_facts),
            "support": round(reading.support, 4),
            "agreement": round(reading.agreement, 4),
            "kb_consistency": round(reading.kb_consistency, 4),
            "human_consistency": round(reading.human_consistency, 4),
            "kb_contradiction": round(reading.kb_contradiction, 4),
            "human_contradiction": round(reading.human_contradiction, 4),
            "rule_findings": len(candidates),
            "rules_overruled": len(findings.overruled),
            "rule_doubts": len(findings.doubts),
            "contradictions": len(findings.contradictions),
            "reference_conflicts": len(findings.reference_conflicts),
            "retrieval_score": round(float(retrieval.top_score()[i]), 4) if len(retrieval.questions) else 0.0,
        }
        results.append(
            TicketResult(
                ticket_id=ticket.ticket_id,
                category=ticket.category,
                verdict=verdict,
                score=score,
                metrics=metrics,
                ai_answer=answer.text,
                sources=list(answer.sources),
                reasons=reasons,
                contradictions=findings.contradictions,
                customer_message=ticket.customer_message,
                agent_reply=row.reply,
                created_at=getattr(ticket, "created_at", "") or "",
                usage=dict(answer.usage),
                cost_usd=answer.cost_usd,
                judged_by=_judged_by(verdict, findings),
            )
        )
    return results


def _kb_specifics(kb: KnowledgeBase):
    """Phone numbers, codes, dates... written anywhere in the KB; extracted on first use, once."""
    found: list[frozenset[tuple[str, str]]] = []

    def get() -> frozenset[tuple[str, str]]:
        if not found:
            found.append(specifics_of([f for chunk in kb.chunks for f in extract_facts(chunk.text)]))
        return found[0]

    return get


def _judged_by(verdict: str, findings: Findings) -> str:
    if verdict == "unsafe":
        return findings.contradictions[0]["tier"]
    if verdict == "fail" and findings.doubts:
        return "rules"
    return "score" if verdict in ("pass", "partial", "fail") else "rules"


def _merge(found: tuple[Contradiction, ...], more: tuple[Contradiction, ...]) -> tuple[Contradiction, ...]:
    seen = {c.span for c in found}
    return found + tuple(c for c in more if c.span not in seen and not seen.add(c.span))


def _gather(tickets: pd.DataFrame, answers: list[Answer], retrieval: Retrieval, kb: KnowledgeBase) -> list[_Row]:
    article_text: dict[str, str] = {}
    for chunk in kb.chunks:
        article_text[chunk.article_id] = article_text.get(chunk.article_id, "") + "\n" + chunk.text
    article_facts: dict[str, tuple[list[Fact], set[float]]] = {}

    def facts_of_article(article_id: str) -> tuple[list[Fact], set[float]]:
        if article_id not in article_facts:
            text = article_text.get(article_id, "")
            article_facts[article_id] = (extract_facts(text), numbers_in(text))
        return article_facts[article_id]

    chunk_facts: dict[int, list[Fact]] = {}  # many tickets retrieve the same chunks: extract once
    article_sentences: dict[str, list[str]] = {}
    for chunk in kb.chunks:
        article_sentences.setdefault(chunk.article_id, []).extend(chunk.sentences)

    def facts_of_chunk(position: int) -> list[Fact]:
        if position not in chunk_facts:
            chunk_facts[position] = extract_facts(kb.chunks[position].text)
        return chunk_facts[position]

    has_history = "conversation_history" in tickets.columns
    rows = []
    for i, ticket in enumerate(tickets.to_dict("records")):
        reply, answer = ticket["agent_reply"], answers[i]
        chunk_ids = [int(c) for c in retrieval.chunk_ids[i] if c >= 0] if len(retrieval.chunk_ids) else []
        chunks = [kb.chunks[c] for c in chunk_ids]
        kb_sentences = list(dict.fromkeys(s for c in chunks for s in c.sentences))
        reply_facts, answer_facts = extract_facts(reply), extract_facts(answer.text)
        conversation = [ticket.get("customer_message", "")]
        if has_history:
            conversation += [turn["text"] for turn in parse_history(ticket.get("conversation_history", ""))]
        articles = dict.fromkeys([c.article_id for c in chunks] + [s for s in answer.sources if s in kb.articles])
        conversation_text = "\n".join(conversation)
        customer_facts = extract_facts(conversation_text)
        support = [f for a in articles for f in facts_of_article(a)[0]] + reply_facts + customer_facts
        support_numbers = set().union(*(facts_of_article(a)[1] for a in articles)) | numbers_in(reply) | numbers_in(conversation_text)
        rows.append(
            _Row(
                reply=reply,
                reference_sentences=substantive_sentences(reply),
                answer_sentences=split_sentences(answer.text),
                kb_sentences=kb_sentences,
                premise_sentences=list(dict.fromkeys(s for a in dict.fromkeys(c.article_id for c in chunks) for s in article_sentences[a])),
                reply_facts=reply_facts,
                answer_facts=answer_facts,
                kb_facts=[f for c in chunk_ids for f in facts_of_chunk(c)],
                support_facts=support,
                support_numbers=support_numbers,
                customer_facts=customer_facts,
            )
        )
    return rows


def _polarity_clashes(
    rows: list[_Row], embedder: Embedder, vectors: dict[str, np.ndarray], settings: ScoringSettings
) -> list[list[tuple[str, dict[str, str]]]]:
    """Sentences of the answer that deny what the human reply or the KB affirms (or the reverse)."""
    claims: dict[str, Claim] = {}

    def claim(sentence: str) -> Claim:
        if sentence not in claims:
            claims[sentence] = claim_of(sentence)
        return claims[sentence]

    candidates: list[list[tuple[str, Claim, Claim]]] = []
    for row in rows:
        found = []
        for sentence in row.answer_sentences:
            a = claim(sentence)
            found += [("human", a, claim(s)) for s in row.reference_sentences if could_contradict(a, claim(s))]
            found += [("kb", a, claim(s)) for s in row.kb_sentences if could_contradict(a, claim(s))]
        candidates.append(found)
    stripped = sorted({c.stripped for found in candidates for _, a, b in found for c in (a, b)})
    stripped_vectors = dict(zip(stripped, embedder.embed(stripped, label="Embedding claims"))) if stripped else {}

    def same_claim(a: Claim, b: Claim) -> bool:
        return float(stripped_vectors[a.stripped] @ stripped_vectors[b.stripped]) >= settings.polarity_similarity

    def kb_affirms(row: _Row, a: Claim) -> bool:
        """A KB sentence says what this one says, without a flipped negation (so a clash with the
        human reply is the human's, not the AI's)."""
        return any(
            float(vectors[s] @ vectors[a.sentence]) >= settings.affirm_similarity
            and not polarity_flip(a, claim(s))
            and negations_kept(a, claim(s))
            for s in row.kb_sentences
        )

    result: list[list[tuple[str, dict[str, str]]]] = []
    for row, found in zip(rows, candidates):
        clashes: list[tuple[str, dict[str, str]]] = []
        seen: set[tuple[str, str]] = set()
        for against, a, b in found:
            if (against, a.sentence) in seen or not same_claim(a, b):
                continue
            seen.add((against, a.sentence))
            if kb_affirms(row, a):
                if against == "human":
                    clashes.append(("reference_conflict", {"text": f"the human reply says {b.sentence!r}; the KB and the AI say the opposite"}))
                continue
            clashes.append((against, {"ai": a.sentence, against: b.sentence}))
        reply_answer = yes_no(" ".join(row.reference_sentences)), yes_no(" ".join(row.answer_sentences))
        if all(reply_answer) and reply_answer[0] != reply_answer[1]:
            clashes.append(("human", {"human": reply_answer[0].capitalize(), "ai": reply_answer[1].capitalize()}))
        result.append(clashes)
    return result
