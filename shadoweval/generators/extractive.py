"""The offline default: answer with the KB sentences closest to the question, or hand off.

It shows what retrieval alone can do, deterministically and for free: a floor any real assistant
must beat. All sentence embeddings are computed in one batch across the whole run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .base import Answer, GenerationContext, Generator, register

HANDOFF_TEXT = (
    "I'm not able to answer this from our help articles, so I would hand this ticket to a human agent."
)


@register
class ExtractiveGenerator(Generator):
    name = "extractive"

    def describe(self) -> dict[str, Any]:
        s = self.settings.extractive
        return {
            "name": self.name,
            "abstain_below": s.abstain_below,
            "max_sentences": s.max_sentences,
            "min_sentence_similarity": s.min_sentence_similarity,
            "sentence_margin": s.sentence_margin,
            "top_k": self.settings.retrieval.top_k,
        }

    def generate(self, tickets: pd.DataFrame, context: GenerationContext) -> list[Answer]:
        s = self.settings.extractive
        retrieval, chunks = context.retrieval, context.kb.chunks
        answerable = retrieval.top_score() >= s.abstain_below
        # Every sentence of every chunk any answerable ticket retrieved, embedded once.
        candidate_chunks = sorted({int(c) for row in retrieval.chunk_ids[answerable] for c in row if c >= 0})
        sentences_of = {c: chunks[c].sentences for c in candidate_chunks}
        unique_sentences = list(dict.fromkeys(text for c in candidate_chunks for text in sentences_of[c]))
        position = {text: i for i, text in enumerate(unique_sentences)}
        vectors = context.embedder.embed(unique_sentences, label="Embedding KB sentences")

        answers: list[Answer] = []
        for row in range(len(tickets)):
            if not answerable[row]:
                answers.append(Answer(HANDOFF_TEXT, (), abstained=True))
                continue
            hits = [(int(c), float(score)) for c, score in zip(retrieval.chunk_ids[row], retrieval.scores[row]) if c >= 0]
            answers.append(self._compose(retrieval.query_vectors[row], hits, sentences_of, position, vectors, chunks))
        return answers

    def _compose(self, query, hits, sentences_of, position, vectors, chunks) -> Answer:
        """Rank sentences by their own and their chunk's closeness to the question; quote the best
        one plus the next best from the same article that are nearly as relevant."""
        s = self.settings.extractive
        candidates = [  # (chunk, sentence position, text, chunk score)
            (c, pos, text, chunk_score) for c, chunk_score in hits for pos, text in enumerate(sentences_of.get(c, ()))
        ]
        if not candidates:
            return Answer(HANDOFF_TEXT, (), abstained=True)
        sentence_similarity = vectors[[position[text] for _, _, text, _ in candidates]] @ query
        relevance = 0.5 * sentence_similarity + 0.5 * np.array([score for *_, score in candidates])
        order = np.argsort(-relevance, kind="stable")
        best = order[0]
        article = chunks[candidates[best][0]].article_id
        chosen = [best] + [
            i
            for i in order[1:]
            if chunks[candidates[i][0]].article_id == article
            and relevance[i] >= relevance[best] - s.sentence_margin
            and sentence_similarity[i] >= s.min_sentence_similarity
        ][: s.max_sentences - 1]
        chosen.sort(key=lambda i: (candidates[i][0], candidates[i][1]))  # document order reads naturally
        texts = list(dict.fromkeys(candidates[i][2] for i in chosen))
        return Answer(" ".join(texts), (article,))
