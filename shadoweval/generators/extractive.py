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
            "top_k": self.settings.retrieval.top_k,
        }

    def generate(self, tickets: pd.DataFrame, context: GenerationContext) -> list[Answer]:
        s = self.settings.extractive
        retrieval, chunks = context.retrieval, context.kb.chunks
        answerable = retrieval.top_score() >= s.abstain_below
        # Every sentence of every chunk any answerable ticket retrieved, embedded once.
        candidate_chunks = sorted({int(c) for row in retrieval.chunk_ids[answerable] for c in row if c >= 0})
        sentences_of = {c: chunks[c].sentences for c in candidate_chunks}
        unique_sentences = list(dict.fromkeys(s_ for c in candidate_chunks for s_ in sentences_of[c]))
        position = {text: i for i, text in enumerate(unique_sentences)}
        vectors = context.embedder.embed(unique_sentences, label="Embedding KB sentences")

        answers: list[Answer] = []
        for row in range(len(tickets)):
            if not answerable[row]:
                answers.append(Answer(HANDOFF_TEXT, (), abstained=True))
                continue
            answers.append(
                self._compose(retrieval.query_vectors[row], retrieval.chunk_ids[row], sentences_of, position, vectors, chunks)
            )
        return answers

    def _compose(self, query, chunk_ids, sentences_of, position, vectors, chunks) -> Answer:
        s = self.settings.extractive
        candidates = [  # (chunk rank, sentence position, text)
            (rank, pos, text)
            for rank, c in enumerate(int(c) for c in chunk_ids if c >= 0)
            for pos, text in enumerate(sentences_of.get(c, ()))
        ]
        if not candidates:
            return Answer(HANDOFF_TEXT, (), abstained=True)
        similarity = vectors[[position[t] for _, _, t in candidates]] @ query
        order = np.argsort(-similarity, kind="stable")
        chosen = [i for i in order[: s.max_sentences] if similarity[i] >= s.min_sentence_similarity] or [order[0]]
        chosen_set = sorted(set(chosen), key=lambda i: (candidates[i][0], candidates[i][1]))
        seen: set[str] = set()
        texts = [candidates[i][2] for i in chosen_set if not (candidates[i][2] in seen or seen.add(candidates[i][2]))]
        chunk_list = [int(c) for c in chunk_ids if c >= 0]
        sources = tuple(dict.fromkeys(chunks[chunk_list[candidates[i][0]]].article_id for i in chosen_set))
        return Answer(" ".join(texts), sources)
