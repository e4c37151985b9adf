"""Top-k KB chunks per ticket: one batched embedding of all questions, one FAISS search."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .embedding import Embedder
from .index import KBIndex
from .text import normalize_space


@dataclass(frozen=True)
class Retrieval:
    """Row i belongs to ticket i: its question vector and its top-k chunk positions and scores."""

    questions: list[str]
    query_vectors: np.ndarray
    chunk_ids: np.ndarray  # (n, k) positions in kb.chunks, -1 = none
    scores: np.ndarray  # (n, k) cosine similarity

    def top_score(self) -> np.ndarray:
        return self.scores[:, 0] if self.scores.size else np.zeros(len(self.questions))


def question_text(row: pd.Series | dict) -> str:
    """What the customer asked: subject and message."""
    subject = normalize_space(str(row.get("subject", "") or ""))
    message = normalize_space(str(row.get("customer_message", "") or ""))
    return f"{subject}. {message}" if subject and subject.lower() not in message.lower() else message


def retrieve(frame: pd.DataFrame, kb_index: KBIndex, embedder: Embedder, k: int) -> Retrieval:
    questions = [question_text(row) for row in frame.to_dict("records")]
    vectors = embedder.embed(questions, label="Embedding tickets")
    if len(questions) == 0:
        empty = np.zeros((0, k))
        return Retrieval(questions, vectors, empty.astype(np.int64), empty.astype(np.float32))
    scores, ids = kb_index.search(vectors, k)
    return Retrieval(questions, vectors, ids, scores)
